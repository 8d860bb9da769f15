"""Tortoise ORM lifecycle under Django: init_orm / close_orm from ``settings.TORTOISE_ORM``.

Tortoise 1.x keeps its state in a contextvar, and an ASGI server runs the lifespan in
another task than the requests, so :func:`init_orm` always enables Tortoise's global
fallback: every request task then finds the context.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet as DjangoQuerySet
from tortoise import Model, Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import ConnectionHandler
from tortoise.context import TortoiseContext, get_current_context
from tortoise.queryset import QuerySet

from . import compat
from ._types import AnyQuerySet, QuerySetLike, ViewQuerySet
from .compat import register_exit_hook
from .concurrency import in_event_loop
from .settings import async_settings

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from typing_extensions import TypeIs

    _M = TypeVar("_M", bound=Model)

__all__ = [
    "as_model_query",
    "as_query",
    "bound_waits",
    "close_orm",
    "command_orm",
    "ensure_orm",
    "get_model",
    "get_tortoise_config",
    "init_orm",
    "is_model_class",
    "is_queryset",
    "isolate_connections",
    "release_connections",
    "start_orm",
    "view_model",
]

logger = logging.getLogger("async_drf")

# Serialises lazy initialisation between WSGI worker threads (each has its own loop).
_init_lock = threading.Lock()
_lazy_ready = False
# start_orm: one lock per event loop (an asyncio.Lock binds to the loop it first waits on).
_start_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
# Seconds the requests a loop runner cancels at exit get to finish before Tortoise closes.
_EXIT_GRACE = 1.0

# Tortoise's config dict (settings.TORTOISE_ORM): the project's own, as Tortoise.init takes it.
TortoiseConfig: TypeAlias = "dict[str, Any]"


def get_tortoise_config() -> TortoiseConfig:
    name = async_settings.TORTOISE_SETTING
    config: TortoiseConfig | None = getattr(settings, name, None)
    if not config:
        raise ImproperlyConfigured(
            f"async_drf needs settings.{name}: Tortoise ORM's config dict (connections and apps)."
        )
    return config


async def init_orm(
    config: TortoiseConfig | None = None, *, generate_schemas: bool | None = None
) -> None:
    """Initialise Tortoise for this process, visible to every task (global fallback).

    SQLite and PostgreSQL (asyncpg) connections get async_drf's clients, whose waits
    are bounded (:func:`bound_waits`).
    """
    if _active_context() is not None:
        return
    config = bound_waits(config or get_tortoise_config())
    await Tortoise.init(config=config, _enable_global_fallback=True)
    if async_settings.GENERATE_SCHEMAS if generate_schemas is None else generate_schemas:
        await Tortoise.generate_schemas(safe=True)
    logger.info("Tortoise ORM started")


# Tortoise's engine -> (async_drf's client that bounds its waits, the setting bounding them)
BOUNDED_ENGINES: dict[str, tuple[str | None, str]] = {
    "tortoise.backends.sqlite": ("async_drf.backends.sqlite", "SQLITE_BUSY_TIMEOUT"),
    "tortoise.backends.asyncpg": ("async_drf.backends.asyncpg", "TORTOISE_POOL_TIMEOUT"),
}


def bound_waits(config: TortoiseConfig) -> TortoiseConfig:
    """``config`` with its SQLite and PostgreSQL connections served by async_drf's clients.

    ``async_drf.backends.sqlite`` bounds a query's wait for the database to
    ``SQLITE_BUSY_TIMEOUT`` (Tortoise's own queues requests behind SQLite's 5 s busy
    wait); ``async_drf.backends.asyncpg`` bounds a query's wait for a free pooled
    connection to ``TORTOISE_POOL_TIMEOUT`` (Tortoise's own waits forever).  An engine
    whose setting is None is left alone; with nothing to change, ``config`` is returned
    as it is.
    """
    changed = {}
    for name, info in config.get("connections", {}).items():
        expanded = expand_db_url(info) if isinstance(info, str) else info
        engine, setting = BOUNDED_ENGINES.get(expanded.get("engine", ""), (None, ""))
        if engine is not None and getattr(async_settings, setting) is not None:
            changed[name] = {**expanded, "engine": engine}
    if not changed:
        return config
    return {**config, "connections": {**config["connections"], **changed}}


async def close_orm() -> None:
    """Close every connection and forget the configuration (ASGI shutdown)."""
    global _lazy_ready
    _lazy_ready = False
    ctx = _active_context()
    if ctx is not None:
        await ctx.close_connections()  # also clears the global fallback
        logger.info("Tortoise ORM connections closed")


async def ensure_orm() -> None:
    """Initialise Tortoise on first use (the WSGI path has no lifespan)."""
    global _lazy_ready
    if _lazy_ready and _active_context() is not None:
        return
    # A plain lock is fine: under WSGI each request thread runs its own event loop.
    # Other threads wait until schemas exist, not just until the context does.
    with _init_lock:
        if _active_context() is None:
            await init_orm()
            # Schema generation may have connected on this loop: close it here.
            await release_connections()
        _lazy_ready = True


async def start_orm(
    config: TortoiseConfig | None = None,
    *,
    generate_schemas: bool | None = None,
    before_close: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Initialise Tortoise once, for an ASGI server that sends no lifespan events.

    Concurrent callers on one event loop wait for a single :func:`init_orm`; once
    Tortoise runs (started here or elsewhere) this returns at once.  Tortoise
    started here closes on the loop that started it (its connections belong to
    that loop): when the loop's runner cancels its tasks (``asyncio.run``, which
    uvicorn and hypercorn use), else at interpreter exit (daphne stops its loop
    without cancelling them; ``runserver`` keeps it running in a daemon thread).
    ``before_close`` is awaited first, on that loop.
    """
    loop = asyncio.get_running_loop()
    lock = _start_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _active_context() is not None:
            return
        with _init_lock:  # an event loop in another thread may be starting it too
            if _active_context() is not None:
                return
            try:
                await init_orm(config, generate_schemas=generate_schemas)
            except Exception:
                await _close_after_failure()  # else aiosqlite's thread blocks the exit
                raise
        # An empty context: the closer sees the shared connections, not a request's.
        # The exit hook also keeps the task alive (a loop holds its tasks weakly).
        closer = loop.create_task(
            _close_when_cancelled(before_close), context=contextvars.Context()
        )
        register_exit_hook(functools.partial(_close_at_exit, closer))


async def _close_after_failure() -> None:
    try:
        await close_orm()
    except Exception:  # pragma: no cover - already failing; report the first error
        logger.exception("Tortoise ORM failed to close after a failed start-up")


async def _wait_until_cancelled() -> None:
    """Wait until cancelled, as a loop runner (``asyncio.run``) cancels the tasks left
    once its coroutine is done; then up to ``_EXIT_GRACE`` seconds for the other tasks
    cancelled with this one (requests, queries) to end."""
    try:
        await asyncio.get_running_loop().create_future()
    finally:
        others = {task for task in asyncio.all_tasks() if task.cancelling()}
        others.discard(asyncio.current_task())
        if others:
            await asyncio.wait(others, timeout=_EXIT_GRACE)


async def _close_when_cancelled(before_close: Callable[[], Awaitable[None]] | None) -> None:
    """Wait until cancelled, then close Tortoise on this task's loop."""
    try:
        await _wait_until_cancelled()
    finally:
        try:
            if before_close is not None:
                await before_close()
            await close_orm()
        except Exception:
            logger.exception("Tortoise ORM failed to close its connections")


def _close_at_exit(closer: asyncio.Task[None]) -> None:
    """Run ``closer`` (the task :func:`start_orm` left) to its end on its own loop.

    Called at interpreter exit, before the non-daemon threads are joined.  The loop
    may be stopped (daphne), or still running in a daemon thread (``runserver``'s
    autoreloader serves from one); a closed loop cancelled ``closer`` already.
    """
    loop = closer.get_loop()
    if closer.done() or loop.is_closed():
        return
    try:
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(_cancel_and_wait(closer), loop).result()
        else:
            loop.run_until_complete(_cancel_and_wait(closer))
    except Exception:
        logger.exception("Tortoise ORM failed to close its connections at exit")


async def _cancel_and_wait(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.wait([task])


class _LoopScopedConnections(ConnectionHandler):
    """Tortoise's ConnectionHandler whose clients are closed when the event loop that
    opened them finishes (``asyncio.run``, ``async_to_sync``).

    A command may run several event loops, one after another, and a connection must be
    closed on the loop that opened it; each loop's first use of a connection leaves a
    task behind that those runners cancel when their coroutine is done.
    """

    def __init__(self) -> None:
        super().__init__()
        self._loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
        # The loop only keeps weak references to its tasks; a waiting one is collectable.
        self._closers: set[asyncio.Task[None]] = set()

    def get(self, conn_alias: str) -> BaseDBAsyncClient:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not None and loop not in self._loops:
            self._loops.add(loop)
            # An empty context: the task sees the shared clients, not a transaction's.
            closer = loop.create_task(self._close_at_loop_end(), context=contextvars.Context())
            self._closers.add(closer)
            closer.add_done_callback(self._closers.discard)
        return super().get(conn_alias)

    async def _close_at_loop_end(self) -> None:
        try:
            await _wait_until_cancelled()
        finally:
            try:
                await self.close_all(discard=True)
            except Exception:
                logger.exception("Closing Tortoise's connections failed")


class _CommandContext(TortoiseContext):
    """A TortoiseContext whose connections close with their event loop."""

    @property
    def connections(self) -> ConnectionHandler:
        # Mirrors tortoise.context.TortoiseContext.connections; differs in the class.
        if self._connections is None:
            self._connections = _LoopScopedConnections()
        return self._connections


async def _init_context(ctx: TortoiseContext, config: TortoiseConfig) -> None:
    with ctx:  # current while its models are set up; the global fallback afterwards
        await ctx.init(config=config, _enable_global_fallback=True)  # connects lazily


@contextmanager
def command_orm() -> Iterator[None]:
    """Tortoise for the duration of a management command, unless it is started already.

    Models and configuration are set up at once (no database I/O, so introspection such
    as schema generation works); a connection opens on the first query of each event
    loop the command runs and closes when that loop finishes; what is still open at the
    end is closed and the configuration forgotten.  Code already running on an event
    loop (``call_command`` from a coroutine) manages Tortoise itself.
    """
    config = getattr(settings, async_settings.TORTOISE_SETTING, None)
    if not isinstance(config, dict) or in_event_loop() or _active_context() is not None:
        yield  # no (valid) configuration: the system checks say so
        return
    ctx = _CommandContext()
    async_to_sync(_init_context)(ctx, config)
    try:
        yield
    finally:
        async_to_sync(ctx.close_connections)()  # also clears the global fallback


def isolate_connections() -> None:
    """Give the current task its own (empty) connection storage.

    Tortoise keeps clients in a contextvar whose default dict is shared by every
    context.  Under WSGI, concurrent requests run on different event loops, so each
    must open, use and close its own clients instead of the shared ones.
    """
    ctx = _active_context()
    if ctx is None:
        return
    # Private API of Tortoise 1.x: setting the contextvar per task is safe (the
    # request's task context is thrown away), unlike `with ctx:` on a shared object.
    if get_current_context() is not ctx:
        compat.set_current_context(ctx)
    compat.clear_connections(ctx.connections)


async def release_connections() -> None:
    """Close the connections opened on this event loop but keep the configuration.

    Used at the end of a request served through Django's WSGI handler, which gives
    every request a new event loop: a connection must be closed on the loop that
    opened it, and the next request reconnects lazily on its own loop.
    """
    ctx = get_current_context()
    if ctx is not None and ctx.inited and compat.has_connections(ctx):
        await ctx.connections.close_all(discard=True)


def _usable(ctx: TortoiseContext | None) -> bool:
    return ctx is not None and ctx.inited and compat.has_connections(ctx)


def _active_context() -> TortoiseContext | None:
    """The context queries should use: this task's, else the process-wide fallback.

    A task may still carry a context that was closed since (asgiref copies context
    variables back to a sync caller), so a closed one does not count.
    """
    ctx = get_current_context()
    if _usable(ctx):
        return ctx
    fallback = compat.global_context()
    return fallback if _usable(fallback) else None


_QUERYSETS = (QuerySet, DjangoQuerySet)


def is_model_class(obj: object) -> TypeIs[type[Model]]:
    return isinstance(obj, type) and issubclass(obj, Model)


def is_queryset(obj: object) -> TypeIs[AnyQuerySet]:
    return isinstance(obj, QuerySet)


def as_query(queryset_or_model: ViewQuerySet) -> QuerySetLike:
    """A fresh query per use (TRAPS 17): ``Model.all()`` for a Tortoise model class,
    ``qs.all()`` for a QuerySet (Tortoise's or Django's); a list (which DRF's
    paginators also take) as it is."""
    if is_model_class(queryset_or_model) or isinstance(queryset_or_model, _QUERYSETS):
        return queryset_or_model.all()
    return queryset_or_model


@overload
def as_model_query(queryset_or_model: type[_M] | QuerySet[_M]) -> QuerySet[_M]: ...
@overload
def as_model_query(queryset_or_model: ViewQuerySet) -> QuerySetLike: ...
@overload
def as_model_query(queryset_or_model: ViewQuerySet | None) -> QuerySetLike | None: ...
def as_model_query(queryset_or_model: ViewQuerySet | None) -> QuerySetLike | None:
    """``Model.all()`` for a Tortoise model class; a query (already per use) as it is."""
    return queryset_or_model.all() if is_model_class(queryset_or_model) else queryset_or_model


def get_model(queryset_or_model: object) -> type[Model]:
    """The Tortoise model behind a model class or a queryset."""
    if is_model_class(queryset_or_model):
        return queryset_or_model
    model: type[Model] | None = getattr(queryset_or_model, "model", None)
    if model is None:
        raise TypeError(
            f"Expected a Tortoise model class or QuerySet, got {type(queryset_or_model).__name__}."
        )
    return model


def view_model(view: object) -> type[Model] | None:
    """The Tortoise model a view serves (its ``queryset``, else its serializer's Meta), or None."""
    queryset = getattr(view, "queryset", None)
    if queryset is not None:
        try:
            model = get_model(queryset)
        except TypeError:
            pass
        else:
            return model if is_model_class(model) else None  # a Django queryset: None
    serializer_class = getattr(view, "serializer_class", None)
    meta_model: object = getattr(getattr(serializer_class, "Meta", None), "model", None)
    return meta_model if is_model_class(meta_model) else None
