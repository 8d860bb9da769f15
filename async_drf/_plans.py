"""Speed machinery of the serializers: row plans, field plans, cycle release.

* :class:`RowPlan` renders a serializer's rows with a fast path for plain fields, and
  :func:`render_awaiting` awaits what fields rendered through an ``async def``;
* :class:`FieldPlan` remembers what ``ModelSerializer.get_fields`` built for a class
  and Meta, so later instances only build new field objects;
* :func:`release_cycles` frees a request's serializers without the cyclic collector.

Each gives exactly what DRF's own code path gives; tests render both ways.
"""

from __future__ import annotations

import contextvars
import copy
import datetime
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar, cast

from django.conf import settings
from django.utils import timezone
from rest_framework import ISO_8601
from rest_framework import serializers as drf
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList
from tortoise.models import Model

from .concurrency import call_sync, in_event_loop, is_async_callable
from .relations import PrimaryKeyRelatedField

if TYPE_CHECKING:
    from ._types import AnyField, AnySerializer, FieldKwargs
    from .serializers import ModelSerializer

__all__ = [
    "PLAN_HOOKS",
    "FieldPlan",
    "RowPlan",
    "plan_cacheable",
    "plan_key",
    "release_cycles",
    "render_awaiting",
]


_MISSING = object()
_USE_DEFAULT_TZ = object()
_T = TypeVar("_T")

# How a plain value renders: ``render(value, tz)`` (``_MISSING`` leaves it to DRF).
Render = Callable[..., object]
# One readable field of a row plan: (name, field, attribute read directly or None,
# the value types rendered here, how, the timezone of a datetime).
RowStep = tuple[str, "AnyField", "str | None", tuple[type, ...], Render, object]


def _same(value: object, tz: object) -> object:
    return value


def _iso_datetime(value: datetime.datetime, tz: datetime.tzinfo | None) -> object:
    # DRF's DateTimeField.to_representation for an ISO 8601 format, for the two cases
    # that need no conversion error handling; _MISSING sends the others to DRF.
    if value.utcoffset() is None:
        if tz is not None:
            return _MISSING  # DRF makes it aware (and may fail)
    elif tz is None:
        return _MISSING  # DRF makes it naive in UTC
    else:
        try:
            value = value.astimezone(tz)
        except OverflowError:
            return _MISSING
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _plain_kind(field: AnyField) -> tuple[tuple[type, ...], Render] | None:
    """The value types ``field`` renders without DRF's call, and how; None for DRF's path.

    Only DRF's own methods qualify: a subclass that overrides ``get_attribute`` or
    ``to_representation`` always takes DRF's path.
    """
    cls = type(field)
    if cls.get_attribute not in _PLAIN_GETTERS or len(field.source_attrs) != 1:
        return None
    render = cls.to_representation
    if render is drf.DateTimeField.to_representation:
        output = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if not isinstance(output, str) or output.lower() != ISO_8601:
            return None
        return (datetime.datetime,), _iso_datetime
    pk_field = getattr(field, "pk_field", None)
    if render is PrimaryKeyRelatedField.to_representation and pk_field is not None:
        return None
    kinds = _PLAIN_TYPES.get(render)
    return (kinds, _same) if kinds else None


# Getters that read ``getattr(instance, source)`` for a plain value, and the renderers
# that return a value of these types unchanged.
_PLAIN_GETTERS = frozenset({drf.Field.get_attribute, PrimaryKeyRelatedField.get_attribute})
_PLAIN_TYPES: dict[Callable[..., object], tuple[type, ...]] = {
    drf.CharField.to_representation: (str,),
    drf.IntegerField.to_representation: (int,),
    drf.FloatField.to_representation: (float,),
    drf.BooleanField.to_representation: (bool,),
    drf.ReadOnlyField.to_representation: (str, int, float, bool),
    PrimaryKeyRelatedField.to_representation: (int, str),  # without pk_field
}


