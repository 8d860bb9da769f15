"""Version shims for Django 5.2/6.x, DRF 3.18 and Tortoise ORM 1.x, and every read of a
private attribute of theirs (PRIVATE_ATTRIBUTES; tests/test_compat.py checks each)."""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

from tortoise import exceptions as tortoise_exceptions

if TYPE_CHECKING:
    from typing import Protocol

    from django.contrib.messages.storage.base import BaseStorage
    from django.contrib.sessions.backends.base import SessionBase
    from django.core.cache.backends.base import BaseCache
    from django.core.files.uploadedfile import UploadedFile
    from django.dispatch import Signal
    from django.http import HttpRequest, HttpResponseBase
    from django.utils.datastructures import MultiValueDict
    from pypika_tortoise.terms import Term
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.request import ForcedAuthentication, Request
    from rest_framework.serializers import BaseSerializer, Serializer
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.connection import ConnectionHandler
    from tortoise.context import TortoiseContext
    from tortoise.expressions import Expression
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

    from ._types import AnyField

M = TypeVar("M", bound="Model")
T = TypeVar("T")

try:  # Tortoise 1.x
    from tortoise.context import get_current_context
except ImportError:  # pragma: no cover - Tortoise < 1.0 is not supported
    get_current_context = None  # type: ignore[assignment]

# Present in every Tortoise 1.x release, but keep the table importable if one goes.
if TYPE_CHECKING:
    from tortoise.exceptions import DBConnectionError, ObjectDoesNotExistError
else:
    DBConnectionError = getattr(tortoise_exceptions, "DBConnectionError", ConnectionError)
    ObjectDoesNotExistError = getattr(
        tortoise_exceptions, "ObjectDoesNotExistError", tortoise_exceptions.DoesNotExist
    )


# Tortoise's Model.save and Model.delete send their signals through these private
# coroutines; a conditional write (async_drf.conditional) sends the same signals.
async def send_pre_save(
    instance: Model, using_db: BaseDBAsyncClient | None, update_fields: Iterable[str] | None
) -> None:
    await instance._pre_save(using_db, update_fields)


async def send_post_save(
    instance: Model, using_db: BaseDBAsyncClient | None, update_fields: Iterable[str] | None
) -> None:
    await instance._post_save(using_db, False, update_fields)


async def send_pre_delete(instance: Model, using_db: BaseDBAsyncClient | None) -> None:
    await instance._pre_delete(using_db)


async def send_post_delete(instance: Model, using_db: BaseDBAsyncClient | None) -> None:
    await instance._post_delete(using_db)


def write_db(instance: Model, using_db: BaseDBAsyncClient | None = None) -> BaseDBAsyncClient:
    """The connection Model.save would write ``instance`` with."""
    return using_db or instance._choose_db(True)


def get_encoding(parser_context: Mapping[str, object]) -> str:
    """The charset of a request body: DRF's ``get_encoding`` (newer DRF refuses
    bytes-to-bytes codecs such as ``bz2_codec``), else what older DRF read."""
    from django.conf import settings
    from rest_framework import parsers  # reads DRF's settings: not at import time

    if hasattr(parsers, "get_encoding"):
        return str(parsers.get_encoding(parser_context))
    return str(parser_context.get("encoding", settings.DEFAULT_CHARSET))


def queryset_ordering(queryset: QuerySet[M]) -> list[str]:
    """A Tortoise QuerySet's own ``order_by()``, as strings (``["-created", "id"]``)."""
    return _ordering_strings(queryset._orderings)


def model_ordering(model: type[Model]) -> list[str]:
    """A Tortoise model's ``Meta.ordering``, as ``order_by()`` strings."""
    return _ordering_strings(model._meta.ordering)


def on_current_client(queryset: QuerySet[M]) -> QuerySet[M]:
    """``queryset`` on the current task's client for the connection it was built for.

    Tortoise binds a client when a query is built (``Model.all()``), and a client is
    tied to the event loop it connected on: a query built on one loop and run on
    another (WSGI's loop per request) must be bound again.
    """
    from tortoise.connection import get_connections

    bound: BaseDBAsyncClient | None = queryset._db  # None until built (Tortoise's hint: not)
    if bound is None:
        return queryset
    return queryset.using_db(get_connections().get(bound.connection_name))


def _ordering_strings(pairs: Iterable[tuple[str, object]]) -> list[str]:
    from pypika_tortoise.enums import Order

    return [("-" if order == Order.desc else "") + name for name, order in pairs]


