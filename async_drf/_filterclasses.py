"""The filters a FilterSet declares, in django-filter's shape (``CharFilter``,
``NumberFilter``, ``ModelChoiceFilter``, ``BaseInFilter``, ``RangeFilter``, ...), over
Tortoise querysets.  Import them from :mod:`async_drf.filtersets`."""

from __future__ import annotations

import copy
import datetime
import decimal
from typing import TYPE_CHECKING, Self, TypeAlias, cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.encoding import force_str
from tortoise.expressions import Q, Subquery

from . import _filterfields as ff
from ._lookups import SEP, Target, apply, label_for_filter, lookup_q, resolve, resolve_key
from .orm import as_model_query

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from django_stubs_ext import StrOrPromise
    from rest_framework.request import Request
    from tortoise.models import Model

    from ._types import AnyQuerySet, Column, FilterFunc, FilterResult, ModelOrQuerySet
    from .filtersets import BaseFilterSet

    _Filter: TypeAlias = "Filter"  # the mixin comes before Filter in its classes' bases
else:
    _Filter = object

EMPTY_VALUES = ff.EMPTY_VALUES


class Filter:
    """django-filter's Filter: ``<field_name>__<lookup_expr> = value`` on a Tortoise queryset.

    ``field_name`` may follow relations (``author__name``); ``exclude=True`` keeps
    the rows that do not match; ``method`` (a callable, or the name of a FilterSet
    method, either may be ``async def``) replaces the filtering:
    ``method(queryset, field_name, value) -> queryset``.  Other keyword arguments
    (``required``, ``help_text``, ``min_value``, ...) go to the form field.
    ``distinct`` is accepted and not needed: a to-many path never repeats rows.
    """

    # Mirrors django_filters.filters.Filter; differs in binding to a Tortoise model
    # (bind/resolve/target), building the lookup as a Tortoise Q (condition/apply) and
    # taking form-field arguments from the column (get_field_kwargs).

    creation_counter = 0
    field_class: type[forms.Field] = forms.Field

    def __init__(
        self,
        field_name: str | None = None,
        lookup_expr: str | None = None,
        *,
        label: StrOrPromise | None = None,
        method: FilterFunc | str | None = None,
        distinct: bool = False,
        exclude: bool = False,
        **kwargs: object,
    ) -> None:
        self.field_name = field_name
        self.lookup_expr = lookup_expr or "exact"
        self._label = label
        self.method = method
        self.distinct = distinct
        self.exclude = exclude
        self.extra = kwargs
        self.extra.setdefault("required", False)
        self.model: type[Model] | None = None
        self.parent: BaseFilterSet | None = None
        self.target: Target | None = None
        self.creation_counter = Filter.creation_counter
        Filter.creation_counter += 1

    @property
    def method(self) -> FilterFunc | str | None:
        return self._method

    @method.setter
    def method(self, value: FilterFunc | str | None) -> None:
        # As django-filter: a method filter's `filter` is a FilterMethod.
        self._method = value
        if isinstance(self.__dict__.get("filter"), FilterMethod):
            del self.filter
        if value is not None:
            self.filter = FilterMethod(self)  # type: ignore[method-assign, assignment]  # as django-filter

    @property
    def label(self) -> StrOrPromise | None:
        if self._label is None and self.field_name is not None:
            self._label = label_for_filter(self.field_name, self.lookup_expr, self.exclude)
        return self._label

    @label.setter
    def label(self, value: StrOrPromise | None) -> None:
        self._label = value

    # -- binding to a model ---------------------------------------------------------

    def bind(self, model: type[Model]) -> Self:
        """A copy of this filter for ``model``, its lookup path resolved (cached per class)."""
        bound = copy.copy(self)
        bound.extra = dict(self.extra)
        bound.__dict__.pop("_field", None)
        if isinstance(self.__dict__.get("filter"), FilterMethod):
            bound.filter = FilterMethod(bound)  # type: ignore[method-assign, assignment]
        bound.model = model
        bound.target = bound.resolve(model)
        bound.field  # noqa: B018 - built once here, shared by every request's copy
        return bound

    @property
    def name(self) -> str:
        """``field_name``, which the FilterSet sets (to the attribute name by default)."""
        assert self.field_name is not None, f"{type(self).__name__} has no field_name"
        return self.field_name

    def resolve(self, model: type[Model] | None) -> Target | None:
        """Where ``field_name`` + ``lookup_expr`` lands (None for an annotation)."""
        return resolve(model, self.name, self.lookup_expr)

    @property
    def column(self) -> Column | None:
        """The Tortoise field whose type values take, or None."""
        return cast("Column | None", getattr(self.target, "column", None))

    # -- validation -----------------------------------------------------------------

    @property
    def field(self) -> forms.Field:
        if "_field" not in self.__dict__:
            kwargs = {**self.get_field_kwargs(), **self.extra}
            field_class: Callable[..., forms.Field] = self.get_field_class()  # Django checks kwargs
            self._field: forms.Field = field_class(label=self.label, **kwargs)
        return self._field

    def get_field_class(self) -> type[forms.Field]:
        return self.field_class

    def get_field_kwargs(self) -> dict[str, object]:
        """Form field arguments derived from the model column (explicit ones win)."""
        return {}

    # -- filtering ------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The Tortoise filter key, e.g. ``author__name__icontains`` or ``author_id``."""
        if self.target is not None:
            return self.target.key
        if self.lookup_expr == "exact":
            return self.name
        return SEP.join([self.name, self.lookup_expr])

    def apply(self, queryset: AnyQuerySet, condition: Q) -> AnyQuerySet:
        return apply(queryset, self.target, condition, exclude=self.exclude)

    def condition(self, value: object) -> Q:
        """The condition a (cleaned, non-empty) value puts on a row."""
        return lookup_q(self.key, value)

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        if value in EMPTY_VALUES:
            return qs
        return self.apply(qs, self.condition(value))

    def get_schema_parameters(self, name: str) -> list[dict[str, object]]:
        """The OpenAPI query parameters this filter reads (one, except for ranges)."""
        field = self.field
        words = [force_str(text) for text in (self.label, field.help_text) if text]
        return ff.parameter_schemas(name, field, ". ".join(words), bool(field.required))


