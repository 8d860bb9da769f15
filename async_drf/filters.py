"""Filter backends for Tortoise querysets: SearchFilter, OrderingFilter, FilterBackend.

They keep DRF's (and django-filter's) names, parameters and settings
(``SEARCH_PARAM``, ``ORDERING_PARAM``, ``filterset_fields``, ``filterset_class``) and
only build Tortoise ``Q`` objects and ``order_by`` clauses, so no query runs until the
view awaits the queryset.  SearchFilter's ``filter_queryset`` is registered with
:func:`~async_drf.concurrency.mark_inline`; OrderingFilter's and FilterBackend's are
coroutines (they may await an ``async def`` hook); a generic view calls each without
a thread hop.  Only the methods of DRF's classes that read Django's ``Model._meta`` or
build Django ``Q`` objects are overridden.  A Django queryset gets DRF's own search and
ordering (pure: no hop) and django-filter's own backend.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf_fields
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from tortoise.expressions import Q, Subquery
from tortoise.fields.relational import RelationalField

from . import compat
from ._lookups import SEP as _SEP
from ._lookups import dialect as _dialect
from ._lookups import is_to_many as _is_to_many
from ._lookups import lookup_q
from ._lookups import walk as _walk
from ._openapi import field_schema
from .concurrency import (
    call_hook,
    call_sync,
    in_event_loop,
    is_async_callable,
    mark_inline,
    run_sync,
)
from .db import is_django_queryset
from .filtersets import FilterSet
from .orm import as_model_query, get_model, view_model
from .settings import async_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django.forms.utils import ErrorDict
    from rest_framework.serializers import Serializer
    from rest_framework.views import APIView
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.models import Model

    from . import _types
    from ._types import AnyQuerySet, AnySerializer, FilterFields, FilterQueryset, QuerySetLike
    from .filtersets import BaseFilterSet, FilterSetMetaclass

    _Q = TypeVar("_Q", bound="QuerySetLike")  # a search gives the queryset type it is given
    # ``filterset_fields`` made hashable: the paths, or (path, lookups) pairs.
    _Frozen: TypeAlias = "tuple[str, ...] | tuple[tuple[str, tuple[str, ...]], ...]"

__all__ = ["EqualityFilter", "FilterBackend", "OrderingFilter", "SearchFilter"]


def _is_orderable(model: type[Model], path: str) -> bool:
    """True for a column of the model, or of a model reached through to-one relations."""
    *relations, (last, _field_, owner) = _walk(model, path.split(_SEP))
    to_one = all(isinstance(f, RelationalField) and not _is_to_many(f) for _, f, _ in relations)
    return to_one and owner is not None and last in owner._meta.fields_db_projection


def _search_pattern(max_terms: int | None, max_length: int | None) -> str | None:
    """The search texts ``get_search_terms`` accepts, as a pattern: at most ``max_terms``
    terms of at most ``max_length`` characters, separated by whitespace or commas (a
    quoted phrase, one term for DRF, counts here as its words)."""
    if max_terms is None and max_length is None:
        return None
    term = "[^\\s,\\x00]" + ("+" if max_length is None else f"{{1,{max_length}}}")
    terms = "*" if max_terms is None else f"{{0,{max_terms}}}"
    return f"^[\\s,]*(?:{term}(?:[\\s,]+|$)){terms}$"


class SearchFilter(filters.SearchFilter):
    """DRF's SearchFilter over Tortoise: ``?search=foo bar`` on the view's ``search_fields``.

    Each term must match (AND) at least one field (OR).  Prefixes as DRF's: ``^``
    istartswith, ``=`` iexact, ``$`` iregex (Tortoise's iposix_regex; on SQLite it
    needs ``install_regexp_functions``), ``@`` full-text search (PostgreSQL/MySQL; on
    SQLite a case-insensitive contains, and system check W003 says so); ``icontains``
    by default; paths may follow relations (``author__name``).  Terms are passed raw:
    Tortoise escapes LIKE wildcards itself (TRAPS 6).
    """

    too_many_terms_message = _("Ensure this search has no more than {max_terms} terms.")
    term_too_long_message = _("Ensure each search term has no more than {max_length} characters.")
    invalid_pattern_message = _("Enter a valid regular expression.")

    # DRF's lookups that Tortoise names differently.
    orm_lookups = {"iregex": "iposix_regex", "regex": "posix_regex"}

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

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, object]]:
        # DRF validates the search text with this CharField: a null character is a 400;
        # so are too many or too long terms (get_search_terms).
        text = field_schema(drf_fields.CharField(trim_whitespace=False, allow_blank=True))
        pattern = _search_pattern(
            async_settings.SEARCH_MAX_TERMS, async_settings.SEARCH_MAX_TERM_LENGTH
        )
        if pattern is not None:
            text["pattern"] = pattern
        return [
            {**parameter, "schema": text} if parameter["name"] == self.search_param else parameter
            for parameter in super().get_schema_operation_parameters(view)
        ]

    def construct_search(self, field_name: str, queryset: QuerySetLike) -> str:
        """DRF's lookup for one ``search_fields`` entry (``$title`` -> ``title__iregex``)."""
        if is_django_queryset(queryset):
            return super().construct_search(field_name, queryset)
        model = get_model(queryset)
        lookup = self.lookup_prefixes.get(field_name[0])
        if lookup:
            field_name = field_name[1:]
        elif self._has_lookup(model, field_name):
            return field_name
        else:
            lookup = self.default_lookup
        return _SEP.join([field_name, lookup])

    def _has_lookup(self, model: type[Model], field_name: str) -> bool:
        """True if the path already ends in a lookup (``title__iexact``, ``title__iregex``)."""
        parts = field_name.split(_SEP)
        if len(parts) < 2:
            return False
        *_, (_part, _field_, owner) = _walk(model, parts[:-1])
        last = self.orm_lookups.get(parts[-1], parts[-1])
        return owner is not None and _SEP.join([parts[-2], last]) in owner._meta.filters

    def get_orm_lookup(self, search: str, model: type[Model]) -> str:
        """The Tortoise filter key for a lookup ``construct_search`` returned."""
        path, _sep, lookup = search.rpartition(_SEP)
        lookup = self.orm_lookups.get(lookup, lookup)
        dialect, client = _dialect(model)
        if lookup == "search" and dialect not in ("", "postgres", "mysql"):
            # Tortoise's 'search' matches every row on SQLite: the closest honest match.
            lookup = "icontains"
        if lookup.endswith("posix_regex") and dialect == "sqlite":
            if not cast("BaseDBAsyncClient", client).capabilities.support_for_posix_regex_queries:
                raise ImproperlyConfigured(
                    "SearchFilter's '$' (regex) prefix needs Tortoise's regexp functions on "
                    "SQLite: add '?install_regexp_functions=True' to the database URL."
                )
        return _SEP.join([path, lookup])

    def must_call_distinct(self, queryset: QuerySetLike, search_fields: Iterable[str]) -> bool:
        """True if a search field crosses a to-many relation (rows would repeat)."""
        if is_django_queryset(queryset):
            return super().must_call_distinct(queryset, search_fields)
        model = get_model(queryset)
        for search_field in search_fields:
            search_field = str(search_field)
            if search_field[0] in self.lookup_prefixes:
                search_field = search_field[1:]
            if any(_is_to_many(f) for _, f, _ in _walk(model, search_field.split(_SEP))):
                return True
        return False

    def filter_queryset(self, request: Request, queryset: _Q, view: APIView) -> _Q:
        """Return the queryset narrowed to rows matching every search term."""
        search_fields = self.get_search_fields(view, request)
        search_terms = self.get_search_terms(request)
        if not search_fields or not search_terms:
            return queryset

        queryset = cast("_Q", as_model_query(queryset))  # a model class: its query
        lookups = [self.construct_search(str(field), queryset) for field in search_fields]
        if is_django_queryset(queryset):
            # DRF's own search: it builds Django Q objects.
            if any(lookup.endswith("regex") for lookup in lookups):
                self._check_patterns(search_terms)
            return cast("_Q", super().filter_queryset(request, queryset, view))
        rows = cast("AnyQuerySet", queryset)  # a Tortoise queryset
        model = get_model(rows)
        orm_lookups = [self.get_orm_lookup(lookup, model) for lookup in lookups]
        if any(lookup.endswith("posix_regex") for lookup in orm_lookups):
            self._check_patterns(search_terms)
        conditions = [
            Q(*(lookup_q(lookup, term) for lookup in orm_lookups), join_type="OR")
            for term in search_terms
        ]
        filtered = rows.filter(*conditions)
        if not self.must_call_distinct(rows, search_fields):
            return cast("_Q", filtered)
        # As DRF, keep the base queryset and select its rows by key instead of
        # .distinct(): no duplicate rows, a correct count(), and a later ordering by a
        # related column still works on PostgreSQL (SELECT DISTINCT forbids it).
        pk = model._meta.pk_attr
        return cast("_Q", rows.filter(**{f"{pk}__in": Subquery(filtered.values(pk))}))

    def _check_patterns(self, terms: list[str]) -> None:
        # A pattern the database cannot compile would fail the query (a 500 or 503).
        for term in terms:
            try:
                re.compile(term)
            except (re.error, OverflowError, RecursionError):
                message = ErrorDetail(str(self.invalid_pattern_message), code="invalid")
                raise ValidationError({self.search_param: [message]}) from None


