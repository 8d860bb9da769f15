"""drf-spectacular extensions for async_drf: registered when this module is imported.

drf-spectacular reads Django's ``Model._meta`` for model serializers, related fields and
path parameters; on a Tortoise model that fails (``'MetaInfo' object has no attribute
'get_field'``).  Each extension here answers with async_drf's own schema machinery
(:mod:`async_drf.schemas`, ``_schema_fields``), so both generators agree:

- serializers (``async_drf.serializers.Serializer`` and its subclasses, nested ones
  included): mapped as async_drf's DRF inspector maps them (types from the Tortoise
  columns, ranges, lengths, enums, patterns, nullability, read/write-only);
- fields: the related fields of :mod:`async_drf.relations` (pk, slug, string,
  hyperlinked, many) and async_drf's own fields, wherever drf-spectacular maps a field;
- filters (``FilterBackend``, ``SearchFilter``, ``OrderingFilter``) and paginators
  (page number, limit/offset, cursor): the parameters async_drf documents, paginators'
  lenient values included; the page envelopes come from each paginator's
  ``get_paginated_response_schema``;
- authentication: the three async_drf schemes under drf-spectacular's names;
- views: an async_drf view whose ``schema`` (or an ``@action``'s) is DRF's inspector
  gets :class:`~async_drf.contrib.spectacular.AutoSchema` with the same options.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, cast

from asgiref.sync import markcoroutinefunction
from drf_spectacular.drainage import has_override
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiFilterExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
    OpenApiViewExtension,
)
from rest_framework.schemas import openapi

from ... import schemas
from ..._schema_fields import lenient_parameter, security_schemes
from ...concurrency import is_async_callable

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
    from rest_framework.views import APIView

    from ..._types import AnyField, AnySerializer, OpenAPIObject

    class _Action(Protocol):
        """A view method decorated with ``@action`` (which sets ``kwargs``)."""

        __name__: str
        kwargs: Mapping[str, object]

        def __call__(self, *args: object, **kwargs: object) -> object: ...

    class _Tagged(Protocol):
        """DRF's AutoSchema as it is: its stubs leave out the ``tags`` it keeps."""

        _tags: Sequence[str] | None


__all__ = ["map_serializer", "with_spectacular_schemas"]


# -- serializers -------------------------------------------------------------------------


class _Inspector(schemas.AutoSchema):
    """async_drf's inspector, handing drf-spectacular the fields it was told about
    (``@extend_schema_field``, a field extension of another library)."""

    def __init__(self, auto_schema: SpectacularAutoSchema, direction: str) -> None:
        super().__init__()
        self.auto_schema = auto_schema
        self.direction = direction

    def map_field(self, field: AnyField) -> OpenAPIObject:
        if _annotated(field) or _foreign_field_extension(field):
            mapped: OpenAPIObject = self.auto_schema._map_serializer_field(field, self.direction)
            return mapped
        return super().map_field(field)


def _annotated(field: AnyField) -> bool:
    """``@extend_schema_field`` on the field (its class) or its ``get_<name>`` method."""
    if has_override(field, "field"):
        return True
    method_name = getattr(field, "method_name", None)  # a SerializerMethodField
    method = getattr(field.parent, method_name, None) if method_name else None
    return method is not None and has_override(method, "field")


def _foreign_field_extension(field: AnyField) -> bool:
    extension = OpenApiSerializerFieldExtension.get_match(field)
    return extension is not None and not isinstance(extension, _FieldExtension)


def map_serializer(
    auto_schema: SpectacularAutoSchema, serializer: AnySerializer, direction: str
) -> OpenAPIObject:
    """A serializer's schema as async_drf's DRF inspector maps it (nested serializers
    inline, a partial one without ``required``)."""
    inspector = _Inspector(auto_schema, direction)
    if auto_schema.view is not None:
        inspector.view = auto_schema.view
    return inspector.map_serializer(serializer)


class SerializerExtension(OpenApiSerializerExtension):
    """async_drf serializers (Tortoise models): mapped by async_drf's inspector."""

    target_class = "async_drf.serializers.Serializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: SpectacularAutoSchema, direction: str) -> OpenAPIObject:
        return map_serializer(auto_schema, self.target, direction)


# -- fields -----------------------------------------------------------------------------


class _FieldExtension(OpenApiSerializerFieldExtension):
    match_subclasses = True

    def map_serializer_field(
        self, auto_schema: SpectacularAutoSchema, direction: str
    ) -> OpenAPIObject:
        # Type, enum, range, lengths and pattern, as async_drf's inspector maps them;
        # drf-spectacular adds readOnly/nullable/default around it.
        return schemas.field_schema(self.target)


class RelatedFieldExtension(_FieldExtension):
    """Pk, slug, string and hyperlinked related fields over Tortoise models."""

    target_class = "async_drf.relations.RelatedField"


class ManyRelatedFieldExtension(_FieldExtension):
    target_class = "async_drf.relations.ManyRelatedField"


class BinaryFieldExtension(_FieldExtension):
    target_class = "async_drf.fields.BinaryField"


class EnumChoiceFieldExtension(_FieldExtension):
    target_class = "async_drf.fields.EnumChoiceField"


class TimeFieldExtension(_FieldExtension):
    target_class = "async_drf.fields.TimeField"


