"""Serializer and ModelSerializer for Tortoise models: DRF's API plus async forms.

The sync API (``is_valid()``, ``.data``) keeps working where no database is needed
(renderers, schema generation, the browsable API).  The async forms do the I/O:

* ``await s.ais_valid()`` runs DRF's validation, then the database checks it queued
  (uniqueness, related pks exist) and an ``async def validate``;
* ``await s.asave()`` -> ``acreate`` / ``aupdate`` (instance + m2m in one transaction);
* ``await s.adata`` fetches the relations the serializer renders, then renders.

A sync ``is_valid()`` cannot run the queued checks, so ``save()``/``asave()`` refuse
after it instead of writing unchecked data.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from django.utils import timezone
from rest_framework import serializers as drf
from rest_framework.exceptions import ValidationError
from rest_framework.fields import *  # noqa: F403 - `serializers.CharField` etc., as in DRF
from rest_framework.fields import empty
from rest_framework.serializers import (  # noqa: F401 - as `rest_framework.serializers` has them
    HiddenField,
    SerializerMethodField,
)
from rest_framework.settings import api_settings
from tortoise.exceptions import IntegrityError
from tortoise.exceptions import ValidationError as TortoiseValidationError
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery
from tortoise.transactions import in_transaction

from . import compat
from ._plans import PLAN_HOOKS, FieldPlan, RowPlan, plan_key, render_awaiting
from ._prefetch import alookup_input, prefetch_instances, prefetch_paths
from ._writes import aset_many, fk_column, split_many
from .concurrency import is_async_callable, mark_inline, maybe_await
from .conditional import save_instance
from .db import aevaluate, is_django_queryset
from .exceptions import translate_exception
from .fields import ModelInfo, build_standard_field, get_model_info
from .relations import (  # noqa: F401 - as `rest_framework.serializers` has them
    Hyperlink,
    HyperlinkedIdentityField,
    HyperlinkedRelatedField,
    ManyRelatedField,
    PKOnlyObject,
    PrimaryKeyRelatedField,
    RelatedField,
    SlugRelatedField,
    StringRelatedField,
)
from .validators import (
    AsyncCheck,
    UniqueTogetherValidator,
    UniqueValidator,
    defer_check,
    has_error,
    list_errors_as_dict,
    put_error,
    sort_indexes,
    unique_error_message,
)

__all__ = [
    "HyperlinkedModelSerializer",
    "ListSerializer",
    "ModelSerializer",
    "Serializer",
    "raise_errors_on_nested_writes",
]


class AsyncSerializerMixin:
    """``ais_valid`` / ``asave`` / ``adata`` shared by Serializer and ListSerializer."""

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
            raise ValidationError(self.errors)
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

    def _empty_errors(self) -> Any:
        return {}

    def _empty_validated(self) -> Any:
        return {}

    def save(self, **kwargs: Any) -> Any:
        assert not self._async_skipped, (
            "This serializer has database checks that a sync `.is_valid()` cannot run: "
            "use `await serializer.ais_valid()` and `await serializer.asave()`."
        )
        return super().save(**kwargs)

    async def asave(self, **kwargs: Any) -> Any:
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

    async def acreate(self, validated_data: Any) -> Any:
        """Async twin of DRF's create: calls ``create`` (awaited if ``async def``)."""
        return await maybe_await(self.create, validated_data)

    async def aupdate(self, instance: Any, validated_data: Any) -> Any:
        """Async twin of DRF's update: calls ``update`` (awaited if ``async def``)."""
        return await maybe_await(self.update, instance, validated_data)

    @property
    def adata(self) -> Awaitable[Any]:
        """Async twin of ``.data``: ``data = await serializer.adata``."""
        return self._adata()

    async def _adata(self) -> Any:
        await self.aprefetch()
        return await render_awaiting(self._read_data)

    def _read_data(self) -> Any:
        return self.data

    async def aprefetch(self) -> None:
        """Fetch, in a fixed number of queries, the relations rendered and not yet loaded."""
        instances = await self._instances_to_render()
        if instances and not getattr(self, "_errors", None):
            await prefetch_instances(instances, self.get_prefetch_fields(type(instances[0])))

    def _model(self) -> Any:
        return getattr(getattr(self, "Meta", None), "model", None)


