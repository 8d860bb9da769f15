"""Throttle stores: a cost per request that does not depend on the rate, exact limits
for many clients, across threads and processes, idle clients forgotten, outages."""

from __future__ import annotations

import asyncio
import socket
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.checks import Warning
from django.test import Client, override_settings
from django.urls import path
from rest_framework.response import Response

from async_drf.checks import check_throttle_caches
from async_drf.orm import close_orm
from async_drf.test import AsyncAPIRequestFactory
from async_drf.throttle_stores import (
    MemoryThrottleStore,
    RedisThrottleStore,
    memory_store,
    release_throttle_connections,
)
from async_drf.throttling import AsyncAnonRateThrottle, AsyncSimpleRateThrottle
from async_drf.views import AsyncAPIView

from .throttle_helpers import REDIS_URL, delete_keys, settings_store, unique_prefix

ROOT = Path(__file__).resolve().parent.parent
factory = AsyncAPIRequestFactory()


def client_throttle(rate: str, clock: list[float] | None = None) -> type[AsyncSimpleRateThrottle]:
    """A throttle keyed by the request itself (a client name), on ``clock`` if given."""

    class PerClient(AsyncSimpleRateThrottle):
        def get_cache_key(self, request: Any, view: Any) -> str:
            return f"throttle_client_{request}"

    PerClient.rate = rate
    if clock is not None:
        PerClient.timer = lambda self: clock[0]
    return PerClient


async def allowed(throttle_class: Any, client: str, count: int) -> int:
    results = await asyncio.gather(
        *(throttle_class().allow_request(client, None) for _ in range(count))
    )
    return sum(results)


# -- exact for many clients (LocMemCache forgot all but 300 entries) ------------------


async def test_1000_clients_at_400_per_minute_each_held_to_400_in_memory() -> None:
    throttle_class = client_throttle("400/min", clock=[1000.0])
    counts = [0] * 1000
    for _ in range(401):
        for n in range(1000):
            counts[n] += await throttle_class().allow_request(f"c{n}", None)
    assert counts == [400] * 1000
    assert len(memory_store) == 1000
    # A moment later every one of them is still held: none was forgotten.
    assert [await allowed(throttle_class, f"c{n}", 1) for n in range(1000)] == [0] * 1000


@pytest.mark.redis
async def test_1000_clients_at_400_per_minute_each_held_to_400_on_redis() -> None:
    # A round trip costs ~150 us here, so each client's first 398 requests are
    # written straight into its sorted set (one ZADD each); the throttle then
    # takes the next three: two pass, the third is refused with 400 in the window.
    async with settings_store("redis") as store:
        clock = [1000.0]
        throttle_class = client_throttle("400/min", clock)
        # In batches: one pipeline of all 398,000 entries can outlast the store's 2 s
        # socket timeout on a loaded machine.
        for batch in range(0, 1000, 50):
            async with store.client.pipeline(transaction=False) as pipe:
                for n in range(batch, batch + 50):
                    history = {f"{n}:{i}": 999.0 + i / 1000 for i in range(398)}
                    pipe.zadd(f"{store.key_prefix}throttle_client_c{n}", history)
                await pipe.execute()
        counts = [await allowed(throttle_class, f"c{n}", 3) for n in range(1000)]
        assert counts == [2] * 1000
        throttle = throttle_class()
        assert await throttle.allow_request("c999", None) is False
        assert throttle.window == (False, 400, 999.0)


# -- the cost of a request does not depend on the rate ---------------------------------


def run_to_completion(coroutine: Any) -> Any:
    """Drive a coroutine that never suspends (a memory-store request) without a loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the request suspended")  # pragma: no cover


def traced_lines(call: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``call`` and count the Python lines it executed, in every frame it entered."""
    lines = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += event == "line"
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = call()
    finally:
        sys.settrace(previous)
    return result, lines


def memory_request_cost(rate: str, earlier: int) -> tuple[int, int]:
    """Store calls and Python lines for one request after ``earlier`` recent ones."""
    clock = [1000.0]
    throttle_class = client_throttle(rate, clock)
    throttle_class.store = MemoryThrottleStore()
    for n in range(earlier):
        throttle_class.store.record("throttle_client_c", 999.0 + n / 10_000, 10**9, 60)
    calls = []
    hit = throttle_class.store.hit
    throttle_class.store.hit = lambda *args: calls.append(args) or hit(*args)
    throttle = throttle_class()
    allowed, lines = traced_lines(lambda: run_to_completion(throttle.allow_request("c", None)))
    assert allowed is True and throttle.window.count == earlier + 1
    return len(calls), lines


