"""The Tortoise-aware OpenAPI inspector and generator behind :mod:`async_drf.schemas`.

:class:`AutoSchema` reads the Tortoise model where DRF's reads Django's ``_meta``;
:class:`SchemaGenerator` awaits async permission checks; :class:`AsyncDefaultSchema`
is ``AsyncAPIView.schema``.  Public names are imported from ``async_drf.schemas``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, cast

import inflection
from django.utils.encoding import force_str
from rest_framework import exceptions
from rest_framework import serializers as drf_serializers
from rest_framework.compat import uritemplate
from rest_framework.pagination import BasePagination
from rest_framework.schemas import openapi
from rest_framework.schemas.inspectors import DefaultSchema, ViewInspector
from rest_framework.schemas.utils import is_list_view
from rest_framework.settings import api_settings
from tortoise.fields.relational import RelationalField

from ._schema_fields import (
    char_pattern,
    lenient_parameter,
    pk_description,
    pk_field,
    related_model,
    requires_authentication,
    security_scheme_name,
    security_schemes,
    tortoise_field_schema,
    used_security_schemes,
)
from ._schema_generators import GeneratorMixin
from ._schema_links import OperationFacts, add_links, collecting, record
from ._schema_responses import (
    ERROR,
    VALIDATION_ERROR,
    conditional_responses,
    error_components,
    error_response,
    error_statuses,
    etag_policy,
    precondition_parameters,
    success_status,
)
from .concurrency import call_sync
from .orm import view_model

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.schemas.openapi import _DRFOpenAPISchema
    from rest_framework.views import APIView
    from tortoise.fields import Field
    from tortoise.models import Model

    from ._types import AnyField, AnySerializer, OpenAPIObject

    class _SerializerView(Protocol):
        """A view with DRF's serializer hooks (each may be ``async def``)."""

        def get_serializer(self) -> AnySerializer: ...
        def get_serializer_class(self) -> type[AnySerializer]: ...
        def get_serializer_context(self) -> dict[str, object]: ...


__all__ = [
    "AsyncDefaultSchema",
    "AutoSchema",
    "GeneratorMixin",
    "SchemaGenerator",
    "async_inspector_class",
    "field_schema",
]


def field_schema(field: AnyField) -> OpenAPIObject:
    """The OpenAPI schema of a DRF field's input, as :class:`AutoSchema` maps it (type,
    enum, range, lengths, pattern); e.g. for a query parameter a field validates."""
    inspector = AutoSchema()
    schema = inspector.map_field(field)
    inspector.map_field_validators(field, schema)
    return schema