class _ModelRef:
    """Stands in for a view so translate_exception can name fields of ``queryset``."""

    def __init__(self, model: Any) -> None:
        self.queryset = model


class ListSerializer(AsyncSerializerMixin, drf.ListSerializer):
    """DRF's ListSerializer with ``ais_valid`` / ``asave`` / ``adata``."""

    def run_child_validation(self, data: Any) -> Any:
        # Queued checks of item N report under errors[N].
        self._async_index = getattr(self, "_async_index", -1) + 1
        return super().run_child_validation(data)

    def to_internal_value(self, data: Any) -> Any:
        self._async_index = -1
        self._async_length = len(data) if isinstance(data, list) else None
        return super().to_internal_value(data)

    def _empty_errors(self) -> Any:
        # DRF 3.18 reports {index: errors} for the failing items; before it, and with
        # LIST_SERIALIZER_ERRORS_AS_DICT off, a list with {} for the valid ones.
        data = getattr(self, "initial_data", None)
        if isinstance(data, list) and not list_errors_as_dict():
            return [{} for _ in data]
        return {}

    def _empty_validated(self) -> Any:
        return []

    def to_representation(self, data: Any) -> Any:
        # Mirrors rest_framework.serializers.ListSerializer.to_representation; differs
        # only in rendering the rows through the child's plan when the child renders
        # as async_drf's Serializer does (one timezone lookup per list, not per value).
        child = self.child
        if type(child).to_representation is not Serializer.to_representation:
            return super().to_representation(data)
        iterable = data.all() if isinstance(data, drf.models.manager.BaseManager) else data
        return child._row_plan().render(iterable)

    async def _instances_to_render(self) -> list[Model]:
        if isinstance(self.instance, AwaitableQuery):
            self.instance = await self.instance  # never iterate a QuerySet synchronously
        elif is_django_queryset(self.instance):
            self.instance = await aevaluate(self.instance)  # nor a Django one
        if self.instance is None:
            return []
        return [i for i in self.instance if isinstance(i, Model)]

    def get_prefetch_fields(self, model: Any = None) -> list[str]:
        """The child's relation paths, for ``queryset.prefetch_related(*paths)``."""
        return self.child.get_prefetch_fields(model)

    async def acreate(self, validated_data: list[dict[str, Any]]) -> list[Any]:
        """Async twin of DRF's ListSerializer.create: the child's ``acreate`` per item."""
        return [await self.child.acreate(attrs) for attrs in validated_data]