class OrderingFilter(filters.OrderingFilter):
    """DRF's OrderingFilter over Tortoise: ``?ordering=-created,title``.

    Allowed fields: the view's ``ordering_fields`` (a list, or ``"__all__"`` for every
    column of the model), else the serializer's readable fields that are columns (an
    ``async def get_serializer_class`` is awaited); with neither, DRF's
    ImproperlyConfigured.  Other fields are dropped, as in DRF.
    """

    # The serializer class filter_queryset awaited for this call, if it needed one.
    _awaited_serializer_class: type[AnySerializer] | None = None

    def get_default_valid_fields(
        self, queryset: QuerySetLike, view: APIView, context: Mapping[str, object] | None = None
    ) -> list[tuple[str, Any]]:  # DRF's stub says str: a label may be lazy text or None
        """The serializer's readable fields that Tortoise can order by."""
        serializer_class = self._awaited_serializer_class or _serializer_class(view)
        if serializer_class is None:
            msg = (
                "Cannot use %s on a view which does not have either a "
                "'serializer_class', an overriding 'get_serializer_class' "
                "or 'ordering_fields' attribute."
            )
            raise ImproperlyConfigured(msg % self.__class__.__name__)
        model = get_model(queryset)
        serializer = cast("Serializer[object]", serializer_class(context=dict(context or {})))
        valid = [
            (cast("str", field.source).replace(".", _SEP) or name, field.label)  # bound: a str
            for name, field in serializer.fields.items()
            if not getattr(field, "write_only", False) and field.source != "*"
        ]
        if is_django_queryset(queryset):
            # DRF's rule for a Django model: any readable field but a model property.
            return [(name, label) for name, label in valid if name not in _properties(model)]
        return [(name, label) for name, label in valid if _is_orderable(model, name)]

    def get_valid_fields(
        self, queryset: QuerySetLike, view: APIView, context: Mapping[str, object] | None = None
    ) -> list[tuple[str, str]]:
        """As DRF's, with ``"__all__"`` read from the Tortoise model and its annotations."""
        ordering_fields = getattr(view, "ordering_fields", self.ordering_fields)
        if ordering_fields == "__all__" and not is_django_queryset(queryset):
            annotations = compat.queryset_annotations(queryset)
            return _model_columns(get_model(queryset)) + [(key, key) for key in annotations]
        rows = cast("_types.DjangoModelQuerySet", queryset)  # DRF duck-types it
        return super().get_valid_fields(rows, view, context)

    async def filter_queryset(  # type: ignore[override]  # async, over Tortoise querysets too
        self, request: Request, queryset: QuerySetLike, view: APIView
    ) -> QuerySetLike:
        """Return the queryset ordered by the requested (or default) fields."""
        order = cast("FilterQueryset", super().filter_queryset)  # calls order_by: Tortoise's too
        needs_serializer = getattr(
            view, "ordering_fields", self.ordering_fields
        ) is None and request.query_params.get(self.ordering_param)
        if not needs_serializer:
            return order(request, as_model_query(queryset), view)
        # DRF's code below is sync: await the view's serializer class first.
        self._awaited_serializer_class = await _aserializer_class(view)
        try:
            return order(request, as_model_query(queryset), view)
        finally:
            del self._awaited_serializer_class


