"""async_drf.backends.sqlite: a SQLite database locked by another connection makes a
query wait at most SQLITE_BUSY_TIMEOUT in all (for Tortoise's one connection, then for
the file lock), then answers 503; Tortoise's own client queued requests without limit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from tortoise.context import TortoiseContext

from async_drf import generics, serializers
from async_drf.backends import sqlite as bounded
from async_drf.orm import bound_waits
from async_drf.test import AsyncAPIRequestFactory

from .models import Author

pytestmark = pytest.mark.sqlite_only  # initialises the test models on a SQLite file

factory = AsyncAPIRequestFactory()

UNAVAILABLE = {"detail": "Service temporarily unavailable, try again later."}


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class Authors(generics.AsyncListCreateAPIView):
    queryset = Author
    serializer_class = AuthorSerializer
    pagination_class = None


def config(path: Path) -> dict[str, Any]:
    return {
        "connections": {"default": f"sqlite://{path}"},
        "apps": {"models": {"models": ["tests.models"]}},
    }


@pytest.fixture
async def file_db(
    tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Path, TortoiseContext]]:
    """A SQLite file database with one author; ``SQLITE_BUSY_TIMEOUT`` is the
    parametrised value (indirect), else the default."""
    path = tmp_path / "locked.sqlite3"
    settings = {"SQLITE_BUSY_TIMEOUT": request.param} if hasattr(request, "param") else {}
    ctx = TortoiseContext()
    with override_settings(ASYNC_DRF=settings):
        async with ctx:
            await ctx.init(config=bound_waits(config(path)))
            await ctx.generate_schemas()
            await Author.create(name="ann")
            yield path, ctx


class WriteLock:
    """Another connection (in a thread) holding ``BEGIN EXCLUSIVE`` until released."""

    def __init__(self, path: Path) -> None:
        self.path, self.taken, self.done = path, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        self.taken.set()
        self.done.wait(30)
        connection.execute("ROLLBACK")
        connection.close()

    def __enter__(self) -> WriteLock:
        self.thread.start()
        assert self.taken.wait(5)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.done.set()
        self.thread.join()


async def timed(request: Any) -> tuple[float, Any]:
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await Authors.as_view()(request)
    return loop.time() - started, response


def read() -> Any:
    return factory.get("/")


def write(name: str) -> Any:
    return factory.post("/", {"name": name}, format="json")


@pytest.mark.parametrize("file_db", [0.5], indirect=True)
async def test_write_lock_held_elsewhere_no_request_waits_past_the_busy_timeout(file_db):
    path, ctx = file_db
    assert isinstance(ctx.db(), bounded.SqliteClient)
    assert await ctx.db().execute_query_dict("PRAGMA busy_timeout") == [{"timeout": 500}]
    with WriteLock(path):
        requests = [write(f"w{n}") if n % 2 else read() for n in range(10)]
        results = await asyncio.gather(*(timed(r) for r in requests))
        for n, (elapsed, response) in enumerate(results):
            # Tortoise's own client: up to the whole time the lock was held.
            assert elapsed < 0.5 + 0.4, (n, elapsed)
            if n % 2 or response.status_code != 200:  # every write, some reads
                assert response.status_code == 503
                assert response.data == UNAVAILABLE
                assert response["Retry-After"] == "5"
        assert sum(response.status_code == 503 for _e, response in results) >= 5
    # The lock is gone: the same connection serves reads and writes again.
    elapsed, response = await timed(write("after"))
    assert response.status_code == 201
    assert await Author.filter(name__startswith="w").count() == 0
    assert await Author.all().count() == 2


async def test_wait_for_the_connection_is_taken_from_the_busy_timeout(file_db):
    """An insert queued behind another's busy wait gets only what is left of its
    budget (the default SQLITE_BUSY_TIMEOUT, 1 s): about 1 s in all, not 1.7 s."""
    path, ctx = file_db
    lock = ctx.db()._lock
    loop = asyncio.get_running_loop()

    async def insert(name: str) -> tuple[float, BaseException | None]:
        started = loop.time()
        try:
            await Author.create(name=name)
        except Exception as exc:
            return loop.time() - started, exc
        return loop.time() - started, None

    with WriteLock(path):
        first = asyncio.create_task(insert("first"))
        await asyncio.sleep(0.3)
        elapsed, error = await insert("second")
        assert elapsed < 1.4, elapsed
        assert "database is locked" in str(error)
        assert lock.busy_timeout < 0.5  # SQLite waited what was left, not 1 s
        assert "database is locked" in str((await first)[1])
    # Uncontended again: the next query restores the full busy timeout.
    assert (await timed(read()))[1].status_code == 200
    assert lock.busy_timeout == pytest.approx(1.0, abs=0.1)
    assert await ctx.db().execute_query_dict("PRAGMA busy_timeout") == [{"timeout": 1000}]


async def test_a_transaction_held_by_another_request_is_waited_for_boundedly(file_db):
    """A request waiting behind another request's transaction gives up after the busy
    timeout too (Tortoise's SQLite transactions hold the one connection)."""
    from tortoise.transactions import in_transaction

    _path, ctx = file_db
    release = asyncio.Event()

    async def long_transaction() -> None:
        async with in_transaction():
            await Author.create(name="in transaction")
            await release.wait()

    holder = asyncio.create_task(long_transaction())
    await asyncio.sleep(0.05)
    elapsed, response = await timed(read())
    assert (response.status_code, response.data) == (503, UNAVAILABLE)
    assert 0.9 < elapsed < 1.5
    release.set()
    await holder
    assert (await timed(read()))[1].status_code == 200


def test_busy_timeout_in_the_url_wins(tmp_path):
    path = str(tmp_path / "x.sqlite3")
    client = bounded.SqliteClient(path, connection_name="default", busy_timeout="250")
    assert client.pragmas["busy_timeout"] == "250"
    assert client._lock.timeout == 0.25


def test_config_rewrite_keeps_other_engines_and_options(tmp_path):
    source = {
        "connections": {
            "default": f"sqlite://{tmp_path / 'a.sqlite3'}?install_regexp_functions=True",
            "pg": "postgres://u@h:5432/db",
        },
        "apps": {},
    }
    rewritten = bound_waits(source)
    default = rewritten["connections"]["default"]
    assert default["engine"] == "async_drf.backends.sqlite"
    assert default["credentials"]["install_regexp_functions"] is True
    assert bounded.get_client_class(default) is bounded.SqliteClientWithRegexpSupport
    assert rewritten["connections"]["pg"]["engine"] == "async_drf.backends.asyncpg"
    assert source["connections"]["default"].startswith("sqlite://")  # not modified
    unbounded = {"SQLITE_BUSY_TIMEOUT": None, "TORTOISE_POOL_TIMEOUT": None}
    with override_settings(ASYNC_DRF=unbounded):
        assert bound_waits(source) is source


@pytest.mark.parametrize("in_transaction", [False, True])
async def test_a_query_cancelled_while_connecting_leaves_the_connection_free(
    tmp_path, monkeypatch, in_transaction
):
    """A client that disconnects cancels its request; cancelled while Tortoise opened the
    connection, Tortoise's wrappers kept the lock held, and every later query waited."""
    from tortoise.transactions import in_transaction as transaction

    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(config=bound_waits(config(tmp_path / "cancel.sqlite3")))
        client = ctx.db()
        connecting, never = asyncio.Event(), asyncio.Event()
        open_connection = client.create_connection

        async def stalled_connection(with_db: bool) -> None:
            connecting.set()
            await never.wait()

        monkeypatch.setattr(client, "create_connection", stalled_connection)

        async def query() -> None:
            if in_transaction:
                async with transaction():
                    pass
            else:
                await client.execute_query("SELECT 1")

        task = asyncio.create_task(query())
        await connecting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not client._lock.locked()
        monkeypatch.setattr(client, "create_connection", open_connection)
        await ctx.generate_schemas()
        assert await Author.all().count() == 0
