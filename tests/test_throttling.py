"""Async throttles: DRF's rates, keys, 429s and waits; an exact limit under concurrency."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings
from rest_framework import throttling as drf
from rest_framework.response import Response

from async_drf.test import AsyncAPIRequestFactory, force_authenticate
from async_drf.throttling import (
    AsyncAnonRateThrottle,
    AsyncScopedRateThrottle,
    AsyncSimpleRateThrottle,
    AsyncUserRateThrottle,
)
from async_drf.views import AsyncAPIView

factory = AsyncAPIRequestFactory()
REDIS_URL = os.environ.get("ASYNC_DRF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent


class User:
    is_authenticated = True
    is_active = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


class Dummy(AsyncAPIView):
    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


class ScopedView(Dummy):
    throttle_classes = [AsyncScopedRateThrottle]
    throttle_scope = "uploads"


def rates(**scopes: str | None) -> Any:
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}
    )


def get(ip: str = "10.0.0.1", user: Any = None) -> Any:
    request = factory.get("/", REMOTE_ADDR=ip)
    if user is not None:
        force_authenticate(request, user)
    return request


async def statuses(view: Any, requests: list[Any]) -> list[int]:
    return [(await view(request)).status_code for request in requests]


@pytest.fixture(autouse=True)
def clear_cache() -> Iterator[None]:
    default_cache.clear()
    yield
    default_cache.clear()


def shared_key_throttle(rate: str, cache: Any = default_cache) -> type[AsyncSimpleRateThrottle]:
    """A throttle whose every request counts against one key."""

    class Shared(AsyncSimpleRateThrottle):
        def get_cache_key(self, request: Any, view: Any) -> str:
            return "throttle_shared"

    Shared.rate, Shared.cache = rate, cache
    return Shared


# -- DRF's semantics ----------------------------------------------------------------


async def test_anon_throttle_429_with_retry_after(hops: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="2/min"):
        assert await statuses(view, [get(), get()]) == [200, 200]
        response = await view(get())
        assert await statuses(view, [get("10.0.0.2")]) == [200]  # another client
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.data == {"detail": "Request was throttled. Expected available in 60 seconds."}
    assert response.data["detail"].code == "throttled"
    assert hops.count == 0, hops


async def test_anon_throttle_ignores_authenticated_users() -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="1/min"):
        assert await statuses(view, [get(user=User(1)) for _ in range(3)]) == [200] * 3


async def test_user_throttle_keys_by_user_then_ip() -> None:
    view = Dummy.as_view(throttle_classes=[AsyncUserRateThrottle])
    with rates(user="1/min"):
        assert await statuses(view, [get(user=User(1)), get(user=User(1))]) == [200, 429]
        assert await statuses(view, [get(user=User(2)), get(), get()]) == [200, 200, 429]
        assert await statuses(view, [get("10.0.0.9", user=User(2))]) == [429]


async def test_x_forwarded_for_ident_comes_from_drf() -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="1/min"):
        first = factory.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
        again = factory.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2")
        other = factory.get("/", HTTP_X_FORWARDED_FOR="3.3.3.3")
        assert await statuses(view, [first, again, other]) == [200, 429, 200]


async def test_scoped_throttle() -> None:
    with rates(uploads="2/hour"):
        view = ScopedView.as_view()
        assert await statuses(view, [get(), get(), get()]) == [200, 200, 429]
        response = await view(get())
        assert response["Retry-After"] == "3600"
        unscoped = Dummy.as_view(throttle_classes=[AsyncScopedRateThrottle])
        assert await statuses(unscoped, [get()] * 3) == [200] * 3


async def test_rate_none_never_throttles() -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon=None):
        assert await statuses(view, [get()] * 5) == [200] * 5


async def test_several_throttles_longest_wait_wins() -> None:
    class PerMinute(AsyncUserRateThrottle):
        scope, rate = "minute", "1/min"

    class PerHour(AsyncUserRateThrottle):
        scope, rate = "hour", "1/hour"

    view = Dummy.as_view(throttle_classes=[PerMinute, PerHour])
    assert await statuses(view, [get()]) == [200]
    response = await view(get())
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"


async def test_wait_follows_drf_history() -> None:
    clock = [1000.0]
    throttle_class = shared_key_throttle("2/min")
    throttle_class.timer = lambda self: clock[0]
    for now, allowed in [(1000.0, True), (1030.0, True), (1045.0, False)]:
        clock[0] = now
        throttle = throttle_class()
        assert await throttle.allow_request(get(), None) is allowed
    assert throttle.history == [1030.0, 1000.0]  # newest first, as in DRF
    assert throttle.wait() == pytest.approx(15.0)  # the oldest leaves the window at 1060


async def test_window_slides() -> None:
    throttle_class = shared_key_throttle("1/s")
    assert await throttle_class().allow_request(get(), None) is True
    assert await throttle_class().allow_request(get(), None) is False
    await asyncio.sleep(1.05)
    assert await throttle_class().allow_request(get(), None) is True


async def test_drf_sync_throttle_beside_async_one(hops: Any) -> None:
    # DRF's own throttle reads the cache synchronously: it runs in Django's worker.
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle, drf.UserRateThrottle])
    with rates(anon="5/min"):
        drf.UserRateThrottle.THROTTLE_RATES = {"user": "1/min"}
        try:
            assert await statuses(view, [get(), get()]) == [200, 429]
        finally:
            drf.UserRateThrottle.THROTTLE_RATES = drf.SimpleRateThrottle.THROTTLE_RATES
    # One hop per sync allow_request; DRF's wait() is arithmetic and runs inline.
    assert [call.rsplit(".", 1)[1] for call in hops.calls] == ["allow_request"] * 2


# -- concurrency: the limit holds ---------------------------------------------------


async def allow_many(throttle_class: Any, count: int) -> int:
    results = await asyncio.gather(
        *(throttle_class().allow_request(get(), None) for _ in range(count))
    )
    return sum(results)


async def test_concurrent_requests_locmem_exact_limit(hops: Any) -> None:
    assert await allow_many(shared_key_throttle("10/min"), 100) == 10
    assert await allow_many(shared_key_throttle("10/min"), 20) == 0
    assert hops.count == 0, hops


async def test_concurrent_requests_through_the_view() -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="10/min"):
        responses = await asyncio.gather(*(view(get()) for _ in range(100)))
    codes = [response.status_code for response in responses]
    assert codes.count(200) == 10
    assert codes.count(429) == 90


# -- Redis: across tasks and processes ------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    prefix = f"async-drf-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.mark.redis
async def test_concurrent_requests_redis_exact_limit(redis_prefix: str, hops: Any) -> None:
    cache = RedisCache(REDIS_URL, {"KEY_PREFIX": redis_prefix})
    assert await allow_many(shared_key_throttle("10/min", cache), 100) == 10
    assert await allow_many(shared_key_throttle("10/min", cache), 10) == 0
    assert hops.count == 0, hops


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    import django
    from django.conf import settings

    url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings.configure(CACHES={"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url, "KEY_PREFIX": prefix,
    }})
    django.setup()
    from async_drf.throttling import AsyncSimpleRateThrottle

    class Shared(AsyncSimpleRateThrottle):
        rate = "10/min"
        def get_cache_key(self, request, view):
            return "throttle_shared"

    async def main():
        await Shared.cache.aget("warm-up")  # connect before the race
        print("ready", flush=True)
        sys.stdin.readline()  # every process starts together
        results = await asyncio.gather(
            *(Shared().allow_request(None, None) for _ in range(count))
        )
        print(sum(results), flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.redis
async def test_concurrent_requests_across_processes_exact_limit(redis_prefix: str) -> None:
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            REDIS_URL,
            redis_prefix,
            "25",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for process in processes:
        assert (await asyncio.wait_for(process.stdout.readline(), 30)).strip() == b"ready"
    for process in processes:
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    outputs = [await asyncio.wait_for(process.communicate(), 30) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4
    allowed = [int(stdout) for stdout, _ in outputs]
    assert sum(allowed) == 10, allowed
