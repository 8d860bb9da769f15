import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import django
import pytest

pytest_plugins = ["async_drf.pytest_plugin"]


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip service-backed tests when the service is missing; with CI=true Redis is
    required (its tests run and fail), and PostgreSQL tests run in make test's
    PostgreSQL pass (ASYNC_DRF_TEST_DB_URL set)."""
    required = os.environ.get("CI", "").lower() == "true"
    skips = {}
    if not os.environ.get("ASYNC_DRF_TEST_DB_URL"):
        skips["postgres"] = "needs ASYNC_DRF_TEST_DB_URL (make test runs a PostgreSQL pass)"
    else:
        skips["sqlite_only"] = "binds the models to SQLite in this process; runs in the SQLite pass"
    if not required and not _reachable("127.0.0.1", 6379):
        skips["redis"] = "Redis is not reachable on 127.0.0.1:6379"
    for item in items:
        for name, reason in skips.items():
            if name in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def thread_starts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the threads started while the test runs."""
    started: list[str] = []
    original = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        original(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    return started


_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE")


@pytest.fixture
def django_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SELECT/INSERT/UPDATE/DELETE statements Django runs, in any thread (a view's
    thread hops included)."""
    from django.db.backends.utils import CursorWrapper

    statements: list[str] = []
    original = CursorWrapper._execute_with_wrappers

    def execute(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if sql.lstrip()[:6].upper() in _STATEMENTS:
            statements.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", execute)
    return statements


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions run through asgiref's ``sync_to_async``, one entry per thread hop:
    async_drf's own hops and those Django's async ORM makes (``aget``, ``async for``),
    which the ``hops`` counter does not see."""
    from asgiref.sync import SyncToAsync

    hops: list[str] = []
    original = SyncToAsync.__call__

    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        # The function's name, never its repr (a bound QuerySet method's would query).
        hops.append(getattr(self.func, "__qualname__", None) or type(self.func).__name__)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", call)
    return hops


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> Any:
    """The throttle store the settings name, once per store (tests/throttle_helpers.py)."""
    from .throttle_helpers import settings_store

    async with settings_store(request.param) as named:
        yield named


@pytest.fixture(autouse=True)
def clear_memory_throttle_store() -> Iterator[None]:
    """Every test starts and ends with no throttle history (DRF's tests: cache.clear())."""
    from async_drf.throttle_stores import memory_store

    memory_store.clear()
    yield
    memory_store.clear()