class Serializer(AsyncSerializerMixin, drf.Serializer):
    """DRF's Serializer with ``ais_valid``, ``asave``, ``acreate``, ``aupdate``, ``adata``."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> drf.BaseSerializer:
        # Mirrors rest_framework.serializers.BaseSerializer.many_init; differs only in
        # defaulting to the async ListSerializer.
        list_kwargs: dict[str, Any] = {}
        for key in drf.LIST_SERIALIZER_KWARGS_REMOVE:
            value = kwargs.pop(key, None)
            if value is not None:
                list_kwargs[key] = value
        list_kwargs["child"] = cls(*args, **kwargs)
        list_kwargs.update({k: v for k, v in kwargs.items() if k in drf.LIST_SERIALIZER_KWARGS})
        meta = getattr(cls, "Meta", None)
        list_serializer_class = getattr(meta, "list_serializer_class", ListSerializer)
        return list_serializer_class(*args, **list_kwargs)

    def to_representation(self, instance: Any) -> Any:
        # Mirrors rest_framework.serializers.Serializer.to_representation; differs in
        # listing the readable fields once per serializer and in the plain-field fast
        # path of RowPlan (a ListSerializer renders every row with the same child).
        return self._row_plan().render([instance])[0]

    def _row_plan(self) -> RowPlan:
        fields = self.fields
        cached = self.__dict__.get("_readable_cache")
        if cached is None or cached[0] is not fields:
            cached = self._readable_cache = (fields, RowPlan(self._readable_fields))
        return cached[1]

    def run_validation(self, data: Any = empty) -> Any:
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
        except (ValidationError, drf.DjangoValidationError) as exc:
            raise ValidationError(detail=drf.as_serializer_error(exc)) from exc
        return value

    def to_internal_value(self, data: Any) -> Any:
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
            return super().to_internal_value(data)
        finally:
            for name in hooks:
                self.__dict__.pop(name, None)

    def _defer_hook(self, hook: Any, field: drf.Field, value: Any) -> Any:
        defer_check(field, self._arun_hook, hook, field, value)
        return value

    async def _arun_hook(self, hook: Any, field: drf.Field, value: Any) -> None:
        self.set_value(self._validated_data, field.source_attrs, await hook(value))

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        if value is rel.NoneAwaitable:  # a null FK never fetched
            return None
        if isinstance(value, AwaitableQuery):
            raise AssertionError(
                f"Relation {self.source!r} is not fetched: render with `await serializer.adata`, "
                "or prefetch_related(*serializer.get_prefetch_fields()) on the queryset."
            )
        return value

    async def _instances_to_render(self) -> list[Model]:
        return [self.instance] if isinstance(self.instance, Model) else []

    def get_prefetch_fields(self, model: Any = None) -> list[str]:
        """Relation paths this serializer renders (``["author", "tags", "author__profile"]``).

        Views pass them to ``queryset.prefetch_related(*paths)``; ``await .adata``
        fetches whichever are still missing itself.
        """
        model = model or self._model()
        return prefetch_paths(self, model) if model is not None else []


class ModelSerializer(Serializer, drf.ModelSerializer):
    """DRF's ModelSerializer over a Tortoise model (``Meta.model``).

    Fields are built lazily in ``get_fields()`` from ``Model._meta`` (TRAPS 9).  A FK
    or O2O is a :class:`PrimaryKeyRelatedField` on ``<fk>_id``; a m2m a list of pks;
    ``Meta.depth`` nests read-only serializers; unique columns get
    :class:`UniqueValidator` and ``Meta.unique_together`` :class:`UniqueTogetherValidator`.
    """

    serializer_related_field = PrimaryKeyRelatedField
    serializer_related_to_field = SlugRelatedField
    serializer_url_field = HyperlinkedIdentityField
    unique_validator_class = UniqueValidator
    unique_together_validator_class = UniqueTogetherValidator

    def get_fields(self) -> dict[str, drf.Field]:
        # Mirrors rest_framework.serializers.ModelSerializer.get_fields; differs in reading
        # Tortoise's _meta and in adding no hidden fields (DRF's come from unique_for_date,
        # which Tortoise lacks).
        if self.url_field_name is None:
            self.url_field_name = api_settings.URL_FIELD_NAME
        assert hasattr(self, "Meta"), f'Class {type(self).__name__} missing "Meta" attribute'
        assert hasattr(self.Meta, "model"), (
            f'Class {type(self).__name__} missing "Meta.model" attribute'
        )
        if getattr(getattr(self.Meta.model, "_meta", None), "abstract", False):
            raise ValueError("Cannot use ModelSerializer with Abstract Models.")
        declared_fields = copy.deepcopy(self._declared_fields)
        plan = type(self).__dict__.get("_field_plan")
        if plan is not None and plan.key == plan_key(self):
            # The same (class, Meta) as last time: only the field objects are new.
            return plan.build(declared_fields)
        model = self.Meta.model
        depth = getattr(self.Meta, "depth", 0)
        assert 0 <= depth <= 10, "'depth' must be between 0 and 10."
        info = get_model_info(model)
        _check_many_defaults(self, declared_fields, info)
        field_names = self.get_field_names(declared_fields, info)
        extra_kwargs = self.get_extra_kwargs()
        extra_kwargs, hidden_fields = self.get_uniqueness_extra_kwargs(
            field_names, declared_fields, extra_kwargs
        )
        fields: dict[str, drf.Field] = {}
        steps: list[tuple[str, Any, dict[str, Any] | None]] = []
        for field_name in field_names:
            if field_name in declared_fields:
                fields[field_name] = declared_fields[field_name]
                steps.append((field_name, None, None))
                continue
            extra_field_kwargs = extra_kwargs.get(field_name, {})
            source = extra_field_kwargs.get("source", "*")
            if source == "*":
                source = field_name
            field_class, field_kwargs = self.build_field(source, info, model, depth)
            field_kwargs = self.include_extra_kwargs(field_kwargs, extra_field_kwargs)
            steps.append((field_name, field_class, copy.deepcopy(field_kwargs)))
            fields[field_name] = field_class(**field_kwargs)
        fields.update(hidden_fields)  # only an override of get_uniqueness_extra_kwargs adds any
        if _plan_cacheable(type(self)):
            type(self)._field_plan = FieldPlan(plan_key(self), steps)
        return fields

    def get_default_field_names(
        self, declared_fields: dict[str, Any], model_info: ModelInfo
    ) -> list[str]:
        return [
            model_info.pk.model_field_name,
            *declared_fields,
            *model_info.fields,
            *model_info.forward_relations,
        ]

    def build_field(
        self, field_name: str, info: ModelInfo, model_class: Any, nested_depth: int
    ) -> Any:
        if field_name in info.fields_and_pk:
            return self.build_standard_field(field_name, info.fields_and_pk[field_name])
        if field_name in info.relations:
            relation = info.relations[field_name]
            if nested_depth:
                return self.build_nested_field(field_name, relation, nested_depth)
            return self.build_relational_field(field_name, relation)
        if hasattr(model_class, field_name):
            return self.build_property_field(field_name, model_class)
        if field_name == self.url_field_name:
            return self.build_url_field(field_name, model_class)
        return self.build_unknown_field(field_name, model_class)

    def build_standard_field(self, field_name: str, model_field: Any) -> Any:
        field_class, kwargs = build_standard_field(model_field)
        if model_field.unique and not kwargs.get("read_only"):
            unique = self.build_unique_validator(model_field.model_field_name)
            kwargs["validators"] = [*kwargs.get("validators", ()), unique]
        return field_class, kwargs

    def build_unique_validator(self, model_field_name: str) -> Any:
        """The UniqueValidator of a unique model field, worded as DRF words it
        ("author with this name already exists.")."""
        model = self.Meta.model
        message = unique_error_message(model, model_field_name)
        return self.unique_validator_class(queryset=model, message=message)

    def build_relational_field(self, field_name: str, relation: Any) -> Any:
        # DRF's build_relational_field and get_relation_kwargs over Tortoise's fields.
        field_class = self.serializer_related_field
        model = relation.related_model
        kwargs: dict[str, Any] = {"queryset": model, "view_name": _detail_view_name(model)}
        if relation.description:
            kwargs["help_text"] = relation.description
        if isinstance(relation, rel.BackwardOneToOneRelation):
            # Tortoise has no way to give a row its reverse one-to-one: read-only.
            kwargs.pop("queryset")
            kwargs["read_only"] = True
        elif isinstance(relation, (rel.BackwardFKRelation, rel.ManyToManyFieldInstance)):
            kwargs["many"] = True  # reverse FK, m2m from either side: set with the row
            if isinstance(relation, rel.ManyToManyFieldInstance) and not relation._generated:
                # Tortoise reports m2m as required; an omitted list simply links nothing.
                kwargs["required"] = False
        else:
            if relation.null:
                kwargs.update(allow_null=True, required=False)
            if isinstance(relation, rel.OneToOneFieldInstance):
                kwargs["validators"] = [self.build_unique_validator(field_name)]
            if not relation.to_field_instance.pk:  # a FK to another unique column
                field_class = self.serializer_related_to_field
                kwargs["slug_field"] = relation.to_field
            elif issubclass(field_class, PrimaryKeyRelatedField):
                kwargs["source"] = relation.source_field  # read `author_id`, never the relation
        if not issubclass(field_class, HyperlinkedRelatedField):
            kwargs.pop("view_name")
        return field_class, kwargs

    def build_nested_field(self, field_name: str, relation: Any, nested_depth: int) -> Any:
        return _nested_field(ModelSerializer, relation, nested_depth)

    def build_url_field(self, field_name: str, model_class: Any) -> Any:
        return self.serializer_url_field, {"view_name": _detail_view_name(model_class)}

    def get_validators(self) -> list[Any]:
        validators = getattr(getattr(self, "Meta", None), "validators", None)
        if validators is not None:
            return list(validators)
        return self.get_unique_together_validators()

    def get_unique_together_validators(self) -> list[Any]:
        """One validator per ``Meta.unique_together`` set whose columns all map to fields."""
        # Mirrors rest_framework.serializers.ModelSerializer.get_unique_together_validators;
        # differs in matching a relation by its column (``author`` is ``author_id``) and in
        # having no conditional constraints.
        model = self.Meta.model
        source_map: dict[str, list[str]] = defaultdict(list)
        for field in self.fields.values():
            takes_part = not field.read_only or field.default is not empty
            if takes_part and field.source != "*" and "." not in field.source:
                source_map[fk_column(model, field.source)].append(field.field_name)
        validators = []
        for together in model._meta.unique_together:
            columns = {name: fk_column(model, name) for name in together}
            if not set(source_map).issuperset(columns.values()):
                continue
            for name, column in columns.items():
                if len(source_map[column]) != 1:  # DRF's assert, kept under python -O
                    raise AssertionError(
                        f"Unable to create `UniqueTogetherValidator` for "
                        f"`{model.__name__}.{name}` as `{type(self).__name__}` has multiple "
                        f"fields ({', '.join(source_map[column])}) that map to this model "
                        "field. Either remove the extra fields, or override "
                        "`Meta.validators` with a `UniqueTogetherValidator` using the desired "
                        "field names."
                    )
            field_names = tuple(source_map[column][0] for column in columns.values())
            validators.append(
                self.unique_together_validator_class(queryset=model, fields=field_names)
            )
        return validators

    def get_uniqueness_extra_kwargs(
        self,
        field_names: list[str],
        declared_fields: dict[str, drf.Field],
        extra_kwargs: dict[str, dict[str, Any]],
    ) -> tuple[dict[str, dict[str, Any]], dict[str, drf.Field]]:
        """(``extra_kwargs`` plus what each field of a ``unique_together`` set needs: its
        model default, ``None`` when nullable, else ``required=True``; hidden fields)."""
        # Mirrors rest_framework.serializers.ModelSerializer.get_uniqueness_extra_kwargs;
        # differs in adding no hidden fields (they serve unique_for_date, which Tortoise
        # lacks) and in matching a relation by its column.
        if getattr(self.Meta, "validators", None) is not None:
            return extra_kwargs, {}
        model = self.Meta.model
        by_column = self._get_model_columns(field_names, declared_fields, extra_kwargs)
        unique_columns: set[str] = set()
        for together in model._meta.unique_together:
            columns = {fk_column(model, name) for name in together}
            if set(by_column).issuperset(columns):
                unique_columns |= columns
        for column in sorted(unique_columns):
            default = _unique_default(model._meta.fields_map[column])
            value = {"required": True} if default is empty else {"default": default}
            field_name = by_column[column]
            value.update(extra_kwargs.get(field_name, {}))
            extra_kwargs[field_name] = value
        return extra_kwargs, {}

    def _get_model_columns(
        self,
        field_names: list[str],
        declared_fields: dict[str, drf.Field],
        extra_kwargs: dict[str, dict[str, Any]],
    ) -> dict[str, str]:
        """{model column: serializer field name} for the fields that map to a column."""
        model = self.Meta.model
        columns = {}
        for field_name in field_names:
            if field_name in declared_fields:
                source = declared_fields[field_name].source or field_name
            else:
                source = extra_kwargs.get(field_name, {}).get("source", field_name)
            if source == "*" or "." in source:
                continue
            column = fk_column(model, source)
            if column in model._meta.fields_db_projection:
                columns[column] = field_name
        return columns

    def create(self, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError(
            "A Tortoise ModelSerializer saves with `await serializer.asave()`; in your own "
            "`async def create()`, call `await super().acreate(validated_data)`."
        )

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        raise NotImplementedError(
            "A Tortoise ModelSerializer saves with `await serializer.asave()`; in your own "
            "`async def update()`, call `await super().aupdate(instance, validated_data)`."
        )

    async def acreate(self, validated_data: dict[str, Any]) -> Any:
        """Async twin of DRF's ModelSerializer.create: ``Model.create`` then the m2m, atomically.

        A subclass's own ``create`` (ported from DRF, ``def`` or ``async def``) is called
        instead; ``super().acreate()`` inside it is this default.
        """
        if self._own_hook("create"):
            return await self._acall_own(self.create, validated_data)
        raise_errors_on_nested_writes("acreate", self, validated_data)
        model = self.Meta.model
        data, many = split_many(model, validated_data)
        _check_create_kwargs(self, model, data)
        async with _atomic(model, many) as conn:
            instance = await model.create(**data, using_db=conn)
            await self._aset_many(instance, many, conn, clear=False)
        return instance

    async def aupdate(self, instance: Any, validated_data: dict[str, Any]) -> Any:
        """Async twin of DRF's ModelSerializer.update: set attributes, save them, reset m2m.

        Only the columns of the validated data (and ``auto_now`` ones) are written, so
        concurrent updates of other fields are kept; with ``If-Match`` on the view the
        UPDATE is conditional (:func:`async_drf.conditional.save_instance`).  A
        subclass's own ``update`` is called instead, as for ``acreate``.
        """
        if self._own_hook("update"):
            return await self._acall_own(self.update, instance, validated_data)
        raise_errors_on_nested_writes("aupdate", self, validated_data)
        model = type(instance)
        data, many = split_many(model, validated_data)
        for attr, value in data.items():
            setattr(instance, attr, value)
            reference = getattr(model._meta.fields_map.get(attr), "reference", None)
            if reference is not None:  # a cached related object would now be stale
                instance.__dict__.pop(f"_{reference.model_field_name}", None)
        async with _atomic(model, many) as conn:
            await save_instance(instance, data, using_db=conn)
            await self._aset_many(instance, many, conn, clear=True)
        return instance

    def _own_hook(self, name: str) -> bool:
        """Whether a subclass defines DRF's ``create``/``update`` and is not running it."""
        own = getattr(type(self), name) is not getattr(ModelSerializer, name)
        return own and not self.__dict__.get("_in_own_hook", False)

    async def _acall_own(self, hook: Any, *args: Any) -> Any:
        self._in_own_hook = True  # its super().acreate()/aupdate() is the default
        try:
            return await maybe_await(hook, *args)
        finally:
            self._in_own_hook = False

    async def _aset_many(
        self, instance: Model, many: dict[str, list[Any]], conn: Any, clear: bool
    ) -> None:
        for name, values in many.items():
            missing = await aset_many(instance, name, values, conn, clear)
            if missing:  # deleted since ais_valid: roll the whole write back
                self._fail_missing(name, missing[0])

    def _fail_missing(self, source: str, value: Any) -> None:
        fields = ((n, f) for n, f in self.fields.items() if f.source == source)
        name, field = next(fields, (source, None))
        relation = getattr(field, "child_relation", field)
        if not hasattr(relation, "fail_missing_object"):
            relation = PrimaryKeyRelatedField(read_only=True)  # DRF's message for a pk
        try:
            relation.fail_missing_object(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.detail}) from None