class FilterMethod:
    """Calls the filter's ``method`` in place of ``Filter.filter``."""

    # Mirrors django_filters.filters.FilterMethod; differs only in type hints.

    def __init__(self, filter_instance: Filter) -> None:
        self.f = filter_instance

    def __call__(self, qs: AnyQuerySet, value: object) -> FilterResult:
        if value in EMPTY_VALUES:
            return qs
        return self.method(qs, self.f.field_name, value)

    @property
    def method(self) -> FilterFunc:
        """The callable: the filter's own, or the parent FilterSet's method of that name."""
        instance = self.f
        own = instance.method
        if callable(own):
            return own
        parent = instance.parent
        assert parent is not None, (
            f"Filter '{instance.field_name}' must have a parent FilterSet to find "
            f"'.{instance.method}()'"
        )
        method: FilterFunc | None = getattr(parent, cast("str", own), None)
        assert callable(method), (
            f"Expected parent FilterSet '{type(parent).__module__}.{type(parent).__name__}' "
            f"to have a '.{instance.method}()' method."
        )
        return method


class CharFilter(Filter):
    field_class = forms.CharField


class BooleanFilter(Filter):
    field_class = ff.BooleanField


class NumberFilter(Filter):
    """A number; on an integer column an integer within the column's range."""

    field_class = forms.DecimalField

    def get_field_class(self) -> type[forms.Field]:
        return forms.IntegerField if ff.is_integer(self.column) else self.field_class

    def get_field_kwargs(self) -> dict[str, object]:
        if ff.is_integer(self.column):
            return ff.column_bounds(self.column)
        return {"max_value": decimal.Decimal("1e50")}  # django-filter's cap

    def condition(self, value: object) -> Q:
        return super().condition(ff.annotation_number(value) if self.column is None else value)


class _NullChoiceMixin(_Filter):
    """django-filter's ``null_label``/``null_value``: a choice that selects NULL rows."""

    def _pop_null_choice(self, kwargs: dict[str, object]) -> None:
        kwargs.pop("empty_label", None)
        self.null_label = kwargs.pop("null_label", None)
        self.null_value = kwargs.pop("null_value", "null")
        if self.null_label is not None and "choices" in kwargs:
            choices = cast("Iterable[object]", kwargs["choices"])
            kwargs["choices"] = [*choices, (self.null_value, self.null_label)]

    def condition(self, value: object) -> Q:
        if self.null_label is not None and value == self.null_value:
            return lookup_q(resolve_key(self.model, self.name, "isnull"), True)
        return super().condition(ff.as_column_type(value, self.column))


