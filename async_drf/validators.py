"""Async uniqueness validators over Tortoise querysets, and the deferral queue.

DRF calls validators synchronously from ``run_validation``; a database check cannot
run there.  So the validators here (and the related fields' existence checks) only
*queue* their query on the root serializer during DRF's sync pass, and
``Serializer.ais_valid()`` awaits the queue afterwards, placing any error under the
field that queued it.  The queue lives on the serializer, not the field, because
DRF's ``Field.__deepcopy__`` rebuilds fields from constructor arguments (TRAPS 12).

A sync ``is_valid()`` leaves the queue unrun and marks the serializer so that
``save()`` / ``asave()`` refuse: a uniqueness check is never skipped silently.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, NamedTuple, cast

from django.db.models import Field as DjangoField
from django.utils.text import camel_case_to_spaces
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.serializers import ListSerializer, Serializer, as_serializer_error
from rest_framework.settings import api_settings
from tortoise.exceptions import ValidationError as TortoiseValidationError
from tortoise.models import Model

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise as StrPromise

    from ._types import AnyField, ModelRows, RowSource

__all__ = [
    "AsyncCheck",
    "ModelFieldValidator",
    "UniqueTogetherValidator",
    "UniqueValidator",
    "defer_check",
    "get_queryset",
    "has_error",
    "list_errors_as_dict",
    "put_error",
    "qs_exists",
    "sort_indexes",
    "unique_error_message",
]


class AsyncCheck(NamedTuple):
    """One queued database check: ``await func(*args)`` may raise ValidationError."""

    path: tuple[str | int, ...]  # () = the root serializer
    func: Callable[..., Awaitable[None]]
    args: tuple[object, ...]
    # The length of the list each int in ``path`` indexes (None for a field name), so
    # list-form errors can be padded as DRF pads them.
    lengths: tuple[int | None, ...] = ()
    # Queued by a serializer's own validators: errors go under its non_field_errors.
    on_serializer: bool = False


def _path(node: AnyField) -> tuple[tuple[str | int, ...], tuple[int | None, ...]]:
    """Keys from the root serializer down to ``node`` (list items by index), and the
    length of the list behind each index."""
    path: list[str | int] = []
    lengths: list[int | None] = []
    parent: AnyField | None = node.parent
    while parent is not None:
        if isinstance(parent, ListSerializer):
            path.append(getattr(parent, "_async_index", 0))
            lengths.append(getattr(parent, "_async_length", None))
        else:
            path.append(node.field_name or "")
            lengths.append(None)
        node, parent = parent, parent.parent
    return tuple(reversed(path)), tuple(reversed(lengths))


def defer_check(node: AnyField, func: Callable[..., Awaitable[None]], *args: object) -> None:
    """Queue ``func(*args)`` on the root serializer for ``ais_valid`` to await."""
    queue = getattr(node.root, "_async_checks", None)
    if queue is None:
        raise TypeError(
            f"{type(node).__name__} needs a database check: validate with "
            "`await serializer.ais_valid()` on an async_drf serializer."
        )
    path, lengths = _path(node)
    on_serializer = isinstance(node, Serializer)
    queue.append(AsyncCheck(path, func, args, lengths, on_serializer))


def get_queryset(queryset: RowSource, **filters: object) -> ModelRows:
    """A fresh Tortoise QuerySet from a model class or a shared QuerySet (TRAPS 17),
    filtered by ``filters`` (``filter()`` clones, so it needs no ``all()`` first)."""
    return queryset.filter(**filters) if filters else queryset.all()


def list_errors_as_dict() -> bool:
    """DRF 3.18's ``LIST_SERIALIZER_ERRORS_AS_DICT`` (earlier versions: the list form)."""
    return bool(getattr(api_settings, "LIST_SERIALIZER_ERRORS_AS_DICT", False))


def has_error(errors: object, path: tuple[str | int, ...]) -> bool:
    node = errors
    for key in path:
        if isinstance(node, list):
            if not isinstance(key, int) or key >= len(node):
                return False
            node = node[key]
        elif isinstance(node, dict):
            if key not in node:
                return False
            node = node[key]
        else:
            return True
    return bool(node)


def _container(next_key: str | int, length: int | None) -> dict[str, object] | list[object]:
    """The empty errors of a serializer ({}) or of a list (dict or padded list form)."""
    if isinstance(next_key, int) and length is not None and not list_errors_as_dict():
        return [{} for _ in range(length)]
    return {}