def _serializer_class(view: APIView) -> type[AnySerializer] | None:
    """The view's serializer class, as DRF's get_default_valid_fields finds it.

    On the event loop an ``async def get_serializer_class`` cannot run from this sync
    code: the ``serializer_class`` attribute stands in (``filter_queryset`` awaits it).
    """
    getter = getattr(view, "get_serializer_class", None)
    if getter is None or (is_async_callable(getter) and in_event_loop()):
        return cast("type[AnySerializer] | None", getattr(view, "serializer_class", None))
    try:
        return cast("type[AnySerializer]", call_sync(getter))
    except AssertionError:  # DRF's "should either include a serializer_class"
        return None


async def _aserializer_class(view: APIView) -> type[AnySerializer] | None:
    getter = getattr(view, "get_serializer_class", None)
    if getter is None:
        return cast("type[AnySerializer] | None", getattr(view, "serializer_class", None))
    try:
        return await call_hook(view, "get_serializer_class")  # a sync one runs inline
    except AssertionError:
        return None


def _properties(model: type) -> set[str]:
    # Mirrors the model_property_names of rest_framework.filters.OrderingFilter.
    # get_default_valid_fields ('pk' is a property Django adds, valid for ordering).
    return {
        attr for attr in dir(model) if isinstance(getattr(model, attr), property) and attr != "pk"
    }


