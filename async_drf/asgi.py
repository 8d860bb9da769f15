"""get_asgi_application(): Django's ASGI app that also speaks the ASGI lifespan protocol.

Django's ASGIHandler refuses lifespan scopes; ``TortoiseLifespan`` answers them:
Tortoise is initialised on ``lifespan.startup`` and its connections are closed on
``lifespan.shutdown``, once the after-response tasks still running have finished (or,
past ``AFTER_RESPONSE_SHUTDOWN_TIMEOUT``, been cancelled).  Every other scope goes to
Django.  A server that sends no lifespan events (daphne, ``runserver`` with daphne,
``uvicorn --lifespan off``) gets Tortoise started on its first request instead
(``orm.start_orm``).  ``StaticFiles`` (on with ``ASYNC_DRF["SERVE_STATIC"]``) answers
requests under ``STATIC_URL`` before Django sees them, with servestatic, whatever
``DEBUG`` says.

``ASGIHandler`` is Django's handler minus two thread hops per request.  Django runs
the sync receivers of ``request_started`` and ``response.close()`` (which sends
``request_finished``) in a thread made for the request, so every request starts a
thread even when it never runs sync code.  When those receivers are only Django's
own bookkeeping (closing the DB connections and caches of the request's thread,
resetting query logs and the urlconf) and the request ran no sync code in that
thread, there is nothing for them to do there: they are called on the loop instead,
where they find nothing open.  Anything else (another app's receiver, a response
with files to close, a cache whose close does I/O, a request that used the Django
ORM) takes Django's path unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

import django
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.cache import caches, close_caches
from django.core.cache.backends.base import BaseCache
from django.core.exceptions import ImproperlyConfigured, RequestAborted
from django.core.handlers import asgi as django_asgi
from django.core.handlers.base import reset_urlconf
from django.db import close_old_connections, reset_queries
from django.http import HttpResponse
from django.urls import set_script_prefix

from . import compat
from .concurrency import is_inline, request_thread_started, run_sync
from .orm import close_orm, init_orm, start_orm
from .settings import async_settings
from .tasks import drain

if TYPE_CHECKING:
    from django.dispatch import Signal
    from django.http import HttpRequest, HttpResponseBase

Scope = dict[str, object]  # as Django's stubs type them (values of many types)
Message = Mapping[str, object]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("async_drf")

__all__ = ["ASGIHandler", "StaticFiles", "TortoiseLifespan", "get_asgi_application"]


class TortoiseLifespan:
    """ASGI middleware: answers ``lifespan`` by starting and stopping Tortoise.

    Without lifespan events, the first request starts Tortoise (once, however many
    arrive together), which then closes when the server's event loop ends.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: dict[str, object] | None = None,
        generate_schemas: bool | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.generate_schemas = generate_schemas
        # True once Tortoise runs: from lifespan start-up, else from the first request.
        self.orm_ready = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            if not self.orm_ready:
                await self.start_orm()
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await init_orm(self.config, generate_schemas=self.generate_schemas)
                except Exception as exc:
                    logger.exception("Tortoise ORM failed to start")
                    await _close_quietly()  # else aiosqlite's thread keeps the process alive
                    await send(
                        {
                            "type": "lifespan.startup.failed",
                            "message": f"async_drf: Tortoise ORM failed to start: "
                            f"{type(exc).__name__}: {exc}",
                        }
                    )
                    return
                self.orm_ready = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _drain_tasks()
                try:
                    await close_orm()
                except Exception as exc:
                    logger.exception("Tortoise ORM failed to close its connections")
                    await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start_orm(self) -> None:
        """Start Tortoise for a server that sent no ``lifespan.startup``."""
        try:
            await start_orm(
                self.config, generate_schemas=self.generate_schemas, before_close=_drain_tasks
            )
        except Exception:
            logger.exception("Tortoise ORM failed to start")
            raise
        self.orm_ready = True


