"""After-response tasks: work a view leaves for after its response has been sent.

A view lists callables in ``after_response``; each is called as
``func(request, response, *args, **kwargs)``, with the URL arguments the handler got.
Code that holds the request (a handler, a hook) adds more with
``request.after_response(func, *args, **kwargs)``; those get exactly their arguments.
They run once each, in that order, after the handler has handed the response's last
byte to the server and closed it (Django's handlers close every response they
send), and only when the view answered 2xx or 3xx without raising.  ``async def``
callables are awaited on the loop; ``def`` ones run in a worker thread
(:func:`~async_drf.concurrency.maybe_await`).  An error is logged with its traceback
(logger ``async_drf.tasks``) and the next callable still runs.

Under ASGI they run as tasks on the server's event loop, at most
``AFTER_RESPONSE_MAX_CONCURRENCY`` callables at once (the rest wait their turn);
:class:`~async_drf.asgi.TortoiseLifespan` waits for them at shutdown for up to
``AFTER_RESPONSE_SHUTDOWN_TIMEOUT`` seconds (:func:`drain`), then cancels and logs the
rest.  Under WSGI the loop that ran the view is gone when the server closes the
response: they run there and then, in the worker thread, before it takes its next
request.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, async_to_sync
from django.db import close_old_connections
from rest_framework.request import Request

from . import compat
from .concurrency import mark_inline, maybe_await, request_thread_started, run_sync
from .orm import ensure_orm, isolate_connections, release_connections
from .settings import async_settings

if TYPE_CHECKING:
    from django.http import HttpResponseBase

    from .views import AsyncAPIView

__all__ = ["AfterResponseRequest", "drain", "schedule"]

logger = logging.getLogger("async_drf.tasks")

P = ParamSpec("P")

# A call to make: (func, args, kwargs).
Call = tuple[Callable[..., object], tuple[object, ...], dict[str, object]]


def _name(func: object) -> str:
    func = getattr(func, "func", func)  # functools.partial
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None) or repr(func)
    return f"{module}.{qualname}" if module else qualname


class AfterResponseRequest(Request):
    """DRF's Request with :meth:`after_response`; the request async views receive."""

    _after_response: list[Call] | None = None

    def after_response(
        self, func: Callable[P, object], /, *args: P.args, **kwargs: P.kwargs
    ) -> None:
        """Call ``func(*args, **kwargs)`` once the response to this request is sent.

        Only if the view answers 2xx or 3xx without raising; ``func`` may be
        ``async def`` or ``def``.
        """
        if self._after_response is None:
            self._after_response = []
        self._after_response.append((func, args, kwargs))


def schedule(view: AsyncAPIView, request: Request, response: HttpResponseBase) -> None:
    """Queue the view's and the request's after-response calls on ``response``.

    Called by ``AsyncAPIView.dispatch`` with the final response.  The calls start
    when the handler closes the response, which it does once the response is sent.
    """
    calls: list[Call] = [
        (func, (request, response, *view.args), view.kwargs) for func in view.after_response
    ]
    calls += getattr(request, "_after_response", None) or ()
    if not calls or getattr(response, "exception", False):
        return
    if not 200 <= response.status_code < 400:
        return
    compat.resource_closers(response).append(_Pending(calls, asyncio.get_running_loop()).start)


