"""drf-spectacular's ``AutoSchema`` and ``SchemaGenerator`` for async_drf views.

:class:`AutoSchema` keeps drf-spectacular's flow (``@extend_schema``, extensions,
components, examples) and takes from async_drf's own inspector
(:class:`async_drf.schemas.AutoSchema`) what that inspector knows about async_drf
views: operation ids, list views, path parameters from the Tortoise model, which filter
backends apply, the serializer (its hooks may be ``async def``), the success status,
the error responses (``_schema_responses``) and the conditional-request headers.  So
both generators describe the same operations, parameters and bodies.

It also answers DRF's generator (``manage.py generateschema``,
:func:`async_drf.schemas.get_schema_view`), through that inspector: one
``DEFAULT_SCHEMA_CLASS`` serves both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from drf_spectacular import generators
from drf_spectacular import openapi as spectacular_openapi
from drf_spectacular.plumbing import ResolvedComponent, is_basic_type, is_list_serializer
from drf_spectacular.types import OpenApiTypes
from rest_framework.settings import api_settings

from ... import schemas
from ..._openapi import AutoSchema as TortoiseAutoSchema
from ..._schema_responses import (
    ERROR,
    VALIDATION_ERROR,
    conditional_responses,
    error_components,
    error_response,
    etag_policy,
    precondition_parameters,
    success_status,
)

if TYPE_CHECKING:
    from drf_spectacular.utils import _SerializerType

    from ..._types import AnySerializer, OpenAPIObject

__all__ = ["AutoSchema", "SchemaGenerator"]


class AutoSchema(spectacular_openapi.AutoSchema):
    """drf-spectacular's ``AutoSchema`` for async_drf views over Tortoise models.

    Takes the options of :class:`async_drf.schemas.AutoSchema` (``tags``,
    ``operation_id_base``, ``component_name``, ``list_view``), as arguments or as class
    attributes of a subclass.
    """

    _tags: Sequence[str] | None = None
    operation_id_base: str | None = None
    component_name: str | None = None
    list_view: bool | None = None

    def __init__(
        self,
        tags: Sequence[str] | None = None,
        operation_id_base: str | None = None,
        component_name: str | None = None,
        list_view: bool | None = None,
    ) -> None:
        super().__init__()
        if tags is not None:
            self._tags = tags
        if operation_id_base is not None:
            self.operation_id_base = operation_id_base
        if component_name is not None:
            self.component_name = component_name
        if list_view is not None:
            self.list_view = list_view

    @property
    def inspector(self) -> TortoiseAutoSchema:
        """async_drf's DRF inspector for the same view and options."""
        return self.get_inspector()

    def get_inspector(self) -> TortoiseAutoSchema:
        """:attr:`inspector` (a method too: the checker reads a property whose value is
        a descriptor, such as an inspector, through that descriptor's ``__get__``)."""
        inspector: TortoiseAutoSchema | None = self.__dict__.get("_inspector")
        if inspector is None:
            inspector = self.__dict__["_inspector"] = schemas.AutoSchema(
                self._tags, self.operation_id_base, self.component_name, self.list_view
            )
        inspector.view = self.view
        return inspector

    # -- DRF's generator: get_operation(path, method), get_components(path, method) ----

    def get_operation(self, path: str, *args: Any, **kwargs: Any) -> OpenAPIObject | None:
        if len(args) + len(kwargs) == 1:  # DRF's SchemaGenerator
            return self.get_inspector().get_operation(path, *args, **kwargs)
        return super().get_operation(path, *args, **kwargs)

    def get_components(self, path: str, method: str) -> dict[str, OpenAPIObject]:
        return self.get_inspector().get_components(path, method)

    # -- drf-spectacular's generator --------------------------------------------------

    def get_operation_id(self) -> str:
        return self.get_inspector().get_operation_id(self.path, self.method)

    def get_tags(self) -> list[str]:
        return self.get_inspector().get_tags(self.path, self.method)

    def _is_list_view(self, serializer: _SerializerType | None = None) -> bool:
        if serializer is None:
            return self.get_inspector().is_list_view(self.path, self.method)
        if is_list_serializer(serializer):
            return True
        if is_basic_type(serializer) or isinstance(serializer, dict):
            return super()._is_list_view(serializer)  # type: ignore[arg-type]  # @extend_schema
        return self.get_inspector().is_list_view(self.path, self.method)

    def _resolve_path_parameters(self, variables: list[str]) -> list[OpenAPIObject]:
        # The Tortoise column's type and range (drf-spectacular reads Django's _meta).
        known = {
            p["name"]: p for p in self.get_inspector().get_path_parameters(self.path, self.method)
        }
        return [known[name] for name in variables if name in known]

    def get_filter_backends(self) -> list[type]:
        # As DRF's generator: filters also apply to the detail operations (get_object
        # filters the queryset), where drf-spectacular lists them on lists only.
        if not self.get_inspector().allows_filters(self.path, self.method):
            return []
        return list(getattr(self.view, "filter_backends", None) or ())

    def _get_format_parameters(self) -> list[OpenAPIObject]:
        return []  # not listed by DRF's generator either

    def _get_parameters(self) -> list[OpenAPIObject]:
        parameters = super()._get_parameters()
        etag_class = etag_policy(self.view, self.method)
        if etag_class is not None:
            present = {(p["name"], p["in"]) for p in parameters}
            for parameter in precondition_parameters(etag_class, self.method):
                if (parameter["name"], parameter["in"]) not in present:
                    parameters.append(parameter)
        return parameters

    def _get_serializer(self) -> AnySerializer | OpenApiTypes:
        # async_drf's: the serializer hooks may be `async def`; a view without
        # get_serializer has an unspecified body ({}), as in DRF's generator.
        serializer = self.get_inspector().get_serializer(self.path, self.method)
        return OpenApiTypes.ANY if serializer is None else serializer

    def _map_basic_serializer(self, serializer: AnySerializer, direction: str) -> OpenAPIObject:
        from .extensions import map_serializer

        return map_serializer(self, serializer, direction)

    def get_serializer_name(self, serializer: AnySerializer, direction: str) -> str:
        return self.get_inspector().get_component_name(serializer)

    def get_paginated_name(self, serializer_name: str) -> str:
        # One name per envelope: a cursor page and a numbered page of the same rows
        # are two components.
        name = super().get_paginated_name(serializer_name)
        paginator_class = getattr(self.view, "pagination_class", None)
        if paginator_class is None or paginator_class is api_settings.DEFAULT_PAGINATION_CLASS:
            return name
        kind = paginator_class.__name__.removeprefix("Async").removesuffix("Pagination")
        return f"{name}{kind}"

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, OpenAPIObject]:
        serializers = self.get_response_serializers()
        if direction != "response" or isinstance(serializers, dict):
            return super()._get_response_bodies(direction)  # @extend_schema(responses={...})
        status = success_status(self.view, self.method)
        if status == "204":
            responses: dict[str, OpenAPIObject] = {"204": {"description": "No response body"}}
        else:
            body: OpenAPIObject = self._get_response_for_code(  # type: ignore[no-untyped-call]
                serializers, status
            )
            responses = {status: body}
        self._add_error_responses(responses)
        return responses

    def _add_error_responses(self, responses: dict[str, OpenAPIObject]) -> None:
        """The error responses async_drf's inspector lists, their bodies as components."""
        media_types = self.map_renderers("media_type")
        statuses = self.get_inspector().get_error_statuses(self.path, self.method)
        for status in statuses:
            responses.setdefault(status, error_response(status, media_types))
        bodies = error_components()
        for name in (ERROR, VALIDATION_ERROR) if "400" in statuses else (ERROR,):
            component = ResolvedComponent(
                name=name, type=ResolvedComponent.SCHEMA, schema=bodies[name], object=name
            )
            self.registry.register_on_missing(component)
        etag_class = etag_policy(self.view, self.method)
        if etag_class is not None:
            conditional_responses(etag_class, self.method, responses)


class SchemaGenerator(schemas.GeneratorMixin, generators.SchemaGenerator):
    """drf-spectacular's ``SchemaGenerator`` that awaits async permission checks (when
    the schema is not public) and names ``{pk}`` after the Tortoise model's pk."""
