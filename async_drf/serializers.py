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

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, cast

from django.db.models import Model as DjangoModel
from django.db.models.manager import BaseManager, Manager
from rest_framework import serializers as drf
from rest_framework.fields import *  # noqa: F403 - `serializers.CharField` etc., as in DRF
from rest_framework.fields import empty
from rest_framework.serializers import (  # noqa: F401 - as `rest_framework.serializers` has them
    HiddenField,
    SerializerMethodField,
)
from rest_framework.settings import api_settings
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery, QuerySet

from ._async_serializer import AsyncSerializerMixin, AsyncValidateHooksMixin
from ._model_fields import (
    check_many_defaults,
    detail_view_name,
    model_columns,
    nested_field,
    unique_default,
    unique_sources,
    unique_together_columns,
)
from ._plans import FieldPlan, FieldStep, RowPlan, plan_cacheable, plan_key
from ._prefetch import prefetch_paths
from ._types import AnyField, AnyModelField, AnySerializer, FieldKwargs, FieldSpec, InstanceT
from ._writes import (
    aset_relations,
    atomic,
    check_create_kwargs,
    fk_column,
    raise_errors_on_nested_writes,
    split_many,
)
from .concurrency import mark_inline, maybe_await
from .conditional import save_instance
from .db import aevaluate, is_django_queryset
from .fields import ModelInfo, Relation, build_standard_field, get_model_info
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
    UniqueTogetherValidator,
    UniqueValidator,
    list_errors_as_dict,
    unique_error_message,
)

__all__ = [
    "HyperlinkedModelSerializer",
    "ListSerializer",
    "ModelSerializer",
    "Serializer",
    "raise_errors_on_nested_writes",
]


class ListSerializer(AsyncSerializerMixin, drf.ListSerializer[Any]):
    """DRF's ListSerializer with ``ais_valid`` / ``asave`` / ``adata``."""

    @property
    def _child(self) -> Serializer:
        # DRF's stubs: any field; here a serializer of this module (many_init builds it).
        return cast("Serializer", self.child)

    def run_child_validation(self, data: object) -> object:
        # Queued checks of item N report under errors[N].
        self._async_index = getattr(self, "_async_index", -1) + 1
        return super().run_child_validation(data)

    def to_internal_value(self, data: object) -> object:
        self._async_index = -1
        self._async_length = len(data) if isinstance(data, list) else None
        return super().to_internal_value(data)

    def _empty_errors(self) -> list[dict[str, object]] | dict[str, object]:
        # DRF 3.18 reports {index: errors} for the failing items; before it, and with
        # LIST_SERIALIZER_ERRORS_AS_DICT off, a list with {} for the valid ones.
        data = getattr(self, "initial_data", None)
        if isinstance(data, list) and not list_errors_as_dict():
            return [{} for _ in data]
        return {}

    def _empty_validated(self) -> list[object]:
        return []

    def to_representation(
        self, data: Manager[DjangoModel] | Iterable[object]
    ) -> list[dict[str, object]]:
        # Mirrors rest_framework.serializers.ListSerializer.to_representation; differs
        # only in rendering the rows through the child's plan when the child renders
        # as async_drf's Serializer does (one timezone lookup per list, not per value).
        child = self._child
        if type(child).to_representation is not Serializer.to_representation:
            return super().to_representation(data)
        iterable = data.all() if isinstance(data, BaseManager) else data
        return child._row_plan().render(iterable)

    async def _instances_to_render(self) -> list[Model]:
        if isinstance(self.instance, QuerySet):
            self.instance = await self.instance  # never iterate a QuerySet synchronously
        elif is_django_queryset(self.instance):
            self.instance = await aevaluate(self.instance)  # nor a Django one
        if self.instance is None:
            return []
        return [i for i in self.instance if isinstance(i, Model)]

    def get_prefetch_fields(self, model: type[Model] | None = None) -> list[str]:
        """The child's relation paths, for ``queryset.prefetch_related(*paths)``."""
        return self._child.get_prefetch_fields(model)

    async def acreate(self, validated_data: list[dict[str, object]]) -> list[object]:
        """Async twin of DRF's ListSerializer.create: the child's ``acreate`` per item."""
        return [await self._child.acreate(attrs) for attrs in validated_data]