class ChoiceFilter(_NullChoiceMixin, Filter):
    field_class = forms.ChoiceField

    def __init__(self, *args: str | None, **kwargs: object) -> None:
        self._pop_null_choice(kwargs)
        cast("Callable[..., None]", super().__init__)(*args, **kwargs)  # Filter's and the field's


class TypedChoiceFilter(ChoiceFilter):
    field_class = forms.TypedChoiceField


class MultipleChoiceFilter(_NullChoiceMixin, Filter):
    """Several values (``?status=a&status=b``): rows matching any (or, ``conjoined``, all)."""

    field_class = forms.MultipleChoiceField

    def __init__(self, *args: str | None, conjoined: bool = False, **kwargs: object) -> None:
        self.conjoined = conjoined
        self._pop_null_choice(kwargs)
        cast("Callable[..., None]", super().__init__)(*args, **kwargs)

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        return _filter_any(self, qs, value)


def _filter_any(
    f: MultipleChoiceFilter | ModelMultipleChoiceFilter, qs: AnyQuerySet, values: object
) -> AnyQuerySet:
    """Rows matching any of ``values`` (each at most once), or all when conjoined."""
    if not values:
        return qs
    conditions = [f.condition(value) for value in dict.fromkeys(cast("list[object]", values))]
    if f.conjoined:
        for condition in conditions:
            qs = f.apply(qs, condition)
        return qs
    return f.apply(qs, Q(*conditions, join_type="OR"))


class TypedMultipleChoiceFilter(MultipleChoiceFilter):
    field_class = forms.TypedMultipleChoiceField


class DateFilter(Filter):
    field_class = forms.DateField


class DateTimeFilter(Filter):
    """ISO 8601 date-times (Django's DateTimeField reads them; naive ones are local)."""

    field_class = forms.DateTimeField


IsoDateTimeFilter = DateTimeFilter


class TimeFilter(Filter):
    field_class = forms.TimeField

    def condition(self, value: object) -> Q:
        return super().condition(ff.aware_time(value))


# Tortoise stores a duration as a 64-bit count of microseconds.
_MAX_DURATION = datetime.timedelta(microseconds=2**63 - 1)


class DurationFilter(Filter):
    field_class = forms.DurationField

    def get_field_kwargs(self) -> dict[str, object]:
        return {"validators": [MinValueValidator(-_MAX_DURATION), MaxValueValidator(_MAX_DURATION)]}


class UUIDFilter(Filter):
    field_class = forms.UUIDField


class ModelChoiceFilter(Filter):
    """A related row's key (``?author=3``), typed by the key's column.

    ``to_field_name`` matches another field of the related model instead.
    ``queryset`` (a model class, a Tortoise queryset, or a callable taking the request)
    limits which related rows may match: a key outside it matches no rows, inside the
    same query (django-filter answers 400, which would cost a query per request).
    """

    def __init__(
        self,
        *args: str | None,
        queryset: ModelOrQuerySet | Callable[[Request | None], ModelOrQuerySet] | None = None,
        to_field_name: str | None = None,
        **kwargs: object,
    ) -> None:
        self.queryset = queryset
        self.to_field_name = to_field_name
        for name in ("empty_label", "null_label", "null_value"):
            kwargs.pop(name, None)
        cast("Callable[..., None]", super().__init__)(*args, **kwargs)

    def _path(self) -> str:
        return SEP.join(filter(None, [self.field_name, self.to_field_name]))

    def resolve(self, model: type[Model] | None) -> Target | None:
        return resolve(model, self._path(), self.lookup_expr)

    def get_field_class(self) -> type[forms.Field]:
        return ff.column_field(self.column)[0]

    def get_field_kwargs(self) -> dict[str, object]:
        return ff.column_field(self.column)[1]

    def get_queryset(self, request: Request | None) -> ModelOrQuerySet | None:
        queryset = self.queryset
        if callable(queryset) and not isinstance(queryset, type):
            return queryset(request)
        return queryset

    def condition(self, value: object) -> Q:
        condition = super().condition(value)
        allowed = self.get_queryset(getattr(self.parent, "request", None))
        if allowed is None:
            return condition
        # The same join as the value's: the chosen row itself must be allowed.
        allowed = as_model_query(allowed)
        key = resolve_key(self.model, self.name, "in")
        return condition & lookup_q(key, Subquery(allowed.values(allowed.model._meta.pk_attr)))


