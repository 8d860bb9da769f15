"""Throttle stores: where async throttles keep each client's sliding window.

A store answers one question in one atomic step: "drop the requests older than the
window, and if fewer than ``limit`` remain, record this one".  ``MemoryThrottleStore``
keeps the windows in this process (exact across its tasks and threads; each worker
process has its own); ``RedisThrottleStore`` keeps them in Redis sorted sets and runs
the step as one Lua script, one round trip, exact across processes.  Both cost the
same whatever the rate: the step touches the client's oldest and newest requests only.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import weakref
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, NamedTuple, Protocol

from django.core.exceptions import ImproperlyConfigured

from .exceptions import ServiceUnavailable
from .settings import async_settings

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster
    from redis.commands.core import AsyncScript

__all__ = [
    "MemoryThrottleStore",
    "RedisThrottleStore",
    "ThrottleStore",
    "ThrottleWindow",
    "get_throttle_store",
    "memory_store",
    "release_throttle_connections",
]


class ThrottleWindow(NamedTuple):
    """A store's answer: whether the request was recorded, and the window after it."""

    allowed: bool
    count: int  # type: ignore[assignment]  # requests in the window, this one included when allowed
    oldest: float | None  # timestamp of the oldest of them


class ThrottleStore(Protocol):
    """What a throttle needs from a store: one atomic step per request."""

    async def hit(self, key: str, now: float, limit: int, duration: float) -> ThrottleWindow:
        """Drop ``key``'s requests at or before ``now - duration``; record ``now`` if
        fewer than ``limit`` remain."""
        ...


def _forget_idle(table: OrderedDict[str, deque[float]], horizon: float) -> None:
    # The table is ordered by each client's last recorded request, so the clients
    # whose newest request has left the window are at its front.
    while table:
        key = next(iter(table))
        history = table[key]
        if history and history[-1] > horizon:
            return
        del table[key]


class MemoryThrottleStore:
    """Windows in this process's memory, one deque of timestamps per client.

    The step runs under a lock and never awaits, so it is atomic across the event
    loop's tasks and across threads (Django's WSGI handler serves requests in several
    threads).  A client whose window is empty is forgotten on the next request that
    uses the same window length, so idle clients cost no memory; an active one costs a
    float per request in its window.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[float, OrderedDict[str, deque[float]]] = {}

    async def hit(self, key: str, now: float, limit: int, duration: float) -> ThrottleWindow:
        return self.record(key, now, limit, duration)

    def record(self, key: str, now: float, limit: int, duration: float) -> ThrottleWindow:
        """The step of :meth:`hit`, callable from sync code."""
        horizon = now - duration
        with self._lock:
            table = self._tables.setdefault(duration, OrderedDict())
            _forget_idle(table, horizon)
            history = table.get(key, deque())
            # DRF's pruning: drop from the oldest end while it is out of the window.
            while history and history[0] <= horizon:
                history.popleft()
            allowed = len(history) < limit
            if allowed:
                history.append(now)
                table[key] = history
                table.move_to_end(key)
            return ThrottleWindow(allowed, len(history), history[0] if history else None)

    def clear(self) -> None:
        """Forget every client (DRF's tests call ``cache.clear()`` for this)."""
        with self._lock:
            self._tables.clear()

    def __len__(self) -> int:
        """The number of clients held."""
        return sum(len(table) for table in self._tables.values())


# Arguments are passed as Redis strings and used as such: Lua would print a number
# with 14 significant digits, too few for a timestamp with microseconds.
_SLIDING_WINDOW = """
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[2])
local count = redis.call('ZCARD', key)
local allowed = count < tonumber(ARGV[3])
if allowed then
    redis.call('ZADD', key, ARGV[1], ARGV[5])
    redis.call('PEXPIRE', key, ARGV[4])
    count = count + 1
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
return {allowed and 1 or 0, count, oldest or false}
"""


class RedisThrottleStore:
    """Windows in Redis: a sorted set of timestamps per client, one script call each.

    The key expires ``duration`` after the client's last recorded request.  Each event
    loop gets its own ``redis.asyncio`` client (a connection belongs to the loop that
    opened it) with a pool of at most ``max_connections`` (50) that queues requests
    for up to ``timeout`` (2 s); :meth:`aclose` closes the running loop's.  Those and
    redis-py's other options (``socket_timeout``, 2 s) may be given in the URL's query
    string (``redis://host:6379/0?max_connections=100``) or as keyword arguments.
    """

    def __init__(self, url: str, key_prefix: str = "", **options: object) -> None:
        try:
            import redis.asyncio  # noqa: F401 - the optional dependency is present
        except ImportError as exc:  # pragma: no cover - the redis extra is installed in tests
            raise ImproperlyConfigured(
                "RedisThrottleStore needs redis-py: pip install 'async_drf[redis]'."
            ) from exc
        self.url = url
        self.key_prefix = key_prefix
        # A bounded pool that queues requests for a connection, and a throttle that
        # does not hold a request forever when Redis does not answer.
        self.options = {
            "max_connections": 50,
            "timeout": 2,  # seconds to wait for a free connection
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            **options,
        }
        self._scripts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncScript] = (
            weakref.WeakKeyDictionary()
        )
        _every_redis_store.add(self)

    def _script(self) -> AsyncScript:
        loop = asyncio.get_running_loop()
        script = self._scripts.get(loop)
        if script is None:
            from redis.asyncio import BlockingConnectionPool, Redis

            client = Redis.from_pool(BlockingConnectionPool.from_url(self.url, **self.options))
            script = self._scripts[loop] = client.register_script(_SLIDING_WINDOW)
        return script

    @property
    def client(self) -> Redis | RedisCluster:
        """The running event loop's ``redis.asyncio.Redis`` client."""
        return self._script().registered_client

    async def hit(self, key: str, now: float, limit: int, duration: float) -> ThrottleWindow:
        from redis.exceptions import ConnectionError, TimeoutError

        # A unique member per request: requests in the same microsecond all count.
        args: list[str | int | bytes] = [
            repr(now),
            repr(now - duration),
            limit,
            math.ceil(duration * 1000),
            os.urandom(12),
        ]
        try:
            allowed, count, oldest = await self._script()(keys=[self.key_prefix + key], args=args)
        except (ConnectionError, TimeoutError) as exc:
            raise ServiceUnavailable() from exc
        return ThrottleWindow(bool(allowed), count, None if oldest is None else float(oldest))

    async def aclose(self) -> None:
        """Close the running event loop's client, if it has one."""
        script = self._scripts.pop(asyncio.get_running_loop(), None)
        if script is not None:
            await script.registered_client.aclose()


memory_store = MemoryThrottleStore()

# The stores the settings named, and every Redis store made (for release).
_redis_stores: dict[tuple[str, str], RedisThrottleStore] = {}
_every_redis_store: weakref.WeakSet[RedisThrottleStore] = weakref.WeakSet()


def get_throttle_store() -> ThrottleStore:
    """The store the settings name: Redis at ``THROTTLE_REDIS_URL``, else memory."""
    url = async_settings.THROTTLE_REDIS_URL
    if not url:
        return memory_store
    prefix = async_settings.THROTTLE_KEY_PREFIX
    store = _redis_stores.get((url, prefix))
    if store is None:
        store = _redis_stores[(url, prefix)] = RedisThrottleStore(url, prefix)
    return store


async def release_throttle_connections() -> None:
    """Close the Redis connections the running event loop opened for throttles.

    For the end of a request served through Django's WSGI handler, which runs each
    async view on a new event loop.
    """
    for store in list(_every_redis_store):
        await store.aclose()