def register_exit_hook(func: Callable[[], None]) -> None:
    """Call ``func`` at interpreter exit, *before* the non-daemon threads are joined.

    ``atexit`` runs after that join, too late for a thread (aiosqlite's) that only
    ends once its connection is closed.  ``threading._register_atexit`` (CPython
    3.9+, what ``concurrent.futures`` uses) runs first.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover - every supported CPython has it
        atexit.register(func)
    else:
        register(func)


# Every private attribute of Django, DRF, Tortoise, asyncpg and the standard library
# that async_drf reads or sets: (where upstream defines it, name).  Reads on upstream
# objects go through the functions below; a subclass uses its base's state directly
# (``self._errors`` in a DRF serializer).  Each still exists: tests/test_compat.py.
PRIVATE_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    # read through this module
    ("django.http.response.HttpResponseBase", "_resource_closers"),
    ("django.http.response.HttpResponseBase", "_handler_class"),
    ("django.http.request.HttpRequest", "_files"),
    ("django.dispatch.dispatcher.Signal", "_live_receivers"),
    ("rest_framework.request.Request", "_request"),
    ("rest_framework.request.Request", "_authenticator"),
    ("rest_framework.request.Request", "_not_authenticated"),
    ("rest_framework.pagination", "_reverse_ordering"),
    ("rest_framework.serializers.Serializer", "_readable_fields"),
    ("rest_framework.serializers.Serializer", "_writable_fields"),
    ("django.db.models.query", "_prefetched_objects_cache"),
    ("tortoise.context", "_current_context"),
    ("tortoise.context", "_global_context"),
    ("tortoise.context.TortoiseContext", "_connections"),
    ("tortoise.connection.ConnectionHandler", "_clear_storage"),
    ("tortoise.models.MetaInfo", "_inited"),
    ("tortoise.fields.relational.ManyToManyFieldInstance", "_generated"),
    ("tortoise.fields.relational.ReverseRelation", "_fetched"),
    ("tortoise.queryset.QuerySet", "_annotations"),
    ("tortoise.queryset.QuerySet", "_orderings"),
    ("tortoise.queryset.AwaitableQuery", "_db"),
    ("tortoise.backends.sqlite.client.SqliteTransactionWrapper", "_parent"),
    ("tortoise.models.Model", "_choose_db"),
    ("tortoise.models.Model", "_pre_save"),
    ("tortoise.models.Model", "_post_save"),
    ("tortoise.models.Model", "_pre_delete"),
    ("tortoise.models.Model", "_post_delete"),
    ("django.contrib.sessions.backends.base.SessionBase", "_session_cache"),
    ("django.contrib.sessions.backends.cache.SessionStore", "_cache"),
    ("django.http.request.HttpRequest", "_post"),
    ("django.contrib.messages.middleware.MessageMiddleware", "_messages"),
    ("django.utils.functional.SimpleLazyObject", "_setupfunc"),
    ("django.core.checks.security.base", "_security_middleware"),
    ("django.core.checks.security.base", "_xframe_middleware"),
    ("django.core.checks.security.csrf", "_csrf_middleware"),
    ("django.core.checks.security.sessions", "_session_middleware"),
    ("threading", "_register_atexit"),
    ("asyncpg.exceptions", "_base"),
    # state of an upstream base class, used by async_drf's subclass
    ("rest_framework.serializers.BaseSerializer", "_errors"),
    ("rest_framework.serializers.BaseSerializer", "_validated_data"),
    ("rest_framework.serializers.BaseSerializer", "_data"),
    ("rest_framework.serializers.Serializer", "_declared_fields"),
    ("rest_framework.settings.APISettings", "_user_settings"),
    ("rest_framework.schemas.openapi.AutoSchema", "_to_camel_case"),
    ("rest_framework.pagination.CursorPagination", "_get_position_from_instance"),
    ("django.http.response.StreamingHttpResponse", "_resource_closers"),
    ("tortoise.backends.sqlite.client.SqliteClient", "_lock"),
    ("tortoise.backends.sqlite.client.SqliteClient", "_connection"),
    ("tortoise.backends.sqlite.client.SqliteTransactionContext", "_trxlock"),
    ("tortoise.migrations.schema_editor.sqlite.SqliteSchemaEditor", "_remake_table"),
    ("tortoise.migrations.executor.MigrationExecutor", "_schema_editor"),
    ("asyncpg.pool.Pool", "_acquire"),
    ("asyncio.locks.Lock", "_locked"),
    ("asyncio.locks.Lock", "_waiters"),
)


if TYPE_CHECKING:
    # The private state read below, as upstream sets it (their stubs leave it out).
    class _ResponseState(Protocol):
        _resource_closers: list[Callable[[], object]]
        _handler_class: type

    class _AuthenticationState(Protocol):
        _authenticator: BaseAuthentication | ForcedAuthentication | None
        user: object  # what the authenticator returned
        auth: object

        def _not_authenticated(self) -> None: ...

    class _PrefetchCache(Protocol):
        _prefetched_objects_cache: dict[str, object]

    class _CacheSessionState(Protocol):
        _cache: BaseCache


def resource_closers(response: HttpResponseBase) -> list[Callable[[], object]]:
    """What ``response.close()`` calls (Django appends ``request.close`` to it)."""
    return cast("_ResponseState", response)._resource_closers


def handler_class(response: HttpResponseBase) -> type:
    """The handler class Django's handler set on ``response``: request_finished's sender."""
    return cast("_ResponseState", response)._handler_class


def uploaded_files(request: HttpRequest) -> MultiValueDict[str, UploadedFile[bytes]] | None:
    """The request's parsed files, or None before Django parsed the body."""
    files: MultiValueDict[str, UploadedFile[bytes]] | None = getattr(request, "_files", None)
    return files


