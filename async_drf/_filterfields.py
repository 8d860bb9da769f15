"""Django form fields and widgets the FilterSet filters validate query values with, the
OpenAPI schemas of those values, and their conversion to a Tortoise column's type.

They follow django-filter's (``django_filters.fields`` and ``widgets``): comma-separated
lists (``?id__in=1,2``), two-value ranges (``?views__range=1,9``), ``_min``/``_max``
pairs (``?views_min=1``) and booleans spelled ``true``/``false``.  Unlike
django-filter's ``BooleanWidget``, a value that is not a boolean is a 400, not ignored.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias, cast

from django import forms
from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from tortoise.timezone import get_default_timezone, get_use_tz

if TYPE_CHECKING:
    import enum
    from collections.abc import Callable, Mapping, Sequence

    from django.core.files.uploadedfile import UploadedFile
    from django.utils.datastructures import MultiValueDict

    from ._types import Column, OpenAPIObject

# What a widget reads values from: the query parameters, and no files.
_Data: TypeAlias = "Mapping[str, object]"
_Files: TypeAlias = "MultiValueDict[str, UploadedFile[bytes]]"

# Values a filter treats as "not given" (django_filters.constants.EMPTY_VALUES).
EMPTY_VALUES: tuple[object, ...] = ([], (), {}, "", None)

_TRUE = frozenset(("true", "1", "yes", "on"))
_FALSE = frozenset(("false", "0", "no", "off"))


class BooleanWidget(forms.Select):
    """django-filter's BooleanWidget: a yes/no select that hands the field the raw text."""

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        choices = (("", _("Unknown")), ("true", _("Yes")), ("false", _("No")))
        super().__init__(attrs, choices)

    def format_value(self, value: object) -> list[str]:
        texts: dict[object, str] = {True: "true", False: "false"}
        return [texts.get(value, str(value or "").lower())]


class BooleanField(forms.Field):
    """``true``/``false`` (also 1/0, yes/no, on/off, any case); anything else is invalid."""

    widget = BooleanWidget
    default_error_messages = {"invalid": _("Must be a valid boolean.")}

    def to_python(self, value: object) -> bool | None:
        if value in self.empty_values:
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class BaseCSVWidget(forms.Widget):
    """Reads ``a,b,c`` as a list; renders a list back as comma-separated text."""

    # Mirrors django_filters.widgets.BaseCSVWidget; differs in rendering through
    # format_value instead of a surrogate widget.

    def value_from_datadict(self, data: _Data, files: _Files, name: str) -> Sequence[object] | None:
        value: str | list[str] | None = super().value_from_datadict(data, files, name)
        if value is None or isinstance(value, list):
            return value
        return [] if value == "" else value.split(",")

    def format_value(self, value: object) -> str | None:
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        text: str | None = super().format_value(value)
        return text


class CSVWidget(BaseCSVWidget, forms.TextInput):
    pass


class BaseCSVField(forms.Field):
    """Cleans each comma-separated item with the field class it is mixed with.

    ``max_values`` caps the list: a database binds one parameter per item.
    """

    widget: type[forms.Widget] = CSVWidget
    max_values = 1000
    default_error_messages = {
        "max_values": _("Ensure this value has at most %(max)d items."),
    }

    def clean(self, value: Sequence[object] | None) -> list[object] | None:
        if value in self.empty_values and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if value is None:
            return None
        if len(value) > self.max_values:
            raise forms.ValidationError(
                self.error_messages["max_values"],
                code="max_values",
                params={"max": self.max_values},
            )
        clean = super().clean
        return [clean(item) for item in value]


class MultipleValueWidget(forms.TextInput):
    """Reads every value of a repeated parameter: ``?tags=1&tags=2``."""

    def value_from_datadict(self, data: _Data, files: _Files, name: str) -> Sequence[object] | None:
        getlist: Callable[[str], list[str]] | None = getattr(data, "getlist", None)
        if getlist is not None:
            return getlist(name) or None
        value = data.get(name)
        return value if value is None or isinstance(value, list) else [value]


class BaseMultipleValueField(BaseCSVField):
    """Cleans each value of a repeated parameter with the field class it is mixed with."""

    widget = MultipleValueWidget


class BaseRangeField(BaseCSVField):
    """Exactly two comma-separated values: ``?views__range=1,9``."""

    default_error_messages = {"invalid_values": _("Range query expects two values.")}

    def clean(self, value: Sequence[object] | None) -> list[object] | None:
        value = super().clean(value)
        if value and len(value) != 2:
            raise forms.ValidationError(
                self.error_messages["invalid_values"], code="invalid_values"
            )
        return value