class RowPlan:
    """How a serializer renders a row: its readable fields, each with a fast path.

    A field whose value is a plain attribute of a Tortoise instance and whose DRF
    ``to_representation`` would return it unchanged (an ``int`` for IntegerField, a
    ``str`` for CharField, a ``bool`` for BooleanField...) or ISO-format a datetime is
    rendered here; anything else (a dict row, a dotted source, a callable, another
    type, a nested serializer) goes through DRF's ``get_attribute`` and
    ``to_representation`` exactly as in DRF.  A field that renders through an
    ``async def`` (a SerializerMethodField's ``get_<name>``) leaves a coroutine that
    :func:`render_awaiting` awaits.
    """

    __slots__ = ("steps", "default_tz")

    def __init__(self, fields: Iterable[AnyField]) -> None:
        self.steps: list[RowStep] = []
        self.default_tz = False
        for field in fields:
            name = cast("str", field.field_name)  # a bound field's
            if _renders_awaitable(field):
                self.steps.append((name, field, None, (), _defer, None))
                continue
            kind = _plain_kind(field)
            if kind is None:
                self.steps.append((name, field, None, (), _same, None))
                continue
            types, render = kind
            tz: object = None
            if render is _iso_datetime:
                tz = field.timezone if hasattr(field, "timezone") else _USE_DEFAULT_TZ
                self.default_tz = self.default_tz or tz is _USE_DEFAULT_TZ
            self.steps.append((name, field, field.source_attrs[0], types, render, tz))

    def render(self, instances: Iterable[object]) -> list[dict[str, object]]:
        # DRF looks the current timezone up once per value; here once per call, which
        # renders synchronously: nothing can activate another timezone in between.
        default_tz = None
        if self.default_tz and settings.USE_TZ:
            default_tz = timezone.get_current_timezone()
        rows = []
        for instance in instances:
            ret: dict[str, object] = {}
            plain = isinstance(instance, Model)
            for name, field, attr, types, render, tz in self.steps:
                if plain and attr is not None:
                    try:
                        value = getattr(instance, attr)
                    except Exception:  # DRF's get_attribute below decides what it means
                        value = _MISSING
                    if value is None:
                        ret[name] = None
                        continue
                    if type(value) in types:
                        value = render(value, default_tz if tz is _USE_DEFAULT_TZ else tz)
                        if value is not _MISSING:
                            ret[name] = value
                            continue
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                ret[name] = None if check is None else field.to_representation(attribute)
                if render is _defer:
                    ret[name] = _defer(ret, name, field)
            rows.append(ret)
        return rows


def _renders_awaitable(field: AnyField) -> bool:
    """Whether ``field.to_representation`` returns a coroutine to await."""
    if is_async_callable(field.to_representation):
        return True
    if isinstance(field, drf.SerializerMethodField):
        method = getattr(field.parent, field.method_name, None)
        return method is not None and is_async_callable(method)
    return False


# The rows whose values render_awaiting still has to await: (row, key) pairs.
_pending: contextvars.ContextVar[list[tuple[dict[str, object], str]] | None]
_pending = contextvars.ContextVar("async_drf_pending_values", default=None)


def _defer(row: dict[str, object], key: str, field: AnyField) -> object:
    value = row[key]
    if not inspect.iscoroutine(value):
        return value  # None, or a method that returned a plain value after all
    pending = _pending.get()
    if pending is not None:
        pending.append((row, key))
        return value
    if in_event_loop():
        value.close()
        raise TypeError(
            f"Field `{key}` of `{type(field.parent).__name__}` renders through an `async def`: "
            "read `await serializer.adata` (or render off the event loop)."
        )
    return call_sync(_result, value)  # e.g. the browsable API renders in a thread


async def _result(awaitable: Awaitable[object]) -> object:
    return await awaitable


async def render_awaiting(read: Callable[[], _T]) -> _T:
    """``read()`` (a serializer's ``.data``), with the values that fields rendered
    through an ``async def`` awaited, one after another, on the loop."""
    pending: list[tuple[dict[str, object], str]] = []
    token = _pending.set(pending)
    try:
        data = read()
    finally:
        _pending.reset(token)
    if not pending:
        return data
    for done, (row, key) in enumerate(pending):
        try:
            row[key] = await cast("Awaitable[object]", row[key])  # _defer left a coroutine
        except BaseException:
            for rest, name in pending[done + 1 :]:
                cast("Coroutine[object, object, object]", rest[name]).close()
            raise
    return read()  # the rows were filled in place; `.data` copies the top level anew


def release_cycles(data: object) -> None:
    """Break the reference cycles of the serializers that rendered ``data``.

    DRF binds each field to its serializer (``field.parent``) and caches the bound
    fields on the serializer, and a ListSerializer's child points back at it, so every
    serializer is a reference cycle that only CPython's cyclic garbage collector frees.
    Views call this once the response is closed: the request's objects are then freed
    at once.  ``fields`` is a cached property, so reading it again rebuilds the fields.
    """
    if isinstance(data, (ReturnDict, ReturnList)):
        _release(data.serializer)
    elif isinstance(data, dict):  # a paginated body: {"count": ..., "results": [...]}
        for value in data.values():
            if isinstance(value, (ReturnDict, ReturnList)):
                _release(value.serializer)


def _release(serializer: AnySerializer) -> None:
    state = getattr(serializer, "__dict__", None)
    if state is None:
        return
    fields = state.pop("fields", None)
    state.pop("_readable_cache", None)
    for field in (fields or {}).values():
        if isinstance(field, drf.BaseSerializer):
            _release(field)
    child = state.get("child")
    if isinstance(child, drf.BaseSerializer):
        _release(child)
        if child.__dict__.get("parent") is serializer:
            child.parent = None  # type: ignore[assignment]  # unbound, as before bind()