def put_error(
    errors: object, check: AsyncCheck, exc: ValidationError, empty_errors: object
) -> object:
    """``errors`` with ``exc`` placed where ``check`` points, as DRF would have put it:
    a field's messages under its name, a serializer's under ``non_field_errors``."""
    if not errors:
        errors = empty_errors
    path, lengths = check.path, check.lengths or (None,) * len(check.path)
    steps = path if check.on_serializer else path[:-1]
    node = errors
    for i, key in enumerate(steps):
        if isinstance(node, list):
            node = node[cast("int", key)]  # a list is indexed by the item's position
            continue
        tree = cast("dict[str | int, object]", node)  # a serializer's errors
        if key not in tree:
            after = path[i + 1] if i + 1 < len(path) else ""
            tree[key] = _container(after, lengths[i + 1] if i + 1 < len(path) else None)
        node = tree[key]
    tree = cast("dict[str | int, object]", node)
    if check.on_serializer:
        for key, messages in as_serializer_error(exc).items():
            cast("list[object]", tree.setdefault(key, [])).extend(messages)
    else:
        detail = exc.detail
        tree[path[-1]] = detail if isinstance(detail, (list, dict)) else [detail]
    return errors


def sort_indexes(errors: object) -> object:
    """``errors`` with each ``{index: errors}`` dict in index order, as DRF builds it
    (errors placed after DRF's pass were appended)."""
    if isinstance(errors, list):
        return [sort_indexes(item) for item in errors]
    if not isinstance(errors, dict):
        return errors
    items = [(key, sort_indexes(value)) for key, value in errors.items()]
    if items and all(isinstance(key, int) for key, _value in items):
        items.sort(key=lambda item: item[0])
    return dict(items)


def _check_single_instance(serializer: AnyField, instance: object, validator: object) -> None:
    # Mirrors rest_framework.validators._check_single_instance; the same check and
    # message (DRF keeps it private).
    if (
        instance is not None
        and getattr(serializer.parent, "many", False)
        and not hasattr(instance, "pk")
    ):
        raise RuntimeError(
            f"`{type(validator).__name__}` cannot determine the current instance during a "
            "multiple update. Override `ListSerializer.run_child_validation()` to set "
            "`child.instance` before validation."
        )


async def qs_exists(queryset: ModelRows) -> bool:
    """Async twin of DRF's ``qs_exists``: a value the column cannot take (a
    ``ValueError``/``TypeError`` converting it, a driver's data error) matches no row,
    so it is unique."""
    try:
        return bool(await queryset.exists())
    except (TypeError, ValueError, OverflowError):
        return False
    except Exception as exc:
        from .exceptions import DATA, classify_database_error  # it imports this module

        if classify_database_error(exc) is DATA:
            return False
        raise


def _same(value: object, current: object) -> bool:
    """Whether a validated value equals an instance's (a related object by its pk)."""
    if isinstance(value, Model):
        value = value.pk
    if isinstance(current, Model):
        current = current.pk
    return bool(value == current)


