"""Profile one stack in-process: its ASGI app called N times in a row, no server, no wrk.

    bench/.venv/bin/python bench/profile_stack.py asyncdrf detail [-n 2000] [--cprofile]
    bench/.venv/bin/python bench/profile_stack.py asyncdrf list --budget [-n 1000]

Without a profiler it prints the mean time per request (min of 3 rounds), which is a
steadier number than wrk's for comparing two versions of async_drf's request path.
The ASGI app gets a synthetic HTTP scope, so uvicorn and the socket are left out.

``--budget`` prints what one request costs, layer by layer and counted:

* µs per request in each layer (handler, DRF request, negotiation, view, pagination,
  query, serialization, render, and the loop's idle time waiting for the database
  thread): CPU time of the event loop's thread (``--clock wall`` for wall time,
  steadier on an idle machine, inflated on a busy one), measured by wrappers around
  each layer's entry points (a coroutine is timed only while it runs, never while it
  waits; a nested layer's time is its own, not its caller's), on asyncio's own loop;
* counts per request, from a cProfile pass: Tortoise queryset clones, field deep
  copies (DRF's ``Field.__deepcopy__``) and field clones (async_drf's field plans),
  ``dict.copy()`` and ``copy.copy``/``copy.deepcopy`` calls, Tortoise model
  instances built, datetimes parsed, pypika query copies.
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


# -- the budget: µs per layer --------------------------------------------------------


class Layers:
    """Time on the loop's thread (CPU by default), charged to the innermost layer running."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.totals: dict[str, float] = {}
        self.stack: list[str] = []
        self.last = clock()
        self.on = True  # off once the timed requests are done (the wrappers stay)

    def _charge(self) -> None:
        if not self.on:
            return
        now = self.clock()
        top = self.stack[-1] if self.stack else "handler"
        self.totals[top] = self.totals.get(top, 0.0) + now - self.last
        self.last = now

    def push(self, layer: str) -> None:
        self._charge()
        self.stack.append(layer)

    def pop(self) -> None:
        self._charge()
        self.stack.pop()

    def table(self, n: int) -> str:
        total = sum(self.totals.values())
        lines = ["| layer | µs/request | share |", "|---|---:|---:|"]
        for layer in LAYERS:
            if layer in self.totals:
                spent = self.totals[layer]
                lines.append(f"| {layer} | {spent / n * 1e6:,.0f} | {spent / total:.0%} |")
        clock = "CPU" if self.clock is time.thread_time else "wall"
        lines.append(f"| total ({clock}, loop thread) | {total / n * 1e6:,.0f} | |")
        return "\n".join(lines)


LAYERS = [
    "handler",
    "DRF request",
    "negotiation",
    "view",
    "pagination",
    "query",
    "serialization",
    "render",
    "idle (database thread)",
]
_layers: Layers | None = None


def _steps(iterator, layer: str):
    """Drive an ``__await__`` iterator, inside ``layer`` only while it runs."""
    value, error = None, None
    while True:
        _layers.push(layer)
        try:
            yielded = iterator.send(value) if error is None else iterator.throw(error)
        except StopIteration as stop:
            _layers.pop()
            return stop.value
        except BaseException:
            _layers.pop()
            raise
        _layers.pop()
        try:
            value, error = (yield yielded), None
        except BaseException as exc:  # noqa: BLE001 - handed to the iterator
            value, error = None, exc


class _Timed:
    __slots__ = ("awaitable", "layer")

    def __init__(self, awaitable, layer: str) -> None:
        self.awaitable, self.layer = awaitable, layer

    def __await__(self):
        return (yield from _steps(self.awaitable.__await__(), self.layer))


def _wrap(owner, name: str, layer: str) -> None:
    """Time ``owner.name`` (a function, coroutine function, property or ``__await__``)."""
    import functools

    from asgiref.sync import iscoroutinefunction, markcoroutinefunction

    original = owner.__dict__[name]
    if isinstance(original, property):

        def fget(self):
            _layers.push(layer)
            try:
                return original.fget(self)
            finally:
                _layers.pop()

        setattr(owner, name, property(fget, original.fset))
        return
    if isinstance(original, classmethod):
        function = original.__func__
    else:
        function = original
    if name == "__await__":

        def wrapper(self):
            return _steps(function(self), layer)

    elif iscoroutinefunction(function):

        async def wrapper(*args, **kwargs):
            return await _Timed(function(*args, **kwargs), layer)

        markcoroutinefunction(wrapper)
    else:

        def wrapper(*args, **kwargs):
            _layers.push(layer)
            try:
                return function(*args, **kwargs)
            finally:
                _layers.pop()

    functools.update_wrapper(wrapper, function)
    setattr(owner, name, classmethod(wrapper) if isinstance(original, classmethod) else wrapper)


def _wrap_view_callbacks() -> None:
    """The view Django's handler calls (its ``make_view_atomic`` result) is "view"."""
    from asgiref.sync import iscoroutinefunction, markcoroutinefunction
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.make_view_atomic

    def make_view_atomic(self, view):
        callback = original(self, view)
        if not iscoroutinefunction(callback):
            return callback

        async def timed(*args, **kwargs):
            return await _Timed(callback(*args, **kwargs), "view")

        return markcoroutinefunction(timed)

    BaseHandler.make_view_atomic = make_view_atomic


