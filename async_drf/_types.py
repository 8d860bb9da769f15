"""Type aliases shared by the package's annotations (Starlette's ``types.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

from django.db.models import Model as DjangoModel
from django.db.models import QuerySet as DjangoQuerySet
from rest_framework.fields import Field
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from tortoise.models import Model
from tortoise.queryset import QuerySet

__all__ = [
    "AnyField",
    "AnySerializer",
    "FilterQueryset",
    "Instance",
    "OpenAPIObject",
    "PaginateQueryset",
    "QuerySetLike",
    "ViewQuerySet",
]

# What a generic view reads: a Tortoise QuerySet or a Django one (or, as with DRF's
# generic views, a plain sequence of rows).
QuerySetLike: TypeAlias = "QuerySet[Any] | DjangoQuerySet[Any] | Sequence[Any]"
# What ``queryset =`` on a view may be: those, or a Tortoise model class.
ViewQuerySet: TypeAlias = "type[Model] | QuerySetLike"
# A row a view serves.
Instance: TypeAlias = "Model | DjangoModel"
# A DRF field of any value types (DRF's own fields are not generic at run time).
AnyField: TypeAlias = "Field[Any, Any, Any, Any]"
# A serializer of either kind (DRF's or async_drf's), over any instance.
AnySerializer: TypeAlias = "BaseSerializer[Any]"


class FilterQueryset(Protocol):
    """A filter backend's ``filter_queryset`` (typed sync; ``async def`` is awaited)."""

    def __call__(self, request: Request, queryset: QuerySetLike, view: Any, /) -> QuerySetLike: ...


class PaginateQueryset(Protocol):
    """A paginator's ``paginate_queryset`` (typed sync; ``async def`` is awaited)."""

    def __call__(
        self, queryset: QuerySetLike, request: Request, view: Any = None
    ) -> list[Any] | None: ...


# -- schemas (OpenAPI) ---------------------------------------------------------------------
# An OpenAPI object as the schema code builds it (a schema, parameter, response,
# operation): JSON keys, the values built or passed on.
OpenAPIObject: TypeAlias = "dict[str, object]"
