"""Async throttles whose limit holds at any rate, under concurrency and across processes.

DRF keeps each client's request history in one cache entry that it reads, prunes
and writes back: concurrent requests read the same history and all get through, and
each request handles the whole list.  Here the history is a window in a throttle
store (``async_drf.throttle_stores``) that prunes, checks and records a request in
one atomic step and answers with the window's size and its oldest request: DRF's
sliding window (at most ``N`` requests in any ``period`` seconds), at a cost that does
not depend on ``N``.  The store is this process's memory unless the ``ASYNC_DRF``
setting ``THROTTLE_REDIS_URL`` names Redis.  Django's cache is not used: ``cache`` on
an async throttle is ignored (system check ``async_drf.W002``).
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Never, cast

from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from .concurrency import mark_inline
from .throttle_stores import ThrottleStore, ThrottleWindow, get_throttle_store

if TYPE_CHECKING:
    from rest_framework.views import APIView

__all__ = [
    "AsyncAnonRateThrottle",
    "AsyncScopedRateThrottle",
    "AsyncSimpleRateThrottle",
    "AsyncUserRateThrottle",
]


class AsyncSimpleRateThrottle(throttling.SimpleRateThrottle):
    """Async twin of DRF's SimpleRateThrottle: the window lives in a throttle store.

    After ``allow_request``, ``window`` (allowed, count, oldest) stands for DRF's
    ``history`` list, which is not kept.
    """

    # None: the store the ASYNC_DRF settings name (get_throttle_store()).
    store: ThrottleStore | None = None
    window: ThrottleWindow
    num_requests: int  # set with the rate, by DRF's __init__
    duration: int

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # type: ignore[override]  # noqa: N802
        # DRF copies DEFAULT_THROTTLE_RATES at import; read it per use so that
        # override_settings reaches it.  A subclass may still set a plain dict.
        # DRF's settings stubs: numbers; the rates are texts ("100/day"), as THROTTLE_RATES says.
        return cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)

    def get_store(self) -> ThrottleStore:
        """The store that holds this throttle's windows."""
        return self.store if self.store is not None else get_throttle_store()

    async def allow_request(self, request: Request, view: APIView) -> bool:  # type: ignore[override]
        # Mirrors rest_framework.throttling.SimpleRateThrottle.allow_request; the store
        # prunes, checks and records in one step instead of a cache read and write.
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window = await self.get_store().hit(
            self.key, self.now, self.num_requests, self.duration
        )
        if self.window.allowed:
            return self.throttle_success()
        return self.throttle_failure()

    def throttle_success(self) -> bool:
        # The store has recorded the request already; DRF writes its history here.
        return True

    def wait(self) -> float | None:
        # Mirrors rest_framework.throttling.SimpleRateThrottle.wait; the window's size
        # and oldest request stand for len(history) and history[-1].
        count, oldest = self.window.count, self.window.oldest
        if oldest is not None:
            remaining_duration = self.duration - (self.now - oldest)
        else:
            remaining_duration = self.duration
        available_requests = self.num_requests - count + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class AsyncAnonRateThrottle(AsyncSimpleRateThrottle, throttling.AnonRateThrottle):
    """Async twin of DRF's AnonRateThrottle; scope and cache key come from DRF."""


class AsyncUserRateThrottle(AsyncSimpleRateThrottle, throttling.UserRateThrottle):
    """Async twin of DRF's UserRateThrottle; scope and cache key come from DRF."""


# DRF's class comes first in the MRO: its allow_request (the scope pre-step) then
# reaches AsyncSimpleRateThrottle.allow_request through super() and returns its
# coroutine, and its no-op __init__ wins.
class AsyncScopedRateThrottle(throttling.ScopedRateThrottle, AsyncSimpleRateThrottle):
    """Async twin of DRF's ScopedRateThrottle (``throttle_scope`` on the view)."""

    async def allow_request(self, request: Request, view: APIView) -> bool:  # type: ignore[override]
        # DRF's stubs: a bool; here the coroutine of AsyncSimpleRateThrottle's, or True.
        result = cast("bool | Coroutine[object, Never, bool]", super().allow_request(request, view))
        if inspect.iscoroutine(result):
            return bool(await result)
        return bool(result)  # True: the view has no throttle_scope


# wait() only does arithmetic on what allow_request read: no hop, for DRF's own sync
# throttles too.
mark_inline(
    throttling.BaseThrottle.wait, throttling.SimpleRateThrottle.wait, AsyncSimpleRateThrottle.wait
)