class UniqueValidator:
    """Async twin of DRF's UniqueValidator: one ``exists()`` query, queued for ais_valid.

    An update that keeps the instance's value runs no query.
    """

    message: str | StrPromise = _("This field must be unique.")
    requires_context = True

    def __init__(
        self, queryset: RowSource, message: str | None = None, lookup: str = "exact"
    ) -> None:
        self.queryset = queryset
        self.message = message or self.message
        self.lookup = lookup

    def filter_queryset(self, value: object, queryset: RowSource, field_name: str) -> ModelRows:
        """The rows whose ``field_name`` matches ``value``."""
        key = field_name if self.lookup == "exact" else f"{field_name}__{self.lookup}"
        return get_queryset(queryset, **{key: value})

    def exclude_current_instance(self, queryset: ModelRows, instance: object) -> ModelRows:
        """An update may keep its own value: leave the instance out."""
        if instance is not None and getattr(instance, "pk", None) is not None:
            return queryset.exclude(pk=cast("Model", instance).pk)
        return queryset

    def __call__(self, value: object, serializer_field: AnyField) -> None:
        field_name = serializer_field.source_attrs[-1]
        instance = getattr(serializer_field.parent, "instance", None)
        _check_single_instance(serializer_field.parent, instance, self)
        if instance is not None and _same(value, _current(instance, field_name)):
            return
        defer_check(serializer_field, self.acheck, value, field_name, instance)

    async def acheck(self, value: object, field_name: str, instance: object = None) -> None:
        try:
            queryset = self.filter_queryset(value, self.queryset, field_name)
        except (TypeError, ValueError):
            return
        queryset = self.exclude_current_instance(queryset, instance)
        if await qs_exists(queryset):
            raise ValidationError(self.message, code="unique")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return (self.queryset, self.message, self.lookup) == (
            other.queryset,
            other.message,
            other.lookup,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(queryset={_name(self.queryset)})>"


class UniqueTogetherValidator:
    """Async twin of DRF's UniqueTogetherValidator.

    ``fields`` are serializer field names; each is looked up through its field's
    ``source``, so a relation ``author`` filters on ``author_id``.  As in DRF, a set
    holding a NULL is not checked (NULLs never collide in a SQL unique constraint),
    and neither is an update that changes none of the set's values.
    """

    message: str | StrPromise = _("The fields {field_names} must make a unique set.")
    missing_message = _("This field is required.")
    requires_context = True
    code = "unique"

    def __init__(
        self,
        queryset: RowSource,
        fields: list[str] | tuple[str, ...],
        message: str | None = None,
        code: str | None = None,
    ) -> None:
        self.queryset = queryset
        self.fields = tuple(fields)
        self.message = message or self.message
        self.code = code or self.code

    def enforce_required_fields(
        self, attrs: Mapping[str, object], serializer: Serializer[object]
    ) -> None:
        """On create, every field of the set is required."""
        if serializer.instance is not None:
            return
        missing = {
            name: self.missing_message
            for name in self.fields
            if serializer.fields[name].source not in attrs
        }
        if missing:
            raise ValidationError(missing, code="required")

    def filter_queryset(self, values: Mapping[str, object], queryset: RowSource) -> ModelRows:
        """The rows holding ``values`` (source -> value)."""
        return get_queryset(queryset, **values)

    def exclude_current_instance(self, queryset: ModelRows, instance: object) -> ModelRows:
        if instance is not None and getattr(instance, "pk", None) is not None:
            return queryset.exclude(pk=cast("Model", instance).pk)
        return queryset

    def __call__(self, attrs: Mapping[str, object], serializer: Serializer[object]) -> None:
        # Mirrors rest_framework.validators.UniqueTogetherValidator.__call__; differs in
        # queueing the query for ais_valid and in having no condition (Tortoise has no
        # conditional unique constraints).
        instance = serializer.instance
        _check_single_instance(serializer, instance, self)
        self.enforce_required_fields(attrs, serializer)
        sources = cast("list[str]", [serializer.fields[name].source for name in self.fields])
        values = {s: attrs[s] if s in attrs else _current(instance, s) for s in sources}
        if instance is not None and all(
            _same(attrs[s], _current(instance, s)) for s in sources if s in attrs
        ):
            return  # nothing in the set changes
        if any(value is None for value in values.values()):
            return
        defer_check(serializer, self.acheck, values, instance)

    async def acheck(self, values: Mapping[str, object], instance: object = None) -> None:
        try:
            queryset = self.filter_queryset(values, self.queryset)
        except (TypeError, ValueError):
            return
        queryset = self.exclude_current_instance(queryset, instance)
        if await qs_exists(queryset):
            message = self.message.format(field_names=", ".join(self.fields))
            raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return (self.queryset, self.fields, self.message, self.code) == (
            other.queryset,
            other.fields,
            other.message,
            other.code,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(queryset={_name(self.queryset)}, fields={self.fields!r})>"


class ModelFieldValidator:
    """A Tortoise field validator run by DRF's validation, so its failure is reported
    with the other errors instead of at save.  The message is DRF-style and generic:
    Tortoise's own text quotes the whole rejected value."""

    message = _("Invalid value.")

    def __init__(self, validator: Callable[[object], object]) -> None:
        self.validator = validator

    def __call__(self, value: object) -> None:
        try:
            self.validator(value.value if isinstance(value, enum.Enum) else value)
        except TortoiseValidationError:
            raise ValidationError(self.message, code="invalid") from None

    def __deepcopy__(self, memo: dict[int, object]) -> ModelFieldValidator:
        return self  # holds nothing that changes: share it, as the model field does

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.validator is other.validator

    def __repr__(self) -> str:
        return f"<{type(self).__name__}({type(self.validator).__name__})>"


def _current(instance: object, source: str) -> object:
    """An instance's value for ``source``: a relation's by its column, never a query."""
    field = instance._meta.fields_map.get(source) if isinstance(instance, Model) else None
    column = getattr(field, "source_field", None)
    return getattr(instance, column or source, None)


def unique_error_message(model: type[Model], field_name: str) -> str:
    """DRF's ModelSerializer wording for a unique model field, from Django's
    translated text: "author with this name already exists."."""
    return DjangoField.default_error_messages["unique"] % {
        "model_name": camel_case_to_spaces(model.__name__),
        "field_label": field_name.replace("_", " "),
    }


def _name(queryset: RowSource) -> str:
    name = getattr(queryset, "__name__", None)  # a model class; else a QuerySet
    return name or f"{cast('ModelRows', queryset).model.__name__}.filter(...)"
