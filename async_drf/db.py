"""Django's ORM beside Tortoise: Django querysets told apart from Tortoise's, and
Django's pooled database connections, handed back to the pool as early as possible.

A generic view's ``queryset`` may be a Django QuerySet (``User.objects.all()``): the
views, mixins, paginators and filters tell it apart with :func:`is_django_queryset`
and read it through Django's async ORM (``aget``, ``adelete``, ``async for``) or, for
DRF's own sync code that does several queries, in one thread hop.

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
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.manager import BaseManager

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = [
    "aevaluate",
    "call_released",
    "is_django_query",
    "is_django_queryset",
    "pooled",
    "release_connections",
]

T = TypeVar("T")
M = TypeVar("M", bound=Model)


def is_django_queryset(obj: object) -> TypeIs[QuerySet[Model, object]]:
    """True for a Django QuerySet (``User.objects.all()``)."""
    return isinstance(obj, QuerySet)


def is_django_query(obj: object) -> bool:
    """True for what Django's ``get_object_or_404`` takes: a QuerySet, a manager or a
    model class."""
    return isinstance(obj, (QuerySet, BaseManager)) or (
        isinstance(obj, type) and issubclass(obj, Model)
    )


async def aevaluate(queryset: QuerySet[M]) -> list[M]:
    """The rows of a Django QuerySet, fetched through Django's async iteration."""
    return [row async for row in queryset]


def pooled(alias: str) -> bool:
    """True when Django's database ``alias`` is configured with a connection pool."""
    options: object = settings.DATABASES[alias].get("OPTIONS")
    return isinstance(options, dict) and bool(options.get("pool"))


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


def call_released(func: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """Call ``func`` (sync code using Django's ORM), then :func:`release_connections`."""
    try:
        return func(*args, **kwargs)
    finally:
        release_connections()