async def _drain_tasks() -> None:
    # After-response tasks may still need the database.
    await drain(async_settings.AFTER_RESPONSE_SHUTDOWN_TIMEOUT)


async def _close_quietly() -> None:
    try:
        await close_orm()
    except Exception:  # pragma: no cover - already failing; report the first error
        logger.exception("Tortoise ORM failed to close after a failed start-up")


# Receivers Django itself connects to request_started / request_finished.  In the
# request's own thread they act on that thread's DB connections and caches; before
# that thread exists there are none, and on the loop they find none either (Django
# refuses to open a DB connection there).
_BOOKKEEPING = frozenset({close_old_connections, reset_queries, reset_urlconf, close_caches})


def _caches_close_quietly() -> bool:
    # close_caches() on the loop is only harmless when no open cache does I/O on close.
    return all(type(cache).close is BaseCache.close for cache in caches.all(initialized_only=True))


def _inline_receivers(
    signal: Signal, sender: object
) -> list[Sequence[Callable[..., object]]] | None:
    """The signal's async receivers when its sync ones are all bookkeeping, else None."""
    sync_receivers, async_receivers = compat.live_receivers(signal, sender)
    if any(receiver not in _BOOKKEEPING for receiver in sync_receivers):
        return None
    if close_caches in sync_receivers and not _caches_close_quietly():
        return None
    return [sync_receivers, async_receivers]


async def _send_inline(
    signal: Signal,
    receivers: list[Sequence[Callable[..., object]]],
    sender: object,
    **named: object,
) -> None:
    # Mirrors django.dispatch.Signal.asend; differs in calling the sync receivers inline
    # (only bookkeeping ones get here) instead of in one sync_to_async hop, in taking the
    # receivers already looked up, and in returning nothing.  Django 6.1's asend runs the
    # async receivers in a TaskGroup after the sync ones; here asyncio.gather, also after.
    sync_receivers, async_receivers = receivers
    for receiver in sync_receivers:
        receiver(signal=signal, sender=sender, **named)
    if async_receivers:
        # The second list holds the async receivers (compat.live_receivers).
        coroutines = cast("Sequence[Callable[..., Awaitable[object]]]", async_receivers)
        await asyncio.gather(
            *(receiver(signal=signal, sender=sender, **named) for receiver in coroutines)
        )


async def _send_signal(signal: Signal, sender: object, **named: object) -> None:
    receivers = None if request_thread_started() else _inline_receivers(signal, sender)
    if receivers is None:
        await signal.asend(sender=sender, **named)
    else:
        await _send_inline(signal, receivers, sender, **named)


def _closes_only(response: HttpResponseBase, request: HttpRequest) -> bool:
    # Django adds request.close to every response; it closes the in-memory body and
    # any uploaded files.  Uploaded files may sit on disk: those take Django's path.
    closers = compat.resource_closers(response)
    return (
        bool(closers)
        and closers[-1] == request.close
        and all(map(is_inline, closers[:-1]))
        and not compat.uploaded_files(request)
    )


async def _close_response(response: HttpResponseBase, request: HttpRequest) -> None:
    """``response.close()``: on the loop when it only sends Django's bookkeeping."""
    if (
        type(response).close is HttpResponse.close
        and _closes_only(response, request)
        and not request_thread_started()
    ):
        receivers = _inline_receivers(signals.request_finished, compat.handler_class(response))
        if receivers is not None and not receivers[1]:
            response.close()  # closes nothing, sends request_finished to bookkeeping
            return
    await sync_to_async(response.close)()