# The ModelSerializer hooks that decide which fields get_fields() builds.  A class that
# overrides none of them builds the same fields every time for the same Meta, so the
# (name, class, kwargs) list is worked out once and only the field objects are new.
PLAN_HOOKS = (
    "get_field_names",
    "get_default_field_names",
    "get_extra_kwargs",
    "include_extra_kwargs",
    "build_field",
    "build_standard_field",
    "build_relational_field",
    "build_nested_field",
    "build_property_field",
    "build_url_field",
    "build_unknown_field",
    "build_unique_validator",
    "get_uniqueness_extra_kwargs",
)


def plan_key(serializer: ModelSerializer) -> tuple[object, ...]:
    # Reassigning Meta or its options (tests do) makes a new key: the plan is rebuilt.
    meta = serializer.Meta
    return (
        meta,
        meta.model,
        getattr(meta, "fields", None),
        getattr(meta, "exclude", None),
        getattr(meta, "depth", 0),
        id(getattr(meta, "extra_kwargs", None)),
        id(getattr(meta, "read_only_fields", None)),
        id(getattr(meta, "validators", None)),
        tuple(serializer._declared_fields),
    )


def _fresh(value: _T) -> _T:
    # Immutable values are shared; anything else is copied per field, as DRF's
    # per-call get_fields() would have built it anew.
    if value is None or isinstance(value, (str, int, float, bool, type)):
        return value
    return copy.deepcopy(value)


def _shareable(value: object) -> bool:
    if type(value) is dict:
        return all(_fresh(item) is item for item in value.values())
    return _fresh(value) is value


def _prototype(field_class: type[AnyField], kwargs: FieldKwargs) -> AnyField | None:
    """An unbound field to clone, when cloning equals building it from ``kwargs`` anew:
    every kwarg immutable (or a flat dict of immutables, such as ``style``, which the
    clone copies), and no serializer or child field inside to share."""
    if not all(_shareable(value) for value in kwargs.values()):
        return None
    field = field_class(**kwargs)
    if isinstance(field, drf.BaseSerializer) or any(
        isinstance(value, drf.Field) for value in field.__dict__.values()
    ):
        return None
    return field


def _containers(prototype: AnyField) -> tuple[str, ...]:
    return tuple(
        name for name, value in prototype.__dict__.items() if type(value) in (list, dict, set)
    )


def _clone(prototype: AnyField, containers: tuple[str, ...]) -> AnyField:
    # What __init__ would build, without running it: the same attributes, with the
    # containers (validators, error_messages, style, _kwargs) copied per field.
    field = object.__new__(type(prototype))
    state = prototype.__dict__.copy()
    for name in containers:
        state[name] = state[name].copy()
    field.__dict__.update(state)
    return field


# One field of a plan: (name, field class, its kwargs); a declared field has neither.
FieldStep = tuple[str, "type[AnyField] | None", "FieldKwargs | None"]


class FieldPlan:
    """What ``ModelSerializer.get_fields`` built for one serializer class and Meta."""

    __slots__ = ("key", "steps", "containers")

    def __init__(self, key: tuple[object, ...], steps: list[FieldStep]) -> None:
        self.key = key
        self.steps: list[tuple[str, type[AnyField] | None, FieldKwargs, AnyField | None]]
        self.steps = [
            (
                name,
                field_class,
                kwargs or {},
                None if field_class is None else _prototype(field_class, kwargs or {}),
            )
            for name, field_class, kwargs in steps
        ]
        # Per step, the prototype's attributes that each clone copies.
        self.containers = [() if step[3] is None else _containers(step[3]) for step in self.steps]

    def build(self, declared_fields: Mapping[str, AnyField]) -> dict[str, AnyField]:
        fields: dict[str, AnyField] = {}
        for (name, field_class, kwargs, prototype), containers in zip(
            self.steps, self.containers, strict=True
        ):
            if field_class is None:
                fields[name] = declared_fields[name]
            elif prototype is not None:
                fields[name] = _clone(prototype, containers)
            else:
                fields[name] = field_class(**{k: _fresh(v) for k, v in kwargs.items()})
        return fields


def plan_cacheable(cls: type, bases: tuple[type, ...]) -> bool:
    """Whether ``cls`` overrides none of the hooks that decide its fields (PLAN_HOOKS)
    beyond what one of ``bases`` defines."""
    cached = cls.__dict__.get("_field_plan_cacheable")
    if cached is None:
        cached = all(
            any(getattr(cls, name) is getattr(base, name) for base in bases) for name in PLAN_HOOKS
        )
        cls._field_plan_cacheable = cached  # type: ignore[attr-defined]
    return cached
