"""pytest fixtures for projects built on async_drf.

Installing async_drf registers this plugin with pytest (a ``pytest11`` entry point
named after this module, as pytest-django does); ``pytest -p
no:async_drf.pytest_plugin`` switches it off.  A ``conftest.py`` that still says
``pytest_plugins = ["async_drf.pytest_plugin"]`` names the same plugin, which pytest
registers once.  The plugin is imported in every pytest run of the environment, so
importing it needs neither Django settings nor pytest-asyncio.

* ``tortoise_db`` - a fresh Tortoise database per test, with the models of
  ``settings.TORTOISE_ORM``: in-memory SQLite by default (with Tortoise's REGEXP
  functions, so SearchFilter's ``$`` prefix works); with
  ``ASYNC_DRF_TEST_DB_URL`` set (``postgres://user@host:5432/name``), one PostgreSQL
  database for the session (created, then dropped) whose tables are truncated after
  each test.  Tests run on one session-wide event loop (set
  ``asyncio_default_test_loop_scope = session``).
* ``api_client`` - an :class:`~async_drf.test.AsyncAPIClient`.
* ``api_factory`` - an :class:`~async_drf.test.AsyncAPIRequestFactory`.
* ``hops`` - a :class:`~async_drf.concurrency.HopCounter` counting thread hops.
* ``queries`` - a :class:`QueryCounter` counting the SQL statements Tortoise runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, TypeVar, cast

import pytest

from .concurrency import HopCounter, count_hops

if TYPE_CHECKING:
    from typing import Literal

    from tortoise.apps import Apps
    from tortoise.context import TortoiseContext

    from .test import AsyncAPIClient, AsyncAPIRequestFactory

    ScopeName = Literal["session", "package", "module", "class", "function"]

F = TypeVar("F", bound=Callable[..., object])

try:
    import pytest_asyncio
except ImportError:  # the database fixtures say what is missing when a test uses them
    HAS_PYTEST_ASYNCIO = False
else:
    HAS_PYTEST_ASYNCIO = True

TEST_DB_URL_ENV = "ASYNC_DRF_TEST_DB_URL"
# In-memory SQLite with REGEXP/MATCH installed (SearchFilter's `$` prefix).
SQLITE_TEST_URL = "sqlite://:memory:?install_regexp_functions=True"

__all__ = ["QueryCounter", "count_queries", "test_tortoise_config"]


class QueryCounter(logging.Handler):
    """Counts the statements Tortoise's database clients log while it is installed."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.queries: list[str] = []

    @property
    def count(self) -> int:
        return len(self.queries)

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and record.args:
            self.queries.append(str(record.args[0]))
        elif isinstance(record.msg, str) and record.msg.lstrip()[:6].upper() in (
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
        ):
            self.queries.append(record.msg)

    def reset(self) -> None:
        self.queries.clear()

    def __repr__(self) -> str:
        return f"<QueryCounter count={self.count} queries={self.queries!r}>"


class count_queries:  # noqa: N801 - used as a context manager, like count_hops
    """``with count_queries() as queries: ...; assert queries.count == 2``."""

    logger = logging.getLogger("tortoise.db_client")

    def __enter__(self) -> QueryCounter:
        self.counter = QueryCounter()
        self._level = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self.counter)
        return self.counter

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self.counter)
        self.logger.setLevel(self._level)


def test_tortoise_config(db_url: str) -> dict[str, object]:
    """``settings.TORTOISE_ORM`` with every connection pointed at ``db_url``."""
    from .orm import get_tortoise_config

    config = get_tortoise_config()
    apps = {
        label: {**app, "models": [m for m in app["models"] if m != "aerich.models"]}
        for label, app in config["apps"].items()
    }
    names = {app.get("default_connection", "default") for app in apps.values()}
    return {
        "connections": {name: db_url for name in names},
        "apps": apps,
        "use_tz": config.get("use_tz", True),
        "timezone": config.get("timezone", "UTC"),
    }


test_tortoise_config.__test__ = False  # type: ignore[attr-defined]


async def _truncate(ctx: TortoiseContext) -> None:
    from tortoise.contrib.test import truncate_all_models

    db = ctx.db()
    if db.capabilities.dialect == "postgres":
        apps = cast("Apps", ctx.apps)  # the context is initialised
        tables = ", ".join(f'"{m._meta.db_table}"' for m in apps.get_models_iterable())
        await db.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    else:
        await truncate_all_models()


def _async_fixture(
    *, scope: ScopeName = "function", loop_scope: ScopeName | None = None
) -> Callable[[F], F]:
    """pytest-asyncio's fixture decorator, or one giving a fixture that says it is needed."""
    if HAS_PYTEST_ASYNCIO:
        # Generic over the fixture function (mypy does not match it to F unaided).
        decorator = pytest_asyncio.fixture(scope=scope, loop_scope=loop_scope)
        return cast("Callable[[F], F]", decorator)

    def needs_pytest_asyncio(func: F) -> F:
        def fixture() -> None:
            pytest.fail(
                f"async_drf's {func.__name__} fixture needs pytest-asyncio: "
                "pip install pytest-asyncio",
                pytrace=False,
            )

        return cast(F, pytest.fixture(scope=scope, name=func.__name__)(fixture))

    return needs_pytest_asyncio


@_async_fixture(scope="session", loop_scope="session")
async def _tortoise_server_db() -> AsyncIterator[TortoiseContext | None]:
    """One database on the server named by ASYNC_DRF_TEST_DB_URL for the whole session."""
    from tortoise.context import TortoiseContext

    url = os.environ.get(TEST_DB_URL_ENV)
    if not url:
        yield None  # SQLite: tortoise_db makes an in-memory database per test
        return
    base, _, name = url.rpartition("/")
    name, _, query = name.partition("?")
    # A name of our own, so a test run never drops a database someone uses.
    url = f"{base}/{name}_async_drf_{os.getpid()}" + (f"?{query}" if query else "")
    ctx = TortoiseContext()
    with ctx:
        await ctx.init(config=test_tortoise_config(url), _create_db=True)
        await ctx.generate_schemas(safe=False)
    try:
        yield ctx
    finally:
        with ctx:
            for connection in ctx.connections.all():
                await connection.close()  # db_delete would reconnect over the live pool
                await connection.db_delete()
            await ctx.close_connections()


@_async_fixture(loop_scope="session")
async def tortoise_db(
    _tortoise_server_db: TortoiseContext | None,
) -> AsyncIterator[TortoiseContext]:
    """A fresh Tortoise database for one test (see the module docstring)."""
    from tortoise.context import TortoiseContext

    if _tortoise_server_db is not None:
        ctx = _tortoise_server_db
        with ctx:
            try:
                yield ctx
            finally:
                await _truncate(ctx)
        return
    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(config=test_tortoise_config(SQLITE_TEST_URL), _create_db=True)
        await ctx.generate_schemas(safe=False)
        yield ctx


@pytest.fixture
def api_client() -> AsyncAPIClient:
    from .test import AsyncAPIClient

    return AsyncAPIClient()


@pytest.fixture
def api_factory() -> AsyncAPIRequestFactory:
    from .test import AsyncAPIRequestFactory

    return AsyncAPIRequestFactory()


@pytest.fixture
def hops() -> Iterator[HopCounter]:
    with count_hops() as counter:
        yield counter


@pytest.fixture
def queries() -> Iterator[QueryCounter]:
    with count_queries() as counter:
        yield counter