class AutoSchema(openapi.AutoSchema):
    """DRF's OpenAPI ``AutoSchema`` for views over Tortoise models.

    Path parameters and related-field pks get the Tortoise column's type and range,
    operation ids name the Tortoise model, operations list their authentication schemes
    and every error response the view's policies can give, a create answers 201 and
    anything else DRF's ``Response()`` default, 200.  An ``async def`` serializer hook
    is awaited when possible (else the serializer is left out, with a warning, as DRF
    does when ``get_serializer()`` fails).

    ``list_view=True`` documents an ``@action`` that answers a page of rows (paginated
    when the view paginates): ``@action(detail=True, schema=AutoSchema(list_view=True))``.
    """

    def __init__(
        self,
        tags: Sequence[str] | None = None,
        operation_id_base: str | None = None,
        component_name: str | None = None,
        list_view: bool | None = None,
    ) -> None:
        super().__init__(tags, operation_id_base, component_name)
        self.list_view = list_view

    def is_list_view(self, path: str, method: str) -> bool:
        """DRF's ``is_list_view``, unless ``list_view`` says; a view without
        ``get_serializer`` (a plain APIView) is never a list, where DRF guesses from the path."""
        if self.list_view is not None:
            return self.list_view
        if not hasattr(self.view, "get_serializer"):
            return False
        return is_list_view(path, method, self.view)

    def get_operation_id(self, path: str, method: str) -> str:
        # Mirrors openapi.AutoSchema.get_operation_id; differs in calling self.is_list_view
        # for views without actions (a viewset's extra action keeps its name).
        method_name = getattr(self.view, "action", None) or method.lower()
        if method_name == "list" or (
            getattr(self.view, "action", None) is None and self.is_list_view(path, method)
        ):
            action = "list"
        elif method_name not in self.method_mapping:
            action = self._to_camel_case(method_name)  # type: ignore[attr-defined]  # DRF's own
        else:
            action = self.method_mapping[method.lower()]
        return action + self.get_operation_id_base(path, method, action)

    def get_paginator(self) -> BasePagination | None:  # type: ignore[override]
        # DRF's returns an instance (its stubs say a class).
        return cast("BasePagination | None", super().get_paginator())

    def get_pagination_parameters(self, path: str, method: str) -> list[OpenAPIObject]:
        if not self.is_list_view(path, method):
            return []
        paginator = self.get_paginator()
        if not paginator:
            return []
        parameters = paginator.get_schema_operation_parameters(self.view)
        return [lenient_parameter(paginator, parameter) for parameter in parameters]

    def get_request_body(self, path: str, method: str) -> OpenAPIObject:
        body = super().get_request_body(path, method)
        # DRF leaves the body optional; a serializer with required fields refuses none.
        serializer = self.get_request_serializer(path, method)
        if body and method != "PATCH" and isinstance(serializer, drf_serializers.Serializer):
            fields = serializer.fields.values()
            if any(field.required and not field.read_only for field in fields):
                body["required"] = True
        return body

    def get_responses(self, path: str, method: str) -> dict[str, OpenAPIObject]:
        # Mirrors openapi.AutoSchema.get_responses; differs in the success status and the
        # list rule, and adds the error responses.
        self.response_media_types = self.map_renderers(path, method)
        status = success_status(self.view, method)
        responses: dict[str, OpenAPIObject] = {status: {"description": ""}}
        if status != "204":
            schema = self.get_response_schema(path, method)
            content = {media_type: {"schema": schema} for media_type in self.response_media_types}
            responses[status]["content"] = content
        for code in self.get_error_statuses(path, method):
            responses[code] = error_response(code, self.response_media_types)
        etag_class = etag_policy(self.view, method)
        if etag_class is not None:
            conditional_responses(etag_class, method, responses)
        return responses

    def get_response_schema(self, path: str, method: str) -> OpenAPIObject:
        """The success body: the serializer's component, a list of it, or a page of it."""
        serializer = self.get_response_serializer(path, method)
        item: OpenAPIObject = {}
        if isinstance(serializer, drf_serializers.Serializer):
            item = cast("OpenAPIObject", self.get_reference(serializer))
        if not self.is_list_view(path, method):
            return item
        schema: OpenAPIObject = {"type": "array", "items": item}
        paginator = self.get_paginator()
        return paginator.get_paginated_response_schema(schema) if paginator else schema

    def get_error_statuses(self, path: str, method: str) -> list[str]:
        """The error statuses this operation can answer (see ``_schema_responses``)."""
        return error_statuses(
            self.view,
            method,
            path_has_variables=bool(uritemplate.variables(path)),
            is_list=self.is_list_view(path, method),
            has_query_filters=bool(self.get_filter_parameters(path, method)),
        )

    def get_components(self, path: str, method: str) -> dict[str, OpenAPIObject]:
        components = super().get_components(path, method)
        errors = error_components()
        components[ERROR] = errors[ERROR]
        if "400" in self.get_error_statuses(path, method):
            components[VALIDATION_ERROR] = errors[VALIDATION_ERROR]
        return components

    def map_field_validators(self, field: AnyField, schema: OpenAPIObject) -> None:
        super().map_field_validators(field, schema)
        if isinstance(field, drf_serializers.CharField) and not field.read_only:
            if "pattern" not in schema:
                pattern = char_pattern(field)
                if pattern:
                    schema["pattern"] = pattern
            if not field.allow_blank:
                schema.setdefault("minLength", 1)

    def get_operation(self, path: str, method: str) -> OpenAPIObject:
        operation = super().get_operation(path, method)
        etag_class = etag_policy(self.view, method)
        if etag_class is not None:
            operation["parameters"] += precondition_parameters(etag_class, method)
        security = self.get_security_requirements(path, method)
        if security:
            operation["security"] = security
        record(self.get_link_facts(path, method, operation))
        return operation

    def get_link_facts(self, path: str, method: str, operation: OpenAPIObject) -> OperationFacts:
        """What :class:`SchemaGenerator` needs to link this operation with the others."""
        facts = OperationFacts(operation, method)
        model = view_model(self.view)
        variables = list(uritemplate.variables(path))
        if model is not None and len(variables) == 1:
            lookup_field = self._path_field(model, variables[0])
            if lookup_field is not None:
                facts.lookup_model = model
                facts.lookup = (variables[0], lookup_field.model_field_name)
        serializer = self.get_response_serializer(path, method)
        if success_status(self.view, method) == "204" or not isinstance(
            serializer, drf_serializers.Serializer
        ):
            return facts
        facts.body_model = getattr(getattr(serializer, "Meta", None), "model", None)
        facts.rows = self._rows_pointer(path, method)
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if field.source and field.source != "*":
                facts.fields.setdefault(field.source, name)
            if isinstance(field, drf_serializers.PrimaryKeyRelatedField):
                facts.relations[name] = related_model(field)
        return facts

    def _rows_pointer(self, path: str, method: str) -> str | None:
        """Where the (first) row sits in the success body, as a JSON pointer."""
        if not self.is_list_view(path, method):
            return ""
        paginator = self.get_paginator()
        if paginator is None:
            return "/0"
        envelope = paginator.get_paginated_response_schema({})
        return "/results/0" if "results" in envelope.get("properties", {}) else None

    def get_operation_id_base(self, path: str, method: str, action: str) -> str:
        model = view_model(self.view)
        if self.operation_id_base is None and model is not None:
            # DRF reads `queryset.model`, which a Tortoise model class does not have.
            name = model.__name__
            return inflection.pluralize(name) if action == "list" else name
        return super().get_operation_id_base(path, method, action)

    def get_path_parameters(self, path: str, method: str) -> list[OpenAPIObject]:
        parameters = super().get_path_parameters(path, method)
        model = view_model(self.view)
        if model is None:
            return parameters
        for parameter in parameters:
            field = self._path_field(model, parameter["name"])
            if field is None:
                continue
            parameter["schema"] = tortoise_field_schema(field)
            if field.description:
                parameter["description"] = force_str(field.description)
            elif field.pk:
                parameter["description"] = pk_description(model, field)
        return parameters

    def _path_field(self, model: type[Model], variable: str) -> Field[object] | None:
        """The model field a URL variable looks up (``lookup_url_kwarg`` -> ``lookup_field``)."""
        lookup_url_kwarg = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", None
        )
        lookup_field: str | None = getattr(self.view, "lookup_field", None)
        name = lookup_field if variable == lookup_url_kwarg and lookup_field else variable
        if name == "pk":
            return pk_field(model)
        field = model._meta.fields_map.get(name)
        return None if isinstance(field, RelationalField) else field

    def map_field(self, field: AnyField) -> OpenAPIObject:
        if isinstance(field, drf_serializers.PrimaryKeyRelatedField) and not field.pk_field:
            model = related_model(field)
            if model is not None:
                return tortoise_field_schema(pk_field(model))
        return super().map_field(field)

    def get_serializer(self, path: str, method: str) -> AnySerializer | None:
        view = self.view
        if not hasattr(view, "get_serializer"):
            return None
        try:
            return self._call_get_serializer(cast("_SerializerView", view))
        except exceptions.APIException:
            warnings.warn(
                f"{view.__class__.__name__}.get_serializer() raised an exception during "
                f"schema generation. Serializer fields will not be generated for "
                f"{method} {path}.",
                stacklevel=2,
            )
            return None
        except RuntimeError as exc:
            warnings.warn(
                f"{view.__class__.__name__}: an async serializer hook cannot be called "
                f"while generating the schema on an event loop ({exc}). Serializer fields "
                f"will not be generated for {method} {path}; generate the schema from "
                f"sync code (a sync view, manage.py generateschema).",
                RuntimeWarning,
                stacklevel=2,
            )
            return None

    @staticmethod
    def _call_get_serializer(view: _SerializerView) -> AnySerializer:
        """``view.get_serializer()``, each serializer hook sync or async."""
        from rest_framework.generics import GenericAPIView

        serializer: AnySerializer
        if getattr(type(view), "get_serializer", None) is not GenericAPIView.get_serializer:
            serializer = call_sync(view.get_serializer)  # the user's own (maybe async)
            return serializer
        # Mirrors GenericAPIView.get_serializer; its hooks may be `async def`.
        serializer_class = call_sync(view.get_serializer_class)
        serializer = serializer_class(context=call_sync(view.get_serializer_context))
        return serializer

    def get_security_requirements(self, path: str, method: str) -> list[dict[str, list[str]]]:
        """The operation's ``security``: one entry per known authentication scheme.

        An empty requirement (``{}``) is added when the permissions let anonymous
        clients in (no IsAuthenticated / IsAdminUser), so auth is optional there.
        """
        names = []
        for auth_class in getattr(self.view, "authentication_classes", ()):
            name = security_scheme_name(auth_class)
            if name is not None and name not in names:
                names.append(name)
        if not names:
            return []
        requirements: list[dict[str, list[str]]] = [{name: []} for name in names]
        if not requires_authentication(getattr(self.view, "permission_classes", ())):
            requirements.append({})
        return requirements


