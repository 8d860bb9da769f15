"""Writing a row's relations as DRF's ModelSerializer does, over Tortoise.

DRF's ``create``/``update`` pop the to-many values, save the row, then call
``field.set(values)``.  Here the to-many relations are a ManyToMany (from either
side) and a reverse ForeignKey, written with the row in one transaction.
"""

from __future__ import annotations

from typing import Any

from tortoise.fields import relational as rel
from tortoise.models import Model

__all__ = ["aset_many", "fk_column", "split_many"]


def fk_column(model: Any, name: str) -> str:
    """``author`` -> ``author_id`` for a FK/O2O in unique_together; else ``name``."""
    return getattr(model._meta.fields_map.get(name), "source_field", None) or name


def split_many(
    model: Any, validated_data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Validated data split into (row values, {to-many relation: values}).

    A FK/O2O given a pk instead of an object (a value validated without its lookup)
    is written to its ``<fk>_id`` column.
    """
    meta = model._meta
    to_many = meta.m2m_fields | meta.backward_fk_fields
    forward = meta.fk_fields | meta.o2o_fields
    data: dict[str, Any] = {}
    many: dict[str, list[Any]] = {}
    for key, value in validated_data.items():
        if key in to_many:
            many[key] = list(value)
        elif key in forward and value is not None and not isinstance(value, Model):
            data[meta.fields_map[key].source_field] = value
        else:
            data[key] = value
    return data, many


async def aset_many(
    instance: Model, name: str, values: list[Any], conn: Any, clear: bool
) -> list[Any]:
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
        found = await _aset_m2m(instance, name, relation, pks, conn, clear)
    instance.__dict__.pop(f"_{name}", None)  # render re-fetches the new set
    missing = [value for value, pk in zip(values, pks, strict=True) if pk not in found]
    if not missing and isinstance(relation, rel.BackwardFKRelation):
        for value in values:  # the objects now point here
            if isinstance(value, Model):
                setattr(value, relation.relation_field, instance.pk)
    return missing


async def _aset_m2m(
    instance: Model, name: str, relation: Any, pks: list[Any], conn: Any, clear: bool
) -> set[Any]:
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
    instance: Model, relation: Any, pks: list[Any], conn: Any, clear: bool
) -> set[Any]:
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
