"""Django's pooled database connections, handed back to the pool as early as possible.

Django opens one connection per thread, and under ASGI every request that touches
Django's ORM gets a thread of its own: a connection that stays open until the response
is sent.  With Django's psycopg pool (``DATABASES[alias]["OPTIONS"]["pool"]``) the
authenticators return it to the pool as soon as their lookup is done
(:func:`call_released`), so a request holds a Django connection for a few
milliseconds, not for the whole view.

Tortoise's side, a pool whose wait for a free connection is bounded, is
``async_drf.backends.asyncpg``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

__all__ = ["call_released", "pooled", "release_connections"]

T = TypeVar("T")


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