class ModelMultipleChoiceFilter(ModelChoiceFilter):
    """Several related keys (``?tags=1&tags=2``): rows related to any (or, ``conjoined``, all)."""

    def __init__(self, *args: str | None, conjoined: bool = False, **kwargs: object) -> None:
        self.conjoined = conjoined
        cast("Callable[..., None]", super().__init__)(*args, **kwargs)

    def get_field_class(self) -> type[forms.Field]:
        return ff.mixed(ff.BaseMultipleValueField, super().get_field_class())

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        return _filter_any(self, qs, value)


class BaseCSVFilter(Filter):
    """Comma-separated values, each cleaned by the filter's field class."""

    base_field_class: type[forms.Field] = ff.BaseCSVField

    def __init__(self, *args: str | None, **kwargs: object) -> None:
        kwargs.setdefault("help_text", "Multiple values may be separated by commas.")
        cast("Callable[..., None]", super().__init__)(*args, **kwargs)

    def get_field_class(self) -> type[forms.Field]:
        return ff.mixed(self.base_field_class, super().get_field_class())


class BaseInFilter(BaseCSVFilter):
    def __init__(self, *args: str | None, **kwargs: object) -> None:
        kwargs.setdefault("lookup_expr", "in")
        super().__init__(*args, **kwargs)

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        if value in EMPTY_VALUES:
            return qs
        # An empty item (``1,,2``) is None, which no row is IN: leave it out (Tortoise
        # rejects None for a non-null column); ``?id__in=,`` then matches nothing.
        items = cast("list[object]", value)  # the field cleans a list
        return self.apply(qs, self.condition([item for item in items if item is not None]))


class BaseRangeFilter(BaseCSVFilter):
    base_field_class = ff.BaseRangeField

    def __init__(self, *args: str | None, **kwargs: object) -> None:
        kwargs.setdefault("lookup_expr", "range")
        super().__init__(*args, **kwargs)

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        if value in EMPTY_VALUES:
            return qs
        # An empty bound (``5,``): as in SQL, no row is in range.
        if None in cast("list[object]", value):
            pk = cast("type[Model]", self.model)._meta.pk_attr
            return self.apply(qs, lookup_q(f"{pk}__in", []))
        return self.apply(qs, self.condition(value))


class RangeFilter(Filter):
    """``?<name>_min=1&<name>_max=9``: either bound may be left out."""

    field_class = ff.RangeField

    def resolve(self, model: type[Model] | None) -> Target | None:
        self.targets = {
            lookup: resolve(model, self.name, lookup) for lookup in ("gte", "lte", "range")
        }
        return self.targets["range"]

    def filter(self, qs: AnyQuerySet, value: object) -> AnyQuerySet:
        if not value:
            return qs
        bounds = cast("slice", value)  # RangeField's
        start, stop = self.convert(bounds.start), self.convert(bounds.stop)
        bound: object
        if start is not None and stop is not None:
            lookup, bound = "range", (start, stop)
        elif start is not None:
            lookup, bound = "gte", start
        else:
            lookup, bound = "lte", stop
        target = self.targets[lookup]
        key = target.key if target else SEP.join([self.name, lookup])  # an annotation
        return apply(qs, target, lookup_q(key, bound), exclude=self.exclude)

    def convert(self, value: object) -> object:
        return ff.annotation_number(value) if self.column is None else value


class DateFromToRangeFilter(RangeFilter):
    """``?<name>_after=2024-01-01&<name>_before=2024-01-31`` (the whole last day included)."""

    field_class = ff.DateRangeField

    def convert(self, value: object) -> object:
        if value is not None and getattr(self.column, "field_type", None) is datetime.date:
            return cast("datetime.datetime", value).date()
        return value


class DateTimeFromToRangeFilter(RangeFilter):
    field_class = ff.DateTimeRangeField


IsoDateTimeFromToRangeFilter = DateTimeFromToRangeFilter


class TimeRangeFilter(RangeFilter):
    field_class = ff.TimeRangeField

    def convert(self, value: object) -> object:
        return ff.aware_time(value)