class Serializer(AsyncValidateHooksMixin, AsyncSerializerMixin, drf.Serializer[Any]):
    """DRF's Serializer with ``ais_valid``, ``asave``, ``acreate``, ``aupdate``, ``adata``."""

    @classmethod
    def many_init(cls, *args: object, **kwargs: object) -> AnySerializer:
        # Mirrors rest_framework.serializers.BaseSerializer.many_init; differs only in
        # defaulting to the async ListSerializer.
        list_kwargs: FieldKwargs = {}
        for key in drf.LIST_SERIALIZER_KWARGS_REMOVE:
            value = kwargs.pop(key, None)
            if value is not None:
                list_kwargs[key] = value
        list_kwargs["child"] = cls(*args, **cast("FieldKwargs", kwargs))
        list_kwargs.update({k: v for k, v in kwargs.items() if k in drf.LIST_SERIALIZER_KWARGS})
        meta = getattr(cls, "Meta", None)
        list_serializer_class = getattr(meta, "list_serializer_class", ListSerializer)
        return cast("type[AnySerializer]", list_serializer_class)(*args, **list_kwargs)

    def to_representation(self, instance: object) -> dict[str, object]:
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

    def get_attribute(self, instance: object) -> object:
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

    def get_prefetch_fields(self, model: type[Model] | None = None) -> list[str]:
        """Relation paths this serializer renders (``["author", "tags", "author__profile"]``).

        Views pass them to ``queryset.prefetch_related(*paths)``; ``await .adata``
        fetches whichever are still missing itself.
        """
        model = model or self._model()
        return prefetch_paths(self, model) if model is not None else []