class SuffixedMultiWidget(forms.MultiWidget):
    """One query parameter per sub-widget, named ``<name>_<suffix>``."""

    # Mirrors django_filters.widgets.SuffixedMultiWidget; differs in dropping
    # replace_name (only used by django-filter's old templates).

    suffixes: tuple[str, ...] = ()

    def suffixed(self, name: str, suffix: str) -> str:
        return f"{name}_{suffix}" if suffix else name

    def get_context(
        self, name: str, value: object, attrs: dict[str, object] | None
    ) -> dict[str, object]:
        context = super().get_context(name, value, attrs)
        for subcontext, suffix in zip(context["widget"]["subwidgets"], self.suffixes, strict=True):
            subcontext["name"] = self.suffixed(name, suffix)
        return context

    def value_from_datadict(self, data: _Data, files: _Files, name: str) -> list[object]:
        return [
            widget.value_from_datadict(data, files, self.suffixed(name, suffix))
            for widget, suffix in zip(self.widgets, self.suffixes, strict=True)
        ]

    def value_omitted_from_data(self, data: _Data, files: _Files, name: str) -> bool:
        return all(
            widget.value_omitted_from_data(data, files, self.suffixed(name, suffix))
            for widget, suffix in zip(self.widgets, self.suffixes, strict=True)
        )

    def decompress(self, value: slice | None) -> list[object]:
        return [value.start, value.stop] if value else [None, None]


class RangeWidget(SuffixedMultiWidget):
    suffixes = ("min", "max")

    def __init__(self, attrs: dict[str, object] | None = None) -> None:
        super().__init__((forms.TextInput, forms.TextInput), attrs)


class DateRangeWidget(RangeWidget):
    suffixes = ("after", "before")


class RangeField(forms.MultiValueField):
    """A ``slice(start, stop)`` from two sub-fields (either may be left out)."""

    widget = RangeWidget

    def __init__(
        self, fields: Sequence[forms.Field] | None = None, *args: object, **kwargs: object
    ) -> None:
        if fields is None:
            fields = (forms.DecimalField(), forms.DecimalField())
        kwargs.setdefault("require_all_fields", False)
        # The form field's own arguments (a filter's extra ones): Django checks them.
        cast("Callable[..., None]", super().__init__)(fields, *args, **kwargs)
        for field in self.fields:
            field.required = False

    def compress(self, data_list: list[object]) -> slice | None:
        if data_list and any(value not in EMPTY_VALUES for value in data_list):
            return slice(*data_list)
        return None


class DateRangeField(RangeField):
    """Dates; the stop date includes its whole day (as django-filter's)."""

    widget = DateRangeWidget

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__((forms.DateField(), forms.DateField()), *args, **kwargs)

    def compress(self, data_list: list[object]) -> slice | None:
        value = super().compress(data_list)
        if value is None:
            return None
        start = value.start and _aware(datetime.datetime.combine(value.start, datetime.time.min))
        stop = value.stop and _aware(datetime.datetime.combine(value.stop, datetime.time.max))
        return slice(start, stop)


class DateTimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__((forms.DateTimeField(), forms.DateTimeField()), *args, **kwargs)


class TimeRangeField(RangeField):
    widget = DateRangeWidget

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__((forms.TimeField(), forms.TimeField()), *args, **kwargs)


def mixed(base: type[forms.Field], field_class: type[forms.Field]) -> type[forms.Field]:
    """``base`` mixed into a form field class (django-filter's ConcreteCSVField)."""
    name = field_class.__name__.removesuffix("Field") + base.__name__.removeprefix("Base")
    return type(name, (base, field_class), {})


if not TYPE_CHECKING:  # cached; mypy does not hold a type[...] Hashable, as the cache asks
    mixed = functools.cache(mixed)


def _aware(value: datetime.datetime) -> datetime.datetime:
    return timezone.make_aware(value) if settings.USE_TZ else value


# -- OpenAPI schemas of filter values --------------------------------------------------

_FORMATS: tuple[tuple[type[forms.Field], dict[str, str]], ...] = (
    (BooleanField, {"type": "boolean"}),
    (forms.DecimalField, {"type": "number"}),  # Django's subclasses IntegerField
    (forms.FloatField, {"type": "number"}),
    (forms.IntegerField, {"type": "integer"}),
    (forms.DateTimeField, {"type": "string", "format": "date-time"}),
    (forms.DateField, {"type": "string", "format": "date"}),
    (forms.TimeField, {"type": "string", "format": "time"}),
    (forms.DurationField, {"type": "string", "format": "duration"}),
    (forms.UUIDField, {"type": "string", "format": "uuid"}),
)

_INT32 = (-(2**31), 2**31 - 1)


