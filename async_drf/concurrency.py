"""The one place that decides sync vs async.

Every hook a user can override may be ``def`` or ``async def``; the framework calls
each through :func:`maybe_await`.  Async callables are awaited on the loop; sync ones
run in Django's thread-sensitive worker through ``sync_to_async`` (a "thread hop"),
unless they are registered as pure with :func:`mark_inline`.  Hops are counted so
tests can pin them per request.  The other direction, for DRF code that calls view
hooks synchronously (schema generation, the browsable API's renderer, both off the
loop), is :func:`call_sync`.  :func:`request_thread_started` tells whether the current
request has started its thread-sensitive worker yet (``asgi.ASGIHandler`` uses it).

A closed list of view hooks only build things (:data:`BUILDER_HOOKS`): :func:`call_hook`
runs a sync one inline, and in a thread only once it has queried Django's ORM.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import types
import warnings
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Literal, Never, ParamSpec, TypeVar, cast, overload

from asgiref.sync import SyncToAsync, async_to_sync, iscoroutinefunction, sync_to_async
from django.core.exceptions import SynchronousOnlyOperation

if TYPE_CHECKING:
    from ._types import AnySerializer, QuerySetLike, ViewQuerySet

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "BUILDER_HOOKS",
    "HopCounter",
    "SyncHookWarning",
    "call_hook",
    "call_or_await",
    "call_sync",
    "count_hops",
    "in_event_loop",
    "is_async_callable",
    "mark_inline",
    "maybe_await",
    "needs_hop",
    "request_thread_started",
    "run_handler",
    "run_sync",
]


class HopCounter:
    """Counts thread hops made while it is the active counter."""

    def __init__(self) -> None:
        self.count = 0
        self.calls: list[str] = []

    def record(self, func: object) -> None:
        self.count += 1
        self.calls.append(getattr(func, "__qualname__", repr(func)))

    def reset(self) -> None:
        self.count = 0
        self.calls.clear()

    def __repr__(self) -> str:
        return f"<HopCounter count={self.count} calls={self.calls!r}>"


# A mutable counter in a contextvar: tasks created by Django's handler copy the
# context, so increments made while serving a request reach the test that set it.
_hop_counter: contextvars.ContextVar[HopCounter | None] = contextvars.ContextVar(
    "async_drf_hop_counter", default=None
)

# Sync callables known to be pure CPU (no I/O): run inline, never hopped.
_inline: set[object] = set()


@contextlib.contextmanager
def count_hops() -> Iterator[HopCounter]:
    """Count the thread hops made inside the block (and in tasks started from it)."""
    counter = HopCounter()
    token = _hop_counter.set(counter)
    try:
        yield counter
    finally:
        _hop_counter.reset(token)


def _unwrap(func: object) -> object:
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__func__", func)


# Answers of is_async_callable for plain functions (the methods a request calls again
# and again), weakly keyed so closures made per request are not kept alive.
_async_functions: weakref.WeakKeyDictionary[types.FunctionType, bool] = weakref.WeakKeyDictionary()


def is_async_callable(func: object) -> bool:
    """True for ``async def`` functions, bound methods, partials and async ``__call__``."""
    func = _unwrap(func)
    if type(func) is types.FunctionType:
        answer = _async_functions.get(func)
        if answer is None:
            # asgiref's check honours markcoroutinefunction (an attribute set when the
            # function is decorated, so before it is ever called).
            answer = _async_functions[func] = iscoroutinefunction(func)
        return answer
    if iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - instances with async __call__
    return not isinstance(func, type) and call is not None and iscoroutinefunction(call)


def mark_inline(*funcs: Callable[..., object]) -> None:
    """Declare sync callables pure, so :func:`maybe_await` calls them without a hop.

    Register the plain function (``SomeClass.method``); bound methods of the class and
    of subclasses that do not override it are then inline too.
    """
    _inline.update(_unwrap(f) for f in funcs)


def is_inline(func: object) -> bool:
    return _unwrap(func) in _inline


def needs_hop(func: object) -> bool:
    """True when :func:`maybe_await` would run ``func`` in a worker thread."""
    return not (is_async_callable(func) or is_inline(func))


async def run_sync(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a sync callable in Django's thread-sensitive worker (one counted hop)."""
    counter = _hop_counter.get()
    if counter is not None:
        counter.record(func)
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


