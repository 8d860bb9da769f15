"""OpenAPI 3 schemas for async_drf views: DRF's own generator, taught about Tortoise.

DRF's ``AutoSchema`` reads Django's ``Model._meta`` (path parameter types, related
pk types, operation ids) inside ``try``/``except`` and falls back to strings; the
subclass here reads the Tortoise model instead.  DRF's ``SchemaGenerator`` checks
view permissions synchronously; the subclass here awaits async checks (or leaves
the endpoint out when it cannot), so a permission is never silently skipped.

Views of async_drf use :class:`AutoSchema` by default (``AsyncAPIView.schema``),
unless ``DEFAULT_SCHEMA_CLASS`` names another class than DRF's ``AutoSchema``.
Serve the document with :func:`get_schema_view`::

    path("api/schema/", get_schema_view(title="My API"), name="openapi-schema")

It needs ``uritemplate``, ``inflection`` and ``PyYAML`` (the ``openapi`` extra).
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import inflection
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.encoding import force_str
from rest_framework import authentication, exceptions, permissions
from rest_framework import serializers as drf_serializers
from rest_framework.schemas import openapi
from rest_framework.schemas.inspectors import DefaultSchema, ViewInspector
from rest_framework.schemas.views import SchemaView
from rest_framework.settings import api_settings
from tortoise import fields as tf
from tortoise.fields.relational import RelationalField

from .concurrency import call_sync
from .orm import get_model, view_model

__all__ = ["AsyncDefaultSchema", "AutoSchema", "SchemaGenerator", "get_schema_view"]


def tortoise_field_schema(field: Any) -> dict[str, Any]:
    """The OpenAPI schema of one Tortoise data field's values (path parameters, related pks)."""
    if isinstance(field, tf.BigIntField):
        return {"type": "integer", "format": "int64"}
    if isinstance(field, tf.IntField):  # IntField, SmallIntField
        return {"type": "integer"}
    if isinstance(field, tf.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, tf.CharField):
        return {"type": "string", "maxLength": field.max_length}
    return {"type": "string"}


def _pk_field(model: Any) -> Any:
    return model._meta.fields_map[model._meta.pk_attr]


def _pk_description(model: Any, field: Any) -> str:
    # DRF's get_pk_description, for Tortoise field types.
    if isinstance(field, tf.IntField):
        value_type = "unique integer value"
    elif isinstance(field, tf.UUIDField):
        value_type = "UUID string"
    else:
        value_type = "unique value"
    return f"A {value_type} identifying this {model.__name__.lower()}."


class AutoSchema(openapi.AutoSchema):
    """DRF's OpenAPI ``AutoSchema`` for views over Tortoise models.

    Path parameters and related-field pks get the Tortoise field's type, operation ids
    name the Tortoise model, operations list their authentication schemes, and an
    ``async def`` serializer hook is awaited when possible (else the serializer is
    left out, with a warning, as DRF does when ``get_serializer()`` fails).
    """

    def get_operation(self, path: str, method: str) -> dict[str, Any]:
        operation = super().get_operation(path, method)
        security = self.get_security_requirements(path, method)
        if security:
            operation["security"] = security
        return operation

    def get_operation_id_base(self, path: str, method: str, action: str) -> str:
        model = view_model(self.view)
        if self.operation_id_base is None and model is not None:
            # DRF reads `queryset.model`, which a Tortoise model class does not have.
            name = model.__name__
            return inflection.pluralize(name) if action == "list" else name
        return super().get_operation_id_base(path, method, action)

    def get_path_parameters(self, path: str, method: str) -> list[dict[str, Any]]:
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
                parameter["description"] = _pk_description(model, field)
        return parameters

    def _path_field(self, model: Any, variable: str) -> Any:
        """The model field a URL variable looks up (``lookup_url_kwarg`` -> ``lookup_field``)."""
        lookup_url_kwarg = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", None
        )
        name = self.view.lookup_field if variable == lookup_url_kwarg else variable
        if name == "pk":
            return _pk_field(model)
        field = model._meta.fields_map.get(name)
        return None if isinstance(field, RelationalField) else field

    def map_field(self, field: Any) -> dict[str, Any]:
        if isinstance(field, drf_serializers.PrimaryKeyRelatedField) and not field.pk_field:
            queryset = getattr(field, "queryset", None)
            try:
                model = get_model(queryset) if queryset is not None else None
            except TypeError:
                model = None
            if model is not None:
                return tortoise_field_schema(_pk_field(model))
        return super().map_field(field)

    def get_serializer(self, path: str, method: str) -> Any:
        view = self.view
        if not hasattr(view, "get_serializer"):
            return None
        try:
            return self._call_get_serializer(view)
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
    def _call_get_serializer(view: Any) -> Any:
        """``view.get_serializer()``, each serializer hook sync or async."""
        from rest_framework.generics import GenericAPIView

        if getattr(type(view), "get_serializer", None) is not GenericAPIView.get_serializer:
            return call_sync(view.get_serializer)  # the user's own (maybe async)
        # Mirrors GenericAPIView.get_serializer; its hooks may be `async def`.
        serializer_class = call_sync(view.get_serializer_class)
        return serializer_class(context=call_sync(view.get_serializer_context))

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
        if not _requires_authentication(getattr(self.view, "permission_classes", ())):
            requirements.append({})
        return requirements


