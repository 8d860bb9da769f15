"""Type aliases shared by the package's annotations (Starlette's ``types.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Never, Protocol, TypeAlias, TypeVar

from django.db.models import Model as DjangoModel
from django.db.models import QuerySet as DjangoQuerySet
from rest_framework.fields import Field
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from tortoise.fields.base import Field as TortoiseField
from tortoise.models import Model
from tortoise.queryset import QuerySet

if TYPE_CHECKING:
    from django.http import HttpResponseBase
    from rest_framework.views import APIView

__all__ = [
    "AnyField",
    "AnyModelField",
    "AnyQuerySet",
    "AnySerializer",
    "Column",
    "DjangoFilterBackendLike",
    "DjangoModelQuerySet",
    "FieldKwargs",
    "FieldSpec",
    "FilterBackend",
    "FilterFields",
    "FilterFunc",
    "FilterQueryset",
    "FilterResult",
    "HasData",
    "Instance",
    "InstanceT",
    "ModelField",
    "ModelOrQuerySet",
    "ModelRows",
    "OpenAPIObject",
    "PaginateQueryset",
    "QuerySetLike",
    "RowSource",
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


# -- filters, lookups and streaming ---------------------------------------------------

# A model class (all its rows) or a queryset, as FilterSets and ModelChoiceFilter take them.
ModelOrQuerySet: TypeAlias = "type[Model] | AnyQuerySet"
# A column or relation of a Tortoise model, as ``Model._meta.fields_map`` holds them.
ModelField: TypeAlias = "TortoiseField[object]"
# A FilterSet's ``Meta.fields`` (and a view's ``filterset_fields``): field paths, lookups
# per path, or ``"__all__"``.
FilterFields: TypeAlias = "Sequence[str] | Mapping[str, Sequence[str]] | str"
# A ``method=`` filter (``def`` or ``async def``): ``method(queryset, field_name, value)``,
# and what it returns.
FilterResult: TypeAlias = "AnyQuerySet | Awaitable[AnyQuerySet]"
FilterFunc: TypeAlias = "Callable[..., FilterResult]"


class Column(Protocol):
    """What a filter reads of its Tortoise column (a property typed with Tortoise's
    ``Field`` would have mypy apply the field's ``__get__`` to its value)."""

    @property
    def field_type(self) -> type[object]: ...


# A Django queryset of some model (DRF's filters' stubs take only Django's).
DjangoModelQuerySet: TypeAlias = "DjangoQuerySet[DjangoModel, object]"


class DjangoFilterBackendLike(Protocol):
    """What FilterBackend calls of django-filter's DjangoFilterBackend, which has no type
    hints: it filters Django querysets."""

    def filter_queryset(
        self, request: Request, queryset: DjangoModelQuerySet, view: APIView
    ) -> DjangoModelQuerySet: ...

    def to_html(
        self, request: Request, queryset: DjangoModelQuerySet, view: APIView
    ) -> str | None: ...


# -- serializers: model fields, the fields built from them, the rows validators filter --

_Data_co = TypeVar("_Data_co", covariant=True)
# A serializer's instance type, for hooks typed as DRF types them (``update(instance)``).
InstanceT = TypeVar("InstanceT")


class HasData(Protocol[_Data_co]):
    """A serializer's ``.data``, of the type its class gives it (DRF's ReturnDict...)."""

    @property
    def data(self) -> _Data_co: ...


# A Tortoise field of any value type (``Model._meta.fields_map`` holds them so).
AnyModelField: TypeAlias = "TortoiseField[Any]"
# A DRF field's constructor kwargs: each class types its own, so any value per name.
FieldKwargs: TypeAlias = "dict[str, Any]"
# What ModelSerializer's ``build_*_field`` hooks return: a field class and its kwargs.
FieldSpec: TypeAlias = "tuple[type[AnyField], FieldKwargs]"


class ModelRows(Protocol):
    """A Tortoise QuerySet as a uniqueness check narrows and runs it."""

    @property
    def model(self) -> type[Model]: ...
    def filter(self, **kwargs: object) -> ModelRows: ...
    def exclude(self, **kwargs: object) -> ModelRows: ...
    def exists(self) -> Awaitable[bool]: ...


class RowSource(Protocol):
    """What a validator's ``queryset`` may be: a Tortoise model class or a QuerySet."""

    def filter(self, **kwargs: object) -> ModelRows: ...
    def all(self) -> ModelRows: ...