def install_layers(clock) -> Layers:
    """Wrap each layer's entry points (once per process) and start counting."""
    global _layers
    _layers = Layers(clock)
    import importlib.util

    from django.http import JsonResponse
    from rest_framework.request import Request
    from rest_framework.response import Response
    from tortoise import queryset
    from tortoise.models import Model

    _wrap_view_callbacks()
    _wrap(Response, "rendered_content", "render")
    _wrap(JsonResponse, "__init__", "render")
    _wrap(Request, "_load_data_and_files", "DRF request")
    for name in dir(queryset):
        cls = getattr(queryset, name)
        if isinstance(cls, type) and "__await__" in cls.__dict__:
            _wrap(cls, "__await__", "query")
    _wrap(Model, "save", "query")
    if importlib.util.find_spec("async_drf"):
        from async_drf import _serializer_adapter as adapters
        from async_drf import pagination
        from async_drf.generics import AsyncGenericAPIView
        from async_drf.views import AsyncAPIView

        _wrap(AsyncAPIView, "initialize_request", "DRF request")
        _wrap(AsyncAPIView, "perform_content_negotiation", "negotiation")
        _wrap(AsyncGenericAPIView, "aget_serializer", "serialization")
        for cls in (adapters._AsyncSerializerAdapter, adapters._DRFSerializerAdapter):
            for name in ("save", "data", "validate_and_save"):
                _wrap(cls, name, "serialization")
        for cls in (pagination.AsyncPageNumberPagination,):
            for name in ("paginate_queryset", "get_paginated_response"):
                if name in cls.__dict__:
                    _wrap(cls, name, "pagination")
    # The loop waiting in its selector: the database thread (aiosqlite) is working.
    loop = asyncio.get_running_loop()
    select = loop._selector.select

    def timed_select(timeout=None):
        _layers.push("idle (database thread)")
        try:
            return select(timeout)
        finally:
            _layers.pop()

    loop._selector.select = timed_select
    return _layers


# -- the budget: counts per request --------------------------------------------------

# (label, file path ending, function name) as cProfile names them; "~" for builtins.
COUNTED = [
    ("Tortoise queryset clones", "tortoise/queryset.py", "_clone"),
    ("pypika query copies", "pypika_tortoise/queries.py", "__copy__"),
    ("field deep copies (DRF Field.__deepcopy__)", "rest_framework/fields.py", "__deepcopy__"),
    ("field clones (async_drf field plan)", "async_drf/_plans.py", "_clone"),
    ("dict.copy()", "~", "<method 'copy' of 'dict' objects>"),
    ("copy.copy() / copy.deepcopy() (outermost)", "/copy.py", ("copy", "deepcopy")),
    ("Tortoise models built from rows", "tortoise/models.py", "_init_from_db"),
    ("Tortoise Model.__init__", "tortoise/models.py", "__init__"),
    (
        "datetimes parsed (iso8601 / fromisoformat)",
        ("iso8601.py", "~"),
        (
            "parse_date",
            "<built-in method fromisoformat>",
            "<method 'fromisoformat' of 'datetime.datetime' objects>",
        ),
    ),
    ("serializers built", "rest_framework/serializers.py", "__init__"),
]


async def count_calls(run_n, n: int) -> str:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    await run_n(n)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    lines = ["| per request | count |", "|---|---:|"]
    for label, files, names in COUNTED:
        files = (files,) if isinstance(files, str) else files
        names = (names,) if isinstance(names, str) else names
        total = sum(
            primitive
            for (path, _line, name), (primitive, *_rest) in stats.items()
            if name in names and any(path.endswith(f) for f in files)
        )
        lines.append(f"| {label} | {total / n:g} |")
    return "\n".join(lines)


class time_layers:  # noqa: N801 - a context manager
    def __init__(self, clock) -> None:
        self.clock = clock

    async def __aenter__(self) -> Layers:
        return install_layers(self.clock)

    async def __aexit__(self, *exc_info) -> None:
        _layers._charge()
        _layers.on = False


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


async def _repeat(app, make, n: int) -> None:
    for i in range(n):
        await call(app, *make(i))


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

    if args.budget:
        clock = time.thread_time if args.clock == "cpu" else time.perf_counter
        async with time_layers(clock) as layers:
            for i in range(args.n):
                await call(app, *make(i))
        counts = await count_calls(lambda n: _repeat(app, make, n), args.n)
        print(f"{args.stack} {args.endpoint}: per request (n={args.n})")
        print(layers.table(args.n))
        print(counts)
    elif args.cprofile or args.pyinstrument:
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
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            if args.callers:
                stats.print_callers(args.callers)
            else:
                stats.print_stats(args.top)
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
    parser.add_argument("--budget", action="store_true", help="µs per layer and counts per request")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu", help="for --budget")
    parser.add_argument("--gc", choices=["default", "freeze", "off"], default="default")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--callers", metavar="REGEX", help="with --cprofile: who calls the functions matching it"
    )
    parser.add_argument(
        "--database",
        choices=run.DATABASES,
        default="sqlite",
        help="postgres: the bench's PostgreSQL database, its tables remade",
    )
    parser.add_argument(
        "--pg-url", help="with --database postgres: this database (default: the bench's own)"
    )
    args = parser.parse_args()
    stack = run.STACKS[args.stack]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BENCH_MIDDLEWARE"] = stack.middleware  # the +mw and +amw stacks' list
        if args.database == "postgres":
            pg_url = args.pg_url or run.pg_database()
            run.pg_reset(pg_url)
            os.environ["BENCH_PG_URL"] = pg_url
        else:
            os.environ.pop("BENCH_PG_URL", None)
            db = Path(tmp) / "bench.sqlite3"
            run.make_database(db)
            os.environ["BENCH_DB"] = str(db)
        # bench.run imported the settings before the environment was set: read them again.
        importlib.reload(importlib.import_module("bench.stacks.base_settings"))
        if stack.settings:
            os.environ["DJANGO_SETTINGS_MODULE"] = stack.settings
        try:
            import uvloop

            if not args.budget:  # the budget times the idle loop in asyncio's selector
                uvloop.install()
        except ImportError:
            pass
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
