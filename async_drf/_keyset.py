"""Keyset reading for streaming list views: a queryset read in chunks, without OFFSET.

Rows are ordered by the requested ordering plus the primary key, which makes the order
total; each chunk is the next ``LIMIT n`` rows after the last row read, selected by
comparing the ordering columns with that row's values.  NULLs sort where the database
puts them: after every value in ascending order on PostgreSQL (and Oracle), before
them on SQLite, MySQL and SQL Server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, NamedTuple, TypeVar

from django.core.exceptions import ImproperlyConfigured
from tortoise.expressions import Q
from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ManyToManyFieldInstance,
    RelationalField,
)

from . import compat
from ._lookups import lookup_q
from .orm import get_model

if TYPE_CHECKING:
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

M = TypeVar("M", bound="Model")

__all__ = ["Keyset"]

_SEP = "__"
# Dialects whose NULLs sort after every value in ascending order.
_NULLS_HIGH = frozenset({"postgres", "oracle"})


class _Column(NamedTuple):
    path: str  # Tortoise lookup path: "title", "author_id", "author__name"
    descending: bool
    nullable: bool


class Keyset(Generic[M]):
    """Reads ``queryset`` ``size`` rows at a time in ``ordering`` (``["-created"]``),
    with the primary key appended when it is not there yet."""

    def __init__(self, queryset: QuerySet[M], ordering: list[str], size: int) -> None:
        model = get_model(queryset)
        self.columns = _columns(model, ordering)
        self.size = size
        self.nulls_high = _dialect(model) in _NULLS_HIGH
        order_by = [("-" if c.descending else "") + c.path for c in self.columns]
        queryset = queryset.order_by(*order_by)
        relations = {c.path.rsplit(_SEP, 1)[0] for c in self.columns if _SEP in c.path}
        if relations:  # the last row's values are read from the instances
            queryset = queryset.select_related(*sorted(relations))
        self.queryset = queryset
        self.last: tuple[object, ...] | None = None
        self.exhausted = False

    async def fetch(self) -> list[M]:
        """The next chunk of rows; an empty list once every row was read."""
        if self.exhausted:
            return []
        # Bound each time: under WSGI, chunks after the first run on a loop of their own.
        queryset: QuerySet[M] = compat.on_current_client(self.queryset)
        if self.last is not None:
            queryset = queryset.filter(self.after())
        rows = list(await queryset.limit(self.size))
        self.exhausted = len(rows) < self.size
        if rows:
            self.last = tuple(_value(rows[-1], column.path) for column in self.columns)
        return rows

    def after(self) -> Q:
        """The rows that sort after ``self.last``: for each column, the rows equal on
        the columns before it and beyond it on this one, OR-ed."""
        assert self.last is not None
        disjuncts: list[Q] = []
        equal: list[Q] = []
        for column, value in zip(self.columns, self.last, strict=True):
            beyond = self._beyond(column, value)
            if beyond is not None:
                disjuncts.append(Q(*equal, beyond) if equal else beyond)
            equal.append(_is(column.path, value))
        condition = Q(*disjuncts, join_type="OR")
        first, value = self.columns[0], self.last[0]
        if len(self.columns) > 1 and value is not None and not first.nullable:
            # Redundant, but lets the database scan an index from the last row on.
            bound = "lte" if first.descending else "gte"
            condition = Q(lookup_q(f"{first.path}__{bound}", value), condition)
        return condition

    def _beyond(self, column: _Column, value: object) -> Q | None:
        """The rows after ``value`` in ``column``'s direction, or None for none."""
        nulls_last = self.nulls_high != column.descending
        if value is None:
            return None if nulls_last else lookup_q(f"{column.path}__isnull", False)
        lookup = "lt" if column.descending else "gt"
        beyond = lookup_q(f"{column.path}__{lookup}", value)
        if column.nullable and nulls_last:
            beyond = Q(beyond, lookup_q(f"{column.path}__isnull", True), join_type="OR")
        return beyond


def _is(path: str, value: object) -> Q:
    return lookup_q(f"{path}__isnull", True) if value is None else lookup_q(path, value)


def _value(row: object, path: str) -> object:
    for part in path.split(_SEP):
        if row is None:
            return None
        row = getattr(row, part)
    return row


def _columns(model: type[Model], ordering: list[str]) -> list[_Column]:
    pk = model._meta.pk_attr
    columns = []
    for name in ordering:
        descending = name.startswith("-")
        path = name.lstrip("-")
        path = pk if path == "pk" else path
        columns.append(_Column(path, descending, _nullable(model, path)))
    if pk not in [column.path for column in columns]:
        columns.append(_Column(pk, False, False))
    return columns


def _nullable(model: type[Model] | None, path: str) -> bool:
    """Whether ``path`` may be NULL; it must not cross a to-many relation."""
    nullable = False
    for part in path.split(_SEP):
        if model is None or (field := model._meta.fields_map.get(part)) is None:
            return True  # an annotation: assume the worst
        if isinstance(field, ManyToManyFieldInstance) or (
            isinstance(field, BackwardFKRelation)
            and not isinstance(field, BackwardOneToOneRelation)
        ):
            raise ImproperlyConfigured(
                f"A streamed list cannot be ordered by '{path}': {model.__name__}.{part} "
                "is a to-many relation, so rows would repeat."
            )
        nullable = nullable or bool(getattr(field, "null", False))
        if isinstance(field, BackwardOneToOneRelation):
            nullable = True  # the related row may not exist
        model = field.related_model if isinstance(field, RelationalField) else None
    return nullable


def _dialect(model: type[Model]) -> str:
    return str(model._meta.db.capabilities.dialect)