class SchemaGenerator(GeneratorMixin, openapi.SchemaGenerator):
    """DRF's OpenAPI ``SchemaGenerator`` with :class:`GeneratorMixin`, links between
    operations and the security schemes the operations use."""

    def get_schema(  # type: ignore[override]  # DRF's gives None when no endpoint is visible
        self, request: Request | None = None, public: bool = False
    ) -> _DRFOpenAPISchema | None:
        with collecting() as operations:
            schema = cast("_DRFOpenAPISchema | None", super().get_schema(request, public))
        if schema:
            add_links(operations)
            used = used_security_schemes(schema)
            if used:
                known = security_schemes()
                components = schema.setdefault("components", {})
                components["securitySchemes"] = {name: known[name] for name in sorted(used)}
        return schema


def async_inspector_class(inspector_class: type) -> type:
    """The inspector async_drf views use for ``DEFAULT_SCHEMA_CLASS``: DRF's AutoSchema
    becomes :class:`AutoSchema`, drf-spectacular's its subclass in
    :mod:`async_drf.contrib.spectacular`; any other class is used as it is."""
    if inspector_class is openapi.AutoSchema:
        return AutoSchema
    name = f"{inspector_class.__module__}.{inspector_class.__qualname__}"
    if name == "drf_spectacular.openapi.AutoSchema":
        from .contrib.spectacular import AutoSchema as SpectacularAutoSchema

        return SpectacularAutoSchema
    return inspector_class


class AsyncDefaultSchema(DefaultSchema):
    """``AsyncAPIView.schema``: ``DEFAULT_SCHEMA_CLASS``, with DRF's or drf-spectacular's
    AutoSchema replaced by async_drf's Tortoise-aware subclass
    (:func:`async_inspector_class`)."""

    def __get__(self, instance: APIView | None, owner: type[APIView]) -> ViewInspector:
        result = ViewInspector.__get__(self, instance, owner)
        if not isinstance(result, DefaultSchema):
            return result  # a schema set on the instance
        # An imported class (DRF's stubs: its dotted path).
        inspector_class = async_inspector_class(
            cast("type[ViewInspector]", api_settings.DEFAULT_SCHEMA_CLASS)
        )
        assert issubclass(inspector_class, ViewInspector), (
            "DEFAULT_SCHEMA_CLASS must be set to a ViewInspector (usually an AutoSchema) subclass"
        )
        inspector = inspector_class()
        inspector.view = instance
        return inspector