def live_receivers(
    signal: Signal, sender: object
) -> tuple[list[Callable[..., object]], list[Callable[..., Awaitable[object]]]]:
    """``(sync receivers, async receivers)`` of ``signal`` for ``sender``."""
    return signal._live_receivers(sender)


def django_request(request: Request) -> HttpRequest:
    """The Django HttpRequest a DRF Request wraps."""
    return request._request


def set_authenticated(
    request: Request,
    authenticator: BaseAuthentication | ForcedAuthentication,
    user: object,
    auth: object,
) -> None:
    """What DRF's ``Request._authenticate`` sets when ``authenticator`` succeeded."""
    state = cast("_AuthenticationState", request)
    state._authenticator, state.user, state.auth = authenticator, user, auth


def set_not_authenticated(request: Request) -> None:
    """What DRF's ``Request._authenticate`` sets when no authenticator succeeded."""
    cast("_AuthenticationState", request)._not_authenticated()


def reverse_ordering(ordering: Sequence[str]) -> tuple[str, ...]:
    """DRF's cursor pagination ordering, reversed."""
    from rest_framework import pagination

    return pagination._reverse_ordering(ordering)


def readable_fields(serializer: BaseSerializer[T]) -> Iterable[AnyField]:
    return cast("Serializer[T]", serializer)._readable_fields


def writable_fields(serializer: BaseSerializer[T]) -> Iterable[AnyField]:
    return cast("Serializer[T]", serializer)._writable_fields


def forget_prefetched(instance: object) -> None:
    """Drop a Django instance's prefetch_related cache, as DRF's update does."""
    if getattr(instance, "_prefetched_objects_cache", None):
        cast("_PrefetchCache", instance)._prefetched_objects_cache = {}


def set_current_context(ctx: TortoiseContext | None) -> None:
    from tortoise import context

    context._current_context.set(ctx)


def global_context() -> TortoiseContext | None:
    from tortoise import context

    return context._global_context


def has_connections(ctx: TortoiseContext) -> bool:
    """Whether a Tortoise context has opened its connection handler."""
    return ctx._connections is not None


def clear_connections(connections: ConnectionHandler) -> None:
    """Forget a Tortoise connection handler's clients without closing them."""
    connections._clear_storage()


def meta_inited(meta: object) -> bool | None:
    """Whether Tortoise initialised a model's ``_meta``; None for a non-Tortoise meta."""
    inited: bool | None = getattr(meta, "_inited", None)
    return inited


def generated_relation(field: object) -> bool:
    """Whether Tortoise generated this m2m field from the other side's related_name."""
    return bool(getattr(field, "_generated", False))


def relation_fetched(relation: object) -> bool:
    """Whether a Tortoise reverse or m2m relation holds fetched rows."""
    return bool(getattr(relation, "_fetched", False))