def test_memory_store_work_per_request_is_the_same_at_any_rate() -> None:
    # 9 earlier requests at 10/min, 5,000 at 1000000/min: one store call, and the
    # same number of Python lines executed (the whole request, throttle and store).
    slow = memory_request_cost("10/min", 9)
    fast = memory_request_cost("1000000/min", 5000)
    assert slow[0] == fast[0] == 1
    assert slow[1] == fast[1], (slow, fast)


async def redis_commands_per_request(store: RedisThrottleStore, rate: str, earlier: int) -> list:
    """The commands one request sends after ``earlier`` recent ones (script loaded)."""
    key = f"{store.key_prefix}throttle_client_c"
    if earlier:
        await store.client.zadd(key, {f"m{n}": 999.0 + n / 10_000 for n in range(earlier)})
    throttle_class = client_throttle(rate, clock=[1000.0])
    throttle_class.store = store
    await throttle_class().allow_request("warm-up", None)  # loads the script once
    sent: list[str] = []
    execute = store.client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(args[0])
        return await execute(*args, **options)

    store.client.execute_command = counting
    try:
        throttle = throttle_class()
        assert await throttle.allow_request("c", None) is True
    finally:
        del store.client.execute_command
    assert throttle.window.count == earlier + 1
    return sent


@pytest.mark.redis
async def test_redis_store_one_round_trip_per_request_at_any_rate() -> None:
    store = RedisThrottleStore(REDIS_URL, unique_prefix())
    try:
        assert await redis_commands_per_request(store, "10/min", 9) == ["EVALSHA"]
        await delete_keys(store.client, store.key_prefix)
        assert await redis_commands_per_request(store, "1000000/min", 5000) == ["EVALSHA"]
    finally:
        await delete_keys(store.client, store.key_prefix)
        await store.aclose()


# -- across threads and processes ------------------------------------------------------


