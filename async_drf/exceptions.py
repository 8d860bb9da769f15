"""Tortoise errors as DRF errors: one ordered table, then DRF's ``exception_handler``.

| Tortoise / driver error                    | DRF error                        |
|--------------------------------------------|----------------------------------|
| DoesNotExist, ObjectDoesNotExistError       | NotFound (404)                   |
| IntegrityError                             | ValidationError (400)            |
| ValidationError, ParamsError               | ValidationError (400)            |
| MultipleObjectsReturned, NoValuesFetched,  | left alone: a programming error, |
| IncompleteInstanceError                    | so a 500                         |
| connection failures, other OperationalError| ServiceUnavailable (503)         |

Nothing the database says (SQL, values, DSNs) reaches the response body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from tortoise import exceptions as orm

from .compat import DBConnectionError, ObjectDoesNotExistError
from .concurrency import mark_inline
from .orm import view_model

__all__ = ["ServiceUnavailable", "exception_handler", "translate_exception"]


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Service temporarily unavailable, try again later.")
    default_code = "service_unavailable"


UNIQUE_MESSAGE = _("This field must be unique.")
UNIQUE_SET_MESSAGE = _("The fields {field_names} must make a unique set.")
DOES_NOT_EXIST_MESSAGE = _("Invalid pk - object does not exist.")
NOT_NULL_MESSAGE = _("This field may not be null.")
INVALID_MESSAGE = _("Invalid value.")
INTEGRITY_MESSAGE = _("The data conflicts with a database constraint.")

try:  # asyncpg is an optional extra
    import asyncpg.exceptions as _pg

    _PG_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
        _pg.PostgresConnectionError,
        _pg.InterfaceError,
        _pg.CannotConnectNowError,
        _pg.TooManyConnectionsError,
    )
except ImportError:  # pragma: no cover
    _PG_CONNECTION_ERRORS = ()


def _not_found(exc: Exception) -> exceptions.APIException:
    model = getattr(exc, "model", None)
    name = getattr(model, "__name__", None) or "object"
    return exceptions.NotFound(_("No {name} matches the given query.").format(name=name))


def _field_name(column: str, model: Any) -> str:
    """The serializer field for a column: ``author_id`` -> ``author`` on an FK."""
    field = getattr(getattr(model, "_meta", None), "fields_map", {}).get(column)
    reference = getattr(field, "reference", None)
    if reference is not None:
        return reference.model_field_name
    return column


def _integrity_columns(exc: Exception) -> tuple[str, list[str]]:
    """(kind, columns) read from the driver's error, without keeping its text."""
    cause = exc.args[0] if exc.args else exc
    detail = getattr(cause, "detail", None)  # asyncpg
    sqlstate = getattr(cause, "sqlstate", None)
    if detail and sqlstate:
        match = re.match(r"Key \(([^)]*)\)=", detail)
        columns = [c.strip().strip('"') for c in match.group(1).split(",")] if match else []
        kind = {"23505": "unique", "23503": "fk", "23502": "not_null"}.get(sqlstate, "")
        if kind == "not_null" and getattr(cause, "column_name", None):
            columns = [cause.column_name]
        return kind, columns
    text = str(cause)  # sqlite: "UNIQUE constraint failed: post.author_id, post.title"
    for prefix, kind in (("UNIQUE", "unique"), ("NOT NULL", "not_null"), ("FOREIGN KEY", "fk")):
        if text.startswith(prefix):
            _, _sep, rest = text.partition(":")
            columns = [c.strip().rpartition(".")[2] for c in rest.split(",") if c.strip()]
            return kind, columns
    return "", []


def _integrity(exc: Exception, model: Any = None) -> exceptions.APIException:
    kind, columns = _integrity_columns(exc)
    fields = [_field_name(c, model) for c in columns]
    if kind == "unique" and len(fields) == 1:
        return exceptions.ValidationError({fields[0]: [UNIQUE_MESSAGE]})
    if kind == "unique" and fields:
        message = UNIQUE_SET_MESSAGE.format(field_names=", ".join(fields))
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [message]})
    if kind == "fk" and len(fields) == 1:
        return exceptions.ValidationError({fields[0]: [DOES_NOT_EXIST_MESSAGE]})
    if kind == "not_null" and len(fields) == 1:
        return exceptions.ValidationError({fields[0]: [NOT_NULL_MESSAGE]})
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INTEGRITY_MESSAGE]})


def _validation(exc: Exception, model: Any = None) -> exceptions.APIException:
    # Tortoise's text is "<field>: <reason with the whole bad value>": keep the name only.
    field, sep, reason = str(exc).partition(":")
    if sep and field.isidentifier():
        message = NOT_NULL_MESSAGE if "must not be None" in reason else INVALID_MESSAGE
        return exceptions.ValidationError({field: [message]})
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INVALID_MESSAGE]})


def _params(exc: Exception) -> exceptions.APIException:
    return exceptions.ParseError(_("Invalid query parameters."))


def _unavailable(exc: Exception) -> exceptions.APIException:
    return ServiceUnavailable()


def _keep(exc: Exception) -> None:
    return None


# Order matters: OperationalError is the base class of most Tortoise errors.
ERROR_TABLE: tuple[tuple[tuple[type[BaseException], ...], Callable[..., Any]], ...] = (
    ((orm.DoesNotExist, ObjectDoesNotExistError), _not_found),
    ((orm.IntegrityError,), _integrity),
    ((orm.MultipleObjectsReturned, orm.NoValuesFetched, orm.IncompleteInstanceError), _keep),
    ((orm.ValidationError,), _validation),
    ((orm.ParamsError,), _params),
    (
        (DBConnectionError, ConnectionError, orm.OperationalError, *_PG_CONNECTION_ERRORS),
        _unavailable,
    ),
)

_MODEL_AWARE = {_integrity, _validation}


def translate_exception(exc: Exception, context: dict[str, Any] | None = None) -> Exception:
    """Return the DRF exception for a Tortoise/driver error, or ``exc`` itself."""
    if isinstance(exc, exceptions.APIException):
        return exc
    for classes, translate in ERROR_TABLE:
        if isinstance(exc, classes):
            if translate in _MODEL_AWARE:
                new = translate(exc, view_model((context or {}).get("view")))
            else:
                new = translate(exc)
            if new is None:
                return exc
            new.__cause__ = exc
            return new
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's exception_handler, after translating Tortoise errors through ERROR_TABLE."""
    return drf_exception_handler(translate_exception(exc, context), context)


# Both handlers are pure CPU (DRF's only touches Django's connection objects to mark
# ATOMIC_REQUESTS rollbacks, which does no I/O): call them inline, without a hop.
mark_inline(exception_handler, drf_exception_handler)
