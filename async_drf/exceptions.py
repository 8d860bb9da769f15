"""Database errors as DRF errors: one ordered table, then DRF's ``exception_handler``.

| error (Tortoise's, Django's, or the driver error it wraps) | DRF error                 |
|------------------------------------------------------------|---------------------------|
| DoesNotExist, ObjectDoesNotExistError                      | NotFound (404)            |
| IntegrityError                                             | ValidationError (400)     |
| MultipleObjectsReturned, NoValuesFetched,                  | left alone: a programming |
| IncompleteInstanceError                                    | error, so a 500           |
| ValidationError, ParamsError                               | ValidationError (400)     |
| Django's RequestDataTooBig, TooManyFieldsSent/FilesSent    | ParseError (400)          |
| ``UNAVAILABLE``: the connection failed, was terminated or  | ServiceUnavailable (503,  |
| refused, the pool or server is out of connections, the     | with Retry-After)         |
| database is locked, shutting down or in recovery           |                           |
| ``DATA``: a value the client sent does not fit a column    | ValidationError (400)     |
| ``PROGRAMMING``: bad SQL, unknown table/column/function    | left alone: a 500         |

The last three rows read :func:`classify_database_error`, which looks through the
wrappers (Tortoise's ``OperationalError``, Django's ``DatabaseError``) at the
driver's own exception (asyncpg, psycopg, sqlite3).  Nothing the database says
(SQL, values, DSNs) reaches the response body.
"""

from __future__ import annotations

import enum
import errno
import math
import re
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from django import db as django_db
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings
from tortoise import exceptions as orm

from .compat import ObjectDoesNotExistError, asyncpg_client_errors
from .concurrency import mark_inline
from .handlers import bad_request_detail
from .orm import view_model
from .settings import async_settings
from .validators import unique_error_message

if TYPE_CHECKING:
    from rest_framework.exceptions import _APIExceptionInput
    from rest_framework.response import Response
    from tortoise.models import Model

__all__ = [
    "DatabaseErrorKind",
    "ServiceUnavailable",
    "classify_database_error",
    "exception_handler",
    "translate_exception",
]


class ServiceUnavailable(exceptions.APIException):
    """503 with a ``Retry-After`` header (``SERVICE_UNAVAILABLE_RETRY_AFTER`` seconds).

    DRF's ``exception_handler`` turns ``wait`` into the header, as for ``Throttled``.
    """

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("Service temporarily unavailable, try again later.")
    default_code = "service_unavailable"

    def __init__(
        self, detail: _APIExceptionInput = None, code: str | None = None, wait: float | None = None
    ) -> None:
        super().__init__(detail, code)
        if wait is None:
            wait = async_settings.SERVICE_UNAVAILABLE_RETRY_AFTER
        self.wait = math.ceil(wait) if wait else None


class DatabaseErrorKind(enum.Enum):
    """What a database error says about the request that met it."""

    UNAVAILABLE = "unavailable"  # the database cannot answer now: 503, retry later
    DATA = "data"  # a value the client sent does not fit: 400 (404 for a path id)
    PROGRAMMING = "programming"  # bad SQL or schema, a bug: 500


UNAVAILABLE = DatabaseErrorKind.UNAVAILABLE
DATA = DatabaseErrorKind.DATA
PROGRAMMING = DatabaseErrorKind.PROGRAMMING

# SQLSTATE classes (asyncpg's and psycopg's ``sqlstate``): 08 connection exception,
# 40 transaction rollback (deadlock, serialisation), 53 insufficient resources (too
# many connections), 57 operator intervention (shutdown, cannot connect now, query
# cancelled), 58 system error; 55P03 lock not available.
_SQLSTATE_KINDS = {
    "08": UNAVAILABLE,
    "40": UNAVAILABLE,
    "53": UNAVAILABLE,
    "57": UNAVAILABLE,
    "58": UNAVAILABLE,
    "55P03": UNAVAILABLE,
    "22": DATA,
    "42": PROGRAMMING,
}

