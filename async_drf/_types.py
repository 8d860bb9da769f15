"""Type aliases shared by the package's annotations (Starlette's ``types.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from django.db.models import Model as DjangoModel
from django.db.models import QuerySet as DjangoQuerySet
from rest_framework.fields import Field
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from tortoise.fields.base import Field as TortoiseField
from tortoise.models import Model
from tortoise.queryset import QuerySet

if TYPE_CHECKING:
    from rest_framework.views import APIView

__all__ = [
    "AnyField",
    "AnySerializer",
    "Column",
    "DjangoFilterBackendLike",
    "DjangoModelQuerySet",
    "FilterFields",
    "FilterFunc",
    "FilterQueryset",
    "FilterResult",
    "Instance",
    "ModelField",
    "ModelOrQuerySet",
    "ModelQuerySet",
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


# -- filters, lookups and streaming ---------------------------------------------------

# A Tortoise queryset of some model (QuerySet is invariant: ``QuerySet[Post]`` is no
# ``QuerySet[Model]``): what the filters, FilterSets and streamed lists narrow.
ModelQuerySet: TypeAlias = "QuerySet[Any]"
# A model class (all its rows) or a queryset, as FilterSets and ModelChoiceFilter take them.
ModelOrQuerySet: TypeAlias = "type[Model] | ModelQuerySet"
# A column or relation of a Tortoise model, as ``Model._meta.fields_map`` holds them.
ModelField: TypeAlias = "TortoiseField[object]"
# A FilterSet's ``Meta.fields`` (and a view's ``filterset_fields``): field paths, lookups
# per path, or ``"__all__"``.
FilterFields: TypeAlias = "Sequence[str] | Mapping[str, Sequence[str]] | str"
# A ``method=`` filter (``def`` or ``async def``): ``method(queryset, field_name, value)``,
# and what it returns.
FilterResult: TypeAlias = "ModelQuerySet | Awaitable[ModelQuerySet]"
FilterFunc: TypeAlias = "Callable[..., FilterResult]"


class Column(Protocol):
    """What a filter reads of its Tortoise column (a property typed with Tortoise's
    ``Field`` would have mypy apply the field's ``__get__`` to its value)."""

    @property
    def field_type(self) -> type[object]: ...


# A Django queryset of some model (DRF's filters' stubs take only Django's).
DjangoModelQuerySet: TypeAlias = "DjangoQuerySet[DjangoModel]"


class DjangoFilterBackendLike(Protocol):
    """What FilterBackend calls of django-filter's DjangoFilterBackend, which has no type
    hints: it filters Django querysets."""

    def filter_queryset(
        self, request: Request, queryset: DjangoModelQuerySet, view: APIView
    ) -> DjangoModelQuerySet: ...

    def to_html(
        self, request: Request, queryset: DjangoModelQuerySet, view: APIView
    ) -> str | None: ...
