"""Tortoise's asyncpg engine with a pool that waits for a free connection only so long.

Tortoise's ``AsyncpgDBClient`` awaits ``pool.acquire()`` with no timeout: when every
connection is busy, a request waits until one is released, however long that takes.
Here the pool waits at most ``ASYNC_DRF["TORTOISE_POOL_TIMEOUT"]`` seconds, then raises
:class:`PoolTimeout`, a ``DBConnectionError``, which a view answers with 503.

async_drf's ASGI lifespan (``init_orm``) uses this engine for every ``postgres://``
connection; it can also be named in a connection's config::

    "default": {"engine": "async_drf.backends.asyncpg", "credentials": {...}}
"""

from __future__ import annotations

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
    """asyncpg's Pool whose ``acquire()`` waits at most ``acquire_timeout`` seconds."""

    # kwargs left untyped: forwarded to asyncpg's Pool(), whose keywords are typed one by one.
    def __init__(self, *args: object, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    async def _acquire(self, timeout: float | None) -> PoolConnectionProxy[asyncpg.Record]:
        # Both forms of Pool.acquire() (await and `async with`) end here; a timeout
        # given by the caller wins.
        if timeout is None:
            timeout = self.acquire_timeout
        try:
            connection: PoolConnectionProxy[asyncpg.Record]
            connection = await super()._acquire(timeout)  # type: ignore[misc]  # asyncpg-stubs: private
            return connection
        except TimeoutError as exc:
            raise PoolTimeout(f"no free database connection within {timeout} s") from exc


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