class HyperlinkedModelSerializer(ModelSerializer):
    """DRF's HyperlinkedModelSerializer over a Tortoise model: a ``url`` field (view
    ``<model>-detail``) in place of the pk, and relations as hyperlinks."""

    serializer_related_field = HyperlinkedRelatedField

    def get_default_field_names(
        self, declared_fields: dict[str, Any], model_info: ModelInfo
    ) -> list[str]:
        return [
            self.url_field_name,
            *declared_fields,
            *model_info.fields,
            *model_info.forward_relations,
        ]

    def build_nested_field(self, field_name: str, relation: Any, nested_depth: int) -> Any:
        return _nested_field(HyperlinkedModelSerializer, relation, nested_depth)


def _detail_view_name(model: Any) -> str:
    """DRF's ``get_detail_view_name`` for a Tortoise model: ``"<model>-detail"``."""
    return f"{model.__name__.lower()}-detail"


def _nested_field(base: type, relation: Any, nested_depth: int) -> Any:
    """A read-only ``base`` subclass over the related model (``Meta.depth``)."""

    class NestedSerializer(base):  # type: ignore[valid-type, misc]
        class Meta:
            model = relation.related_model
            depth = nested_depth - 1
            fields = "__all__"

    many = isinstance(relation, rel.ManyToManyFieldInstance) or (
        isinstance(relation, rel.BackwardFKRelation)
        and not isinstance(relation, rel.BackwardOneToOneRelation)
    )
    return NestedSerializer, {"read_only": True, "many": many}


