"""Filter backends for Tortoise querysets: SearchFilter, OrderingFilter, EqualityFilter.

They keep DRF's names, parameters and settings (``SEARCH_PARAM``, ``ORDERING_PARAM``)
and stay sync: they only build Tortoise ``Q`` objects and ``order_by`` clauses, so no
query runs until the view awaits the queryset.  Their ``filter_queryset`` is
registered with :func:`~async_drf.concurrency.mark_inline`, so a generic view calls
them without a thread hop.  Only the methods of DRF's classes that read Django's
``Model._meta`` or build Django ``Q`` objects are overridden.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf_fields
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from tortoise.expressions import Q, Subquery
from tortoise.fields.relational import (
    BackwardFKRelation,
    BackwardOneToOneRelation,
    ForeignKeyFieldInstance,
    ManyToManyFieldInstance,
    RelationalField,
)
from tortoise.queryset import QuerySet

from .concurrency import is_async_callable, mark_inline
from .orm import get_model, is_model_class
from .settings import async_settings

__all__ = ["EqualityFilter", "OrderingFilter", "SearchFilter"]

_SEP = "__"


def _as_queryset(queryset: Any) -> QuerySet[Any]:
    return queryset.all() if is_model_class(queryset) else queryset


def _field(model: Any, name: str) -> Any:
    meta = model._meta
    return meta.fields_map.get(meta.pk_attr if name == "pk" else name)


def _walk(model: Any, parts: list[str]) -> Iterator[tuple[str, Any, Any]]:
    """Yield ``(part, field or None, model the part belongs to)`` along a lookup path."""
    for part in parts:
        field = _field(model, part) if model is not None else None
        yield part, field, model
        model = field.related_model if isinstance(field, RelationalField) else None


def _is_to_many(field: Any) -> bool:
    # A backward one-to-one relation subclasses BackwardFKRelation but is to-one.
    return isinstance(field, ManyToManyFieldInstance) or (
        isinstance(field, BackwardFKRelation) and not isinstance(field, BackwardOneToOneRelation)
    )


def _is_orderable(model: Any, path: str) -> bool:
    """True for a column of the model, or of a model reached through to-one relations."""
    *relations, (last, _field_, owner) = _walk(model, path.split(_SEP))
    to_one = all(isinstance(f, RelationalField) and not _is_to_many(f) for _, f, _ in relations)
    return to_one and owner is not None and last in owner._meta.fields_db_projection


def _dialect(model: Any) -> tuple[str, Any]:
    """The model's database dialect and client (the connection behind a transaction)."""
    try:
        client = model._meta.db
    except Exception:  # no Tortoise context: the query would fail anyway, and clearly
        return "", None
    client = getattr(client, "_parent", client)
    return client.capabilities.dialect, client