# sqlite3's primary result codes (``sqlite_errorcode & 0xFF``).
_SQLITE_KINDS = {
    sqlite3.SQLITE_BUSY: UNAVAILABLE,
    sqlite3.SQLITE_LOCKED: UNAVAILABLE,
    sqlite3.SQLITE_NOMEM: UNAVAILABLE,
    sqlite3.SQLITE_READONLY: UNAVAILABLE,
    sqlite3.SQLITE_INTERRUPT: UNAVAILABLE,
    sqlite3.SQLITE_IOERR: UNAVAILABLE,
    sqlite3.SQLITE_FULL: UNAVAILABLE,
    sqlite3.SQLITE_CANTOPEN: UNAVAILABLE,
    sqlite3.SQLITE_PROTOCOL: UNAVAILABLE,
    sqlite3.SQLITE_TOOBIG: DATA,
    sqlite3.SQLITE_MISMATCH: DATA,
    sqlite3.SQLITE_RANGE: DATA,
    sqlite3.SQLITE_ERROR: PROGRAMMING,
}
# SQLITE_ERROR is also how SQLite refuses input too large to handle: the client's doing.
_SQLITE_TOO_LARGE = re.compile(
    r"pattern too complex|Expression tree is too large|too many SQL variables"
    r"|string or blob too big|parser stack overflow"
)
_SQLITE_INT_OVERFLOW = "too large to convert to SQLite INTEGER"  # OverflowError
_LOCKED = re.compile(r"database( table)? is locked")
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE}
    | {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN, errno.ETIMEDOUT}
)
_WRAPPERS = (orm.BaseORMException, django_db.Error)
# Django wraps every driver's errors in the DB-API classes of django.db.
_DJANGO_KINDS = (
    (django_db.DataError, DATA),
    (django_db.ProgrammingError, PROGRAMMING),
    (django_db.OperationalError, UNAVAILABLE),
    (django_db.InterfaceError, UNAVAILABLE),
)


def _wrapped(exc: BaseException) -> Iterator[BaseException]:
    """The errors ``exc`` wraps, nearest first: ``args[0]`` (Tortoise), ``__cause__``
    (Django, asyncpg), ``__context__``."""
    seen = {id(exc)}
    todo = [exc]
    while todo and len(seen) < 16:
        error = todo.pop(0)
        for inner in (error.args[0] if error.args else None, error.__cause__, error.__context__):
            if isinstance(inner, BaseException) and id(inner) not in seen:
                seen.add(id(inner))
                todo.append(inner)
                yield inner


def _sqlite_kind(error: sqlite3.Error) -> DatabaseErrorKind | None:
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:  # raised by Python's module itself, or by async_drf's SQLite client
        if isinstance(error, sqlite3.OperationalError) and _LOCKED.search(str(error)):
            return UNAVAILABLE
        if isinstance(error, sqlite3.DataError):
            return DATA
        return None
    kind = _SQLITE_KINDS.get(code & 0xFF)
    if kind is PROGRAMMING and _SQLITE_TOO_LARGE.search(str(error)):
        return DATA
    return kind


def _asyncpg_kind(error: BaseException) -> DatabaseErrorKind | None:
    data, connection, programming = asyncpg_client_errors()
    if isinstance(error, data):  # asyncpg refused to encode an argument
        return DATA
    if isinstance(error, programming):
        return PROGRAMMING
    if isinstance(error, connection):  # InterfaceError, InternalClientError
        return UNAVAILABLE
    return None


def _psycopg_kind(error: BaseException) -> DatabaseErrorKind | None:
    psycopg = sys.modules.get("psycopg")  # its errors exist only once it is imported
    if psycopg is None or not isinstance(error, psycopg.Error):
        return None
    if isinstance(error, psycopg.DataError):
        return DATA
    if isinstance(error, psycopg.ProgrammingError):
        return PROGRAMMING
    if isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError)):
        return UNAVAILABLE  # also psycopg_pool's PoolTimeout
    return None