def _model_columns(model: type[Model]) -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in model._meta.fields_db_projection]


class FilterBackend(filters.BaseFilterBackend):
    """django-filter's DjangoFilterBackend over Tortoise querysets (a Django queryset
    is handed to django-filter's own backend, in one thread hop).

    Applies the view's ``filterset_class``, or a FilterSet built from its
    ``filterset_fields``: a list of field paths (exact matches, relations included:
    ``["published", "author__name"]``) or a dict of lookups per path
    (``{"views": ["exact", "gte"]}``, parameters ``views`` and ``views__gte``).  A bad
    value is a 400 ``{"views__gte": ["Enter a whole number."]}``.  ``filter_queryset``
    is a coroutine, so ``method=`` filters may be ``async def``.
    """

    # Mirrors django_filters.rest_framework.backends.DjangoFilterBackend; differs in an
    # async filter_queryset, one cached AutoFilterSet per view, an inline form template
    # and the OpenAPI parameters django-filter no longer provides.

    filterset_base = FilterSet
    raise_exception = True

    def get_filterset(
        self, request: Request, queryset: AnyQuerySet, view: APIView
    ) -> BaseFilterSet | None:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        return cast("Callable[..., BaseFilterSet]", filterset_class)(**kwargs)

    def get_filterset_class(
        self, view: APIView, queryset: _types.ModelOrQuerySet | None = None
    ) -> type[BaseFilterSet] | None:
        """Return the ``FilterSet`` class used to filter the queryset (or model)."""
        filterset_class: type[BaseFilterSet] | None = getattr(view, "filterset_class", None)
        filterset_fields: FilterFields | None = getattr(view, "filterset_fields", None)
        if filterset_class:
            filterset_model = filterset_class._meta.model
            # FilterSets do not need to specify a Meta class
            if filterset_model and queryset is not None:
                model = get_model(queryset)
                assert issubclass(model, filterset_model), (
                    f"FilterSet model {filterset_model} does not match queryset model {model}"
                )
            return filterset_class
        if filterset_fields and queryset is not None:
            return _auto_filterset(
                self.filterset_base, get_model(queryset), _freeze(filterset_fields)
            )
        return None

    def get_filterset_kwargs(
        self, request: Request, queryset: AnyQuerySet, view: APIView
    ) -> dict[str, object]:
        return {"data": request.query_params, "queryset": queryset, "request": request}

    async def filter_queryset(  # type: ignore[override]  # async, over Tortoise querysets too
        self, request: Request, queryset: QuerySetLike, view: APIView
    ) -> QuerySetLike:
        """Return the queryset narrowed by the filterset's parameters."""
        if is_django_queryset(queryset):
            if not _has_filterset(view):
                return queryset
            # django-filter's own backend: its validation may query (one thread hop).
            backend = _django_filter_backend(view)
            return await run_sync(backend.filter_queryset, request, queryset, view)
        filterset = self.get_filterset(request, cast("AnyQuerySet", queryset), view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise translate_validation(filterset.errors)
        if type(filterset).qs is not FilterSet.qs:
            return filterset.qs  # django-filter's "filtering the primary .qs" override
        return await filterset.afilter_queryset(filterset.queryset.all())

    def to_html(self, request: Request, queryset: QuerySetLike, view: APIView) -> str | None:
        if is_django_queryset(queryset):
            if not _has_filterset(view):
                return None
            return _django_filter_backend(view).to_html(request, queryset, view)
        filterset = self.get_filterset(request, cast("AnyQuerySet", queryset), view)
        if filterset is None:
            return None
        return format_html(
            '<h2>{}</h2><form class="form" action="" method="get">{}'
            '<button type="submit" class="btn btn-primary">{}</button></form>',
            _("Field filters"),
            filterset.form.as_p(),
            _("Submit"),
        )

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, object]]:
        """One query parameter per filter, typed by its column (two for a range)."""
        model = view_model(view)
        filterset_class = self.get_filterset_class(view, model) if model is not None else None
        if filterset_class is None:
            return []
        return [
            parameter
            for name, f in filterset_class.get_bound_filters(cast("type[Model]", model)).items()
            for parameter in f.get_schema_parameters(name)
        ]


