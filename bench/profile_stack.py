"""Profile one stack in-process: its ASGI app called N times in a row, no server, no wrk.

    bench/.venv/bin/python bench/profile_stack.py asyncdrf detail [-n 2000] [--cprofile]

Without a profiler it prints the mean time per request (min of 3 rounds), which is a
steadier number than wrk's for comparing two versions of async_drf's request path.
The ASGI app gets a synthetic HTTP scope, so uvicorn and the socket are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run  # noqa: E402

REQUESTS = {
    "list": lambda i: ("GET", "/posts/", f"page={i % 50 + 1}", b""),
    "detail": lambda i: ("GET", f"/posts/{i % 1000 + 1}/", "", b""),
    "create": lambda i: (
        "POST",
        "/posts/",
        "",
        json.dumps(
            {"title": f"p{i}", "body": "b", "published": True, "author": i % 50 + 1}
        ).encode(),
    ),
    "slow": lambda i: ("GET", "/slow/", "", b""),
}


def scope_for(method: str, path: str, query: str, body: bytes) -> dict:
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")]
    if body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app, method, path, query, body) -> int:
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope_for(method, path, query, body), receive, send)
    return status


async def lifespan(app, kind: str) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    done: asyncio.Queue = asyncio.Queue()
    await queue.put({"type": f"lifespan.{kind}"})

    async def send(message):
        await done.put(message)

    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, queue.get, send)
    )
    message = await done.get()
    assert message["type"].endswith(".complete"), message
    if kind == "shutdown":
        await task
    else:
        app._bench_lifespan_task = task
        app._bench_lifespan_queue = queue


async def main_async(args) -> None:
    stack = run.STACKS[args.stack]
    module, _, attr = stack.target.partition(":")
    app = getattr(importlib.import_module(module), attr)
    if stack.lifespan:
        await lifespan(app, "startup")
    make = REQUESTS[args.endpoint]
    status = await call(app, *make(0))
    expected = 201 if args.endpoint == "create" else 200
    assert status == expected, f"{args.endpoint}: status {status}"
    for i in range(200):  # warm-up
        await call(app, *make(i))
    if args.gc == "freeze":
        import gc

        gc.collect()
        gc.freeze()
    elif args.gc == "off":
        import gc

        gc.disable()

    cpu = []

    async def rounds(n):
        started, cpu_started = time.perf_counter(), time.process_time()
        for i in range(n):
            await call(app, *make(i))
        cpu.append((time.process_time() - cpu_started) / n)
        return (time.perf_counter() - started) / n

    if args.cprofile or args.pyinstrument:
        profiler = None
        if args.pyinstrument:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
        else:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        per = await rounds(args.n)
        if args.pyinstrument:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        else:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
        print(f"{args.stack} {args.endpoint}: {per * 1e6:.0f} us/request (profiled)")
    else:
        best = min([await rounds(args.n) for _ in range(3)])
        print(
            f"{args.stack} {args.endpoint}: {best * 1e6:.0f} us/request wall, "
            f"{min(cpu) * 1e6:.0f} us CPU (all threads) (min of 3 x {args.n})"
        )
    if stack.lifespan:
        await app._bench_lifespan_queue.put({"type": "lifespan.shutdown"})
        await app._bench_lifespan_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", choices=[s for s in run.STACKS if s != "drf-gunicorn"])
    parser.add_argument("endpoint", choices=list(REQUESTS))
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--pyinstrument", action="store_true")
    parser.add_argument("--gc", choices=["default", "freeze", "off"], default="default")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        run.make_database(db)
        os.environ["BENCH_DB"] = str(db)
        stack = run.STACKS[args.stack]
        if stack.settings:
            os.environ["DJANGO_SETTINGS_MODULE"] = stack.settings
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
