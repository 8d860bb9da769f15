"""Tortoise field -> DRF field mapping, read lazily from ``Model._meta``.

Nothing here runs at import or class-creation time: relation fields and ``<fk>_id``
columns only exist after ``Tortoise.init`` (TRAPS 9), so ModelSerializer calls these
helpers from ``get_fields()``.

Mapping rules (beyond the obvious type table):

* ``null=True`` -> ``allow_null=True, required=False``; a default -> ``required=False``.
* A generated pk and ``auto_now``/``auto_now_add`` datetimes are read-only.
* ``description`` -> ``help_text``; BigIntField -> DRF's ``BigIntegerField``.
* As DRF turns Django's validators into field options: an integer column's range and
  ``MinValueValidator``/``MaxValueValidator`` -> ``min_value``/``max_value`` (the
  tightest bound), ``MinLengthValidator``/``MaxLengthValidator`` on text ->
  ``min_length``/``max_length``; any other Tortoise validator runs at validation time
  (:class:`~async_drf.validators.ModelFieldValidator`), so every bad field is reported
  at once.  TextField and JSONField get DRF's textarea style.
* Tortoise has no ``blank``: a non-null CharField/TextField with no default gets
  ``allow_blank=False`` (Django's default), any other gets ``allow_blank=True`` (TRAPS 21).
* BinaryField is exchanged as base64 text (:class:`BinaryField`), in both directions.
* CharEnum/IntEnum fields become :class:`EnumChoiceField` over the enum's values.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf_fields
from tortoise import fields as tf
from tortoise import timezone as tortoise_timezone
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
)

from . import compat
from .validators import ModelFieldValidator

if TYPE_CHECKING:
    from ._types import AnyField, AnyModelField, FieldKwargs, FieldSpec

__all__ = [
    "BinaryField",
    "fits_column",
    "integer_range",
    "EnumChoiceField",
    "TimeField",
    "ModelInfo",
    "build_standard_field",
    "get_model_info",
]


def integer_range(field: object) -> tuple[int, int] | None:
    """``(min, max)`` of a Tortoise integer column (Int, BigInt, SmallInt), else None."""
    if not isinstance(field, tf.IntField):
        return None
    constraints = field.constraints
    return constraints.get("ge", -(2**63)), constraints.get("le", 2**63 - 1)


def fits_column(field: object, value: object) -> bool:
    """False for an integer the integer column ``field`` cannot hold.

    Checked before a query: out of range, PostgreSQL refuses the value (a driver
    error) and SQLite cannot bind more than 64 bits (``OverflowError``), and no row
    can match it anyway.
    """
    bounds = integer_range(field)
    return bounds is None or not isinstance(value, int) or bounds[0] <= value <= bounds[1]


class BinaryField(drf_fields.Field[bytes, str, str, object]):
    """Bytes as base64 text: ``b"\\x00"`` <-> ``"AA=="`` (JSON has no bytes type)."""

    default_error_messages = {"invalid": _("Enter valid base64-encoded data.")}

    def to_internal_value(self, data: object) -> bytes:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            self.fail("invalid")

    def to_representation(self, value: bytes | bytearray | memoryview) -> str:
        return base64.b64encode(bytes(value)).decode("ascii")


class EnumChoiceField(drf_fields.ChoiceField):
    """Async twin-free ChoiceField for Tortoise enum fields: renders ``member.value``
    and validates to the enum member Tortoise stores."""

    def __init__(self, enum_type: type[enum.Enum], **kwargs: object) -> None:
        self.enum_type = enum_type
        kwargs["choices"] = [(m.value, m.name) for m in enum_type]
        super().__init__(**cast("FieldKwargs", kwargs))  # ChoiceField's own

    def to_internal_value(self, data: str | int) -> enum.Enum:  # type: ignore[override]  # str
        return self.enum_type(super().to_internal_value(data))

    def to_representation(self, value: str | enum.Enum) -> str:
        # str(StrEnumMember) is "Status.DRAFT" on 3.11: unwrap before DRF's lookup.
        return value.value if isinstance(value, enum.Enum) else super().to_representation(value)


class TimeField(drf_fields.TimeField):
    """DRF's TimeField, made aware under Tortoise's ``use_tz`` (Tortoise warns on naive
    times; PostgreSQL stores TIMETZ).  Note: Tortoise 1.1.9 cannot bind a time on SQLite."""

    def to_internal_value(self, value: datetime.time | str) -> datetime.time:
        parsed = super().to_internal_value(value)
        if parsed.tzinfo is None and tortoise_timezone.get_use_tz():
            parsed = parsed.replace(tzinfo=tortoise_timezone.get_default_timezone())
        return parsed


# A relation of a Tortoise model: forward or backward FK/O2O, m2m.
Relation = rel.RelationalField[Model]
# A limit a column or validator puts on a value or a length.
Bound = int | float | Decimal


@dataclass
class ModelInfo:
    """What ModelSerializer needs to know about a Tortoise model (DRF's FieldInfo)."""

    pk: AnyModelField
    fields: dict[str, AnyModelField] = field(default_factory=dict)  # data columns, no pk or fk id
    forward_relations: dict[str, Relation] = field(default_factory=dict)  # fk, o2o, m2m
    reverse_relations: dict[str, Relation] = field(default_factory=dict)  # backward fk / o2o

    @property
    def fields_and_pk(self) -> dict[str, AnyModelField]:
        return {"pk": self.pk, self.pk.model_field_name: self.pk, **self.fields}

    @property
    def relations(self) -> dict[str, Relation]:
        return {**self.forward_relations, **self.reverse_relations}


def get_model_info(model: type[Model]) -> ModelInfo:
    """Sort ``model._meta.fields_map`` into DRF's buckets (call after Tortoise.init)."""
    meta = model._meta
    inited = compat.meta_inited(meta)
    if inited is None:
        raise ImproperlyConfigured(
            f"{model.__name__} is not a Tortoise model: serialize a Django model with DRF's "
            "rest_framework.serializers.ModelSerializer."
        )
    assert inited, (
        f"{model.__name__} is not initialised: call Tortoise.init (or init_models) before "
        "building its serializer fields."
    )
    info = ModelInfo(pk=meta.pk)
    for name, f in meta.fields_map.items():
        if isinstance(f, rel.BackwardFKRelation) or compat.generated_relation(f):
            # backward FK/O2O, and the m2m side Tortoise generated from a related_name
            info.reverse_relations[name] = cast("Relation", f)
        elif isinstance(f, (rel.ForeignKeyFieldInstance, rel.ManyToManyFieldInstance)):
            info.forward_relations[name] = f
        elif name != meta.pk_attr and getattr(f, "reference", None) is None:
            info.fields[name] = f  # `<fk>_id` columns (reference set) live on the relation
    return info


# Most specific class first: enum fields subclass CharField / SmallIntField.
FIELD_MAPPING: tuple[tuple[type, type[AnyField]], ...] = (
    (tf.BooleanField, drf_fields.BooleanField),
    (tf.BigIntField, drf_fields.BigIntegerField),
    (tf.IntField, drf_fields.IntegerField),
    (tf.CharField, drf_fields.CharField),
    (tf.TextField, drf_fields.CharField),
    (tf.DecimalField, drf_fields.DecimalField),
    (tf.FloatField, drf_fields.FloatField),
    (tf.DatetimeField, drf_fields.DateTimeField),
    (tf.DateField, drf_fields.DateField),
    (tf.TimeField, TimeField),
    (tf.TimeDeltaField, drf_fields.DurationField),
    (tf.UUIDField, drf_fields.UUIDField),
    (tf.JSONField, drf_fields.JSONField),
    (tf.BinaryField, BinaryField),
)


def _has_default(f: AnyModelField) -> bool:
    return f.default is not None or bool(getattr(f, "has_db_default", lambda: False)())


def _is_read_only(f: AnyModelField) -> bool:
    # `generated` is an auto-increment pk; auto_now(_add) sets readOnly in constraints.
    return bool(f.generated or f.constraints.get("readOnly"))


def _field_class(f: AnyModelField) -> type[AnyField]:
    for tortoise_class, drf_class in FIELD_MAPPING:
        if isinstance(f, tortoise_class):
            return drf_class
    return drf_fields.ReadOnlyField  # an unknown custom field: shown, never written


def build_standard_field(f: AnyModelField) -> FieldSpec:
    """(DRF field class, kwargs) for one Tortoise data field (DRF's build_standard_field)."""
    kwargs: FieldKwargs = {}
    enum_type = getattr(f, "enum_type", None)
    if f.description and not enum_type:
        kwargs["help_text"] = f.description
    if isinstance(f, tf.JSONField) or (isinstance(f, tf.TextField) and not enum_type):
        kwargs["style"] = {"base_template": "textarea.html"}
    if _is_read_only(f):
        kwargs["read_only"] = True
        return _field_class(f), kwargs
    if enum_type is not None:
        field_class: type[AnyField] = EnumChoiceField
        kwargs["enum_type"] = enum_type  # its choices validate: no length or value options
    else:
        field_class = _field_class(f)
        kwargs.update(_type_kwargs(f))
        validators = [ModelFieldValidator(v) for v in f.validators if not _is_option(f, v)]
        if validators:
            kwargs["validators"] = validators
    if f.null:
        kwargs["allow_null"] = True
    if f.null or _has_default(f):
        kwargs["required"] = False  # e.g. a UUID pk with default=uuid4
    if isinstance(f, (tf.CharField, tf.TextField)) and field_class is not EnumChoiceField:
        if f.null or _has_default(f):  # else DRF's default, allow_blank=False (TRAPS 21)
            kwargs["allow_blank"] = True
    return field_class, kwargs


def _type_kwargs(f: AnyModelField) -> FieldKwargs:
    kwargs: FieldKwargs = {}
    if isinstance(f, tf.DecimalField):
        kwargs["max_digits"] = f.max_digits
        kwargs["decimal_places"] = f.decimal_places
    if isinstance(f, _NUMERIC_FIELDS):
        # The column's range (an IntField's constraints) and the model's validators:
        # the tightest bound wins, as the database and Tortoise's save would enforce.
        lows = [f.constraints.get("ge"), *_limits(f, MinValueValidator, "min_value")]
        highs = [f.constraints.get("le"), *_limits(f, MaxValueValidator, "max_value")]
        _put(kwargs, "min_value", max, lows)
        _put(kwargs, "max_value", min, highs)
    if isinstance(f, (tf.CharField, tf.TextField)):
        _put(kwargs, "min_length", max, _limits(f, MinLengthValidator, "min_length"))
        highs = [getattr(f, "max_length", None), *_limits(f, MaxLengthValidator, "max_length")]
        _put(kwargs, "max_length", min, highs)
    return kwargs


_NUMERIC_FIELDS = (tf.IntField, tf.FloatField, tf.DecimalField)
_OPTIONS: dict[type, tuple[type[AnyModelField], ...]] = {
    MinValueValidator: _NUMERIC_FIELDS,
    MaxValueValidator: _NUMERIC_FIELDS,
    MinLengthValidator: (tf.CharField, tf.TextField),
    MaxLengthValidator: (tf.CharField, tf.TextField),
}


def _is_option(f: AnyModelField, validator: object) -> bool:
    """Whether ``validator`` became a DRF field option (``min_value``...) for ``f``."""
    fields = _OPTIONS.get(type(validator))
    return fields is not None and isinstance(f, fields)


def _limits(f: AnyModelField, validator_class: type, attr: str) -> list[Bound]:
    return [getattr(v, attr) for v in f.validators if type(v) is validator_class]


def _put(
    kwargs: FieldKwargs,
    key: str,
    pick: Callable[[list[Bound]], Bound],
    values: Sequence[Bound | None],
) -> None:
    bounds = [v for v in values if v is not None]
    if bounds:
        kwargs[key] = pick(bounds)
