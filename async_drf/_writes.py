"""Writing a row's relations as DRF's ModelSerializer does, over Tortoise.

DRF's ``create``/``update`` pop the to-many values, save the row, then call
``field.set(values)``.  Here the to-many relations are a ManyToMany (from either
side) and a reverse ForeignKey, written with the row in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast

from rest_framework import serializers as drf
from rest_framework.exceptions import ValidationError
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.transactions import in_transaction

from . import compat
from .relations import PrimaryKeyRelatedField

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from tortoise.backends.base.client import BaseDBAsyncClient

    from .fields import Relation
    from .serializers import ModelSerializer

    # The connection a write runs on: a transaction's, or None for the model's default.
    Connection = BaseDBAsyncClient | None

__all__ = [
    "aset_many",
    "aset_relations",
    "atomic",
    "check_create_kwargs",
    "fk_column",
    "raise_errors_on_nested_writes",
    "split_many",
]


def fk_column(model: type[Model], name: str) -> str:
    """``author`` -> ``author_id`` for a FK/O2O in unique_together; else ``name``."""
    return getattr(model._meta.fields_map.get(name), "source_field", None) or name


def split_many(
    model: type[Model], validated_data: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, list[object]]]:
    """Validated data split into (row values, {to-many relation: values}).

    A FK/O2O given a pk instead of an object (a value validated without its lookup)
    is written to its ``<fk>_id`` column.
    """
    meta = model._meta
    to_many = meta.m2m_fields | meta.backward_fk_fields
    forward = meta.fk_fields | meta.o2o_fields
    data: dict[str, object] = {}
    many: dict[str, list[object]] = {}
    for key, value in validated_data.items():
        if key in to_many:
            many[key] = list(cast("Iterable[object]", value))  # a to-many field's list
        elif key in forward and value is not None and not isinstance(value, Model):
            data[cast("str", meta.fields_map[key].source_field)] = value  # the `<fk>_id` column
        else:
            data[key] = value
    return data, many


async def aset_many(
    instance: Model, name: str, values: list[object], conn: Connection, clear: bool
) -> list[object]:
    """Make ``values`` (objects or pks) the related rows of ``instance.<name>``.

    ``clear`` (an update) replaces the previous set, as Django's ``set()``.  Returns
    the values whose rows no longer exist (deleted since validation), having
    written nothing for them; the caller rolls the transaction back.
    """
    relation = instance._meta.fields_map[name]
    pks = [value.pk if isinstance(value, Model) else value for value in values]
    if isinstance(relation, rel.BackwardFKRelation):
        found = await _aset_reverse_fk(instance, relation, pks, conn, clear)
    else:
        found = await _aset_m2m(instance, name, cast("Relation", relation), pks, conn, clear)
    instance.__dict__.pop(f"_{name}", None)  # render re-fetches the new set
    missing = [value for value, pk in zip(values, pks, strict=True) if pk not in found]
    if not missing and isinstance(relation, rel.BackwardFKRelation):
        for value in values:  # the objects now point here
            if isinstance(value, Model):
                setattr(value, relation.relation_field, instance.pk)
    return missing


async def _aset_m2m(
    instance: Model, name: str, relation: Relation, pks: list[object], conn: Connection, clear: bool
) -> set[object]:
    objs = await relation.related_model.filter(pk__in=pks).using_db(conn) if pks else []
    found = {obj.pk for obj in objs}
    if len(found) != len(set(pks)):
        return found
    manager = getattr(instance, name)
    if clear:
        await manager.clear(using_db=conn)
    if objs:
        await manager.add(*objs, using_db=conn)
    return found


async def _aset_reverse_fk(
    instance: Model,
    relation: rel.BackwardFKRelation[Model],
    pks: list[object],
    conn: Connection,
    clear: bool,
) -> set[object]:
    related, column = relation.related_model, relation.relation_field
    if clear and relation.null:
        # Django's set() on a nullable FK detaches the rows no longer listed; a
        # non-null FK only ever gains rows (they cannot be left without a parent).
        stale = related.filter(**{column: instance.pk}).exclude(pk__in=pks)
        await stale.using_db(conn).update(**{column: None})
    if not pks:
        return set()
    changed = await related.filter(pk__in=pks).using_db(conn).update(**{column: instance.pk})
    if changed == len(set(pks)):
        return set(pks)
    pk_attr = related._meta.pk_attr
    return set(await related.filter(pk__in=pks).using_db(conn).values_list(pk_attr, flat=True))


def raise_errors_on_nested_writes(
    method_name: str, serializer: ModelSerializer, validated_data: Mapping[str, object]
) -> None:
    """Refuse writable nested and dotted-source relation fields in the default
    ``acreate``/``aupdate``: what to do with the related rows is the serializer's call."""
    # Mirrors rest_framework.serializers.raise_errors_on_nested_writes; differs in
    # reading the relations from Tortoise's _meta, in one pass over the fields, and in
    # raising its AssertionErrors explicitly (so they hold under python -O too).
    relations = serializer._meta_model()._meta.fetch_fields  # every relation's name
    nested = dotted = False
    for field in compat.writable_fields(serializer):
        attrs = field.source_attrs
        first = attrs[0] if attrs else field.source
        if first not in validated_data or first not in relations:
            continue
        if isinstance(validated_data[first], (list, dict)):
            if len(attrs) > 1:
                dotted = True
            elif isinstance(field, drf.BaseSerializer):
                nested = True
    where = f"`{type(serializer).__module__}.{type(serializer).__name__}`"
    if nested:
        raise AssertionError(
            f"The `.{method_name}()` method does not support writable nested fields by "
            f"default.\nWrite an explicit `.{method_name}()` method for serializer {where}, "
            "or set `read_only=True` on nested serializer fields."
        )
    if dotted:
        raise AssertionError(
            f"The `.{method_name}()` method does not support writable dotted-source fields "
            f"by default.\nWrite an explicit `.{method_name}()` method for serializer "
            f"{where}, or set `read_only=True` on dotted-source serializer fields."
        )


