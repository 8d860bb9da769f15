"""Database capacity: Django's pooled connections handed back early, Tortoise's pool bounded.

Django opens one connection per thread, and under ASGI every request that touches
Django's ORM gets a thread of its own: a connection that stays open until the response
is sent.  With Django's psycopg pool (``DATABASES[alias]["OPTIONS"]["pool"]``) the
authenticators return it to the pool as soon as their lookup is done
(:func:`call_released`), so a request holds a Django connection for a few
milliseconds, not for the whole view.

Tortoise's asyncpg pool waits forever for a free connection; :func:`bounded_pools`
serves Tortoise's ``postgres://`` connections with ``async_drf.backends.asyncpg``,
whose pool waits at most ``ASYNC_DRF["TORTOISE_POOL_TIMEOUT"]`` seconds and then
fails as a lost connection does (503).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections
from tortoise.backends.base.config_generator import expand_db_url

from .settings import async_settings

__all__ = ["bounded_pools", "call_released", "pooled", "release_connections"]

T = TypeVar("T")

TORTOISE_ASYNCPG = "tortoise.backends.asyncpg"
BOUNDED_ASYNCPG = "async_drf.backends.asyncpg"


def pooled(alias: str) -> bool:
    """True when Django's database ``alias`` is configured with a connection pool."""
    return bool(settings.DATABASES[alias].get("OPTIONS", {}).get("pool"))


def release_connections() -> None:
    """Return this thread's pooled Django connections to their pool.

    A connection inside an atomic block (``transaction.atomic``, ATOMIC_REQUESTS) is
    left alone: closing it would end the transaction.  Connections without a pool are
    left alone too: reopening one costs a new server connection, and Django closes
    them when the request finishes anyway.
    """
    for connection in connections.all(initialized_only=True):
        if (
            connection.connection is not None
            and not connection.in_atomic_block
            and pooled(connection.alias)
        ):
            connection.close()


def call_released(func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call ``func`` (sync code using Django's ORM), then :func:`release_connections`."""
    try:
        return func(*args, **kwargs)
    finally:
        release_connections()


def bounded_pools(config: dict[str, Any]) -> dict[str, Any]:
    """Tortoise's config with its asyncpg connections served by the bounded pool.

    Unchanged when ``TORTOISE_POOL_TIMEOUT`` is None or no connection uses asyncpg.
    """
    if async_settings.TORTOISE_POOL_TIMEOUT is None:
        return config
    changed = {}
    for name, connection in config.get("connections", {}).items():
        info = expand_db_url(connection) if isinstance(connection, str) else connection
        if info.get("engine") == TORTOISE_ASYNCPG:
            changed[name] = {**info, "engine": BOUNDED_ASYNCPG}
    if not changed:
        return config
    return {**config, "connections": {**config["connections"], **changed}}