def _driver_kind(error: BaseException) -> DatabaseErrorKind | None:
    """The kind of one driver (or network) error; None for wrappers and others."""
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        kind = _SQLSTATE_KINDS.get(sqlstate) or _SQLSTATE_KINDS.get(sqlstate[:2])
        if kind is not None:
            return kind
    if isinstance(error, sqlite3.Error):
        return _sqlite_kind(error)
    if isinstance(error, (ConnectionError, TimeoutError, socket.gaierror)):
        return UNAVAILABLE  # also Tortoise's DBConnectionError
    if type(error) is OSError and error.errno in _NETWORK_ERRNOS:
        return UNAVAILABLE  # e.g. "No route to host" from asyncio's connect
    if isinstance(error, OverflowError) and _SQLITE_INT_OVERFLOW in str(error):
        return DATA
    return _asyncpg_kind(error) or _psycopg_kind(error)


def classify_database_error(exc: BaseException) -> DatabaseErrorKind | None:
    """How to answer a database error: UNAVAILABLE, DATA, PROGRAMMING, or None.

    A driver's (or the network's) exception is classified by itself.  A wrapper
    (Tortoise's errors, Django's ``DatabaseError``) by the driver exception it wraps,
    else by its own class.  None means "not a database error this table knows".
    """
    kind = _driver_kind(exc)
    if kind is not None or not isinstance(exc, _WRAPPERS):
        return kind
    for error in _wrapped(exc):
        kind = _driver_kind(error)
        if kind is not None:
            return kind
    for error in (exc, *_wrapped(exc)):
        for django_class, kind in _DJANGO_KINDS:
            if isinstance(error, django_class):
                return kind
    if isinstance(exc, orm.OperationalError) and _LOCKED.search(str(exc)):
        return UNAVAILABLE
    return None


UNIQUE_MESSAGE = _("This field must be unique.")
UNIQUE_SET_MESSAGE = _("The fields {field_names} must make a unique set.")
DOES_NOT_EXIST_MESSAGE = _("Invalid pk - object does not exist.")
NOT_NULL_MESSAGE = _("This field may not be null.")
INVALID_MESSAGE = _("Invalid value.")
INTEGRITY_MESSAGE = _("The data conflicts with a database constraint.")
DATA_MESSAGE = _("A value is out of range or of the wrong type.")


def _not_found(exc: Exception) -> exceptions.APIException:
    model = getattr(exc, "model", None)
    name = getattr(model, "__name__", None) or "object"
    return exceptions.NotFound(_("No {name} matches the given query.").format(name=name))


def _field_name(column: str, model: type[Model] | None) -> str:
    """The serializer field for a column: ``author_id`` -> ``author`` on an FK."""
    field = getattr(getattr(model, "_meta", None), "fields_map", {}).get(column)
    reference = getattr(field, "reference", None)
    if reference is not None:
        return str(reference.model_field_name)
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
        column_name = getattr(cause, "column_name", None)
        if kind == "not_null" and column_name:
            columns = [column_name]
        return kind, columns
    text = str(cause)  # sqlite: "UNIQUE constraint failed: post.author_id, post.title"
    for prefix, kind in (("UNIQUE", "unique"), ("NOT NULL", "not_null"), ("FOREIGN KEY", "fk")):
        if text.startswith(prefix):
            _, _sep, rest = text.partition(":")
            columns = [c.strip().rpartition(".")[2] for c in rest.split(",") if c.strip()]
            return kind, columns
    return "", []


def _integrity_table(exc: Exception) -> str | None:
    """The table the driver names in a constraint error (asyncpg; sqlite: ``t.col``)."""
    cause = exc.args[0] if exc.args else exc
    table = getattr(cause, "table_name", None)
    if table:
        return str(table)
    _, _sep, rest = str(cause).partition(":")
    table, dot, _column = rest.split(",")[0].strip().partition(".")
    return table if dot else None


