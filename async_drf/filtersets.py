"""Declarative FilterSets in django-filter's shape, over Tortoise querysets.

A ``FilterSet`` declares filters (``views__gte = NumberFilter(field_name="views",
lookup_expr="gte")``) and lists model fields in ``Meta.fields``, as a list (exact
matches) or a dict of lookups (``{"views": ["exact", "gte"]}``, parameters ``views`` and
``views__gte``).  A view names it in ``filterset_class`` (or lists ``filterset_fields``)
and :class:`async_drf.filters.FilterBackend` applies it.  Values are validated by Django
form fields, as django-filter's are, so a bad value is a 400 with django-filter's
message; paths may follow relations, and one that crosses a to-many relation selects
rows through a subquery (no duplicates).  ``method=`` filters may be ``async def``.
Nothing here touches the database: filters only build the query.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.forms.utils import ErrorDict, ErrorList
from django.http import QueryDict
from tortoise.fields.relational import RelationalField

from ._filterclasses import (
    EMPTY_VALUES,
    BaseCSVFilter,
    BaseInFilter,
    BaseRangeFilter,
    BooleanFilter,
    CharFilter,
    ChoiceFilter,
    DateFilter,
    DateFromToRangeFilter,
    DateTimeFilter,
    DateTimeFromToRangeFilter,
    DurationFilter,
    Filter,
    FilterMethod,
    IsoDateTimeFilter,
    IsoDateTimeFromToRangeFilter,
    ModelChoiceFilter,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    NumberFilter,
    RangeFilter,
    TimeFilter,
    TimeRangeFilter,
    TypedChoiceFilter,
    TypedMultipleChoiceFilter,
    UUIDFilter,
)
from ._lookups import LOOKUPS, SEP, is_to_many, resolve, walk
from .concurrency import is_async_callable
from .orm import as_model_query

if TYPE_CHECKING:
    import enum
    from collections.abc import Awaitable, Callable, Sequence

    from rest_framework.request import Request
    from tortoise.models import Model

    from ._types import AnyQuerySet, FilterFields, ModelField, ModelOrQuerySet

__all__ = [
    "BaseCSVFilter",
    "BaseInFilter",
    "BaseRangeFilter",
    "BooleanFilter",
    "CharFilter",
    "ChoiceFilter",
    "DateFilter",
    "DateFromToRangeFilter",
    "DateTimeFilter",
    "DateTimeFromToRangeFilter",
    "DurationFilter",
    "Filter",
    "FilterSet",
    "IsoDateTimeFilter",
    "IsoDateTimeFromToRangeFilter",
    "ModelChoiceFilter",
    "ModelMultipleChoiceFilter",
    "MultipleChoiceFilter",
    "NumberFilter",
    "RangeFilter",
    "TimeFilter",
    "TimeRangeFilter",
    "TypedChoiceFilter",
    "TypedMultipleChoiceFilter",
    "UUIDFilter",
    "filterset_factory",
]

ALL_FIELDS = "__all__"

# Lookups whose values an enum column converts to members.
_ENUM_LOOKUPS = frozenset(("exact", "in", "range", "gt", "gte", "lt", "lte"))


# The filter a model column gets by default, by the column's Python type.
FILTER_FOR_FIELD: dict[type[object], type[Filter]] = {
    bool: BooleanFilter,
    int: NumberFilter,
    float: NumberFilter,
    decimal.Decimal: NumberFilter,
    str: CharFilter,
    datetime.datetime: IsoDateTimeFilter,
    datetime.date: DateFilter,
    datetime.time: TimeFilter,
    datetime.timedelta: DurationFilter,
    uuid.UUID: UUIDFilter,
}


class FilterSetOptions:
    def __init__(self, options: object = None) -> None:
        self.model: type[Model] | None = getattr(options, "model", None)
        self.fields: FilterFields | None = getattr(options, "fields", None)
        self.exclude: Sequence[str] | None = getattr(options, "exclude", None)
        self.form: type[forms.Form] = getattr(options, "form", forms.Form)


class FilterSetMetaclass(type):
    # Mirrors django_filters.filterset.FilterSetMetaclass; differs in resolving
    # Meta.fields lazily (Tortoise models are complete only after Tortoise.init).

    if TYPE_CHECKING:  # what the classes it makes have (BaseFilterSet's API)
        _meta: FilterSetOptions
        _bound: dict[type[Model], dict[str, Filter]]
        declared_filters: dict[str, Filter]

        def get_bound_filters(cls, model: type[Model]) -> dict[str, Filter]: ...

    def __new__(
        mcs, name: str, bases: tuple[type, ...], attrs: dict[str, object]
    ) -> FilterSetMetaclass:
        attrs["declared_filters"] = mcs.get_declared_filters(bases, attrs)
        new_class = super().__new__(mcs, name, bases, attrs)
        new_class._meta = FilterSetOptions(getattr(new_class, "Meta", None))
        new_class._bound = {}
        return new_class

    @classmethod
    def get_declared_filters(
        mcs, bases: tuple[type, ...], attrs: dict[str, object]
    ) -> dict[str, Filter]:
        filters = [
            (name, cast("Filter", attrs.pop(name)))
            for name, obj in list(attrs.items())
            if isinstance(obj, Filter)
        ]
        # Default the `filter.field_name` to the attribute name on the filterset
        for name, f in filters:
            if getattr(f, "field_name", None) is None:
                f.field_name = name
        filters.sort(key=lambda item: item[1].creation_counter)
        # A base class's filter never overrides an attribute of this class; with
        # several bases the first one that declares a name wins.
        known = set(attrs)
        inherited: list[tuple[str, Filter]] = []
        for base in bases:
            for name, f in getattr(base, "declared_filters", {}).items():
                if name not in known:
                    known.add(name)
                    inherited.append((name, f))
        return dict(inherited + filters)

    @property
    def base_filters(cls) -> dict[str, Filter]:
        """Declared and generated filters, bound to ``Meta.model`` when there is one."""
        model = cls._meta.model
        return cls.get_bound_filters(model) if model is not None else dict(cls.declared_filters)


class BaseFilterSet:
    """django-filter's FilterSet over a Tortoise queryset (see the module docstring).

    ``is_valid()``/``errors`` validate the data with the filters' form fields (no
    query); ``filter_queryset()`` and ``qs`` build the filtered query synchronously,
    ``await afilter_queryset()`` also awaits ``async def`` method filters.  An
    override of ``filter_queryset`` reads the values from ``self.cleaned_data``
    (``self.form.cleaned_data`` works too, at the cost of a second validation).
    """

    # Mirrors django_filters.filterset.BaseFilterSet; differs in validating with each
    # filter's form field (no per-request form class), resolving Meta.fields against the
    # Tortoise model on first use, and afilter_queryset for async method filters.

    FILTER_DEFAULTS = FILTER_FOR_FIELD
    declared_filters: dict[str, Filter]
    _meta: FilterSetOptions
    _bound: dict[type[Model], dict[str, Filter]]

    def __init__(
        self,
        data: Mapping[str, object] | None = None,
        queryset: ModelOrQuerySet | None = None,
        *,
        request: Request | None = None,
        prefix: str | None = None,
    ) -> None:
        if queryset is None:
            assert self._meta.model is not None, (
                f"{type(self).__name__} needs a `queryset` or a `Meta.model`."
            )
            queryset = self._meta.model
        queryset = as_model_query(queryset)
        self.is_bound = data is not None
        self.data: Mapping[str, object] = data if data is not None else QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters: dict[str, Filter] = {}
        for name, bound in type(self).get_bound_filters(queryset.model).items():
            f = copy.copy(bound)
            f.parent = self
            if isinstance(f.__dict__.get("filter"), FilterMethod):
                f.filter = FilterMethod(f)  # type: ignore[method-assign, assignment]
            self.filters[name] = f

    # -- validation -----------------------------------------------------------------

    def is_valid(self) -> bool:
        """Return True if the data is bound and every filter's value is valid."""
        return self.is_bound and not self.errors

    @property
    def errors(self) -> ErrorDict:
        """Messages per parameter, as a Django form's ``errors``."""
        if not hasattr(self, "_errors"):
            self._clean()
        return self._errors

    def _clean(self) -> None:
        # What Form.full_clean does, minus the per-request form class and the deep copy
        # of its fields; parameters that are absent (and optional) are skipped.
        self.cleaned_data: dict[str, Any] = {}
        self._errors = ErrorDict()
        for name, f in self.filters.items():
            field, key = f.field, self.add_prefix(name)
            if not field.required and field.widget.value_omitted_from_data(self.data, {}, key):
                continue
            try:
                value = field.widget.value_from_datadict(self.data, {}, key)
                self.cleaned_data[name] = field.clean(value)
            except forms.ValidationError as exc:
                self._errors[name] = ErrorList(exc.error_list)

    def add_prefix(self, name: str) -> str:
        return f"{self.form_prefix}-{name}" if self.form_prefix else name

    # -- filtering ------------------------------------------------------------------

    def filter_queryset(self, queryset: AnyQuerySet) -> AnyQuerySet:
        """Filter ``queryset`` with the cleaned values; ``is_valid()`` must have run."""
        for name, value in self.cleaned_data.items():
            f = self.filters[name]
            if _is_async(f):
                raise TypeError(
                    f"{type(self).__name__}.{name} is an async filter: use "
                    "`await filterset.afilter_queryset(queryset)`."
                )
            queryset = f.filter(queryset, value)
        return queryset

    async def afilter_queryset(self, queryset: AnyQuerySet) -> AnyQuerySet:
        """``filter_queryset``, awaiting ``async def`` method filters."""
        for name, value in self.cleaned_data.items():
            f = self.filters[name]
            if not _is_async(f):
                queryset = f.filter(queryset, value)
            elif value not in EMPTY_VALUES:
                queryset = await cast("Awaitable[AnyQuerySet]", f.filter(queryset, value))
        return queryset

    @property
    def qs(self) -> AnyQuerySet:
        if not hasattr(self, "_qs"):
            qs = self.queryset.all()
            if self.is_bound:
                self.errors  # noqa: B018 - ensure validation before filtering
                qs = self.filter_queryset(qs)
            self._qs = qs
        return self._qs

    # -- the form (browsable API) ---------------------------------------------------

    @classmethod
    def get_form_class(cls, model: type[Model] | None = None) -> type[forms.Form]:
        filters = cls.get_bound_filters(cast("type[Model]", model or cls._meta.model))
        fields = {name: f.field for name, f in filters.items()}
        return type(f"{cls.__name__}Form", (cls._meta.form,), fields)

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form_class = self.get_form_class(self.queryset.model)
            if self.is_bound:
                self._form = form_class(self.data, prefix=self.form_prefix)
                self._form.is_valid()
            else:
                self._form = form_class(prefix=self.form_prefix)
        return self._form

    # -- filters from Meta.fields ---------------------------------------------------

    @classmethod
    def get_bound_filters(cls, model: type[Model]) -> dict[str, Filter]:
        """Every filter, bound to ``model`` (once per model: paths are resolved here)."""
        bound = cls._bound.get(model)
        if bound is None:
            # Before Tortoise.init a model has no `<fk>_id` fields, reverse relations
            # or lookups (its `_meta.filters` is empty): paths cannot be resolved yet.
            assert model._meta.filters, (
                f"{model.__name__} is not initialised: call Tortoise.init (or init_models) "
                f"before using {cls.__name__}."
            )
            bound = {}
            for name, f in cls.get_filters().items():
                try:
                    bound[name] = f.bind(model)
                except ValueError as exc:
                    raise ImproperlyConfigured(f"{cls.__name__}.{name}: {exc}.") from exc
            cls._bound[model] = bound
        return bound

    @classmethod
    def get_fields(cls) -> dict[str, list[str]]:
        """``Meta.fields`` (a list, a dict of lookups or ``"__all__"``) minus ``Meta.exclude``."""
        model, fields, exclude = cls._meta.model, cls._meta.fields, cls._meta.exclude
        assert not (fields is None and exclude is None), (
            "Setting 'Meta.model' without either 'Meta.fields' or 'Meta.exclude' is not "
            f"allowed. Add an explicit 'Meta.fields' or 'Meta.exclude' to the {cls.__name__} class."
        )
        if fields is None:
            fields = ALL_FIELDS  # only Meta.exclude given
        if fields == ALL_FIELDS:
            fields = _all_model_fields(cast("type[Model]", model), cls.FILTER_DEFAULTS)
        exclude = exclude or []
        if not isinstance(fields, Mapping):
            return {f: ["exact"] for f in fields if f not in exclude}
        return {f: list(lookups) for f, lookups in fields.items() if f not in exclude}

    @classmethod
    def get_filter_name(cls, field_name: str, lookup_expr: str) -> str:
        """``field_name__lookup_expr``, without a trailing ``__exact``."""
        return SEP.join([field_name, lookup_expr]).removesuffix(SEP + "exact")

    @classmethod
    def get_filters(cls) -> dict[str, Filter]:
        """The declared filters and those ``Meta.fields`` generates (unbound)."""
        model = cls._meta.model
        if model is None:
            return dict(cls.declared_filters)
        filters: dict[str, Filter] = {}
        undefined = []
        for field_name, lookups in cls.get_fields().items():
            known = all(field is not None for _, field, _ in walk(model, field_name.split(SEP)))
            if not known:
                undefined.append(field_name)
            for lookup_expr in lookups:
                filter_name = cls.get_filter_name(field_name, lookup_expr)
                if filter_name in cls.declared_filters:
                    filters[filter_name] = cls.declared_filters[filter_name]
                elif known:
                    filters[filter_name] = cls.filter_for_field(model, field_name, lookup_expr)
        if isinstance(cls._meta.fields, (list, tuple)):
            undefined = [name for name in undefined if name not in cls.declared_filters]
        if undefined:
            raise ImproperlyConfigured(
                f"{cls.__name__}: 'Meta.fields' must not contain non-model field names: "
                + ", ".join(undefined)
            )
        filters.update(cls.declared_filters)
        return filters

    @classmethod
    def filter_for_field(
        cls, model: type[Model], field_name: str, lookup_expr: str = "exact"
    ) -> Filter:
        *_, (_, field, _) = walk(model, field_name.split(SEP))
        try:
            if lookup_expr not in LOOKUPS:
                raise ValueError(f"'{lookup_expr}' is not one of {', '.join(sorted(LOOKUPS))}")
            target = resolve(model, field_name, lookup_expr)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{cls.__name__}.Meta.fields['{field_name}']: {exc}."
            ) from exc
        assert target is not None, f"{field_name} is a model field"  # walk() found it
        column = cast("ModelField", target.column)  # a model field's: never None
        filter_class, params = cls.filter_for_lookup(column, lookup_expr, field)
        if filter_class is None:
            raise ImproperlyConfigured(
                f"{cls.__name__} resolved field '{field_name}' with '{lookup_expr}' lookup "
                f"to an unrecognized field type {type(target.column).__name__}. Declare the "
                "filter explicitly."
            )
        make: Callable[..., Filter] = filter_class  # params are its form field's arguments
        return make(field_name=field_name, lookup_expr=lookup_expr, **params)

    @classmethod
    def filter_for_lookup(
        cls, column: ModelField, lookup_type: str, field: ModelField | None = None
    ) -> tuple[type[Filter] | None, dict[str, object]]:
        """The filter class (and its arguments) for a column and a lookup."""
        if lookup_type == "isnull":
            return BooleanFilter, {}
        if lookup_type == "exact" and _is_relation(field):
            return (ModelMultipleChoiceFilter if is_to_many(field) else ModelChoiceFilter), {}
        enum_type: type[enum.Enum] | None = getattr(column, "enum_type", None)
        if enum_type is not None and lookup_type in _ENUM_LOOKUPS:
            # Tortoise converts an enum column's value to a member: only members fit.
            filter_class: type[Filter] | None = TypedChoiceFilter
            params: dict[str, object] = _enum_choices(enum_type)
        elif enum_type is not None:
            filter_class, params = CharFilter, {}  # contains, startswith, ...: text
        else:
            filter_class, params = cls.FILTER_DEFAULTS.get(column.field_type), {}
        if filter_class is None:
            return None, {}
        if lookup_type in ("in", "range"):
            base = BaseInFilter if lookup_type == "in" else BaseRangeFilter
            return _concrete_filter(base, filter_class), params
        return filter_class, params