def _requires_authentication(permission_classes: Any) -> bool:
    required = (permissions.IsAuthenticated, permissions.IsAdminUser)
    return any(isinstance(p, type) and issubclass(p, required) for p in permission_classes)


def security_scheme_name(auth_class: Any) -> str | None:
    """The securitySchemes key for a DRF/async_drf authentication class, or None."""
    if not isinstance(auth_class, type):
        return None
    if issubclass(auth_class, authentication.TokenAuthentication):
        return "tokenAuth"
    if issubclass(auth_class, authentication.BasicAuthentication):
        return "basicAuth"
    if issubclass(auth_class, authentication.SessionAuthentication):
        return "cookieAuth"
    return None


def security_schemes() -> dict[str, dict[str, Any]]:
    """OpenAPI securitySchemes for the schemes :func:`security_scheme_name` knows."""
    return {
        "tokenAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        },
        "basicAuth": {"type": "http", "scheme": "basic"},
        "cookieAuth": {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
    }


class SchemaGenerator(openapi.SchemaGenerator):
    """DRF's OpenAPI ``SchemaGenerator`` that awaits async permission checks.

    DRF calls ``view.check_permissions()`` synchronously when the schema is not
    public: on an async view that returns a coroutine (truthy, never awaited), which
    would list every endpoint.  Here it is awaited through ``async_to_sync`` (the
    schema view is sync, so it runs off the event loop); where that is impossible
    the endpoint is left out.
    """

    def has_view_permissions(self, path: str, method: str, view: Any) -> bool:
        if view.request is None:
            return True
        try:
            call_sync(view.check_permissions, view.request)
        except (exceptions.APIException, Http404, PermissionDenied):
            return False
        except RuntimeError:
            warnings.warn(
                f"{view.__class__.__name__}: its async permissions cannot be checked on "
                f"an event loop thread; {method} {path} is left out of the schema.",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        return True

    def coerce_path(self, path: str, method: str, view: Any) -> str:
        # DRF names `{pk}` after Django's `_meta.pk.name`; a Tortoise model has pk_attr.
        model = view_model(view)
        if not self.coerce_path_pk or "{pk}" not in path or model is None:
            return super().coerce_path(path, method, view)
        return path.replace("{pk}", "{" + model._meta.pk_attr + "}")

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any] | None:
        schema = super().get_schema(request, public)
        if schema:
            used = _used_security_schemes(schema)
            if used:
                known = security_schemes()
                components = schema.setdefault("components", {})
                components["securitySchemes"] = {name: known[name] for name in sorted(used)}
        return schema


def _used_security_schemes(schema: dict[str, Any]) -> set[str]:
    return {
        name
        for operations in schema.get("paths", {}).values()
        for operation in operations.values()
        for requirement in operation.get("security", ())
        for name in requirement
    }


class AsyncDefaultSchema(DefaultSchema):
    """``AsyncAPIView.schema``: ``DEFAULT_SCHEMA_CLASS``, with DRF's AutoSchema
    replaced by :class:`AutoSchema` (the Tortoise-aware one)."""

    def __get__(self, instance: Any, owner: Any) -> Any:
        result = ViewInspector.__get__(self, instance, owner)
        if not isinstance(result, DefaultSchema):
            return result  # a schema set on the instance
        inspector_class = api_settings.DEFAULT_SCHEMA_CLASS
        if inspector_class is openapi.AutoSchema:
            inspector_class = AutoSchema
        assert issubclass(inspector_class, ViewInspector), (
            "DEFAULT_SCHEMA_CLASS must be set to a ViewInspector (usually an AutoSchema) subclass"
        )
        inspector = inspector_class()
        inspector.view = instance
        return inspector


@functools.cache
def schema_view_class() -> type:
    """:class:`AsyncSchemaView`, built on first use (``views`` imports this module)."""
    from .views import AsyncAPIView

    class AsyncSchemaView(AsyncAPIView, SchemaView):
        """DRF's SchemaView on the async request cycle, so async policies are awaited.

        Its ``get`` stays sync: Django runs it in a worker thread, where the generator
        can await async permission checks and serializer hooks.
        """

        async def handle_exception(self, exc: Exception) -> Any:
            # As SchemaView: schema renderers cannot render errors, negotiate again.
            self.renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES
            neg = self.perform_content_negotiation(self.request, force=True)
            self.request.accepted_renderer, self.request.accepted_media_type = neg
            return await super().handle_exception(exc)

    return AsyncSchemaView


def get_schema_view(
    title: str | None = None,
    url: str | None = None,
    description: str | None = None,
    urlconf: Any = None,
    renderer_classes: Any = None,
    public: bool = False,
    patterns: Any = None,
    generator_class: type = SchemaGenerator,
    authentication_classes: Any = None,
    permission_classes: Any = None,
    version: str | None = None,
) -> Any:
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
    return schema_view_class().as_view(
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