class SearchFilter(filters.SearchFilter):
    """DRF's SearchFilter over Tortoise: ``?search=foo bar`` on the view's ``search_fields``.

    Each term must match (AND) at least one field (OR).  Prefixes: ``^`` istartswith,
    ``=`` iexact, ``$`` iposix_regex, ``@`` full-text search (PostgreSQL/MySQL);
    ``icontains`` by default; paths may follow relations (``author__name``).
    Terms are passed raw: Tortoise escapes LIKE wildcards itself (TRAPS 6).
    """

    too_many_terms_message = _("Ensure this search has no more than {max_terms} terms.")
    term_too_long_message = _("Ensure each search term has no more than {max_length} characters.")

    lookup_prefixes = {
        "^": "istartswith",
        "=": "iexact",
        "@": "search",
        "$": "iposix_regex",
    }

    def get_search_terms(self, request: Request) -> list[str]:
        """DRF's terms, refused with a 400 past ``SEARCH_MAX_TERMS`` terms or a term
        past ``SEARCH_MAX_TERM_LENGTH`` characters, before any query is built: each
        term adds a level to the ``Q`` tree (about 1000 overflow Python's stack) and
        a LIKE scan; a long term makes every row's comparison slow."""
        terms = super().get_search_terms(request)
        max_terms = async_settings.SEARCH_MAX_TERMS
        if max_terms is not None and len(terms) > max_terms:
            message = self.too_many_terms_message.format(max_terms=max_terms)
            raise ValidationError({self.search_param: [message]})
        max_length = async_settings.SEARCH_MAX_TERM_LENGTH
        if max_length is not None and any(len(term) > max_length for term in terms):
            message = self.term_too_long_message.format(max_length=max_length)
            raise ValidationError({self.search_param: [message]})
        return terms

    def construct_search(self, field_name: str, queryset: Any) -> str:
        """The Tortoise filter key for one ``search_fields`` entry."""
        model = get_model(queryset)
        lookup = self.lookup_prefixes.get(field_name[0])
        if lookup:
            field_name = field_name[1:]
        elif self._has_lookup(model, field_name):
            lookup = field_name.rsplit(_SEP, 1)[1]
            field_name = field_name.rsplit(_SEP, 1)[0]
        else:
            lookup = self.default_lookup
        self._check_backend(model, lookup)
        return _SEP.join([field_name, lookup])

    @staticmethod
    def _has_lookup(model: Any, field_name: str) -> bool:
        """True if the path already ends in a Tortoise lookup (``title__iexact``)."""
        parts = field_name.split(_SEP)
        if len(parts) < 2:
            return False
        *_, (_part, _field_, owner) = _walk(model, parts[:-1])
        return owner is not None and _SEP.join(parts[-2:]) in owner._meta.filters

    @staticmethod
    def _check_backend(model: Any, lookup: str) -> None:
        # Both lookups build on SQLite but misbehave there: 'search' matches every row,
        # and the regex operator fails unless the client installed its functions.
        dialect, client = _dialect(model)
        if lookup.endswith("search") and dialect not in ("", "postgres", "mysql"):
            raise ImproperlyConfigured(
                f"SearchFilter's '@' (full-text search) prefix needs PostgreSQL or MySQL; "
                f"{model.__name__} is stored in {dialect}."
            )
        if lookup.endswith("posix_regex") and dialect == "sqlite":
            if not client.capabilities.support_for_posix_regex_queries:
                raise ImproperlyConfigured(
                    "SearchFilter's '$' (regex) prefix needs Tortoise's regexp functions on "
                    "SQLite: add '?install_regexp_functions=True' to the database URL."
                )

    def must_call_distinct(self, queryset: Any, search_fields: Any) -> bool:
        """True if a search field crosses a to-many relation (rows would repeat)."""
        model = get_model(queryset)
        for search_field in search_fields:
            search_field = str(search_field)
            if search_field[0] in self.lookup_prefixes:
                search_field = search_field[1:]
            if any(_is_to_many(f) for _, f, _ in _walk(model, search_field.split(_SEP))):
                return True
        return False

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        """Return the queryset narrowed to rows matching every search term."""
        search_fields = self.get_search_fields(view, request)
        search_terms = self.get_search_terms(request)
        if not search_fields or not search_terms:
            return queryset

        queryset = _as_queryset(queryset)
        orm_lookups = [self.construct_search(str(field), queryset) for field in search_fields]
        conditions = [
            Q(*(Q(**{lookup: term}) for lookup in orm_lookups), join_type="OR")
            for term in search_terms
        ]
        filtered = queryset.filter(*conditions)
        if not self.must_call_distinct(queryset, search_fields):
            return filtered
        # As DRF, keep the base queryset and select its rows by key instead of
        # .distinct(): no duplicate rows, a correct count(), and a later ordering by a
        # related column still works on PostgreSQL (SELECT DISTINCT forbids it).
        pk = get_model(queryset)._meta.pk_attr
        return queryset.filter(**{f"{pk}__in": Subquery(filtered.values(pk))})


class OrderingFilter(filters.OrderingFilter):
    """DRF's OrderingFilter over Tortoise: ``?ordering=-created,title``.

    Allowed fields: the view's ``ordering_fields`` (a list, or ``"__all__"`` for every
    column of the model), else the serializer's readable fields that are columns,
    else every column.  Other fields are dropped, as in DRF.
    """

    def get_default_valid_fields(
        self, queryset: Any, view: Any, context: dict[str, Any] | None = None
    ) -> list[tuple[str, Any]]:
        """The serializer's readable fields that Tortoise can order by."""
        model = get_model(queryset)
        serializer_class = _serializer_class(view)
        if serializer_class is None:
            return _model_columns(model)
        fields = serializer_class(context=context or {}).fields.items()
        valid = [
            (field.source.replace(".", _SEP) or name, field.label)
            for name, field in fields
            if not getattr(field, "write_only", False) and field.source != "*"
        ]
        return [(name, label) for name, label in valid if _is_orderable(model, name)]

    def get_valid_fields(
        self, queryset: Any, view: Any, context: dict[str, Any] | None = None
    ) -> list[tuple[str, Any]]:
        """As DRF's, with ``"__all__"`` read from the Tortoise model and its annotations."""
        if getattr(view, "ordering_fields", self.ordering_fields) == "__all__":
            annotations = getattr(queryset, "_annotations", None) or {}
            return _model_columns(get_model(queryset)) + [(key, key) for key in annotations]
        return super().get_valid_fields(queryset, view, context)

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        """Return the queryset ordered by the requested (or default) fields."""
        return super().filter_queryset(request, _as_queryset(queryset), view)