class FilterSet(BaseFilterSet, metaclass=FilterSetMetaclass):
    pass


def filterset_factory(
    model: type[Model], filterset: type[FilterSet] = FilterSet, fields: FilterFields | None = None
) -> type[FilterSet]:
    """A FilterSet class for ``model`` (``fields`` defaults to ``"__all__"``)."""
    attrs: dict[str, object] = {"model": model}
    if fields is None:
        if getattr(getattr(filterset, "Meta", None), "fields", None) is None:
            attrs["fields"] = ALL_FIELDS
    else:
        attrs["fields"] = fields
    bases = (filterset.Meta,) if hasattr(filterset, "Meta") else ()
    meta = type("Meta", bases, attrs)
    metaclass = cast("type[FilterSetMetaclass]", type(filterset))
    new_class = metaclass(f"{model.__name__}FilterSet", (filterset,), {"Meta": meta})
    return cast("type[FilterSet]", new_class)


def _is_async(f: Filter) -> bool:
    func = f.filter
    return is_async_callable(func.method if isinstance(func, FilterMethod) else func)


def _is_relation(field: object) -> bool:
    return isinstance(field, RelationalField)


def _enum_choices(enum_type: type[enum.Enum]) -> dict[str, object]:
    members = {str(member.value): member for member in enum_type}
    choices = [(value, member.name) for value, member in members.items()]
    return {"choices": choices, "coerce": members.__getitem__, "empty_value": None}


def _concrete_filter(base: type[Filter], filter_class: type[Filter]) -> type[Filter]:
    """django-filter's ConcreteInFilter/ConcreteRangeFilter, e.g. ``NumberInFilter``."""
    name = filter_class.__name__.removesuffix("Filter") + base.__name__.removeprefix("Base")
    return cast("type[Filter]", type(name, (base, filter_class), {"__module__": __name__}))


if not TYPE_CHECKING:  # cached; mypy does not hold a type[...] Hashable, as the cache asks
    _concrete_filter = functools.cache(_concrete_filter)


def _all_model_fields(model: type[Model], defaults: Mapping[type[object], object]) -> list[str]:
    """The model's filterable fields, for ``"__all__"`` (django-filter leaves out auto pks)."""
    meta = model._meta
    names = []
    for name, field in meta.fields_map.items():
        if getattr(field, "reference", None) is not None or (field.pk and field.generated):
            continue  # an `<fk>_id` column (its relation is listed) or an auto pk
        if _is_relation(field):
            if name in meta.fk_fields or name in meta.o2o_fields or name in meta.m2m_fields:
                names.append(name)
        elif getattr(field, "enum_type", None) is not None or field.field_type in defaults:
            names.append(name)
    return names