class _Pending:
    """The calls one response leaves behind, and the loop that served it."""

    __slots__ = ("calls", "done", "loop")

    def __init__(self, calls: list[Call], loop: asyncio.AbstractEventLoop) -> None:
        self.calls = calls
        self.loop = loop
        self.done = 0

    def start(self) -> None:
        """Response closer: start the calls where the response was served.

        On the loop's thread (async_drf's handler closes responses there) they become
        a task; from the thread Django's own handler closes responses in, the task is
        handed to the loop; when the loop is gone (WSGI) they run here and now.
        """
        loop = self.loop
        if _running_loop() is loop:
            _runner(loop).start(self, _task_context())
        elif loop.is_running():
            loop.call_soon_threadsafe(_start_on_loop, self, _task_context())
        else:
            async_to_sync(self.run_without_loop)()

    async def run(self, limit: asyncio.Semaphore | None) -> None:
        """Each call in order, in a thread-sensitive context of their own."""
        async with ThreadSensitiveContext():
            for func, args, kwargs in self.calls:
                if limit is None:
                    await _call(func, args, kwargs)
                else:
                    async with limit:
                        await _call(func, args, kwargs)
                self.done += 1
            if request_thread_started():
                # A sync call used Django's ORM in this context's thread: close its
                # connections there, as request_finished does for a request.
                await run_sync(close_old_connections)

    async def run_without_loop(self) -> None:
        # The WSGI steps of AsyncAPIView.dispatch again: this is a new event loop.
        wsgi = async_settings.WSGI_CLOSE_CONNECTIONS
        try:
            if wsgi:
                await ensure_orm()
                isolate_connections()
            await self.run(None)
        finally:
            if wsgi:
                await release_connections()

    def unfinished(self) -> list[str]:
        return [_name(func) for func, _args, _kwargs in self.calls[self.done :]]


async def _call(
    func: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    try:
        result = await maybe_await(func, *args, **kwargs)
        if inspect.iscoroutine(result):  # a `def` that returned a coroutine
            await result
    except Exception:
        logger.exception("After-response task %s failed", _name(func))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _task_context() -> contextvars.Context:
    """The current context minus asgiref's thread-sensitive context.

    The request's context has ended (its thread, if any, is shut down): the task
    enters one of its own, and keeps every other variable (Tortoise's context, a
    request id set by middleware, ...).
    """
    context = contextvars.Context()
    for var, value in contextvars.copy_context().items():
        if var is not SyncToAsync.thread_sensitive_context:
            context.run(var.set, value)
    return context


class _Runner:
    """The after-response tasks of one event loop and the limit they share."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.semaphore = asyncio.Semaphore(limit) if limit else None
        self.tasks: dict[asyncio.Task[None], _Pending] = {}

    def start(self, pending: _Pending, context: contextvars.Context) -> None:
        task = asyncio.get_running_loop().create_task(pending.run(self.semaphore), context=context)
        self.tasks[task] = pending
        task.add_done_callback(self.tasks.pop)


# One runner per event loop (a process under uvicorn has one; tests may have more).
_runners: dict[asyncio.AbstractEventLoop, _Runner] = {}


def _runner(loop: asyncio.AbstractEventLoop) -> _Runner:
    limit = async_settings.AFTER_RESPONSE_MAX_CONCURRENCY
    runner = _runners.get(loop)
    if runner is None or (runner.limit != limit and not runner.tasks):
        for closed in [other for other in _runners if other.is_closed()]:
            del _runners[closed]
        runner = _runners[loop] = _Runner(limit)
    return runner


def _start_on_loop(pending: _Pending, context: contextvars.Context) -> None:
    _runner(asyncio.get_running_loop()).start(pending, context)


async def drain(timeout: float | None = None) -> list[str]:
    """Wait for this loop's after-response tasks, including ones started meanwhile.

    After ``timeout`` seconds (None: no limit) the ones still running are cancelled
    and logged.  Returns the names of the callables that were cancelled or never
    started.  ``TortoiseLifespan`` calls it at shutdown; tests call it to wait for
    the tasks of the requests they made.
    """
    await asyncio.sleep(0)  # run tasks handed over by call_soon_threadsafe
    runner = _runners.get(asyncio.get_running_loop())
    if runner is None:
        return []
    deadline = None if timeout is None else time.monotonic() + timeout
    while runner.tasks:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            break
        await asyncio.wait(list(runner.tasks), timeout=remaining)
        await asyncio.sleep(0)
    return await _cancel(runner)


async def _cancel(runner: _Runner) -> list[str]:
    cancelled = []
    for task, pending in list(runner.tasks.items()):
        names = pending.unfinished()
        task.cancel()
        logger.warning("After-response task cancelled at shutdown: %s", ", ".join(names))
        cancelled += names
    if runner.tasks:
        await asyncio.gather(*runner.tasks, return_exceptions=True)
    return cancelled


# Closing a response only starts the calls: async_drf's handler may close it on the loop.
mark_inline(_Pending.start)