def _serializer_class(view: Any) -> Any:
    """The view's serializer class, as DRF's get_default_valid_fields finds it."""
    getter = getattr(view, "get_serializer_class", None)
    if getter is not None and not is_async_callable(getter):
        try:
            return getter()
        except AssertionError:  # DRF's "should either include a serializer_class"
            return None
    # An async get_serializer_class cannot be called here: use the attribute.
    return getattr(view, "serializer_class", None)


def _model_columns(model: Any) -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in model._meta.fields_db_projection]


# DRF field that converts (and validates) a query value for each Tortoise field type.
_CONVERTERS: dict[Any, Any] = {
    bool: drf_fields.BooleanField,
    int: drf_fields.IntegerField,
    float: drf_fields.FloatField,
    decimal.Decimal: lambda: drf_fields.DecimalField(max_digits=None, decimal_places=None),
    datetime.datetime: drf_fields.DateTimeField,
    datetime.date: drf_fields.DateField,
    datetime.time: drf_fields.TimeField,
    datetime.timedelta: drf_fields.DurationField,
    uuid.UUID: drf_fields.UUIDField,
    str: lambda: drf_fields.CharField(allow_blank=True, trim_whitespace=False),
}

_SCHEMA_TYPES: dict[Any, dict[str, str]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    decimal.Decimal: {"type": "number"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
}


class EqualityFilter(filters.BaseFilterBackend):
    """Equality filters on the view's ``filterset_fields``: ``?published=true&author=3``.

    Each value is converted by the DRF field matching the Tortoise field's type
    (booleans accept true/false/1/0/yes/no, dates ISO 8601, enums their values, a
    foreign key its related pk); a bad value is a 400 naming the parameter, with DRF's
    message.  Empty and unlisted parameters are ignored.
    """

    filterset_description = _("Only rows whose {field} equals this value.")

    def get_filterset_fields(self, view: Any, request: Request) -> list[str]:
        """Override to choose the filterable fields per request."""
        return list(getattr(view, "filterset_fields", None) or ())

    def filter_queryset(self, request: Request, queryset: Any, view: Any) -> Any:
        """Return the queryset narrowed by every listed, non-empty query parameter."""
        names = self.get_filterset_fields(view, request)
        if not names:
            return queryset
        model = get_model(queryset)
        lookups, errors = {}, {}
        for name in names:
            raw = request.query_params.get(name)
            if raw in (None, ""):
                continue
            column, field = self._column(model, name, view)
            try:
                lookups[column] = self._convert(field, raw)
            except ValidationError as exc:
                errors[name] = exc.detail
        if errors:
            raise ValidationError(errors)
        return _as_queryset(queryset).filter(**lookups) if lookups else queryset

    @staticmethod
    def _column(model: Any, name: str, view: Any) -> tuple[str, Any]:
        """The filter key and data field for a name; a foreign key filters on its id."""
        field = _field(model, name)
        if isinstance(field, ForeignKeyFieldInstance):  # also one-to-one
            name = field.source_field
            field = _field(model, name)
        convertible = (
            field is not None
            and not isinstance(field, RelationalField)
            and (getattr(field, "enum_type", None) is not None or field.field_type in _CONVERTERS)
        )
        if not convertible:
            raise ImproperlyConfigured(
                f"{type(view).__name__}.filterset_fields: {model.__name__} has no "
                f"column '{name}' that EqualityFilter can compare."
            )
        return name, field

    @staticmethod
    def _convert(field: Any, raw: str) -> Any:
        enum_type = getattr(field, "enum_type", None)
        if enum_type is not None:
            choice = drf_fields.ChoiceField(choices=[member.value for member in enum_type])
            return enum_type(choice.run_validation(raw))
        converter = _CONVERTERS[field.field_type]()
        if isinstance(converter, drf_fields.IntegerField):
            # An integer outside the column's range is a driver error on PostgreSQL.
            converter = drf_fields.IntegerField(
                min_value=field.constraints.get("ge"), max_value=field.constraints.get("le")
            )
        return converter.run_validation(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """One optional query parameter per ``filterset_fields`` entry."""
        try:
            model = get_model(getattr(view, "queryset", None))
        except TypeError:
            model = None
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": force_str(self.filterset_description).format(field=name),
                "schema": _schema(model, name),
            }
            for name in getattr(view, "filterset_fields", None) or ()
        ]


def _schema(model: Any, name: str) -> dict[str, Any]:
    field = _field(model, name) if model is not None else None
    if isinstance(field, ForeignKeyFieldInstance):
        field = _field(model, field.source_field)
    enum_type = getattr(field, "enum_type", None)
    if enum_type is not None:
        return {"enum": [member.value for member in enum_type]}
    return dict(_SCHEMA_TYPES.get(getattr(field, "field_type", None), {"type": "string"}))


# They only build queries: the generic view calls them inline, with no thread hop.
mark_inline(
    SearchFilter.filter_queryset,
    OrderingFilter.filter_queryset,
    EqualityFilter.filter_queryset,
)
