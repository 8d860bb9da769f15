"""The async forms every async_drf serializer adds to DRF's: ``ais_valid``, ``asave``,
``acreate``/``aupdate`` and ``adata`` (DRF's BaseSerializer API, awaited).

A sync ``is_valid()`` cannot run the queued database checks, so ``save()``/``asave()``
refuse after it instead of writing unchecked data.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers as drf
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from tortoise.exceptions import IntegrityError
from tortoise.exceptions import ValidationError as TortoiseValidationError

from ._plans import render_awaiting
from ._prefetch import alookup_input, prefetch_instances
from ._types import AnyField, HasData
from .concurrency import is_async_callable, maybe_await
from .exceptions import translate_exception
from .validators import AsyncCheck, defer_check, has_error, put_error, sort_indexes

if TYPE_CHECKING:
    from tortoise.models import Model

    # The mixins sit in front of DRF's serializer classes, whose API they call; the
    # instance type is the user's (DRF's serializers are generic in it, these are not).
    from ._types import AnySerializer as _BaseSerializer
    from ._types import InstanceT

    _Serializer = drf.Serializer[Any]
else:
    _BaseSerializer = _Serializer = object

_Data = TypeVar("_Data")  # what a serializer's ``.data`` is
# A serializer's ``async def validate_<field>(value)``: the validated value.
FieldHook = Callable[[object], Awaitable[object]]

__all__ = ["AsyncSerializerMixin", "AsyncValidateHooksMixin"]


class AsyncSerializerMixin(_BaseSerializer):
    """``ais_valid`` / ``asave`` / ``adata`` shared by Serializer and ListSerializer."""

    if TYPE_CHECKING:  # defined by Serializer and ListSerializer
        _errors: object  # DRF's: a dict (a list for some ListSerializer errors)
        _validated_data: object  # a dict, or a ListSerializer's list of them

        def validate(self, attrs: Any, /) -> Any: ...
        async def _instances_to_render(self) -> list[Model]: ...
        def get_prefetch_fields(self, model: type[Model] | None = None) -> list[str]: ...

    _async_checks: list[AsyncCheck] | None = None  # a list only while validating
    _async_validated = False  # ais_valid ran (asave needs it)
    _async_skipped = False  # a sync is_valid left database checks unrun

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        """DRF's sync is_valid: queued database checks are not run, so saving is refused."""
        self._async_checks = []
        try:
            valid = super().is_valid(raise_exception=raise_exception)
        finally:
            queued, self._async_checks = self._async_checks, None
        # DRF caches the first pass, so a second is_valid() queues nothing: keep the flag.
        if not self._async_validated:
            self._async_skipped = self._async_skipped or bool(queued)
            self._async_skipped = self._async_skipped or is_async_callable(self.validate)
        return valid

    async def ais_valid(self, *, raise_exception: bool = False) -> bool:
        """Async twin of DRF's is_valid: DRF's sync pass, then the queued database checks."""
        if not self._async_validated:
            self.__dict__.pop("_validated_data", None)  # redo a sync is_valid's pass
            await alookup_input(self)  # related objects, for DRF's pass to read
            self._async_checks = []
            try:
                super().is_valid()
            finally:
                checks, self._async_checks = self._async_checks, None
            await self._arun_checks(checks)
            if not self._errors and is_async_callable(self.validate):
                await self._arun_validate()
            self._async_validated, self._async_skipped = True, False
        if self._errors and raise_exception:
            raise ValidationError(self.errors)  # type: ignore[arg-type]  # a dict or a list
        return not self._errors

    async def _arun_checks(self, checks: list[AsyncCheck]) -> None:
        # Sequential on purpose: one connection, deterministic error order.
        for check in checks:
            if has_error(self._errors, check.path):
                continue  # the field already failed: DRF reports its first error
            try:
                await check.func(*check.args)
            except ValidationError as exc:
                self._errors = put_error(self._errors, check, exc, self._empty_errors())
                self._validated_data = self._empty_validated()
        if self._errors:
            self._errors = sort_indexes(self._errors)

    async def _arun_validate(self) -> None:
        try:
            value = await self.validate(self._validated_data)
            assert value is not None, ".validate() should return the validated data"
            self._validated_data = value
        except ValidationError as exc:
            self._errors = drf.as_serializer_error(exc)
            self._validated_data = self._empty_validated()

    def _empty_errors(self) -> object:
        return {}

    def _empty_validated(self) -> object:
        return {}

    def save(self, **kwargs: object) -> Any:  # the instance, of DRF's untyped bases
        assert not self._async_skipped, (
            "This serializer has database checks that a sync `.is_valid()` cannot run: "
            "use `await serializer.ais_valid()` and `await serializer.asave()`."
        )
        return super().save(**kwargs)

    async def asave(self, **kwargs: object) -> Any:  # the instance, as save()
        """Async twin of DRF's save: calls ``aupdate`` or ``acreate``."""
        # Mirrors rest_framework.serializers.BaseSerializer.save; differs in awaiting
        # aupdate/acreate, in requiring ais_valid (which ran the uniqueness/existence
        # checks), in serving a ListSerializer (kwargs merged into each item) and in
        # turning an IntegrityError or Tortoise ValidationError into a 400.
        assert self._async_validated, (
            "You must call `await .ais_valid()` before calling `.asave()`."
        )
        assert not self.errors, "You cannot call `.asave()` on a serializer with invalid data."
        assert "commit" not in kwargs, (
            "'commit' is not a valid keyword argument to the 'asave()' method."
        )
        assert not hasattr(self, "_data"), (
            "You cannot call `.asave()` after accessing `serializer.data`."
        )
        validated_data = self.validated_data
        if isinstance(validated_data, list):  # ListSerializer
            validated_data = [{**attrs, **kwargs} for attrs in validated_data]
        else:
            validated_data = {**validated_data, **kwargs}
        try:
            if self.instance is not None:
                self.instance = await self.aupdate(self.instance, validated_data)
                assert self.instance is not None, "`aupdate()` did not return an object instance."
            else:
                self.instance = await self.acreate(validated_data)
                assert self.instance is not None, "`acreate()` did not return an object instance."
        except (IntegrityError, TortoiseValidationError) as exc:
            # A race past the uniqueness check: a 400 naming the field, never a 500.
            raise translate_exception(exc, {"view": _ModelRef(self._model())}) from exc
        return self.instance

    # ``validated_data`` is DRF's (untyped: a dict, a list of them for a ListSerializer).
    async def acreate(self: drf.BaseSerializer[InstanceT], validated_data: Any) -> InstanceT:
        """Async twin of DRF's create: calls ``create`` (awaited if ``async def``)."""
        return await maybe_await(self.create, validated_data)

    async def aupdate(
        self: drf.BaseSerializer[InstanceT], instance: InstanceT, validated_data: Any
    ) -> InstanceT:
        """Async twin of DRF's update: calls ``update`` (awaited if ``async def``)."""
        return await maybe_await(self.update, instance, validated_data)

    @property
    def adata(self: HasData[_Data]) -> Awaitable[_Data]:
        """Async twin of ``.data``: ``data = await serializer.adata``."""
        # The awaited value is ``.data``, read after the relations are fetched.
        return cast("Awaitable[_Data]", cast("AsyncSerializerMixin", self)._adata())

    async def _adata(self) -> object:
        await self.aprefetch()
        return await render_awaiting(self._read_data)

    def _read_data(self) -> object:
        return self.data

    async def aprefetch(self) -> None:
        """Fetch, in a fixed number of queries, the relations rendered and not yet loaded."""
        instances = await self._instances_to_render()
        if instances and not getattr(self, "_errors", None):
            await prefetch_instances(instances, self.get_prefetch_fields(type(instances[0])))

    def _model(self) -> type[Model] | None:
        return getattr(getattr(self, "Meta", None), "model", None)