class ModelSerializer(Serializer, drf.ModelSerializer[Any]):
    """DRF's ModelSerializer over a Tortoise model (``Meta.model``).

    Fields are built lazily in ``get_fields()`` from ``Model._meta`` (TRAPS 9).  A FK
    or O2O is a :class:`PrimaryKeyRelatedField` on ``<fk>_id``; a m2m a list of pks;
    ``Meta.depth`` nests read-only serializers; unique columns get
    :class:`UniqueValidator` and ``Meta.unique_together`` :class:`UniqueTogetherValidator`.
    """

    serializer_related_field: ClassVar[type[RelatedField]] = PrimaryKeyRelatedField
    serializer_related_to_field: ClassVar[type[RelatedField]] = SlugRelatedField
    serializer_url_field = HyperlinkedIdentityField
    unique_validator_class = UniqueValidator
    unique_together_validator_class = UniqueTogetherValidator
    _field_plan: ClassVar[FieldPlan]  # set on a class once its fields are planned

    def _meta_model(self) -> type[Model]:
        # DRF's stubs type Meta.model as a Django model; here it is a Tortoise one.
        return cast("type[Model]", self.Meta.model)

    def get_fields(self) -> dict[str, AnyField]:
        # Mirrors rest_framework.serializers.ModelSerializer.get_fields; differs in reading
        # Tortoise's _meta and in adding no hidden fields (DRF's come from unique_for_date,
        # which Tortoise lacks).
        if self.url_field_name is None:
            self.url_field_name = api_settings.URL_FIELD_NAME  # type: ignore[misc]  # as DRF
        assert hasattr(self, "Meta"), f'Class {type(self).__name__} missing "Meta" attribute'
        assert hasattr(self.Meta, "model"), (
            f'Class {type(self).__name__} missing "Meta.model" attribute'
        )
        if getattr(getattr(self.Meta.model, "_meta", None), "abstract", False):
            raise ValueError("Cannot use ModelSerializer with Abstract Models.")
        declared_fields = copy.deepcopy(self._declared_fields)
        plan: FieldPlan | None = type(self).__dict__.get("_field_plan")
        if plan is not None and plan.key == plan_key(self):
            # The same (class, Meta) as last time: only the field objects are new.
            return plan.build(declared_fields)
        model = self._meta_model()
        depth = getattr(self.Meta, "depth", 0)
        assert 0 <= depth <= 10, "'depth' must be between 0 and 10."
        info = get_model_info(model)
        check_many_defaults(self, declared_fields, info)
        field_names = self.get_field_names(declared_fields, info)  # type: ignore[arg-type]
        extra_kwargs = self.get_extra_kwargs()
        extra_kwargs, hidden_fields = self.get_uniqueness_extra_kwargs(
            field_names, declared_fields, extra_kwargs
        )
        fields: dict[str, AnyField] = {}
        steps: list[FieldStep] = []
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
            extended = self.include_extra_kwargs(field_kwargs, extra_field_kwargs)
            field_kwargs = cast("FieldKwargs", extended)  # DRF's: the kwargs given, updated
            steps.append((field_name, field_class, copy.deepcopy(field_kwargs)))
            fields[field_name] = field_class(**field_kwargs)
        fields.update(hidden_fields)  # only an override of get_uniqueness_extra_kwargs adds any
        if plan_cacheable(type(self), _PLAN_BASES):
            type(self)._field_plan = FieldPlan(plan_key(self), steps)
        return fields

    def get_default_field_names(  # type: ignore[override]  # Tortoise's ModelInfo
        self, declared_fields: Mapping[str, AnyField], model_info: ModelInfo
    ) -> list[str]:
        return [
            model_info.pk.model_field_name,
            *declared_fields,
            *model_info.fields,
            *model_info.forward_relations,
        ]

    def build_field(  # type: ignore[override]  # Tortoise's ModelInfo
        self, field_name: str, info: ModelInfo, model_class: type[Model], nested_depth: int
    ) -> FieldSpec:
        if field_name in info.fields_and_pk:
            return self.build_standard_field(field_name, info.fields_and_pk[field_name])
        if field_name in info.relations:
            relation = info.relations[field_name]
            if nested_depth:
                return self.buildnested_field(field_name, relation, nested_depth)
            return self.build_relational_field(field_name, relation)
        if hasattr(model_class, field_name):
            return self.build_property_field(field_name, model_class)
        if field_name == self.url_field_name:
            return self.build_url_field(field_name, model_class)
        return self.build_unknown_field(field_name, model_class)

    def build_standard_field(self, field_name: str, model_field: object) -> FieldSpec:
        model_field = cast("AnyModelField", model_field)  # Tortoise's (DRF's stubs: Django's)
        field_class, kwargs = build_standard_field(model_field)
        if model_field.unique and not kwargs.get("read_only"):
            unique = self.build_unique_validator(model_field.model_field_name)
            kwargs["validators"] = [*kwargs.get("validators", ()), unique]
        return field_class, kwargs

    def build_unique_validator(self, model_field_name: str) -> UniqueValidator:
        """The UniqueValidator of a unique model field, worded as DRF words it
        ("author with this name already exists.")."""
        model = self._meta_model()
        message = unique_error_message(model, model_field_name)
        return self.unique_validator_class(queryset=model, message=message)

    def build_relational_field(self, field_name: str, relation: object) -> FieldSpec:
        relation = cast("Relation", relation)  # Tortoise's (DRF's stubs: a RelationInfo)
        # DRF's build_relational_field and get_relation_kwargs over Tortoise's fields.
        field_class = self.serializer_related_field
        model = relation.related_model
        kwargs: FieldKwargs = {"queryset": model, "view_name": detail_view_name(model)}
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

    def buildnested_field(
        self, field_name: str, relation: Relation, nested_depth: int
    ) -> FieldSpec:
        return nested_field(ModelSerializer, relation, nested_depth)

    def build_url_field(self, field_name: str, model_class: type[Model]) -> FieldSpec:
        return self.serializer_url_field, {"view_name": detail_view_name(model_class)}

    def get_validators(self) -> list[Any]:  # DRF's stubs: DRF's validator classes
        validators = getattr(getattr(self, "Meta", None), "validators", None)
        if validators is not None:
            return list(validators)
        return self.get_unique_together_validators()

    def get_unique_together_validators(self) -> list[Any]:  # as get_validators
        """One validator per ``Meta.unique_together`` set whose columns all map to fields."""
        # Mirrors rest_framework.serializers.ModelSerializer.get_unique_together_validators;
        # differs in matching a relation by its column (``author`` is ``author_id``) and in
        # having no conditional constraints.
        model = self._meta_model()
        source_map = unique_sources(model, self.fields.values())
        validators: list[UniqueTogetherValidator] = []
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
        field_names: Iterable[str],
        declared_fields: Mapping[str, AnyField],
        extra_kwargs: dict[str, FieldKwargs],
    ) -> tuple[dict[str, FieldKwargs], dict[str, HiddenField]]:
        """(``extra_kwargs`` plus what each field of a ``unique_together`` set needs: its
        model default, ``None`` when nullable, else ``required=True``; hidden fields)."""
        # Mirrors rest_framework.serializers.ModelSerializer.get_uniqueness_extra_kwargs;
        # differs in adding no hidden fields (they serve unique_for_date, which Tortoise
        # lacks) and in matching a relation by its column.
        if getattr(self.Meta, "validators", None) is not None:
            return extra_kwargs, {}
        model = self._meta_model()
        by_column = model_columns(model, field_names, declared_fields, extra_kwargs)
        for column in sorted(unique_together_columns(model, by_column)):
            default = unique_default(model._meta.fields_map[column])
            value = {"required": True} if default is empty else {"default": default}
            field_name = by_column[column]
            value.update(extra_kwargs.get(field_name, {}))
            extra_kwargs[field_name] = value
        return extra_kwargs, {}

    def create(self, validated_data: dict[str, object]) -> object:
        raise NotImplementedError(
            "A Tortoise ModelSerializer saves with `await serializer.asave()`; in your own "
            "`async def create()`, call `await super().acreate(validated_data)`."
        )

    def update(
        self: drf.BaseSerializer[InstanceT], instance: InstanceT, validated_data: dict[str, object]
    ) -> object:
        raise NotImplementedError(
            "A Tortoise ModelSerializer saves with `await serializer.asave()`; in your own "
            "`async def update()`, call `await super().aupdate(instance, validated_data)`."
        )

    async def acreate(self, validated_data: dict[str, object]) -> Any:
        """Async twin of DRF's ModelSerializer.create: ``Model.create`` then the m2m, atomically.

        A subclass's own ``create`` (ported from DRF, ``def`` or ``async def``) is called
        instead; ``super().acreate()`` inside it is this default.
        """
        if self._own_hook("create"):
            return await self._acall_own(self.create, validated_data)
        raise_errors_on_nested_writes("acreate", self, validated_data)
        model = self._meta_model()
        data, many = split_many(model, validated_data)
        check_create_kwargs(self, model, data)
        async with atomic(model, many) as conn:
            instance = await model.create(**data, using_db=conn)
            await aset_relations(self, instance, many, conn, clear=False)
        return instance

    async def aupdate(self, instance: Any, validated_data: dict[str, object]) -> Any:
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
        async with atomic(model, many) as conn:
            await save_instance(instance, data, using_db=conn)
            await aset_relations(self, instance, many, conn, clear=True)
        return instance

    def _own_hook(self, name: str) -> bool:
        """Whether a subclass defines DRF's ``create``/``update`` and is not running it."""
        own = getattr(type(self), name) is not getattr(ModelSerializer, name)
        return own and not self.__dict__.get("_in_own_hook", False)

    async def _acall_own(self, hook: Callable[..., object], *args: object) -> object:
        self._in_own_hook = True  # its super().acreate()/aupdate() is the default
        try:
            return await maybe_await(hook, *args)
        finally:
            self._in_own_hook = False


class HyperlinkedModelSerializer(ModelSerializer):
    """DRF's HyperlinkedModelSerializer over a Tortoise model: a ``url`` field (view
    ``<model>-detail``) in place of the pk, and relations as hyperlinks."""

    serializer_related_field: ClassVar[type[RelatedField]] = HyperlinkedRelatedField

    def get_default_field_names(  # type: ignore[override]  # Tortoise's ModelInfo
        self, declared_fields: Mapping[str, AnyField], model_info: ModelInfo
    ) -> list[str]:
        return [
            self.url_field_name or api_settings.URL_FIELD_NAME,
            *declared_fields,
            *model_info.fields,
            *model_info.forward_relations,
        ]

    def buildnested_field(
        self, field_name: str, relation: Relation, nested_depth: int
    ) -> FieldSpec:
        return nested_field(HyperlinkedModelSerializer, relation, nested_depth)


# The classes whose field-building hooks a field plan may be recorded for.
_PLAN_BASES = (ModelSerializer, HyperlinkedModelSerializer)

# DRF's ListSerializer.update only raises (multiple update is the user's to define).
mark_inline(drf.ListSerializer.update)
