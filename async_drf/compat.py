"""Version shims for Django 5.2/6.x, DRF 3.15+ and Tortoise ORM 1.x; nothing else."""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tortoise import exceptions as tortoise_exceptions

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
async def send_pre_save(instance: Any, using_db: Any, update_fields: Any) -> None:
    await instance._pre_save(using_db, update_fields)


async def send_post_save(instance: Any, using_db: Any, update_fields: Any) -> None:
    await instance._post_save(using_db, False, update_fields)


async def send_pre_delete(instance: Any, using_db: Any) -> None:
    await instance._pre_delete(using_db)


async def send_post_delete(instance: Any, using_db: Any) -> None:
    await instance._post_delete(using_db)


def write_db(instance: Any, using_db: Any = None) -> Any:
    """The connection Model.save would write ``instance`` with."""
    return using_db or instance._choose_db(True)


def get_encoding(parser_context: dict[str, Any]) -> str:
    """The charset of a request body: DRF's ``get_encoding`` (newer DRF refuses
    bytes-to-bytes codecs such as ``bz2_codec``), else what older DRF read."""
    from django.conf import settings
    from rest_framework import parsers  # reads DRF's settings: not at import time

    if hasattr(parsers, "get_encoding"):
        return str(parsers.get_encoding(parser_context))
    return str(parser_context.get("encoding", settings.DEFAULT_CHARSET))


def queryset_ordering(queryset: Any) -> list[str]:
    """A Tortoise QuerySet's own ``order_by()``, as strings (``["-created", "id"]``)."""
    return _ordering_strings(queryset._orderings)


def model_ordering(model: Any) -> list[str]:
    """A Tortoise model's ``Meta.ordering``, as ``order_by()`` strings."""
    return _ordering_strings(model._meta.ordering)


def on_current_client(queryset: Any) -> Any:
    """``queryset`` on the current task's client for the connection it was built for.

    Tortoise binds a client when a query is built (``Model.all()``), and a client is
    tied to the event loop it connected on: a query built on one loop and run on
    another (WSGI's loop per request) must be bound again.
    """
    from tortoise.connection import get_connections

    bound = queryset._db
    if bound is None:
        return queryset
    return queryset.using_db(get_connections().get(bound.connection_name))


def _ordering_strings(pairs: Any) -> list[str]:
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


def session_loaded(session: Any) -> bool:
    """Whether a Django session store has read its data (``SessionBase._session_cache``,
    set by the first read; reads after it do no I/O)."""
    return hasattr(session, "_session_cache")


def session_cache(session: Any) -> Any:
    """The cache a cache-backed Django session store reads and writes (``_cache``)."""
    return session._cache


def post_parsed(request: Any) -> bool:
    """Whether Django has parsed ``request.POST`` already (``HttpRequest._post``)."""
    return hasattr(request, "_post")


def message_storage(request: Any) -> Any:
    """The messages storage MessageMiddleware put on ``request`` (``_messages``), or None."""
    return getattr(request, "_messages", None)


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
