"""Lookup paths over Tortoise models (``author__name__icontains``), shared by the filter
backends and the FilterSet: which field a path reaches, whether it crosses a to-many
relation, the Tortoise filter key that implements a django-filter lookup, and the
default label django-filter gives it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.utils.text import capfirst
from tortoise.expressions import Q, Subquery
from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ForeignKeyFieldInstance,
    ManyToManyFieldInstance,
    RelationalField,
)

from . import compat

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

    from ._types import ModelField

M = TypeVar("M", bound="Model")

SEP = "__"

# django-filter's lookups that Tortoise implements under the same name.
LOOKUPS = frozenset(
    "exact iexact contains icontains startswith istartswith endswith iendswith "
    "gt gte lt lte in isnull range".split()
)


def model_field(model: type[Model], name: str) -> ModelField | None:
    meta = model._meta
    return meta.fields_map.get(meta.pk_attr if name == "pk" else name)


def walk(
    model: type[Model] | None, parts: list[str]
) -> Iterator[tuple[str, ModelField | None, type[Model] | None]]:
    """Yield ``(part, field or None, model the part belongs to)`` along a lookup path."""
    for part in parts:
        field = model_field(model, part) if model is not None else None
        yield part, field, model
        model = field.related_model if isinstance(field, RelationalField) else None


def is_to_many(field: object) -> bool:
    # A backward one-to-one relation subclasses BackwardFKRelation but is to-one.
    return isinstance(field, ManyToManyFieldInstance) or (
        isinstance(field, BackwardFKRelation) and not isinstance(field, BackwardOneToOneRelation)
    )


def dialect(model: type[Model]) -> tuple[str, BaseDBAsyncClient | None]:
    """The model's database dialect and client (the connection behind a transaction)."""
    try:
        client = model._meta.db
    except Exception:  # no Tortoise context: the query would fail anyway, and clearly
        return "", None
    client = compat.outer_client(client)
    return client.capabilities.dialect, client


@dataclass(frozen=True)
class Target:
    """Where a ``field_name`` + ``lookup_expr`` pair lands on a Tortoise model.

    ``key`` is the Tortoise filter key, ``column`` the data field whose type the value
    takes (a foreign key's ``<fk>_id``, a to-many relation's related pk), ``to_many``
    whether the path crosses a to-many relation (rows would repeat), and ``local``
    whether the column belongs to the model itself.
    """

    key: str
    column: ModelField | None
    to_many: bool
    local: bool


def lookup_q(key: str, value: object) -> Q:
    """``Q(<key>=value)`` (Tortoise's Q also takes ``join_type`` as a keyword)."""
    kwargs: dict[str, Any] = {key: value}
    return Q(**kwargs)


def resolve_key(model: type[Model] | None, field_name: str, lookup_expr: str) -> str:
    """The filter key for ``field_name`` + ``lookup_expr``: the resolved one, or for
    an annotation the plain ``<field_name>__<lookup_expr>``."""
    target = resolve(model, field_name, lookup_expr)
    return target.key if target is not None else SEP.join([field_name, lookup_expr])


def resolve(model: type[Model] | None, field_name: str, lookup_expr: str) -> Target | None:
    """The Tortoise filter for ``field_name`` and a django-filter ``lookup_expr``.

    None when the path does not name model fields (an annotation, a method filter).
    Raises ValueError when the field exists but Tortoise has no such lookup for it.
    """
    parts, to_many, owner, field = [], False, model, None
    for part, field, owner in walk(model, field_name.split(SEP)):
        if field is None:
            return None
        parts.append(cast("type[Model]", owner)._meta.pk_attr if part == "pk" else part)
        to_many = to_many or is_to_many(field)
    owner = cast("type[Model]", owner)  # a field's: not None
    if isinstance(field, ForeignKeyFieldInstance):  # also one-to-one: compare the id column
        source = field.source_field or part
        parts[-1] = source
        field = model_field(owner, source)
    elif isinstance(field, RelationalField):  # to-many or backward one-to-one: the related pk
        owner = field.related_model
        parts.append(owner._meta.pk_attr)
        field = model_field(owner, owner._meta.pk_attr)
    key = SEP.join(parts if lookup_expr == "exact" else [*parts, lookup_expr])
    name = SEP.join(key.split(SEP)[len(parts) - 1 :])
    if name not in owner._meta.filters:
        raise ValueError(f"{owner.__name__} has no '{lookup_expr}' lookup for '{parts[-1]}'")
    return Target(key=key, column=field, to_many=to_many, local=len(parts) == 1)


def apply(
    queryset: QuerySet[M], target: Target | None, condition: Q, *, exclude: bool = False
) -> QuerySet[M]:
    """``queryset`` narrowed (or, with ``exclude``, reduced) by ``condition`` on ``target``.

    Across a to-many relation, and for an exclusion that may meet NULLs, the rows are
    selected by key through a subquery: no duplicate rows and a correct ``count()``
    (as DRF's SearchFilter does), and Django's ``exclude`` semantics (a row whose
    related column is NULL is kept; Tortoise's ``NOT`` would drop it).  A path that
    names no model field (``target`` None: an annotation) is filtered directly.
    """
    direct = target is None or (
        not target.to_many
        and (not exclude or (target.local and not getattr(target.column, "null", True)))
    )
    if direct:
        return queryset.exclude(condition) if exclude else queryset.filter(condition)
    model = queryset.model
    pk = model._meta.pk_attr
    matching = {f"{pk}__in": Subquery(model.filter(condition).values(pk))}
    return queryset.exclude(**matching) if exclude else queryset.filter(**matching)


# django-filter's FILTERS_VERBOSE_LOOKUPS, for the default labels.
VERBOSE_LOOKUPS = {
    "exact": "",
    "iexact": "",
    "contains": "contains",
    "icontains": "contains",
    "in": "is in",
    "gt": "is greater than",
    "gte": "is greater than or equal to",
    "lt": "is less than",
    "lte": "is less than or equal to",
    "startswith": "starts with",
    "istartswith": "starts with",
    "endswith": "ends with",
    "iendswith": "ends with",
    "range": "is in range",
    "isnull": "is null",
}


def label_for_filter(field_name: str, lookup_expr: str, exclude: bool = False) -> str:
    """django-filter's default label: ``author__name`` + ``in`` -> "Author name is in"."""
    words = ["exclude"] if exclude else []
    words.append(field_name.replace(SEP, " ").replace("_", " "))
    words += [VERBOSE_LOOKUPS.get(part, part) for part in lookup_expr.split(SEP)]
    return capfirst(" ".join(word for word in words if word))
