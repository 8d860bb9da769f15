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