def queryset_annotations(queryset: object) -> dict[str, Expression | Term]:
    annotations: dict[str, Expression | Term] = getattr(queryset, "_annotations", None) or {}
    return annotations


def outer_client(client: BaseDBAsyncClient) -> BaseDBAsyncClient:
    """The connection a transaction client runs inside, or the client itself."""
    outer: BaseDBAsyncClient = getattr(client, "_parent", client)
    return outer


_NO_CLASSES: tuple[type[BaseException], ...] = ()


def asyncpg_client_errors() -> tuple[tuple[type[BaseException], ...], ...]:
    """asyncpg's client-side errors: (argument data errors, connection-state errors,
    misuse and configuration errors); empty tuples until asyncpg is imported.

    The first is ``asyncpg.exceptions._base.DataError`` ("invalid input for query
    argument"), which subclasses ``InterfaceError``; ``asyncpg.exceptions.DataError``
    is the server's SQLSTATE class 22.
    """
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return _NO_CLASSES, _NO_CLASSES, _NO_CLASSES
    errors = asyncpg.exceptions
    base = getattr(errors, "_base", errors)
    data = tuple(c for c in (getattr(base, "DataError", None),) if c is not None)
    misuse = tuple(
        getattr(errors, name)
        for name in (
            "ClientConfigurationError",
            "UnsupportedClientFeatureError",
            "UnsupportedServerFeatureError",
        )
        if hasattr(errors, name)
    )
    return data, (errors.InterfaceError, errors.InternalClientError), misuse


__all__ = [
    "DBConnectionError",
    "ObjectDoesNotExistError",
    "asyncpg_client_errors",
    "get_current_context",
    "get_encoding",
    "model_ordering",
    "on_current_client",
    "queryset_ordering",
    "register_exit_hook",
    "send_post_delete",
    "send_post_save",
    "send_pre_delete",
    "send_pre_save",
    "write_db",
]


def session_loaded(session: SessionBase) -> bool:
    """Whether a Django session store has read its data (``SessionBase._session_cache``,
    set by the first read; reads after it do no I/O)."""
    return hasattr(session, "_session_cache")


def session_cache(session: SessionBase) -> BaseCache:
    """The cache a cache-backed Django session store reads and writes (``_cache``)."""
    return cast("_CacheSessionState", session)._cache


def post_parsed(request: HttpRequest) -> bool:
    """Whether Django has parsed ``request.POST`` already (``HttpRequest._post``)."""
    return hasattr(request, "_post")


def message_storage(request: HttpRequest) -> BaseStorage | None:
    """The messages storage MessageMiddleware put on ``request`` (``_messages``), or None."""
    storage: BaseStorage | None = getattr(request, "_messages", None)
    return storage


def lazy_setup(lazy: object) -> object:
    """The function a ``SimpleLazyObject`` calls to build its object (``_setupfunc``)."""
    return vars(lazy).get("_setupfunc")


# Django's deploy checks look for its middleware by exact dotted path in MIDDLEWARE, in
# these private functions; async_drf.middleware's twins count as those classes (Django's
# admin checks accept subclasses; these do not).
SECURITY_CHECK_MIDDLEWARE = {
    ("django.core.checks.security.base", "_security_middleware"): "SecurityMiddleware",
    ("django.core.checks.security.base", "_xframe_middleware"): "XFrameOptionsMiddleware",
    ("django.core.checks.security.csrf", "_csrf_middleware"): "CsrfViewMiddleware",
    ("django.core.checks.security.sessions", "_session_middleware"): "SessionMiddleware",
}


def _middleware_installed(original: Callable[[], bool], twin: str) -> Callable[[], bool]:
    def installed() -> bool:
        from django.conf import settings

        return original() or f"async_drf.middleware.{twin}" in settings.MIDDLEWARE

    installed.__wrapped__ = original  # type: ignore[attr-defined]
    return installed


def security_checks_see_twins() -> None:
    """Make Django's deploy checks (HSTS, X-Frame-Options, CSRF and session cookie
    flags) count a twin in MIDDLEWARE as Django's middleware.  Idempotent; a function
    Django no longer has is left alone (its check stands as Django wrote it)."""
    import importlib

    for (module_name, name), twin in SECURITY_CHECK_MIDDLEWARE.items():
        module = importlib.import_module(module_name)
        original = getattr(module, name, None)
        if callable(original) and not hasattr(original, "__wrapped__"):
            setattr(module, name, _middleware_installed(original, twin))
