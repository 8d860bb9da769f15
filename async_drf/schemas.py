"""OpenAPI 3 schemas for async_drf views: DRF's own generator, taught about Tortoise.

DRF's ``AutoSchema`` reads Django's ``Model._meta`` (path parameter types, related
pk types, operation ids) inside ``try``/``except`` and falls back to strings; the
subclass here reads the Tortoise model instead, and documents what DRF's leaves out:
every error response an operation can give (``_schema_responses``), the constraints
DRF's validation applies (``_schema_fields``) and links between operations
(``_schema_links``).  DRF's ``SchemaGenerator`` checks view permissions synchronously;
the subclass here awaits async checks (or leaves the endpoint out when it cannot), so a
permission is never silently skipped.

Views of async_drf use :class:`AutoSchema` by default (``AsyncAPIView.schema``),
unless ``DEFAULT_SCHEMA_CLASS`` names another class than DRF's ``AutoSchema``.
Serve the document with :func:`get_schema_view`::

    path("api/schema/", get_schema_view(title="My API"), name="openapi-schema")

It needs ``uritemplate``, ``inflection`` and ``PyYAML`` (the ``openapi`` extra).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rest_framework import renderers
from rest_framework.response import Response
from rest_framework.schemas.views import SchemaView
from rest_framework.settings import api_settings

from ._openapi import (
    AsyncDefaultSchema,
    AutoSchema,
    GeneratorMixin,
    SchemaGenerator,
    async_inspector_class,
    field_schema,
)
from .views import AsyncAPIView

if TYPE_CHECKING:
    from django.urls import URLPattern, URLResolver
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.permissions import _PermissionClass
    from rest_framework.schemas.generators import BaseSchemaGenerator
    from rest_framework.views import AsView, GenericView

__all__ = [
    "AsyncDefaultSchema",
    "AsyncSchemaView",
    "AutoSchema",
    "GeneratorMixin",
    "JSONSchemaRenderer",
    "SchemaGenerator",
    "async_inspector_class",
    "field_schema",
    "get_schema_view",
]


class JSONSchemaRenderer(renderers.JSONOpenAPIRenderer):
    """DRF's JSON OpenAPI renderer as ``application/json`` (``?format=json``), for
    clients that ask for plain JSON; ``get_schema_view`` serves it by default."""

    media_type = "application/json"
    format = "json"


class AsyncSchemaView(AsyncAPIView, SchemaView):
    """DRF's SchemaView on the async request cycle, so async policies are awaited.

    Its ``get`` stays sync: Django runs it in a worker thread, where the generator
    can await async permission checks and serializer hooks.
    """

    schema = None  # left out of the schema, as DRF's (AsyncAPIView's default comes first)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if kwargs.get("renderer_classes") is None:  # SchemaView's defaults, plus plain JSON
            classes = list(self.renderer_classes or ())
            position = classes.index(renderers.JSONOpenAPIRenderer) + 1
            classes.insert(position, JSONSchemaRenderer)
            self.renderer_classes = classes

    async def handle_exception(self, exc: Exception) -> Response:  # type: ignore[override]
        # As SchemaView: schema renderers cannot render errors, negotiate again.
        self.renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES  # type: ignore[assignment]
        neg = self.perform_content_negotiation(self.request, force=True)
        self.request.accepted_renderer, self.request.accepted_media_type = neg
        return await super().handle_exception(exc)


def get_schema_view(
    title: str | None = None,
    url: str | None = None,
    description: str | None = None,
    urlconf: str | None = None,
    renderer_classes: Sequence[type[renderers.BaseRenderer]] | None = None,
    public: bool = False,
    patterns: Sequence[URLPattern | URLResolver] | None = None,
    generator_class: type[BaseSchemaGenerator] = SchemaGenerator,
    authentication_classes: Sequence[type[BaseAuthentication]] | None = None,
    permission_classes: Sequence[_PermissionClass] | None = None,
    version: str | None = None,
) -> AsView[GenericView]:
    """DRF's ``get_schema_view``, serving an async SchemaView with
    :class:`SchemaGenerator`; the policies default to the ``REST_FRAMEWORK`` ones."""
    # Mirrors rest_framework.schemas.get_schema_view; differs in the view class.
    generator = generator_class(
        title=title,
        url=url,
        description=description,
        urlconf=urlconf,
        patterns=patterns,
        version=version,
    )
    return AsyncSchemaView.as_view(
        renderer_classes=renderer_classes,
        schema_generator=generator,
        public=public,
        authentication_classes=(
            api_settings.DEFAULT_AUTHENTICATION_CLASSES
            if authentication_classes is None
            else authentication_classes
        ),
        permission_classes=(
            api_settings.DEFAULT_PERMISSION_CLASSES
            if permission_classes is None
            else permission_classes
        ),
    )