def value_schema(field: forms.Field) -> OpenAPIObject:
    """The OpenAPI schema of one value a form field accepts."""
    if isinstance(field, forms.ChoiceField):
        return _choice_schema(field)
    schema: OpenAPIObject = {"type": "string"}
    for field_class, formats in _FORMATS:
        if isinstance(field, field_class):
            schema = dict(formats)
            break
    if schema["type"] == "integer":
        low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
        if low is not None and high is not None:
            fits = _INT32[0] <= low and high <= _INT32[1]
            schema.update(format="int32" if fits else "int64", minimum=low, maximum=high)
    elif isinstance(field, forms.CharField):
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if any(isinstance(v, ProhibitNullCharactersValidator) for v in field.validators):
            schema["pattern"] = "^[^\\x00]*$"  # Django's CharField refuses null characters
    return schema


def _choice_schema(field: forms.ChoiceField) -> OpenAPIObject:
    choices = cast("Iterable[tuple[object, object]]", field.choices)  # normalised to a list
    values = [value for value, _label in choices if value != ""]
    coerce: Callable[[object], object] | None = getattr(field, "coerce", None)
    if coerce is not None:
        values = [getattr(coerce(value), "value", value) for value in values]
    kinds = {type(value) for value in values}
    value_type = "integer" if kinds == {int} else "string"
    return {"type": value_type, "enum": values}


def parameter_schemas(
    name: str, field: forms.Field, description: str, required: bool
) -> list[OpenAPIObject]:
    """The OpenAPI query parameters a filter's form field reads (two for a range)."""
    parameter = {"name": name, "required": required, "in": "query", "description": description}
    if isinstance(field, RangeField):
        widget = cast("RangeWidget", field.widget)  # an instance once the field is built
        return [
            {
                **parameter,
                "name": widget.suffixed(name, suffix),
                "required": False,
                "schema": _or_empty(value_schema(sub)),
            }
            for sub, suffix in zip(field.fields, widget.suffixes, strict=True)
        ]
    if isinstance(field, BaseCSVField):
        schema: OpenAPIObject = {"type": "array", "items": value_schema(field)}
        if isinstance(field, BaseRangeField):
            schema.update(minItems=2, maxItems=2)
        else:
            schema["maxItems"] = field.max_values
        explode = isinstance(field, BaseMultipleValueField)  # ?tags=1&tags=2, not 1,2
        return [{**parameter, "style": "form", "explode": explode, "schema": schema}]
    if isinstance(field, forms.MultipleChoiceField):
        schema = {"type": "array", "items": _choice_schema(field)}
        return [{**parameter, "style": "form", "explode": True, "schema": schema}]
    schema = value_schema(field)
    return [{**parameter, "schema": schema if required else _or_empty(schema)}]


def _or_empty(schema: OpenAPIObject) -> OpenAPIObject:
    """``schema``, or an empty value: a filter ignores one (django-filter's EMPTY_VALUES)."""
    if (
        schema.get("type") == "string"
        and not {"format", "enum", "minLength"} & set(schema)
        and re.search(cast("str", schema.get("pattern", "")), "") is not None
    ):
        return schema  # "" fits already
    return {"anyOf": [schema, {"enum": [""]}]}


# -- values by column type -------------------------------------------------------------


def is_integer(column: Column | None) -> bool:
    return getattr(column, "field_type", None) is int and getattr(column, "enum_type", None) is None


def column_bounds(column: Column | None) -> dict[str, object]:
    """min/max of an integer column: a value outside it is a 400, not a driver error."""
    constraints: Mapping[str, object] = getattr(column, "constraints", None) or {}
    bounds = {"min_value": constraints.get("ge"), "max_value": constraints.get("le")}
    return {key: value for key, value in bounds.items() if value is not None}


def as_column_type(value: object, column: Column | None) -> object:
    """A choice's text as the column's Python type (asyncpg binds parameters by type)."""
    if not isinstance(value, str) or column is None:
        return value
    enum_type: type[enum.Enum] | None = getattr(column, "enum_type", None)
    if enum_type is not None:
        return next((m for m in enum_type if str(m.value) == value), value)
    if column.field_type is int and value.lstrip("-").isdigit():
        return int(value)
    return value


def annotation_number(value: object) -> object:
    """A number compared with an annotation (a count, a sum), which has no column:
    SQLite would compare a Decimal as text."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def aware_time(value: object) -> object:
    if isinstance(value, datetime.time) and value.tzinfo is None and get_use_tz():
        # Tortoise reads a naive time as the default time zone's, with a warning.
        return value.replace(tzinfo=get_default_timezone())
    return value


def column_field(column: Column | None) -> tuple[type[forms.Field], dict[str, object]]:
    """A form field class and arguments for values of a key column."""
    field_type = getattr(column, "field_type", None)
    if field_type is int:
        return forms.IntegerField, column_bounds(column)
    if field_type is uuid.UUID:
        return forms.UUIDField, {}
    return forms.CharField, {}
