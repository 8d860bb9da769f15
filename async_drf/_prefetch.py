"""Fetching ahead, in a fixed number of queries, what DRF's sync code reads from relations.

* The rows a serializer renders: :func:`prefetch_paths` lists the relations its
  readable fields read and :func:`prefetch_instances` fetches the ones not loaded yet
  (one query per relation level, whatever the number of rows).
* The objects its input refers to: :func:`alookup_input` looks up the values of each
  related field with one query per field, before DRF's sync validation reads them.
* The choices of the browsable API's forms: :func:`aload_form_choices`.

Related fields are recognised by what they can do (``alookup_ahead``,
``reads_pk_column``, ``lookup_path``), so this module does not import them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias, cast

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from rest_framework.relations import ManyRelatedField, RelatedField
from rest_framework.serializers import BaseSerializer, ListSerializer, Serializer
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.queryset import QuerySet

from . import compat

if TYPE_CHECKING:
    from ._types import AnyField, AnyModelField, AnySerializer

__all__ = [
    "aload_form_choices",
    "alookup_input",
    "check_tortoise_relation",
    "choices_key",
    "is_fetched",
    "model_field",
    "prefetch_instances",
    "prefetch_paths",
    "reads_fk_column",
]

_MISSING = object()

# Where a form field's choices are kept: (root serializer class, field names).
ChoicesKey: TypeAlias = "tuple[type[AnyField], tuple[str, ...]]"
# A related field's choices for an HTML form: {rendered value: display text}.
FormChoices = dict[object, str]


class LooksUpAhead(Protocol):
    """A related field that looks its input's objects up before DRF's sync pass."""

    def to_lookup(self, data: object, /) -> object: ...
    async def alookup_ahead(self, keys: list[object], /) -> None: ...


class LoadsChoices(Protocol):
    """A related field that loads its form choices with one query."""

    async def aget_choices(self, cutoff: int | None = None, /) -> FormChoices: ...


def is_fetched(instance: Model, name: str) -> bool:
    """Whether relation ``name`` of ``instance`` can be read without a query."""
    meta = instance._meta
    cached = instance.__dict__.get(f"_{name}", _MISSING)  # Tortoise caches relations as `_<name>`
    if name in meta.fk_fields or name in meta.o2o_fields:
        source = meta.fields_map[name].source_field or name
        return cached is not _MISSING or getattr(instance, source) is None
    if name in meta.backward_o2o_fields:
        # An unfetched reverse O2O caches the QuerySet it would run.
        return cached is not _MISSING and not isinstance(cached, QuerySet)
    return cached is not _MISSING and cached is not None and compat.relation_fetched(cached)


def reads_fk_column(relation: object) -> bool:
    """Whether ``relation`` is a forward FK/O2O whose ``<fk>_id`` column holds the target pk."""
    return isinstance(relation, rel.ForeignKeyFieldInstance) and relation.to_field_instance.pk


def model_field(model: type[Model] | None, path: str) -> AnyModelField | None:
    """The Tortoise field at ``path`` (``"name"``, ``"author__name"``, ``"pk"``), or None."""
    field = None
    for name in path.split("__"):
        if model is None:
            return None
        field = model._meta.pk if name == "pk" else model._meta.fields_map.get(name)
        model = getattr(field, "related_model", None)
    return field


def choices_key(field: AnyField) -> ChoicesKey:
    """Where a form field's choices are kept: (root serializer class, field names)."""
    names: list[str] = []
    node: AnyField = field
    parent: AnyField | None = field.parent  # None at the root (the stubs say otherwise)
    while parent is not None:
        if node.field_name:  # a ManyRelatedField's child has none: it shares its parent's
            names.append(node.field_name)
        node, parent = parent, parent.parent
    return (type(node), tuple(reversed(names)))


# Rows to render ---------------------------------------------------------------------


def _related_objects(instances: Iterable[Model], name: str) -> list[Model]:
    """The distinct, already fetched objects behind relation ``name``."""
    seen: dict[int, Model] = {}
    for instance in instances:
        value = getattr(instance, name)
        if value is None or value is rel.NoneAwaitable:  # a null FK: nothing to follow
            continue
        for obj in value if not isinstance(value, Model) else [value]:
            if isinstance(obj, Model):
                seen.setdefault(id(obj), obj)
    return list(seen.values())


async def prefetch_instances(instances: list[Model], paths: Iterable[str]) -> None:
    """Fetch the relation ``paths`` (``"author"``, ``"author__profile"``) not yet loaded.

    One query per relation level whatever the number of instances (Tortoise's
    ``fetch_for_list``); relations already loaded (e.g. by the view's
    ``prefetch_related``) are not fetched again.
    """
    if not instances:
        return
    model = type(instances[0])
    nested: dict[str, list[str]] = {}
    for path in paths:
        first, _sep, rest = path.partition("__")
        nested.setdefault(first, [])
        if rest:
            nested[first].append(rest)
    forward = model._meta.fk_fields | model._meta.o2o_fields
    for first, rests in nested.items():
        # An unsaved row has no to-many relations to fetch (DRF renders them as []).
        missing = [
            i
            for i in instances
            if not is_fetched(i, first) and (i.pk is not None or first in forward)
        ]
        if missing:
            await model.fetch_for_list(missing, first)
        if rests:
            await prefetch_instances(_related_objects(instances, first), rests)


def prefetch_paths(serializer: AnySerializer, model: type[Model]) -> list[str]:
    """Relation paths read by the readable fields of ``serializer`` over ``model``."""
    paths: list[str] = []
    for field in compat.readable_fields(serializer):
        paths += _field_paths(field, model)
    return list(dict.fromkeys(paths))