@overload
async def maybe_await(
    func: Callable[P, Coroutine[object, Never, T]], /, *args: P.args, **kwargs: P.kwargs
) -> T: ...
@overload
async def maybe_await(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
async def maybe_await(func: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs) -> object:
    """Await ``func`` if it is async; else run it through :func:`run_sync`.

    The callable is inspected, never its result: Tortoise querysets are awaitable, so
    awaiting whatever a sync ``get_queryset()`` returned would run the query.
    """
    if is_async_callable(func):
        return await cast("Awaitable[object]", func(*args, **kwargs))
    if is_inline(func):
        return func(*args, **kwargs)
    return await run_sync(func, *args, **kwargs)


@overload
async def call_or_await(
    func: Callable[P, Coroutine[object, Never, T]], /, *args: P.args, **kwargs: P.kwargs
) -> T: ...
@overload
async def call_or_await(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T: ...
async def call_or_await(func: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs) -> object:
    """Await ``func`` if it is async; else call it inline, on the loop.

    For hooks whose contract makes them pure CPU (DRF's ``authenticate_header``,
    which only formats a header): a thread hop would buy nothing.
    """
    if is_async_callable(func):
        return await cast("Awaitable[object]", func(*args, **kwargs))
    return func(*args, **kwargs)


async def run_handler(
    handler: Callable[..., Awaitable[R] | R], request: object, *args: object, **kwargs: object
) -> R:
    """Run a handler or a generic action (``list``, ``create``...), ``def`` or ``async def``.

    A ``def`` one runs in one thread hop, as Django runs a sync view; if it returns an
    async helper's coroutine (``def get(...): return self.list(...)``), that is
    finished on the loop.
    """
    response = await maybe_await(handler, request, *args, **kwargs)
    if inspect.iscoroutine(response):
        response = await response
    return response  # type: ignore[return-value]  # a coroutine was awaited above


# View hooks whose contract is to build and return something (a lazy query, a class, a
# dict) without I/O: a sync one runs inline, on the loop.
BUILDER_HOOKS = frozenset(
    {
        "get_queryset",
        "get_serializer_class",
        "get_serializer_context",
        "get_success_headers",
        "filter_queryset",
    }
)


class SyncHookWarning(RuntimeWarning):
    """A sync builder hook did I/O on the loop and now runs in a worker thread."""


# view class -> names of its sync builder hooks that queried Django's ORM: those hop.
_threaded_hooks: weakref.WeakKeyDictionary[type, set[str]] = weakref.WeakKeyDictionary()


# One signature per builder hook: what its contract says it takes and returns.
@overload
async def call_hook(view: object, name: Literal["get_queryset"], /) -> ViewQuerySet: ...
@overload
async def call_hook(
    view: object, name: Literal["filter_queryset"], queryset: QuerySetLike, /
) -> QuerySetLike: ...
@overload
async def call_hook(
    view: object, name: Literal["get_serializer_class"], /
) -> type[AnySerializer]: ...
@overload
async def call_hook(
    view: object, name: Literal["get_serializer_context"], /
) -> dict[str, object]: ...
@overload
async def call_hook(
    view: object, name: Literal["get_success_headers"], data: object, /
) -> dict[str, str]: ...
async def call_hook(view: object, name: str, /, *args: object, **kwargs: object) -> object:
    """Call the view hook ``name`` (one of :data:`BUILDER_HOOKS`), ``def`` or ``async def``.

    An ``async def`` hook is awaited.  A ``def`` one runs inline, no thread hop: these
    hooks only build things.  If it queries Django's ORM all the same, Django raises
    ``SynchronousOnlyOperation`` before any query runs; the hook is then run again in a
    thread hop, now and on every later request of that view class, and a
    :class:`SyncHookWarning` (once per class and hook) suggests ``async def``.  A
    coroutine returned by a sync hook (``return super().filter_queryset(qs)``) is awaited.
    """
    hook = getattr(view, name)
    if is_async_callable(hook):
        return await hook(*args, **kwargs)
    threaded = _threaded_hooks.get(type(view))
    if threaded is None or name not in threaded:
        try:
            result = hook(*args, **kwargs)
        except SynchronousOnlyOperation:
            _hook_needs_thread(type(view), name)
        else:
            return await result if inspect.iscoroutine(result) else result
    result = await run_sync(hook, *args, **kwargs)
    return await result if inspect.iscoroutine(result) else result


def _hook_needs_thread(cls: type, name: str) -> None:
    _threaded_hooks.setdefault(cls, set()).add(name)
    warnings.warn(
        f"{cls.__qualname__}.{name}() queried the Django ORM on the event loop, so it now "
        f"runs in a worker thread (a thread hop per request). Write it as "
        f"`async def {name}` and use Django's async ORM API (or a Tortoise query), "
        "or keep the query out of it.",
        SyncHookWarning,
        stacklevel=3,
    )


def in_event_loop() -> bool:
    """True on a thread running an event loop, where ``async_to_sync`` cannot be used."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@overload
def call_sync(
    func: Callable[P, Coroutine[object, Never, T]], *args: P.args, **kwargs: P.kwargs
) -> T: ...
@overload
def call_sync(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T: ...
def call_sync(func: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> object:
    """Call a view hook from sync code: an ``async def`` one through ``async_to_sync``.

    Raises RuntimeError for an async hook on an event-loop thread (it cannot be awaited
    there); callers decide whether that means "deny" or "leave out".
    """
    if not is_async_callable(func):
        return func(*args, **kwargs)
    if in_event_loop():
        raise RuntimeError(f"cannot call async {func!r} synchronously on an event loop thread")
    return async_to_sync(cast("Callable[P, Awaitable[object]]", func))(*args, **kwargs)


def request_thread_started() -> bool:
    """Whether the current request's thread-sensitive worker thread exists already.

    Django's ASGI handler gives each request a ``ThreadSensitiveContext``; asgiref
    creates that context's one-thread executor on the first ``sync_to_async`` call.
    True outside such a context, and if asgiref ever stops exposing the mapping.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    executors = getattr(SyncToAsync, "context_to_thread_executor", None)
    if context is None or executors is None:
        return True
    return context in executors
