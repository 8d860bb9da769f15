"""Type aliases shared by the package's annotations (Starlette's ``types.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Never, Protocol, TypeAlias

from django.db.models import Model as DjangoModel
from django.db.models import QuerySet as DjangoQuerySet
from rest_framework.fields import Field
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from tortoise.models import Model
from tortoise.queryset import QuerySet

if TYPE_CHECKING:
    from django.http import HttpResponseBase
    from rest_framework.views import APIView

__all__ = [
    "AnyField",
    "AnyQuerySet",
    "AnySerializer",
    "FilterBackend",
    "FilterQueryset",
    "Instance",
    "OpenAPIObject",
    "PaginateQueryset",
    "QuerySetLike",
    "ViewHandler",
    "ViewQuerySet",
]

# A Tortoise QuerySet of any model: Tortoise's QuerySet is invariant in its model, so
# no other parameter admits the QuerySet[Post] of a user's get_queryset().
AnyQuerySet: TypeAlias = "QuerySet[Any]"
# What a generic view reads: a Tortoise QuerySet or a Django one (or, as with DRF's
# generic views, a plain sequence of rows).
QuerySetLike: TypeAlias = "AnyQuerySet | DjangoQuerySet[DjangoModel, object] | Sequence[object]"
# What ``queryset =`` on a view may be: those, or a Tortoise model class.
ViewQuerySet: TypeAlias = "type[Model] | QuerySetLike"
# A row a view serves.
Instance: TypeAlias = "Model | DjangoModel"
# A DRF field of any value types (DRF's own fields are not generic at run time; the
# stubs' Field is invariant in all four parameters).
AnyField: TypeAlias = "Field[Any, Any, Any, Any]"
# A serializer of either kind (DRF's or async_drf's), over any instance (invariant too).
AnySerializer: TypeAlias = "BaseSerializer[Any]"


class FilterQueryset(Protocol):
    """A filter backend's ``filter_queryset`` (typed sync; ``async def`` is awaited)."""

    def __call__(
        self, request: Request, queryset: QuerySetLike, view: APIView, /
    ) -> QuerySetLike: ...


class PaginateQueryset(Protocol):
    """A paginator's ``paginate_queryset`` (typed sync; ``async def`` is awaited)."""

    def __call__(
        self, queryset: QuerySetLike, request: Request, view: APIView | None = None
    ) -> list[object] | None: ...


# -- views: handlers and filter backends ------------------------------------------------

# A view's handler (``get``, ``list``...) or a function view: ``def`` or ``async def``.
ViewHandler: TypeAlias = "Callable[..., HttpResponseBase | Awaitable[HttpResponseBase]]"


class FilterBackend(Protocol):
    """A filter backend (DRF's, django-filter's or async_drf's) as ``filter_backends``
    holds it: only its ``filter_queryset`` is called, over either kind of queryset."""

    def filter_queryset(self, request: Request, queryset: Never, view: APIView, /) -> object: ...


# -- schemas (OpenAPI) ---------------------------------------------------------------------
# An OpenAPI object as the schema code builds it (a schema, parameter, response,
# operation): JSON keys, the values built or passed on.
OpenAPIObject: TypeAlias = "dict[str, object]"
