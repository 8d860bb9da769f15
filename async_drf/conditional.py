"""Conditional requests (RFC 9110, section 13) and the row writes they guard.

A generic view with an ``etag_class`` (default: ``ASYNC_DRF["DEFAULT_ETAG_CLASS"]``)
sends its object's ETag on retrieve, answers ``If-None-Match`` with 304 Not Modified,
and turns ``If-Match`` on an update or delete into a compare-and-swap in the database:
the UPDATE or DELETE itself carries ``WHERE <pk> = ? AND <the columns the ETag was
computed from still hold the values read>``; when it touches no row the answer is
412 Precondition Failed.  A view without one ignores these headers, as DRF does.

``save_instance`` and ``delete_instance`` are the writes ModelSerializer and the
mixins use: only the columns behind the changed attributes are written (plus
``auto_now`` ones), conditionally when the view guarded the instance.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from tortoise import fields as orm_fields
from tortoise import timezone
from tortoise.models import Model

from . import compat

if TYPE_CHECKING:
    from rest_framework.request import Request
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.queryset import QuerySet

    from ._types import Instance

    class _ETagView(Protocol):
        etag_class: type[ModelETag]


__all__ = [
    "ALL_FIELDS",
    "ModelETag",
    "PreconditionFailed",
    "PreconditionRequired",
    "check_preconditions",
    "delete_instance",
    "guard_write",
    "save_instance",
]

ALL_FIELDS = "__all__"

_SAFE_METHODS = ("GET", "HEAD")
_GUARD = "_async_drf_guard"  # instance attribute: the condition its next write must meet

# How a version field's values are written into an ETag.
_Canonical: TypeAlias = "Callable[[object], str | None]"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The resource has changed: fetch it again to get its current ETag.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("This request must be conditional: send If-Match with the resource's ETag.")
    default_code = "precondition_required"


NONE_MATCH_FAILED = _("The resource matches the request's If-None-Match header.")


class ModelETag:
    """Strong ETags for the rows of a Tortoise model (``etag_class`` of a generic view).

    The ETag is a hash of the row's *version fields*, which an ``If-Match`` write also
    compares in its WHERE clause: ``version_fields`` when set (a list of columns, or
    ``"__all__"``), else the model's ``auto_now`` columns (Tortoise sets them on every
    save), else all its columns.  It names a version of the row, shared by every
    format the row is rendered in.
    """

    version_fields: Iterable[str] | str | None = None
    # Refuse PUT, PATCH and DELETE without If-Match (428 Precondition Required).
    require_if_match = False

    def get_version_fields(self, model: type[Model]) -> tuple[str, ...]:
        return tuple(name for name, _canonical in self._plan(model))

    def get_etag(self, instance: Model) -> str:
        parts: list[object] = [instance._meta.db_table, instance.pk]
        for name, canonical in self._plan(type(instance)):
            value = getattr(instance, name)
            parts.append(None if value is None else canonical(value))
        # repr() of the list keeps the parts apart whatever text the values hold; a hex
        # digest needs no escaping inside the quotes.
        return f'"{hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()}"'

    def get_condition(self, instance: Model) -> dict[str, object]:
        """The values a write compares: the version fields as ``instance`` holds them."""
        return {name: getattr(instance, name) for name, _canonical in self._plan(type(instance))}

    def _plan(self, model: type[Model]) -> tuple[tuple[str, _Canonical], ...]:
        names = self.version_fields
        key = (model, names if names is None or isinstance(names, str) else tuple(names))
        plan = _plans.get(key)
        if plan is None:
            fields = model._meta.fields_map
            resolved = _resolve_version_fields(model, names)
            plan = _plans[key] = tuple((name, _canonical(fields[name])) for name in resolved)
        return plan


# (model, version_fields) -> ((column, canonical form of its values), ...)
_plans: dict[
    tuple[type[Model], str | tuple[str, ...] | None], tuple[tuple[str, _Canonical], ...]
] = {}


def _columns(model: type[Model]) -> list[str]:
    meta = model._meta
    return [name for name in meta.fields_db_projection if name != meta.pk_attr]


def _resolve_version_fields(
    model: type[Model], names: Iterable[str] | str | None
) -> tuple[str, ...]:
    if not issubclass(model, Model):
        raise ImproperlyConfigured(
            f"ModelETag versions Tortoise rows; {model.__name__} is a Django model: set "
            "`etag_class = None` on the views that serve it."
        )
    columns = _columns(model)
    if names is None:
        auto_now = [n for n in columns if getattr(model._meta.fields_map[n], "auto_now", False)]
        return tuple(auto_now or columns)
    if names == ALL_FIELDS:
        return tuple(columns)
    unknown = [name for name in names if name not in columns]
    if unknown or not names:
        raise ImproperlyConfigured(
            f"ModelETag.version_fields must name columns of {model.__name__} other than its "
            f"primary key (or be '{ALL_FIELDS}'); got {list(names)!r}."
        )
    return tuple(names)


def _canonical(field: object) -> _Canonical:
    """How to write a value of ``field`` as a read of the column returns it, so that a
    saved instance and a fresh read of its row give the same ETag (a JSON object's key
    order, a datetime's time zone and a Decimal's places depend on where it came from)."""
    if isinstance(field, orm_fields.JSONField):
        return _json
    if isinstance(field, orm_fields.DatetimeField):
        return lambda value: _utc(field.to_python_value(value))
    if isinstance(field, orm_fields.DecimalField):
        return lambda value: str(field.to_python_value(value))  # the column's places
    return _plain


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _utc(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo is None else value.astimezone(datetime.UTC)).isoformat()


def _plain(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


# -- evaluating the request's preconditions (RFC 9110, section 13.2.2) -----------------


def _if_match_passes(target_etag: str, etags: list[str]) -> bool:
    # Mirrors django.utils.cache._if_match_passes; differs in that a row always has a
    # current representation (get_object found it).
    if etags == ["*"]:
        return True
    if target_etag.startswith("W/"):
        return False  # strong comparison: a weak tag matches nothing
    return target_etag in etags


def _if_none_match_passes(target_etag: str, etags: list[str]) -> bool:
    # Mirrors django.utils.cache._if_none_match_passes; differs as _if_match_passes.
    if etags == ["*"]:
        return False
    target_etag = target_etag.removeprefix("W/")  # weak comparison
    return target_etag not in (etag.removeprefix("W/") for etag in etags)


@dataclass
class _Guard:
    """The condition the next write of an instance must meet (``{}``: the row exists)."""

    condition: dict[str, object]
    used: bool = False


def check_preconditions(
    view: object, request: Request, instance: Instance
) -> tuple[str | None, HttpResponseNotModified | None]:
    """Evaluate ``If-Match`` and ``If-None-Match`` against ``instance``'s ETag.

    Returns ``(etag, not_modified)``: ``etag`` is None when the view has no
    ``etag_class`` (the headers are ignored); ``not_modified`` is a 304 response for
    a GET or HEAD whose ``If-None-Match`` matches, else None.  Raises
    PreconditionFailed (412) or PreconditionRequired (428).  A PUT, PATCH or DELETE
    that carries ``If-Match`` and passes guards ``instance``: its next
    :func:`save_instance` or :func:`delete_instance` is conditional.
    """
    etag_class = getattr(view, "etag_class", None)
    if etag_class is None:
        return None, None
    policy = etag_class()
    etag = policy.get_etag(instance)
    safe = request.method in _SAFE_METHODS
    if_match = request.META.get("HTTP_IF_MATCH")
    if if_match is None and policy.require_if_match and not safe:
        raise PreconditionRequired()
    etags = parse_etags(if_match) if if_match is not None else None
    if etags is not None and not _if_match_passes(etag, etags):
        raise PreconditionFailed()
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None and not _if_none_match_passes(etag, parse_etags(if_none_match)):
        if not safe:
            raise PreconditionFailed(NONE_MATCH_FAILED)
        response = HttpResponseNotModified()
        response["ETag"] = etag
        return etag, response
    if etags is not None and not safe:
        condition = {} if etags == ["*"] else policy.get_condition(instance)
        instance.__dict__[_GUARD] = _Guard(condition)
    return etag, None


class guard_write:  # noqa: N801 - a context manager, named like a function
    """``with guard_write(view, request, instance) as guard:`` around a view's write.

    On entry, the preconditions are evaluated (412 and 428 are raised); on a clean
    exit, a write that had to be conditional is checked to have been so, and
    ``guard.headers(obj)`` gives the response's ETag when the write was compared
    against the whole ETag: the row then holds exactly what ``obj`` holds (after an
    unconditional write, or ``If-Match: *``, the client reads the row again).
    """

    def __init__(self, view: object, request: Request, instance: Instance) -> None:
        self.view, self.request, self.instance = view, request, instance
        self.written = False

    def __enter__(self) -> guard_write:
        check_preconditions(self.view, self.request, self.instance)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        guard = self.instance.__dict__.pop(_GUARD, None)
        if guard is None or exc_type is not None:
            return
        assert guard.used, (
            f"`{type(self.view).__name__}` received If-Match, but the row was not written "
            "with `async_drf.conditional.save_instance()` or `delete_instance()`, which "
            "make the write conditional: use them in a custom `aupdate()` or `perform_*()`."
        )
        self.written = bool(guard.condition)

    def headers(self, instance: object) -> dict[str, str]:
        if not self.written or not isinstance(instance, Model):
            return {}
        view = cast("_ETagView", self.view)  # written: the view has an etag_class
        return {"ETag": view.etag_class().get_etag(instance)}


# -- the writes ------------------------------------------------------------------------


def _update_columns(model: type[Model], names: Iterable[str]) -> list[str] | None:
    """The columns behind attributes ``names`` (``author`` -> ``author_id``), plus the
    ``auto_now`` columns; None (every column) if one is not a column of ``model``."""
    meta = model._meta
    columns: list[str] = []
    for name in names:
        if name in meta.fk_fields or name in meta.o2o_fields:
            name = meta.fields_map[name].source_field or name
        elif name not in meta.fields_db_projection:
            return None  # a property or another attribute: it may set any column
        if name != meta.pk_attr and name not in columns:
            columns.append(name)
    for name in _columns(model):
        if getattr(meta.fields_map[name], "auto_now", False) and name not in columns:
            columns.append(name)
    return columns


async def save_instance(
    instance: Model,
    update_fields: Iterable[str] | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> None:
    """Save the attributes ``update_fields`` of ``instance`` (None: all of them): only
    their columns (``author`` is ``author_id``) and the ``auto_now`` ones are written.

    When the view guarded ``instance`` (If-Match), the UPDATE also compares the
    version fields with the values read, and a row changed since is a
    PreconditionFailed (412).
    """
    model = type(instance)
    fields = None if update_fields is None else _update_columns(model, update_fields)
    guard = instance.__dict__.get(_GUARD)
    if guard is None:
        if fields is None or fields:
            await instance.save(update_fields=fields, using_db=using_db)
        return
    fields = fields if fields is not None else _columns(model)
    for name in fields:
        field = model._meta.fields_map[name]
        if getattr(field, "auto_now", False):
            setattr(instance, name, _now(field))
    # With nothing to write, set a column to the value read: the statement still
    # checks the condition and locks the row for the rest of the transaction.
    values = {name: getattr(instance, name) for name in fields or _columns(model)[:1]}
    db = compat.write_db(instance, using_db)
    await compat.send_pre_save(instance, db, fields)
    query = _guarded(model, instance, guard).using_db(db)
    _check_rows(await (query.update(**values) if values else query.exists()), guard)
    for name in guard.condition.keys() & values.keys():
        guard.condition[name] = values[name]  # a second write is conditional on this one
    await compat.send_post_save(instance, db, fields)


async def delete_instance(instance: Model, using_db: BaseDBAsyncClient | None = None) -> None:
    """``instance.delete()``; conditional, as :func:`save_instance`, when guarded."""
    guard = instance.__dict__.get(_GUARD)
    if guard is None:
        await instance.delete(using_db=using_db)
        return
    db = compat.write_db(instance, using_db)
    await compat.send_pre_delete(instance, db)
    rows = await _guarded(type(instance), instance, guard).using_db(db).delete()
    _check_rows(rows, guard)
    await compat.send_post_delete(instance, db)


def _now(field: orm_fields.Field[object]) -> object:
    # What Tortoise's save sets an auto_now column to (DatetimeField/TimeField.to_db_value).
    now = timezone.now()
    return field.to_python_value(now.time() if isinstance(field, orm_fields.TimeField) else now)


def _guarded(model: type[Model], instance: Model, guard: _Guard) -> QuerySet[Model]:
    lookups = {
        (f"{name}__isnull" if value is None else name): (True if value is None else value)
        for name, value in guard.condition.items()
    }
    return model.filter(pk=instance.pk, **lookups)


def _check_rows(rows: int, guard: _Guard) -> None:
    guard.used = True
    if not rows:
        raise PreconditionFailed()