def check_tortoise_relation(field: AnyField) -> None:
    """Refuse DRF's own related fields: they query with Django's sync ORM API."""
    relation = field.child_relation if isinstance(field, ManyRelatedField) else field
    if isinstance(relation, RelatedField) and not hasattr(relation, "alookup_ahead"):
        name = type(relation).__name__
        raise ImproperlyConfigured(
            f"{name} from rest_framework cannot read or look up Tortoise rows "
            f"(field {field.field_name!r}): use async_drf.serializers.{name}."
        )


def _field_paths(field: AnyField, model: type[Model]) -> list[str]:
    check_tortoise_relation(field)
    attrs = field.source_attrs  # e.g. source="author.profile.bio"
    by_column = getattr(field, "reads_pk_column", None)
    paths: list[str] = []
    current, prefix = model, ""
    for index, attr in enumerate(attrs):
        relation = current._meta.fields_map.get(attr)
        if attr not in current._meta.fetch_fields or relation is None:
            return paths
        if index == len(attrs) - 1 and by_column and by_column() and reads_fk_column(relation):
            return paths  # the field reads the `<fk>_id` column
        prefix = f"{prefix}__{attr}" if prefix else attr
        paths.append(prefix)
        current = cast("rel.RelationalField[Model]", relation).related_model  # a fetch field
    if not prefix:
        return paths
    child = getattr(field, "child_relation", None) or getattr(field, "child", field)
    if isinstance(child, BaseSerializer) and hasattr(child, "get_prefetch_fields"):
        paths += [f"{prefix}__{sub}" for sub in child.get_prefetch_fields(current)]
    # A slug through relations ("author__name") renders from the related rows too.
    hops = getattr(child, "lookup_path", "").split("__")[:-1]
    for index in range(len(hops)):
        relation = model_field(current, "__".join(hops[: index + 1]))
        if not isinstance(relation, rel.RelationalField):
            break
        paths.append("__".join([prefix, *hops[: index + 1]]))
    return paths


# Objects the input refers to --------------------------------------------------------


async def alookup_input(serializer: AnySerializer) -> None:
    """Look up the objects ``serializer.initial_data`` refers to: one query per field.

    The values of every related field are collected through the serializer tree
    (nested serializers, ``many=True`` lists) before any is looked up, so a list of
    100 items naming their author costs one query, not 100.
    """
    wanted: dict[LooksUpAhead, list[object]] = {}
    _collect(serializer, getattr(serializer, "initial_data", empty), wanted)
    for field, keys in wanted.items():  # sequential: one connection
        await field.alookup_ahead(keys)


def _collect(node: AnyField | None, data: object, wanted: dict[LooksUpAhead, list[object]]) -> None:
    if isinstance(node, ListSerializer):
        if isinstance(data, list):
            for item in data:
                _collect(node.child, item, wanted)
        return
    if not isinstance(data, Mapping) or not isinstance(node, Serializer):
        return
    field: AnyField
    for field in compat.writable_fields(node):
        value = field.get_value(data)
        if value is empty:
            continue
        check_tortoise_relation(field)
        if isinstance(field, BaseSerializer):
            _collect(field, value, wanted)
        elif isinstance(field, ManyRelatedField) and hasattr(field.child_relation, "alookup_ahead"):
            child = cast("LooksUpAhead", field.child_relation)
            keys = wanted.setdefault(child, [])
            if not isinstance(value, str) and hasattr(value, "__iter__"):
                found = [_lookup_key(child, item) for item in value]
                if _INVALID not in found:  # else the field fails: no query for it
                    keys += [key for key in found if key is not _NONE]
        elif hasattr(field, "alookup_ahead"):
            ahead = cast("LooksUpAhead", field)
            key = _lookup_key(ahead, value)
            if key is not _INVALID and key is not _NONE:
                wanted.setdefault(ahead, []).append(key)


_NONE = object()
_INVALID = object()


def _lookup_key(field: LooksUpAhead, value: object) -> object:
    if value in ("", None):
        return _NONE  # DRF's RelatedField turns "" into None, which is never looked up
    try:
        key = field.to_lookup(value)
        hash(key)
    except (ValidationError, TypeError):
        return _INVALID  # DRF's sync pass reports it
    return key


# Choices of the browsable API's forms -----------------------------------------------


async def aload_form_choices(serializer: AnySerializer) -> dict[ChoicesKey, FormChoices]:
    """``{choices_key(field): choices}`` for the related fields an HTML form of
    ``serializer`` shows (writable ones, nested serializers included), each loaded
    with one query limited to the field's ``html_cutoff``."""
    choices: dict[ChoicesKey, FormChoices] = {}
    for field, cutoff in _form_related_fields(serializer):
        key = choices_key(field)
        if key not in choices:
            choices[key] = await cast("LoadsChoices", field).aget_choices(cutoff)
    return choices


def _form_related_fields(serializer: AnySerializer) -> Iterable[tuple[AnyField, int | None]]:
    field: AnyField
    for field in compat.writable_fields(serializer):
        if isinstance(field, ManyRelatedField):
            if hasattr(field.child_relation, "aget_choices"):
                yield field.child_relation, field.html_cutoff
        elif hasattr(field, "aget_choices"):
            yield field, getattr(field, "html_cutoff", None)
        elif isinstance(field, Serializer):
            yield from _form_related_fields(field)  # rendered as a fieldset