def _check_many_defaults(serializer: Any, declared_fields: dict[str, Any], info: Any) -> None:
    # DRF refuses a declared to-many relation with default=None (it cannot be set).
    for name, field in declared_fields.items():
        relation = info.relations.get(name)
        to_many = isinstance(relation, (rel.ManyToManyFieldInstance, rel.BackwardFKRelation))
        if to_many and not isinstance(relation, rel.BackwardOneToOneRelation):
            if field.default is None:
                raise ValueError(
                    f"The field '{name}' on serializer '{type(serializer).__name__}' is a "
                    "ManyToMany field and cannot have a default value of None."
                )


def raise_errors_on_nested_writes(
    method_name: str, serializer: Any, validated_data: dict[str, Any]
) -> None:
    """Refuse writable nested and dotted-source relation fields in the default
    ``acreate``/``aupdate``: what to do with the related rows is the serializer's call."""
    # Mirrors rest_framework.serializers.raise_errors_on_nested_writes; differs in
    # reading the relations from Tortoise's _meta and in raising its AssertionErrors
    # explicitly (so they hold under python -O too).
    relations = get_model_info(serializer.Meta.model).relations
    where = f"`{type(serializer).__module__}.{type(serializer).__name__}`"
    if any(
        isinstance(field, drf.BaseSerializer)
        and field.source in validated_data
        and field.source in relations
        and isinstance(validated_data[field.source], (list, dict))
        for field in compat.writable_fields(serializer)
    ):
        raise AssertionError(
            f"The `.{method_name}()` method does not support writable nested fields by "
            f"default.\nWrite an explicit `.{method_name}()` method for serializer {where}, "
            "or set `read_only=True` on nested serializer fields."
        )
    if any(
        len(field.source_attrs) > 1
        and field.source_attrs[0] in validated_data
        and field.source_attrs[0] in relations
        and isinstance(validated_data[field.source_attrs[0]], (list, dict))
        for field in compat.writable_fields(serializer)
    ):
        raise AssertionError(
            f"The `.{method_name}()` method does not support writable dotted-source fields "
            f"by default.\nWrite an explicit `.{method_name}()` method for serializer "
            f"{where}, or set `read_only=True` on dotted-source serializer fields."
        )


