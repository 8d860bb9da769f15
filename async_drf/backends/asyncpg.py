"""Tortoise's asyncpg engine with a pool that waits for a free connection in turn, and
only so long.

Tortoise's ``AsyncpgDBClient`` awaits ``pool.acquire()`` with no timeout: when every
connection is busy, a request waits until one is released, however long that takes.
Here requests get connections in the order they asked (asyncpg's own queue lets late
callers go first), each waiting at most ``ASYNC_DRF["TORTOISE_POOL_TIMEOUT"]`` seconds
for its turn before :class:`PoolTimeout`, a ``DBConnectionError``, which a view answers
with 503.

async_drf's ASGI lifespan (``init_orm``) uses this engine for every ``postgres://``
connection; it can also be named in a connection's config::

    "default": {"engine": "async_drf.backends.asyncpg", "credentials": {...}}
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient as TortoiseAsyncpgDBClient

from ..compat import DBConnectionError
from ..settings import async_settings

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["AsyncpgDBClient", "BoundedPool", "PoolTimeout", "client_class"]


class PoolTimeout(DBConnectionError):
    """No connection of the pool became free in time."""


class BoundedPool(asyncpg.Pool):
    """asyncpg's Pool whose ``acquire()`` waits at most ``acquire_timeout`` seconds, and
    hands connections out in the order they were asked for.

    asyncpg's own pool queues its free connections in an ``asyncio.Queue``, which lets
    a caller that arrives just as a connection is released take it ahead of those
    already waiting (the woken waiter finds the queue empty and queues again, at the
    back).  Under load some requests are passed over again and again: their latency
    grows far past the others', up to the acquire timeout (a 503).  Here a FIFO
    semaphore with one permit per connection decides who goes next; a permit is held
    from ``acquire()`` to ``release()``, so a caller that has one always finds a free
    connection.
    """

    # kwargs left untyped: forwarded to asyncpg's Pool(), whose keywords are typed one by one.
    def __init__(self, *args: object, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout
        self._turns = asyncio.Semaphore(self.get_max_size())  # FIFO: no caller jumps ahead
        self._lent: set[int] = set()  # id() of each connection handed out, until released

    async def _acquire(self, timeout: float | None) -> PoolConnectionProxy[asyncpg.Record]:
        # Both forms of Pool.acquire() (await and `async with`) end here; a timeout
        # given by the caller wins.
        if timeout is None:
            timeout = self.acquire_timeout
        if self._turns.locked():  # every connection is out: wait for a turn, so long
            try:
                async with asyncio.timeout(timeout):
                    await self._turns.acquire()
            except TimeoutError as exc:
                raise PoolTimeout(f"no free database connection within {timeout} s") from exc
        else:
            await self._turns.acquire()  # returns at once
        try:
            # A turn guarantees a free connection: asyncpg needs no timeout (and no task
            # of its own to enforce one); reconnecting a dropped one has its own.
            connection: PoolConnectionProxy[asyncpg.Record]
            connection = await super()._acquire(None)  # type: ignore[misc]  # asyncpg-stubs: private
        except BaseException:
            self._turns.release()
            raise
        self._lent.add(id(connection))
        return connection

    async def release(self, connection: object, *, timeout: float | None = None) -> None:
        # The turn goes back once per connection handed out: a second release (which
        # asyncpg ignores or refuses) or a foreign connection returns none.
        lent = id(connection) in self._lent
        self._lent.discard(id(connection))
        try:
            await super().release(connection, timeout=timeout)  # type: ignore[arg-type]
        finally:
            if lent:
                self._turns.release()


class AsyncpgDBClient(TortoiseAsyncpgDBClient):
    """Tortoise's asyncpg client over a :class:`BoundedPool`."""

    async def create_pool(self, **kwargs: object) -> asyncpg.Pool:
        # asyncpg.create_pool's defaults for what Pool() requires as keywords.
        options = {
            "max_queries": 50000,
            "max_inactive_connection_lifetime": 300.0,
            "record_class": asyncpg.Record,
            **kwargs,
        }
        pool = BoundedPool(None, acquire_timeout=async_settings.TORTOISE_POOL_TIMEOUT, **options)
        return await pool


client_class = AsyncpgDBClient