def test_memory_store_exact_across_threads() -> None:
    # Django's WSGI handler serves requests in several threads, each on its own loop.
    throttle_class = client_throttle("100/min")
    start = threading.Barrier(8)

    def worker() -> int:
        start.wait()
        return asyncio.run(allowed(throttle_class, "shared", 50))

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(worker())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 100, results


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    import django
    from django.conf import settings

    url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    settings.configure(ASYNC_DRF={"THROTTLE_REDIS_URL": url, "THROTTLE_KEY_PREFIX": prefix})
    django.setup()
    from async_drf.throttle_stores import get_throttle_store, release_throttle_connections
    from async_drf.throttling import AsyncSimpleRateThrottle

    class Shared(AsyncSimpleRateThrottle):
        rate = "10/min"
        def get_cache_key(self, request, view):
            return "throttle_shared"

    async def main():
        await get_throttle_store().client.ping()  # connect before the race
        print("ready", flush=True)
        sys.stdin.readline()  # every process starts together
        results = await asyncio.gather(
            *(Shared().allow_request(None, None) for _ in range(count))
        )
        await release_throttle_connections()
        print(sum(results), flush=True)

    asyncio.run(main())
    """
)


@pytest.mark.redis
async def test_redis_store_exact_across_processes() -> None:
    prefix = unique_prefix()
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            REDIS_URL,
            prefix,
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
    store = RedisThrottleStore(REDIS_URL, prefix)
    try:
        assert await store.client.zcard(f"{prefix}throttle_shared") == 10
    finally:
        await delete_keys(store.client, prefix)
        await store.aclose()
    assert [process.returncode for process in processes] == [0] * 4
    allowed = [int(stdout) for stdout, _ in outputs]
    assert sum(allowed) == 10, allowed


# -- idle clients cost nothing -----------------------------------------------------------


async def test_memory_store_forgets_idle_clients() -> None:
    clock = [1000.0]
    throttle_class = client_throttle("5/min", clock)
    for n in range(1000):
        await throttle_class().allow_request(f"c{n}", None)
    assert len(memory_store) == 1000
    clock[0] = 1059.0  # still in their window
    await throttle_class().allow_request("late", None)
    assert len(memory_store) == 1001
    clock[0] = 1060.0  # the first thousand have left it
    await throttle_class().allow_request("later", None)
    assert len(memory_store) == 2  # "late" and "later"


@pytest.mark.redis
async def test_redis_keys_expire_with_the_window() -> None:
    async with settings_store("redis") as store:
        throttle_class = client_throttle("3/s")
        key = f"{store.key_prefix}throttle_client_c"
        assert await allowed(throttle_class, "c", 4) == 3
        assert 0 < await store.client.pttl(key) <= 1000
        assert await store.client.zcard(key) == 3
        await asyncio.sleep(1.1)
        assert await store.client.exists(key) == 0


# -- the store in use ---------------------------------------------------------------------


async def test_store_attribute_overrides_the_settings() -> None:
    own = MemoryThrottleStore()
    throttle_class = client_throttle("1/min")
    throttle_class.store = own
    assert await allowed(throttle_class, "c", 2) == 1
    assert (len(own), len(memory_store)) == (1, 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Limited(AsyncAPIView):
    throttle_classes = [type("PerMinute", (AsyncAnonRateThrottle,), {"rate": "1/min"})]

    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


async def test_unreachable_redis_is_a_503() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with override_settings(ASYNC_DRF={"THROTTLE_REDIS_URL": url}):
        response = await Limited.as_view()(factory.get("/"))
        await release_throttle_connections()
    assert response.status_code == 503
    assert response.data == {"detail": "Service temporarily unavailable, try again later."}
    assert response["Retry-After"] == "5"  # SERVICE_UNAVAILABLE_RETRY_AFTER


class CachedThrottle(AsyncAnonRateThrottle):
    cache = caches["default"]
    rate = "1/min"


class CachedView(Limited):
    throttle_classes = [CachedThrottle]


urlpatterns = [path("cached/", CachedView.as_view())]


async def test_a_django_cache_on_an_async_throttle_is_flagged_and_unused() -> None:
    caches["default"].clear()
    with override_settings(ROOT_URLCONF=__name__):
        messages = check_throttle_caches()
    assert [(type(m), m.id, m.obj) for m in messages] == [
        (Warning, "async_drf.W002", CachedThrottle)
    ]
    assert "sets `cache`, which async throttles do not use" in messages[0].msg
    view = CachedView.as_view()
    assert [(await view(factory.get("/"))).status_code for _ in range(2)] == [200, 429]
    assert len(memory_store) == 1
    assert caches["default"]._cache == {}  # noqa: SLF001 - LocMemCache's own dict


def test_no_warning_for_throttles_without_a_cache() -> None:
    with override_settings(ROOT_URLCONF="tests.urls"):
        assert check_throttle_caches() == []


@pytest.mark.redis
@pytest.mark.sqlite_only
def test_wsgi_requests_close_their_redis_connections(tmp_path: Path) -> None:
    # Django's WSGI handler runs each request on a new event loop, which then closes:
    # the connection the throttle opened on it is closed with it (else ResourceWarning).
    prefix = unique_prefix()
    tortoise = {
        "connections": {"default": f"sqlite://{tmp_path / 'wsgi.db'}"},
        "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    }
    settings = {"THROTTLE_REDIS_URL": REDIS_URL, "THROTTLE_KEY_PREFIX": prefix}
    with override_settings(ROOT_URLCONF=__name__, TORTOISE_ORM=tortoise, ASYNC_DRF=settings):
        urlpatterns[:] = [path("limited/", Limited.as_view())]
        try:
            codes = [Client().get("/limited/").status_code for _ in range(3)]
            from async_drf.throttle_stores import get_throttle_store

            store = get_throttle_store()
            assert len(store._scripts) == 0  # noqa: SLF001 - no client left on a dead loop
        finally:
            urlpatterns[:] = [path("cached/", CachedView.as_view())]
            async_to_sync(close_orm)()
            async_to_sync(_delete)(prefix)
    assert codes == [200, 429, 429]


async def _delete(prefix: str) -> None:
    store = RedisThrottleStore(REDIS_URL, prefix)
    await delete_keys(store.client, prefix)
    await store.aclose()