def _check_create_kwargs(serializer: Any, model: Any, data: dict[str, Any]) -> None:
    """DRF's explanatory TypeError for a key ``Model.create`` does not take, raised
    before anything is written (Tortoise would silently drop the key)."""
    meta = model._meta
    unknown = [k for k in data if k not in meta.fields_db_projection and k not in meta.fk_fields]
    unknown = [k for k in unknown if k not in meta.o2o_fields]
    if not unknown:
        return
    name = model.__name__
    original = f"{name}() got unexpected keyword arguments: " + ", ".join(map(repr, unknown))
    raise TypeError(
        f"Got a `TypeError` when calling `{name}.create()`. This may be because you have a "
        f"writable field on the serializer class that is not a valid argument to "
        f"`{name}.create()`. You may need to make the field read-only, or override the "
        f"{type(serializer).__name__}.acreate() method to handle this correctly.\n"
        f"Original exception was:\n {original}"
    )


def _unique_default(model_field: Any) -> Any:
    """What DRF fills in for an omitted field of a unique set (``empty``: required)."""
    if getattr(model_field, "auto_now", False):
        return timezone.now
    if getattr(model_field, "auto_now_add", False):
        return drf.CreateOnlyDefault(timezone.now)
    if model_field.default is not None:
        return model_field.default
    return None if model_field.null else empty


def _plan_cacheable(cls: type) -> bool:
    """Whether ``cls`` overrides none of the hooks that decide its fields (PLAN_HOOKS)."""
    cached = cls.__dict__.get("_field_plan_cacheable")
    if cached is None:
        bases = (ModelSerializer, HyperlinkedModelSerializer)
        cached = all(
            any(getattr(cls, name) is getattr(base, name) for base in bases) for name in PLAN_HOOKS
        )
        cls._field_plan_cacheable = cached  # type: ignore[attr-defined]
    return cached


def _atomic(model: Any, many: dict[str, list[Any]]) -> Any:
    """A transaction when the write spans rows (instance + m2m); one statement needs none."""
    if not many:
        return contextlib.nullcontext(None)
    return in_transaction(model._meta.default_connection)


# DRF's ListSerializer.update only raises (multiple update is the user's to define).
mark_inline(drf.ListSerializer.update)
