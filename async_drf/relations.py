"""Related fields for Tortoise relations, and the fetch helpers that feed them.

Reading never touches the database: a forward FK/O2O field reads the ``<fk>_id``
column (TRAPS 10), and to-many / reverse fields read relations that
``await serializer.adata`` (or the view's ``prefetch_related``) has already fetched.
Writing checks existence with one async query per field, queued for ``ais_valid``
(TRAPS 11), so a missing pk is a 400 with DRF's message, never an IntegrityError.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import relations as drf_relations
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import BaseSerializer
from tortoise.models import Model
from tortoise.queryset import QuerySet

from .fields import fits_column
from .orm import get_model
from .validators import defer_check, get_queryset

__all__ = [
    "ManyRelatedField",
    "PrimaryKeyRelatedField",
    "fk_column",
    "is_fetched",
    "prefetch_instances",
    "prefetch_paths",
    "split_many",
]

_MISSING = object()


def is_fetched(instance: Model, name: str) -> bool:
    """Whether relation ``name`` of ``instance`` can be read without a query."""
    meta = instance._meta
    cached = instance.__dict__.get(f"_{name}", _MISSING)  # Tortoise caches relations as `_<name>`
    if name in meta.fk_fields or name in meta.o2o_fields:
        source = meta.fields_map[name].source_field
        return cached is not _MISSING or getattr(instance, source) is None
    if name in meta.backward_o2o_fields:
        # An unfetched reverse O2O caches the QuerySet it would run.
        return cached is not _MISSING and not isinstance(cached, QuerySet)
    return cached is not _MISSING and cached is not None and getattr(cached, "_fetched", False)


def _related_objects(instances: Iterable[Model], name: str) -> list[Model]:
    """The distinct, already fetched objects behind relation ``name``."""
    seen: dict[int, Model] = {}
    for instance in instances:
        value = getattr(instance, name)
        for obj in value if not isinstance(value, Model) and value is not None else [value]:
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
    for first, rests in nested.items():
        missing = [i for i in instances if not is_fetched(i, first)]
        if missing:
            await model.fetch_for_list(missing, first)
        if rests:
            await prefetch_instances(_related_objects(instances, first), rests)


def prefetch_paths(serializer: BaseSerializer, model: Any) -> list[str]:
    """Relation paths read by the readable fields of ``serializer`` over ``model``."""
    paths: list[str] = []
    for field in serializer._readable_fields:
        current, prefix = model, ""
        for attr in field.source_attrs:  # e.g. source="author.profile.bio"
            relation = current._meta.fields_map.get(attr)
            if attr not in current._meta.fetch_fields or relation is None:
                break
            prefix = f"{prefix}__{attr}" if prefix else attr
            paths.append(prefix)
            current = relation.related_model
        else:
            child = getattr(field, "child", field)
            if (
                prefix
                and isinstance(child, BaseSerializer)
                and hasattr(child, "get_prefetch_fields")
            ):
                paths += [f"{prefix}__{sub}" for sub in child.get_prefetch_fields(current)]
    return list(dict.fromkeys(paths))


def _unfetched_error(name: str) -> AssertionError:
    return AssertionError(
        f"Relation {name!r} is not fetched: render with `await serializer.adata`, or "
        f"prefetch_related(*serializer.get_prefetch_fields()) on the queryset."
    )


class PrimaryKeyRelatedField(drf_relations.PrimaryKeyRelatedField):
    """Async twin of DRF's PrimaryKeyRelatedField over a Tortoise model.

    ``queryset`` is a Tortoise model class or QuerySet.  On a forward FK the
    ModelSerializer sets ``source="<fk>_id"``, so reads return the column and
    validated data holds the pk; existence is checked by ``ais_valid``.
    """

    default_error_messages = {
        "does_not_exist": _('Invalid pk "{pk_value}" - object does not exist.'),
        "incorrect_type": _("Incorrect type. Expected pk value, received {data_type}."),
    }

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> ManyRelatedField:
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in drf_relations.MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return ManyRelatedField(**list_kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False  # DRF's optimisation calls Django's `serializable_value`

    def get_choices(self, cutoff: int | None = None) -> dict[Any, Any]:
        return {}  # choices would need a sync query (browsable API forms)

    def to_pk(self, data: Any) -> Any:
        """Coerce raw input to the target pk type, or fail with DRF's incorrect_type;
        an integer the pk column cannot hold fails with does_not_exist, unqueried."""
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        pk_field = get_model(self.queryset)._meta.pk
        try:
            if isinstance(data, (bool, dict, list)):
                raise TypeError
            pk = pk_field.to_python_value(data)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e400)
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not fits_column(pk_field, pk):
            self.fail("does_not_exist", pk_value=data)
        return pk

    def to_internal_value(self, data: Any) -> Any:
        pk = self.to_pk(data)
        defer_check(self, self.acheck_exist, [pk])
        return pk

    async def acheck_exist(self, pks: list[Any]) -> None:
        """At most one query for all ``pks``; the first missing one fails (does_not_exist)."""
        if not pks:
            return
        if len(pks) == 1:  # the FK case: EXISTS is cheaper to build and run
            missing = [] if await get_queryset(self.queryset, pk=pks[0]).exists() else pks
        else:
            pk_attr = get_model(self.queryset)._meta.pk_attr  # values_list() does not know "pk"
            queryset = get_queryset(self.queryset, pk__in=pks)
            found = set(await queryset.values_list(pk_attr, flat=True))
            missing = [pk for pk in pks if pk not in found]
        if missing:
            raise ValidationError(
                self.error_messages["does_not_exist"].format(pk_value=missing[0]),
                code="does_not_exist",
            )

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if isinstance(value, QuerySet):
            raise _unfetched_error(self.source)
        return value

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, Model):
            value = value.pk
        return self.pk_field.to_representation(value) if self.pk_field is not None else value


class ManyRelatedField(drf_relations.ManyRelatedField):
    """Async twin of DRF's ManyRelatedField: a list of pks, checked with one query."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        pks = list(dict.fromkeys(self.child_relation.to_pk(item) for item in data))
        defer_check(self, self.child_relation.acheck_exist, pks)
        return pks

    def get_attribute(self, instance: Any) -> list[Any]:
        relation = drf_relations.get_attribute(instance, self.source_attrs)
        if isinstance(instance, Model) and not is_fetched(instance, self.source_attrs[0]):
            raise _unfetched_error(self.source)
        return list(relation)


def fk_column(model: Any, name: str) -> str:
    """``author`` -> ``author_id`` for a FK/O2O in unique_together; else ``name``."""
    return getattr(model._meta.fields_map.get(name), "source_field", None) or name


def split_many(
    model: Any, validated_data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Validated data split into (columns, {m2m name: pks}): m2m rows are written apart."""
    m2m = model._meta.m2m_fields
    data = {k: v for k, v in validated_data.items() if k not in m2m}
    return data, {k: list(v) for k, v in validated_data.items() if k in m2m}