def _has_filterset(view: APIView) -> bool:
    return bool(getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None))


def _django_filter_backend(view: APIView) -> _types.DjangoFilterBackendLike:
    """django-filter's DjangoFilterBackend, which filters Django querysets."""
    try:
        from django_filters.rest_framework import (  # type: ignore[import-untyped]
            DjangoFilterBackend,
        )
    except ImportError:
        raise ImproperlyConfigured(
            f"{type(view).__name__} filters a Django queryset: async_drf.filters.FilterBackend "
            "hands Django querysets to django-filter, which is not installed "
            "(pip install django-filter)."
        ) from None
    return cast("_types.DjangoFilterBackendLike", DjangoFilterBackend())


class EqualityFilter(FilterBackend):
    """Deprecated: use :class:`FilterBackend` (the same backend, under django-filter's name)."""

    def __init__(self) -> None:
        warnings.warn(
            "async_drf.filters.EqualityFilter is deprecated; use async_drf.filters.FilterBackend.",
            DeprecationWarning,
            stacklevel=2,
        )


def translate_validation(errors: ErrorDict) -> ValidationError:
    """A Django ``ErrorDict`` as DRF's ValidationError."""
    # Mirrors django_filters.utils.translate_validation; differs in returning a plain dict.
    return ValidationError(
        {
            key: [ErrorDetail(e.message % (e.params or ()), code=e.code) for e in error_list]
            for key, error_list in errors.as_data().items()
        }
    )


def _freeze(fields: FilterFields) -> _Frozen:
    if isinstance(fields, Mapping):
        return tuple((name, tuple(lookups)) for name, lookups in fields.items())
    return tuple(fields)


@functools.lru_cache(maxsize=512)
def _auto_filterset(
    base: type[BaseFilterSet], model: type[Model], fields: _Frozen
) -> type[BaseFilterSet]:
    """The FilterSet django-filter builds for ``filterset_fields`` (one class per view)."""
    meta_fields: object = fields
    if fields and isinstance(fields[0], tuple):
        meta_fields = {name: list(lookups) for name, lookups in fields}
    meta_base = getattr(base, "Meta", object)
    meta = type("Meta", (meta_base,), {"model": model, "fields": meta_fields})
    metaclass = cast("type[FilterSetMetaclass]", type(base))
    new_class = metaclass("AutoFilterSet", (base,), {"Meta": meta, "__module__": __name__})
    return cast("type[BaseFilterSet]", new_class)


# SearchFilter only builds a query: the generic view calls it inline, with no thread hop.
mark_inline(SearchFilter.filter_queryset)