def _integrity(exc: Exception, model: type[Model] | None = None) -> exceptions.APIException:
    kind, columns = _integrity_columns(exc)
    fields = [_field_name(c, model) for c in columns]
    if kind == "unique" and len(fields) == 1:
        # Worded as the ModelSerializer's UniqueValidator would have said it, when the
        # row is the view's model (a write may fail on another table).
        message = str(UNIQUE_MESSAGE)
        if model is not None and _integrity_table(exc) == model._meta.db_table:
            message = str(unique_error_message(model, fields[0]))
        return exceptions.ValidationError({fields[0]: [ErrorDetail(message, code="unique")]})
    if kind == "unique" and fields:
        message = UNIQUE_SET_MESSAGE.format(field_names=", ".join(fields))
        detail = [ErrorDetail(message, code="unique")]
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: detail})
    if kind == "fk" and len(fields) == 1:
        return exceptions.ValidationError({fields[0]: [DOES_NOT_EXIST_MESSAGE]})
    if kind == "not_null" and len(fields) == 1:
        return exceptions.ValidationError({fields[0]: [NOT_NULL_MESSAGE]})
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INTEGRITY_MESSAGE]})


def _validation(exc: Exception, model: type[Model] | None = None) -> exceptions.APIException:
    # Tortoise's text is "<field>: <reason with the whole bad value>": keep the name only.
    field, sep, reason = str(exc).partition(":")
    if sep and field.isidentifier():
        message = NOT_NULL_MESSAGE if "must not be None" in reason else INVALID_MESSAGE
        return exceptions.ValidationError({field: [message]})
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [INVALID_MESSAGE]})


def _params(exc: Exception) -> exceptions.APIException:
    return exceptions.ParseError(_("Invalid query parameters."))


def _column(exc: BaseException) -> str | None:
    """The column a driver's data error names, if it names one (PostgreSQL may)."""
    for error in (exc, *_wrapped(exc)):
        column = getattr(error, "column_name", None) or getattr(
            getattr(error, "diag", None), "column_name", None
        )
        if isinstance(column, str) and column:
            return column
    return None


def _database(exc: Exception, model: type[Model] | None = None) -> exceptions.APIException | None:
    kind = classify_database_error(exc)
    if kind is UNAVAILABLE:
        return ServiceUnavailable()
    if kind is DATA:
        column = _column(exc)
        if column is not None:
            return exceptions.ValidationError({_field_name(column, model): [INVALID_MESSAGE]})
        return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [DATA_MESSAGE]})
    return None  # PROGRAMMING, or not a database error: re-raised, a 500


def _request_limit(exc: Exception) -> exceptions.APIException:
    # Raised inside a view when DRF reads request.body or request.POST.
    return exceptions.ParseError(bad_request_detail(exc))


def _keep(exc: Exception) -> None:
    return None


# Order matters: OperationalError is the base class of most Tortoise errors, and the
# last row classifies whatever is left (drivers' errors, Django's, the network's).
ERROR_TABLE: tuple[tuple[tuple[type[BaseException], ...], Callable[..., Exception | None]], ...] = (
    ((orm.DoesNotExist, ObjectDoesNotExistError), _not_found),
    ((orm.IntegrityError,), _integrity),
    ((orm.MultipleObjectsReturned, orm.NoValuesFetched, orm.IncompleteInstanceError), _keep),
    ((orm.ValidationError,), _validation),
    ((orm.ParamsError,), _params),
    ((RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent), _request_limit),
    ((Exception,), _database),
)

_MODEL_AWARE = {_integrity, _validation, _database}


def translate_exception(exc: Exception, context: Mapping[str, object] | None = None) -> Exception:
    """Return the DRF exception for a Tortoise, Django or driver error, or ``exc`` itself."""
    if isinstance(exc, exceptions.APIException):
        return exc
    for classes, translate in ERROR_TABLE:
        if isinstance(exc, classes):
            if translate in _MODEL_AWARE:
                new: Exception | None = translate(exc, view_model((context or {}).get("view")))
            else:
                new = translate(exc)
            if new is None:
                return exc
            new.__cause__ = exc
            return new
    return exc


def exception_handler(exc: Exception, context: dict[str, object]) -> Response | None:
    """DRF's exception_handler, after translating database errors through ERROR_TABLE."""
    # Imported here: rest_framework.views resolves REST_FRAMEWORK's classes when it is
    # imported, and those (the throttles) import this module (tests/test_importable.py).
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(translate_exception(exc, context), context)


# Pure CPU, as DRF's own handler is (views.py marks that one): no hop.
mark_inline(exception_handler)