class _ModelRef:
    """Stands in for a view so translate_exception can name fields of ``queryset``."""

    def __init__(self, model: type[Model] | None) -> None:
        self.queryset = model


class AsyncValidateHooksMixin(_Serializer):
    """Serializer's ``async def validate`` and ``validate_<field>``, left to ``ais_valid``
    (DRF calls both synchronously)."""

    if TYPE_CHECKING:
        _validated_data: object

    def run_validation(self, data: object = empty) -> object:
        # Mirrors rest_framework.serializers.Serializer.run_validation; differs in
        # leaving an `async def validate` to ais_valid (a TypeError on a nested one).
        (is_empty_value, data) = self.validate_empty_values(data)
        if is_empty_value:
            return data
        value = self.to_internal_value(data)
        try:
            self.run_validators(value)
            if is_async_callable(self.validate):
                if self.root is not self:
                    raise TypeError(
                        "An `async def validate()` is only supported on the root serializer."
                    )
            else:
                value = self.validate(value)
                assert value is not None, ".validate() should return the validated data"
        except (ValidationError, DjangoValidationError) as exc:
            raise ValidationError(detail=drf.as_serializer_error(exc)) from exc
        return value

    def to_internal_value(self, data: object) -> dict[str, object]:
        # DRF calls `validate_<field>` synchronously: shadow each `async def` one with a
        # stub that queues it for ais_valid (instance attributes win over methods).
        hooks = {}
        for field in self._writable_fields:
            hook = getattr(self, f"validate_{field.field_name}", None)
            if hook is not None and is_async_callable(hook):
                hooks[f"validate_{field.field_name}"] = functools.partial(
                    self._defer_hook, hook, field
                )
        if hooks and self.root is not self:
            raise TypeError(
                "An `async def validate_<field>()` is only supported on the root serializer."
            )
        self.__dict__.update(hooks)
        try:
            validated: dict[str, object] = super().to_internal_value(data)
            return validated
        finally:
            for name in hooks:
                self.__dict__.pop(name, None)

    def _defer_hook(self, hook: FieldHook, field: AnyField, value: object) -> object:
        defer_check(field, self._arun_hook, hook, field, value)
        return value

    async def _arun_hook(self, hook: FieldHook, field: AnyField, value: object) -> None:
        validated = cast("dict[str, object]", self._validated_data)  # a Serializer's: a dict
        self.set_value(validated, field.source_attrs, await hook(value))