# -- filters and paginators -------------------------------------------------------------


class _BackendExtension(OpenApiFilterExtension):
    """A filter backend's own parameters (``get_schema_operation_parameters``), which
    read the Tortoise model, as DRF's generator lists them."""

    match_subclasses = True

    def get_schema_operation_parameters(
        self, auto_schema: SpectacularAutoSchema, *args: object, **kwargs: object
    ) -> list[OpenAPIObject]:
        parameters: list[OpenAPIObject] = self.target.get_schema_operation_parameters(
            auto_schema.view
        )
        return parameters


class FilterBackendExtension(_BackendExtension):
    target_class = "async_drf.filters.FilterBackend"


class SearchFilterExtension(_BackendExtension):
    target_class = "async_drf.filters.SearchFilter"


class OrderingFilterExtension(_BackendExtension):
    target_class = "async_drf.filters.OrderingFilter"


class _PaginatorExtension(OpenApiFilterExtension):
    """A paginator's query parameters with the values it also accepts (any limit or page
    size, ``last``), as async_drf's inspector lists them."""

    match_subclasses = True

    def get_schema_operation_parameters(
        self, auto_schema: SpectacularAutoSchema, *args: object, **kwargs: object
    ) -> list[OpenAPIObject]:
        parameters = self.target.get_schema_operation_parameters(auto_schema.view)
        return [lenient_parameter(self.target, parameter) for parameter in parameters]


class PageNumberPaginationExtension(_PaginatorExtension):
    target_class = "async_drf.pagination.AsyncPageNumberPagination"


class LimitOffsetPaginationExtension(_PaginatorExtension):
    target_class = "async_drf.pagination.AsyncLimitOffsetPagination"


class CursorPaginationExtension(_PaginatorExtension):
    target_class = "async_drf.pagination.AsyncCursorPagination"


# -- authentication ---------------------------------------------------------------------


class _AuthenticationExtension(OpenApiAuthenticationExtension):
    """async_drf's schemes, under the names drf-spectacular gives DRF's."""

    match_subclasses = True

    def get_security_definition(self, auto_schema: SpectacularAutoSchema) -> OpenAPIObject:
        return security_schemes()[self.name]  # type: ignore[index]


class TokenScheme(_AuthenticationExtension):
    target_class = "async_drf.authentication.AsyncTokenAuthentication"
    name = "tokenAuth"


class BasicScheme(_AuthenticationExtension):
    target_class = "async_drf.authentication.AsyncBasicAuthentication"
    name = "basicAuth"


class SessionScheme(_AuthenticationExtension):
    target_class = "async_drf.authentication.AsyncSessionAuthentication"
    name = "cookieAuth"


# -- views ------------------------------------------------------------------------------


class ViewExtension(OpenApiViewExtension):
    """An async_drf view that carries DRF's inspector (``schema = AutoSchema(...)`` from
    :mod:`async_drf.schemas`, on the view or an ``@action``): drf-spectacular sees
    :class:`~async_drf.contrib.spectacular.AutoSchema` with the same options."""

    target_class = "async_drf.views.AsyncAPIView"
    match_subclasses = True

    def view_replacement(self) -> type:
        return with_spectacular_schemas(self.target)


def with_spectacular_schemas(view_class: type[APIView]) -> type:
    """``view_class``, or a subclass whose DRF inspectors are drf-spectacular's."""
    attributes: dict[str, object] = {}
    schema = view_class.schema
    if isinstance(schema, openapi.AutoSchema):
        attributes["schema"] = spectacular_schema_class(schema)()
    for name in _extra_action_names(view_class):
        function = getattr(view_class, name)
        action_schema = function.kwargs.get("schema")
        if isinstance(action_schema, openapi.AutoSchema):
            attributes[name] = _with_schema(function, spectacular_schema_class(action_schema))
    if not attributes:
        return view_class
    attributes.update(__module__=view_class.__module__, __doc__=view_class.__doc__)
    return type(view_class.__name__, (view_class,), attributes)


def _extra_action_names(view_class: type) -> list[str]:
    get_extra_actions = getattr(view_class, "get_extra_actions", None)
    return [action.__name__ for action in get_extra_actions()] if get_extra_actions else []


def spectacular_schema_class(inspector: openapi.AutoSchema) -> type:
    """:class:`~async_drf.contrib.spectacular.AutoSchema` with ``inspector``'s options
    as class attributes (drf-spectacular instantiates an ``@action``'s schema class)."""
    from .schema import AutoSchema

    options = {
        "_tags": cast("_Tagged", inspector)._tags,
        "operation_id_base": inspector.operation_id_base,
        "component_name": inspector.component_name,
        "list_view": getattr(inspector, "list_view", None),
    }
    return type("AutoSchema", (AutoSchema,), options)


def _with_schema(function: _Action, schema_class: type) -> Callable[..., object]:
    """A copy of an ``@action`` method whose ``kwargs["schema"]`` is ``schema_class``."""

    @functools.wraps(function)
    def action(self: object, *args: object, **kwargs: object) -> object:
        return function(self, *args, **kwargs)

    action.kwargs = {**function.kwargs, "schema": schema_class}  # type: ignore[attr-defined]
    return markcoroutinefunction(action) if is_async_callable(function) else action
