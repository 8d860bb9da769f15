"""Pieces of :mod:`async_drf.schemas`: OpenAPI types of Tortoise fields, the patterns and
lenient parameters DRF's validation implies, and the authentication schemes."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import authentication, permissions
from tortoise import fields as tf

from .orm import get_model

if TYPE_CHECKING:
    from rest_framework.fields import CharField
    from rest_framework.schemas.openapi import _DRFOpenAPISchema
    from tortoise.models import Model

    from ._types import OpenAPIObject

# OpenAPI types of Tortoise data fields, by the Python type they hold.
_FIELD_TYPES: dict[object, dict[str, str]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    decimal.Decimal: {"type": "number"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}


def tortoise_field_schema(field: object) -> OpenAPIObject:
    """The OpenAPI schema of one Tortoise data field's values (path parameters, related
    pks): its type or enum, and the column's range and length."""
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None:
        return {"enum": [member.value for member in enum_type]}
    schema: OpenAPIObject = dict(
        _FIELD_TYPES.get(getattr(field, "field_type", None), {"type": "string"})
    )
    if isinstance(field, tf.BigIntField):
        schema["format"] = "int64"
    constraints = getattr(field, "constraints", {})
    for key, name in (("ge", "minimum"), ("le", "maximum"), ("max_length", "maxLength")):
        if key in constraints:
            schema[name] = constraints[key]
    return schema


def related_model(field: object) -> type[Model] | None:
    """The Tortoise model a related field's queryset reads, or None."""
    queryset = getattr(field, "queryset", None)
    try:
        return get_model(queryset) if queryset is not None else None
    except TypeError:
        return None


def pk_field(model: type[Model]) -> tf.Field[object]:
    return model._meta.fields_map[model._meta.pk_attr]


def pk_description(model: type[Model], field: object) -> str:
    # DRF's get_pk_description, for Tortoise field types.
    if isinstance(field, tf.IntField):
        value_type = "unique integer value"
    elif isinstance(field, tf.UUIDField):
        value_type = "UUID string"
    else:
        value_type = "unique value"
    return f"A {value_type} identifying this {model.__name__.lower()}."


def char_pattern(field: CharField) -> str | None:
    """A ``pattern`` for what a DRF CharField refuses beyond its lengths: null characters
    (its default validator) and, when blank is refused, a value that is only whitespace
    (DRF trims it to "").  Lone surrogates, also refused, are not valid Unicode text, and
    a pattern cannot name them portably."""
    refused = (
        r"\x00"
        if any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators)
        else ""
    )
    allowed = f"[^{refused}]" if refused else r"[\s\S]"
    if not field.allow_blank and field.trim_whitespace:
        return f"^{allowed}*[^\\s{refused}]{allowed}*$"
    return f"^{allowed}*$" if refused else None


def lenient_parameter(paginator: object, parameter: OpenAPIObject) -> OpenAPIObject:
    """What DRF's paginators accept besides a positive integer, said in the schema rather
    than promise a 400: any limit, offset or page size (a bad one means the default),
    and an empty page or one of ``last_page_strings``."""
    name = parameter["name"]
    if name == getattr(paginator, "page_query_param", None):
        others = {"enum": ["", *getattr(paginator, "last_page_strings", ())]}
        return {**parameter, "schema": {"anyOf": [{"type": "integer", "minimum": 1}, others]}}
    minimum = {
        getattr(paginator, "limit_query_param", None): 1,
        getattr(paginator, "offset_query_param", None): 0,
        getattr(paginator, "page_size_query_param", None): 1,
    }.get(name)
    if minimum is None:
        return parameter
    return {
        **parameter,
        "description": f"{parameter.get('description', '')} {LENIENT_DESCRIPTION}".strip(),
        "schema": {"anyOf": [{"type": "integer", "minimum": minimum}, {"type": "string"}]},
    }


LENIENT_DESCRIPTION = "Any other value is ignored: the default applies."


def requires_authentication(permission_classes: Iterable[object]) -> bool:
    required = (permissions.IsAuthenticated, permissions.IsAdminUser)
    return any(isinstance(p, type) and issubclass(p, required) for p in permission_classes)


def security_scheme_name(auth_class: object) -> str | None:
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


def security_schemes() -> dict[str, OpenAPIObject]:
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


def used_security_schemes(schema: _DRFOpenAPISchema) -> set[str]:
    return {
        name
        for operations in schema.get("paths", {}).values()
        for operation in operations.values()
        for requirement in operation.get("security", ())
        for name in requirement
    }
