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

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field
from rest_framework.serializers import ListSerializer, as_serializer_error

__all__ = [
    "AsyncCheck",
    "UniqueTogetherValidator",
    "UniqueValidator",
    "defer_check",
    "get_queryset",
    "has_error",
    "put_error",
]


class AsyncCheck(NamedTuple):
    """One queued database check: ``await func(*args)`` may raise ValidationError."""

    path: tuple[str | int, ...]  # () = the root serializer (non-field errors)
    func: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]


def _path(node: Field) -> tuple[str | int, ...]:
    """Keys from the root serializer down to ``node`` (list items by index)."""
    path: list[str | int] = []
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, ListSerializer):
            path.append(getattr(parent, "_async_index", 0))
        else:
            path.append(node.field_name)
        node = parent
    return tuple(reversed(path))


def defer_check(node: Field, func: Callable[..., Awaitable[Any]], *args: Any) -> None:
    """Queue ``func(*args)`` on the root serializer for ``ais_valid`` to await."""
    queue = getattr(node.root, "_async_checks", None)
    if queue is None:
        raise TypeError(
            f"{type(node).__name__} needs a database check: validate with "
            "`await serializer.ais_valid()` on an async_drf serializer."
        )
    queue.append(AsyncCheck(_path(node), func, args))


def get_queryset(queryset: Any, **filters: Any) -> Any:
    """A fresh Tortoise QuerySet from a model class or a shared QuerySet (TRAPS 17),
    filtered by ``filters`` (``filter()`` clones, so it needs no ``all()`` first)."""
    return queryset.filter(**filters) if filters else queryset.all()


def has_error(errors: Any, path: tuple[str | int, ...]) -> bool:
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


def put_error(
    errors: Any, path: tuple[str | int, ...], exc: ValidationError, empty_errors: Any
) -> Any:
    """``errors`` with ``exc`` placed at ``path`` (``()`` = non-field errors)."""
    if not errors:
        errors = empty_errors
    if not path:
        for key, messages in as_serializer_error(exc).items():
            errors.setdefault(key, []).extend(messages)
        return errors
    node = errors
    for key in path[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    detail = exc.detail
    node[path[-1]] = detail if isinstance(detail, (list, dict)) else [detail]
    return errors


class UniqueValidator:
    """Async twin of DRF's UniqueValidator: one ``exists()`` query, queued for ais_valid."""

    message = _("This field must be unique.")
    requires_context = True

    def __init__(self, queryset: Any, message: str | None = None, lookup: str = "exact") -> None:
        self.queryset = queryset
        self.message = message or self.message
        self.lookup = lookup

    def __call__(self, value: Any, serializer_field: Field) -> None:
        instance = getattr(serializer_field.parent, "instance", None)
        defer_check(
            serializer_field, self.acheck, value, serializer_field.source_attrs[-1], instance
        )

    async def acheck(self, value: Any, field_name: str, instance: Any = None) -> None:
        key = field_name if self.lookup == "exact" else f"{field_name}__{self.lookup}"
        queryset = get_queryset(self.queryset, **{key: value})
        if instance is not None and getattr(instance, "pk", None) is not None:
            queryset = queryset.exclude(pk=instance.pk)  # an update may keep its own value
        if await queryset.exists():
            raise ValidationError(self.message, code="unique")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and (
            (self.queryset, self.message, self.lookup)
            == (other.queryset, other.message, other.lookup)
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(queryset={_name(self.queryset)})>"


class UniqueTogetherValidator:
    """Async twin of DRF's UniqueTogetherValidator.

    ``fields`` are serializer field names; each is looked up through its field's
    ``source``, so a relation ``author`` filters on ``author_id``.
    """

    message = _("The fields {field_names} must make a unique set.")
    missing_message = _("This field is required.")
    requires_context = True

    def __init__(
        self, queryset: Any, fields: list[str] | tuple[str, ...], message: str | None = None
    ) -> None:
        self.queryset = queryset
        self.fields = tuple(fields)
        self.message = message or self.message

    def __call__(self, attrs: dict[str, Any], serializer: Any) -> None:
        instance = getattr(serializer, "instance", None)
        sources = {name: serializer.fields[name].source for name in self.fields}
        if instance is None:  # DRF's enforce_required_fields: pure CPU, so done now
            missing = {n: self.missing_message for n, s in sources.items() if s not in attrs}
            if missing:
                raise ValidationError(missing, code="required")
        values = {s: attrs[s] if s in attrs else getattr(instance, s) for s in sources.values()}
        if None in values.values():
            return  # NULLs never collide in SQL unique constraints
        defer_check(serializer, self.acheck, values, instance)

    async def acheck(self, values: dict[str, Any], instance: Any = None) -> None:
        queryset = get_queryset(self.queryset, **values)
        if instance is not None and getattr(instance, "pk", None) is not None:
            queryset = queryset.exclude(pk=instance.pk)
        if await queryset.exists():
            message = self.message.format(field_names=", ".join(self.fields))
            raise ValidationError(message, code="unique")

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(queryset={_name(self.queryset)}, fields={self.fields!r})>"


def _name(queryset: Any) -> str:
    return getattr(queryset, "__name__", None) or f"{queryset.model.__name__}.filter(...)"