def check_create_kwargs(serializer: object, model: type[Model], data: Mapping[str, object]) -> None:
    """DRF's explanatory TypeError for a key ``Model.create`` does not take, raised
    before anything is written (Tortoise would silently drop the key)."""
    meta = model._meta
    unknown = [k for k in data if k not in meta.fields_db_projection and k not in meta.fk_fields]
    unknown = [k for k in unknown if k not in meta.o2o_fields]
    if not unknown:
        return
    name = model.__name__
    original = f"{name}() got unexpected keyword arguments: " + ", ".join(map(repr, unknown))
    raise TypeError(
        f"Got a `TypeError` when calling `{name}.create()`. This may be because you have a "
        f"writable field on the serializer class that is not a valid argument to "
        f"`{name}.create()`. You may need to make the field read-only, or override the "
        f"{type(serializer).__name__}.acreate() method to handle this correctly.\n"
        f"Original exception was:\n {original}"
    )


def atomic(
    model: type[Model], many: Mapping[str, list[object]]
) -> AbstractAsyncContextManager[Connection]:
    """A transaction when the write spans rows (instance + m2m); one statement needs none."""
    if not many:
        return contextlib.nullcontext(None)
    return in_transaction(model._meta.default_connection)


async def aset_relations(
    serializer: ModelSerializer,
    instance: Model,
    many: Mapping[str, list[object]],
    conn: Connection,
    clear: bool,
) -> None:
    """Write ``instance``'s to-many relations; a value deleted since ``ais_valid`` rolls
    the whole write back with the field's "does not exist" error."""
    for name, values in many.items():
        missing = await aset_many(instance, name, values, conn, clear)
        if missing:
            _fail_missing(serializer, name, missing[0])


def _fail_missing(serializer: ModelSerializer, source: str, value: object) -> None:
    fields = ((n, f) for n, f in serializer.fields.items() if f.source == source)
    name, field = next(fields, (source, None))
    relation = getattr(field, "child_relation", field)
    if relation is None or not hasattr(relation, "fail_missing_object"):
        relation = PrimaryKeyRelatedField(read_only=True)  # DRF's message for a pk
    try:
        relation.fail_missing_object(value)
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from None
