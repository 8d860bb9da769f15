"""Microseconds per throttle check, per store and rate: what a throttle adds to a request.

    .venv/bin/python bench/throttle.py [-n 5000] [--rounds 3] [--rates 10/min,1000000/min]
                                       [--redis redis://127.0.0.1:6379/0 | --no-redis]
                                       [--clients 1]

One check is what ``check_throttles`` does for one throttle: a new
``AsyncAnonRateThrottle``, ``allow_request`` on a DRF request, and ``wait()`` when it
refuses.  At ``10/min`` all but the first 10 checks are refusals; at ``1000000/min``
every check is allowed and recorded, so the window grows to ``n`` requests.  Each
round starts from an empty store; the table shows the median round (and the range).
Redis keys are written under a fresh prefix and deleted afterwards.  ``make
bench-throttle`` runs it with the project's virtualenv.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REDIS_URL = "redis://127.0.0.1:6379/0"


def configure(redis_url: str | None, prefix: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None, "DEFAULT_AUTHENTICATION_CLASSES": []},
        ASYNC_DRF={"THROTTLE_REDIS_URL": redis_url, "THROTTLE_KEY_PREFIX": prefix},
    )
    django.setup()


def requests(clients: int) -> list[Any]:
    from django.http import HttpRequest
    from rest_framework.request import Request

    made = []
    for n in range(clients):
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        made.append(Request(request))
    return made


async def time_checks(throttle_class: type, clients: list[Any], n: int) -> float:
    """Run ``n`` checks round-robin over ``clients``; return µs per check."""
    start = time.perf_counter()
    for i in range(n):
        throttle = throttle_class()
        if not await throttle.allow_request(clients[i % len(clients)], None):
            throttle.wait()
    return (time.perf_counter() - start) / n * 1e6


async def reset(store_name: str, prefix: str) -> None:
    from async_drf.throttle_stores import get_throttle_store, memory_store

    if store_name == "memory":
        memory_store.clear()
        return
    client = get_throttle_store().client
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)


async def measure(store_name: str, prefix: str, args: argparse.Namespace) -> dict[str, list]:
    from async_drf.throttle_stores import release_throttle_connections
    from async_drf.throttling import AsyncAnonRateThrottle

    clients = requests(args.clients)
    results: dict[str, list[float]] = {}
    for rate in args.rates.split(","):
        throttle_class = type("Bench", (AsyncAnonRateThrottle,), {"rate": rate})
        rounds = []
        for _ in range(args.rounds):
            await reset(store_name, prefix)
            await time_checks(throttle_class, clients, min(args.n, 200))  # warm up
            await reset(store_name, prefix)
            rounds.append(await time_checks(throttle_class, clients, args.n))
        results[rate] = rounds
    await reset(store_name, prefix)
    await release_throttle_connections()
    return results


def redis_reachable(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.exceptions.ConnectionError:
        return False
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="checks per round (default 5000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rates", default="10/min,1000000/min")
    parser.add_argument("--clients", type=int, default=1, help="distinct client addresses")
    parser.add_argument("--redis", default=REDIS_URL, help=f"Redis URL (default {REDIS_URL})")
    parser.add_argument("--no-redis", action="store_true", help="the memory store only")
    args = parser.parse_args()

    prefix = f"async-drf-bench-{uuid.uuid4().hex}:"
    use_redis = not args.no_redis and redis_reachable(args.redis)
    configure(args.redis if use_redis else None, prefix)
    from async_drf.throttle_stores import memory_store
    from async_drf.throttling import AsyncSimpleRateThrottle

    stores = ["memory"] + (["redis"] if use_redis else [])
    print(f"µs per throttle check, median of {args.rounds} rounds of {args.n} (range)")
    print(f"clients: {args.clients}\n")
    print("| store | " + " | ".join(args.rates.split(",")) + " |")
    print("|---|" + "---:|" * len(args.rates.split(",")))
    for store_name in stores:
        # The settings name Redis when it answers: the memory rows set the store.
        AsyncSimpleRateThrottle.store = memory_store if store_name == "memory" else None
        results = asyncio.run(measure(store_name, prefix, args))
        cells = [
            f"{statistics.median(r):.1f} ({min(r):.1f}–{max(r):.1f})" for r in results.values()
        ]
        print(f"| {store_name} | " + " | ".join(cells) + " |")
    if not use_redis:
        why = "--no-redis" if args.no_redis else f"Redis not reachable at {args.redis}"
        print(f"\n(memory store only: {why})")


if __name__ == "__main__":
    main()