class ASGIHandler(django_asgi.ASGIHandler):
    """Django's ASGI handler without the per-request thread when no sync code needs it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mirrors django.core.handlers.asgi.ASGIHandler.handle (Django 5.2); differs only
        # in sending request_started and closing the response through the helpers above,
        # and in closing the body file whatever the response task raised.
        # Django 6.1 writes the same steps around a TaskGroup; every handler method
        # used here (read_body, create_request, run_get_response, send_response,
        # listen_for_disconnect) is unchanged there.
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(django_asgi.get_script_prefix(scope))
        await _send_signal(signals.request_started, self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None  # Django gives one or the other
            body_file.close()
            await self.send_response(error_response, send)
            await sync_to_async(error_response.close)()
            return

        async def process_request(request: HttpRequest, send: Send) -> HttpResponseBase:
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client went away while the response was sent
            return response

        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                # task.result() would raise the listener's RequestAborted through this
                # frame, and its traceback would then hold this frame, whose `tasks`
                # hold the exception: a cycle keeping the whole request alive.
                exc = None if task.cancelled() else task.exception()
                if task.cancelled() or (exc is not None and not isinstance(exc, RequestAborted)):
                    # Django closes the body only for an AssertionError: a response
                    # that fails while it streams would leave the file to the GC.
                    body_file.close()
                    task.result()  # raises as in Django's handler
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = cast("HttpResponseBase", tasks[1].result())  # process_request's
        except asyncio.CancelledError:
            await _send_signal(signals.request_finished, self.__class__)
        else:
            await _close_response(response, request)
        body_file.close()


async def _never_called(request: HttpRequest) -> None:  # pragma: no cover - see StaticFiles
    raise AssertionError("StaticFiles uses servestatic's middleware as a file table only")


class StaticFiles:
    """ASGI middleware: serves ``STATIC_URL`` with servestatic, before Django's handler.

    The files are the ones servestatic's Django integration finds (``STATIC_ROOT``
    after ``collectstatic``; the finders' app directories with
    ``SERVESTATIC_USE_FINDERS = True``; its other ``SERVESTATIC_*`` settings apply)
    and are sent by its ASGI responder, which reads them off the loop.  Only paths
    under the static prefix are looked up: every other request reaches ``app``
    unchanged, with no thread hop.
    """

    def __init__(self, app: ASGIApp) -> None:
        try:
            from servestatic.asgi import FileServerASGI  # type: ignore[import-untyped]
            from servestatic.middleware import ServeStaticMiddleware  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ImproperlyConfigured(
                'ASYNC_DRF["SERVE_STATIC"] needs servestatic: pip install "async_drf[static]"'
            ) from exc
        self.app = app
        self.responder = FileServerASGI
        # The middleware reads servestatic's Django settings and builds the URL -> file
        # table; it is used as that table only, never called as middleware.
        self.files = ServeStaticMiddleware(_never_called)
        self.prefix = self.files.static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Django's path_info: the path without the ASGI root_path (SCRIPT_NAME).
            path = cast("str", scope["path"]).removeprefix(cast("str", scope.get("root_path", "")))
            if path.startswith(self.prefix):
                static_file = await self.find_file(path)
                if static_file is not None:
                    await self.responder(static_file)(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def find_file(self, path: str) -> object:
        """The static file for ``path``, or None to let Django answer."""
        if self.files.autorefresh:
            # SERVESTATIC_AUTOREFRESH (the default with DEBUG): look on disk each time.
            return await run_sync(self.files.find_file, path)
        return self.files.files.get(path)


def get_asgi_application(
    *,
    config: dict[str, object] | None = None,
    generate_schemas: bool | None = None,
    serve_static: bool | None = None,
) -> TortoiseLifespan:
    """Django's ASGI application wrapped to start and stop Tortoise with the server.

    Call it where you would call ``django.core.asgi.get_asgi_application()``; run the
    server with ``--lifespan on`` so that a failed start-up stops it.  HTTP requests go
    to ``ASGIHandler``, Django's handler without its per-request thread, or first to
    ``StaticFiles`` when ``serve_static`` (default ``ASYNC_DRF["SERVE_STATIC"]``).
    """
    django.setup(set_prefix=False)
    app: ASGIApp = ASGIHandler()
    if async_settings.SERVE_STATIC if serve_static is None else serve_static:
        app = StaticFiles(app)
    return TortoiseLifespan(app, config=config, generate_schemas=generate_schemas)
