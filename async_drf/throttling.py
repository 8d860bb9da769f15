"""Throttles on Django's async cache API whose limit holds under concurrency.

DRF keeps each client's request history in one cache entry that it reads, prunes
and writes back: concurrent requests read the same history and all get through.
Here a rate of ``N/period`` is ``N`` slots per client; an allowed request claims a
free slot with ``cache.aadd`` (atomic in LocMem, Redis, Memcached and the database
cache), and the slot expires after ``period``.  At most ``N`` requests are allowed in
any window of ``period`` seconds, across tasks, threads and processes sharing the
cache (not with the file-based cache, whose ``add`` is not atomic).  The slots'
timestamps are DRF's ``history``, so DRF's ``wait()`` works unchanged.  A request
costs one ``aget_many`` over the ``N`` slot keys (DRF reads a list of ``N``
timestamps) and usually one ``aadd``; resetting a client means deleting
``get_slot_keys()``, not ``self.key``.
"""

from __future__ import annotations

import inspect
import random
from typing import Any

from rest_framework import throttling
from rest_framework.settings import api_settings

from .concurrency import mark_inline

__all__ = [
    "AsyncAnonRateThrottle",
    "AsyncScopedRateThrottle",
    "AsyncSimpleRateThrottle",
    "AsyncUserRateThrottle",
]


class AsyncSimpleRateThrottle(throttling.SimpleRateThrottle):
    """Async twin of DRF's SimpleRateThrottle: an exact sliding window of cache slots."""

    @property
    def THROTTLE_RATES(self) -> dict[str, Any]:  # noqa: N802 - DRF's attribute name
        # DRF copies DEFAULT_THROTTLE_RATES at import; read it per use so that
        # override_settings reaches it.  A subclass may still set a plain dict.
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_slot_keys(self) -> list[str]:
        """The cache keys of this client's slots (``self.key`` + slot number)."""
        return [f"{self.key}:{index}" for index in range(self.num_requests)]

    async def allow_request(self, request: Any, view: Any) -> bool:
        # Mirrors rest_framework.throttling.SimpleRateThrottle.allow_request; the
        # history comes from the slots and success is decided by claiming one.
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        slots = self.get_slot_keys()
        held = await self.cache.aget_many(slots) if slots else {}
        self.now = self.timer()
        self.history = sorted(
            (stamp for stamp in held.values() if stamp > self.now - self.duration), reverse=True
        )
        if await self._claim([slot for slot in slots if slot not in held]):
            return self.throttle_success()
        return self.throttle_failure()

    async def _claim(self, free: list[str]) -> bool:
        """Take one of the ``free`` slots; False if concurrent requests took them all."""
        # Start at a random free slot so that concurrent requests rarely collide.
        start = random.randrange(len(free)) if free else 0
        for slot in free[start:] + free[:start]:
            if await self.cache.aadd(slot, self.now, self.duration):
                return True
        return False

    def throttle_success(self) -> bool:
        # The claimed slot already stores the request; DRF would write the history.
        self.history.insert(0, self.now)
        return True


class AsyncAnonRateThrottle(AsyncSimpleRateThrottle, throttling.AnonRateThrottle):
    """Async twin of DRF's AnonRateThrottle; scope and cache key come from DRF."""


class AsyncUserRateThrottle(AsyncSimpleRateThrottle, throttling.UserRateThrottle):
    """Async twin of DRF's UserRateThrottle; scope and cache key come from DRF."""


# DRF's class comes first in the MRO: its allow_request (the scope pre-step) then
# reaches AsyncSimpleRateThrottle.allow_request through super() and returns its
# coroutine, and its no-op __init__ wins.
class AsyncScopedRateThrottle(throttling.ScopedRateThrottle, AsyncSimpleRateThrottle):
    """Async twin of DRF's ScopedRateThrottle (``throttle_scope`` on the view)."""

    async def allow_request(self, request: Any, view: Any) -> bool:
        result = super().allow_request(request, view)
        if inspect.iscoroutine(result):
            return await result
        return result  # True: the view has no throttle_scope


# DRF's wait() only does arithmetic on the history already read: no hop, for DRF's
# own sync throttles too.
mark_inline(throttling.BaseThrottle.wait, throttling.SimpleRateThrottle.wait)
