"""What ModelSerializer builds its fields from, beside ``fields.py``'s column mapping:
nested serializers for ``Meta.depth``, view names for hyperlinks, the defaults of a
``unique_together`` set's fields, and DRF's refusals of fields it cannot set."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.utils import timezone
from rest_framework import serializers as drf
from rest_framework.fields import empty
from tortoise.fields import relational as rel

from ._writes import fk_column

if TYPE_CHECKING:
    from tortoise.models import Model

    from ._types import AnyField, AnyModelField, AnySerializer, FieldKwargs, FieldSpec
    from .fields import ModelInfo, Relation

__all__ = [
    "check_many_defaults",
    "detail_view_name",
    "model_columns",
    "nested_field",
    "unique_default",
    "unique_sources",
    "unique_together_columns",
]


def detail_view_name(model: type[Model]) -> str:
    """DRF's ``get_detail_view_name`` for a Tortoise model: ``"<model>-detail"``."""
    return f"{model.__name__.lower()}-detail"


def nested_field(base: type, relation: Relation, nested_depth: int) -> FieldSpec:
    """A read-only ``base`` subclass over the related model (``Meta.depth``)."""

    class NestedSerializer(base):  # type: ignore[misc]  # a class chosen at run time
        class Meta:
            model = relation.related_model
            depth = nested_depth - 1
            fields = "__all__"

    many = isinstance(relation, rel.ManyToManyFieldInstance) or (
        isinstance(relation, rel.BackwardFKRelation)
        and not isinstance(relation, rel.BackwardOneToOneRelation)
    )
    return NestedSerializer, {"read_only": True, "many": many}


def check_many_defaults(
    serializer: AnySerializer, declared_fields: Mapping[str, AnyField], info: ModelInfo
) -> None:
    # DRF refuses a declared to-many relation with default=None (it cannot be set).
    for name, field in declared_fields.items():
        relation = info.relations.get(name)
        to_many = isinstance(relation, (rel.ManyToManyFieldInstance, rel.BackwardFKRelation))
        if to_many and not isinstance(relation, rel.BackwardOneToOneRelation):
            if field.default is None:
                raise ValueError(
                    f"The field '{name}' on serializer '{type(serializer).__name__}' is a "
                    "ManyToMany field and cannot have a default value of None."
                )


def unique_default(model_field: AnyModelField) -> object:
    """What DRF fills in for an omitted field of a unique set (``empty``: required)."""
    if getattr(model_field, "auto_now", False):
        return timezone.now
    if getattr(model_field, "auto_now_add", False):
        return drf.CreateOnlyDefault(timezone.now)
    if model_field.default is not None:
        return model_field.default
    return None if model_field.null else empty


def unique_sources(model: type[Model], fields: Iterable[AnyField]) -> dict[str, list[str]]:
    """{model column: names of the fields that write it} for ``unique_together``."""
    source_map: dict[str, list[str]] = defaultdict(list)
    for field in fields:
        takes_part = not field.read_only or field.default is not empty
        source, name = field.source, field.field_name
        if takes_part and source and name and source != "*" and "." not in source:
            source_map[fk_column(model, source)].append(name)
    return source_map


def model_columns(
    model: type[Model],
    field_names: Iterable[str],
    declared_fields: Mapping[str, AnyField],
    extra_kwargs: Mapping[str, FieldKwargs],
) -> dict[str, str]:
    """{model column: serializer field name} for the fields that map to a column."""
    columns: dict[str, str] = {}
    for field_name in field_names:
        if field_name in declared_fields:
            source = declared_fields[field_name].source or field_name
        else:
            source = extra_kwargs.get(field_name, {}).get("source", field_name)
        if source == "*" or "." in source:
            continue
        column = fk_column(model, source)
        if column in model._meta.fields_db_projection:
            columns[column] = field_name
    return columns


def unique_together_columns(model: type[Model], by_column: Mapping[str, str]) -> set[str]:
    """The columns of the ``unique_together`` sets whose every column has a field."""
    unique_columns: set[str] = set()
    for together in model._meta.unique_together:
        columns = {fk_column(model, name) for name in together}
        if set(by_column).issuperset(columns):
            unique_columns |= columns
    return unique_columns
