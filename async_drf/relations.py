"""Related fields over Tortoise relations: DRF's, with their queries done ahead.

Reading never queries: a field that reads a forward FK/O2O by primary key reads
the ``<fk>_id`` column (TRAPS 10), and every other relation a serializer renders is
fetched first, in a fixed number of queries, by ``await serializer.adata`` or the
view's ``prefetch_related`` (``_prefetch.py``).

Writing: DRF looks each value up with a sync ``queryset.get()``.  Here
``ais_valid`` first collects the values the input refers to and looks them up with
one query per field (:meth:`RelatedField.aresolve`); DRF's sync pass then reads the
answers, so validated data holds model instances, as in DRF, and a missing object
fails with DRF's message.  A field on a ``<fk>_id`` column (what ModelSerializer
builds for a ForeignKey) validates to the pk, checked with one EXISTS query.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Hashable, Iterable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypeAlias, cast
from urllib import parse

from django.core.exceptions import ObjectDoesNotExist
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.encoding import smart_str, uri_to_iri
from django.utils.translation import gettext_lazy as _
from rest_framework import fields as drf_fields
from rest_framework import relations as drf_relations
from rest_framework.relations import Hyperlink, PKOnlyObject
from tortoise.exceptions import DoesNotExist, NoValuesFetched
from tortoise.fields import relational as rel
from tortoise.models import Model
from tortoise.queryset import AwaitableQuery, QuerySet

from ._prefetch import choices_key, model_field, reads_fk_column
from ._types import FieldKwargs, QuerySetLike, ViewQuerySet
from .compat import ObjectDoesNotExistError
from .concurrency import call_or_await, is_async_callable, maybe_await
from .fields import fits_column
from .orm import as_model_query, as_query, get_model, is_model_class
from .validators import defer_check

if TYPE_CHECKING:
    from django.urls import ResolverMatch

__all__ = [
    "Hyperlink",
    "HyperlinkedIdentityField",
    "HyperlinkedRelatedField",
    "ManyRelatedField",
    "PKOnlyObject",
    "PrimaryKeyRelatedField",
    "RelatedField",
    "SlugRelatedField",
    "StringRelatedField",
]

_MISSING = object()
_UNSEEN = object()  # a value not looked up ahead (see RelatedField.resolve)
_NOT_FOUND = object()
_AMBIGUOUS = object()
# Values a slug or lookup can be typed as (JSON's scalars, and what parsers make of them).
_SCALARS = (str, int, float, decimal.Decimal, uuid.UUID, datetime.date, datetime.time)
_URLKey: TypeAlias = "tuple[str, tuple[object, ...], tuple[tuple[str, object], ...]]"


def _unfetched_error(name: str) -> AssertionError:
    return AssertionError(
        f"Relation {name!r} is not fetched: render with `await serializer.adata`, or "
        f"prefetch_related(*serializer.get_prefetch_fields()) on the queryset."
    )


def _fk_column_value(instance: object, attrs: list[str]) -> object:
    """The ``<fk>_id`` value behind ``instance.<attrs>`` when its last step is a
    forward FK/O2O to the target's pk; ``_MISSING`` otherwise."""
    try:
        owner = drf_fields.get_attribute(instance, attrs[:-1])
    except (AttributeError, KeyError):
        return _MISSING
    if not isinstance(owner, Model):
        return _MISSING
    relation = owner._meta.fields_map.get(attrs[-1])
    if relation is None or not reads_fk_column(relation):
        return _MISSING
    return getattr(owner, relation.source_field or attrs[-1])


# DRF's stubs bind a related field's model to Django's Model: a Tortoise one stays untyped.
class RelatedField(drf_relations.RelatedField[Any, object, object]):
    """DRF's RelatedField over a Tortoise model class or QuerySet (``queryset=Tag``).

    Subclasses say how an input value becomes a lookup key (:meth:`to_lookup`) and
    which attribute it is matched against (``lookup_path``); the lookups themselves
    are awaited by ``ais_valid`` before DRF's sync pass (:meth:`alookup_ahead`).
    """

    default_error_messages = {
        "not_unique": _("More than one object matches {value}."),
    }
    lookup_path = "pk"
    # A Tortoise model class or QuerySet here (DRF's stubs know only Django's).
    queryset: ViewQuerySet | None  # type: ignore[assignment]

    def __init__(self, *args: object, **kwargs: Any) -> None:  # DRF's typed keywords
        # DRF's own check sees our get_queryset as a user override and skips itself.
        if not drf_relations.method_overridden("get_queryset", RelatedField, self):  # type: ignore[arg-type]
            assert kwargs.get("queryset", self.queryset) is not None or kwargs.get("read_only"), (
                "Relational field must provide a `queryset` argument, "
                "override `get_queryset`, or set read_only=`True`."
            )
        super().__init__(*args, **kwargs)

    @classmethod
    def many_init(cls, *args: object, **kwargs: object) -> ManyRelatedField:
        # Mirrors rest_framework.relations.RelatedField.many_init; differs only in
        # building this module's ManyRelatedField.
        list_kwargs: FieldKwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in drf_relations.MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return ManyRelatedField(**list_kwargs)

    def get_queryset(self) -> QuerySetLike | None:  # type: ignore[override]  # Tortoise's too
        queryset = self.queryset
        return None if queryset is None else as_query(queryset)

    async def aget_queryset(self) -> QuerySet[Model] | None:
        """``get_queryset()``, awaited when overridden with ``async def``: the Tortoise
        query a lookup reads (None for a read-only field)."""
        # Building a Tortoise query is pure CPU: a sync get_queryset runs inline.
        queryset: ViewQuerySet | None = await call_or_await(self.get_queryset)
        return cast("QuerySet[Model] | None", as_model_query(queryset))

    async def _alookup_queryset(self) -> QuerySet[Model]:
        queryset = await self.aget_queryset()
        assert queryset is not None, "a read-only related field looks nothing up"
        return queryset

    def target_model(self) -> type[Model] | None:
        """The model looked up (``queryset``'s, or a sync ``get_queryset()``'s), or None."""
        queryset: object = self.queryset
        if queryset is None and not is_async_callable(self.get_queryset):
            queryset = self.get_queryset()
        try:
            return get_model(queryset)
        except TypeError:
            return None

    def reads_pk_column(self) -> bool:
        """Whether a forward FK/O2O is read from its ``<fk>_id`` column, unfetched."""
        return self.use_pk_only_optimization()

    def get_attribute(self, instance: object) -> object:
        # DRF's pk-only optimisation calls Django's `serializable_value`; here it reads
        # the FK column, so rendering a FK by pk needs no fetch.
        if self.source_attrs and self.reads_pk_column():
            pk = _fk_column_value(instance, self.source_attrs)
            if pk is not _MISSING:
                return PKOnlyObject(pk=pk)
        value = drf_fields.Field.get_attribute(self, instance)
        if value is rel.NoneAwaitable:  # a null FK never fetched
            return None
        if isinstance(value, AwaitableQuery):
            raise _unfetched_error(self.source or "")
        return value

    # Writing: keys looked up ahead -----------------------------------------------

    def to_lookup(self, data: object) -> Hashable:
        """The key ``data`` is looked up by; fails (ValidationError) on a wrong type."""
        raise NotImplementedError(f"{type(self).__name__}.to_lookup() must be overridden.")

    def lookup_value(self, obj: Model) -> Hashable:
        """The key of a fetched object: its ``lookup_path`` value."""
        key: Hashable = attrgetter(self.lookup_path.replace("__", "."))(obj)
        return key

    def fail_does_not_exist(self, data: object) -> None:
        self.fail("does_not_exist")

    def to_internal_value(self, data: object) -> object:
        return self.resolve(self.to_lookup(data), data)

    def resolve(self, key: Hashable, data: object) -> object:
        """The object looked up for ``key`` by :meth:`alookup_ahead`.

        A key that was not looked up ahead (a sync ``is_valid()``, or input that
        ais_valid's walk did not reach) is queued as an existence check and
        validates to the key itself.
        """
        resolved = self.__dict__.get("_resolved")
        found = _UNSEEN if resolved is None else resolved.get(key, _UNSEEN)
        if found is _UNSEEN:
            # A list's errors go under the list field (its child has no name of its own).
            many = isinstance(self.parent, drf_relations.ManyRelatedField)
            defer_check(self.parent if many else self, self.acheck_exist, [(key, data)])
            return key
        if found is _NOT_FOUND:
            self.fail_does_not_exist(data)
        if found is _AMBIGUOUS:
            self.fail("not_unique", value=smart_str(data))
        return found

    async def aresolve(self, keys: list[Hashable]) -> dict[Hashable, object]:
        """One query: ``{key: object}`` for the keys that exist."""
        queryset = (await self._alookup_queryset()).filter(**{f"{self.lookup_path}__in": keys})
        related, _sep, _attr = self.lookup_path.rpartition("__")
        if related:
            queryset = queryset.select_related(related)
        found: dict[Hashable, object] = {}
        for obj in await queryset:
            key = self.lookup_value(obj)
            found[key] = _AMBIGUOUS if key in found else obj
        return found

    async def alookup_ahead(self, keys: Iterable[Hashable]) -> None:
        """Look ``keys`` up now, for the sync ``to_internal_value`` to read."""
        keys = list(dict.fromkeys(keys))
        found = await self.aresolve(keys) if keys else {}
        self._resolved = {key: found.get(key, _NOT_FOUND) for key in keys}

    async def acheck_exist(self, items: list[tuple[Hashable, object]]) -> None:
        """At most one query for the (key, input) ``items``; the first missing one fails."""
        found = await self.aresolve(list(dict.fromkeys(key for key, _data in items)))
        for key, data in items:
            if key not in found:
                self.fail_does_not_exist(data)

    def fail_missing_object(self, obj: object) -> None:
        """Fail as if ``obj`` (deleted since validation) had been typed in."""
        self.fail_does_not_exist(self.lookup_value(obj) if isinstance(obj, Model) else obj)

    # Choices: loaded ahead for the browsable API's forms --------------------------

    async def aget_choices(self, cutoff: int | None = None) -> dict[object, str]:
        """DRF's ``get_choices`` with the query awaited."""
        queryset = await self.aget_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset.limit(cutoff)
        related, _sep, _attr = self.lookup_path.rpartition("__")
        if related:
            queryset = queryset.select_related(related)
        return {self.to_representation(item): self.display_value(item) for item in await queryset}

    async def aload_choices(self) -> None:
        """Load the choices an HTML select shows (up to ``html_cutoff``), for
        ``choices``/``iter_options`` to read."""
        self._choices = await self.aget_choices(self.html_cutoff)

    def get_choices(self, cutoff: int | None = None) -> dict[object, str]:
        """The choices loaded ahead: by :meth:`aload_choices`, or for the view's forms
        by the browsable API renderer; none otherwise (a sync query cannot run here)."""
        choices = self.__dict__.get("_choices")
        if choices is None:
            view = self.context.get("view")
            choices = getattr(view, "_related_choices", {}).get(choices_key(self))
        if not choices:
            return {}
        assert isinstance(choices, dict)
        if cutoff is not None and len(choices) > cutoff:
            return dict(list(choices.items())[:cutoff])
        return choices


class StringRelatedField(RelatedField, drf_relations.StringRelatedField[Any]):
    """DRF's StringRelatedField over Tortoise: ``str()`` of the fetched object."""

    def __init__(self, **kwargs: object) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)


class PrimaryKeyRelatedField(RelatedField, drf_relations.PrimaryKeyRelatedField[Any]):
    """DRF's PrimaryKeyRelatedField over a Tortoise model.

    On a forward FK the ModelSerializer sets ``source="<fk>_id"``: reads return the
    column and validated data holds the pk (checked with one EXISTS query).  Any
    other source (``source="author"``, a m2m, a reverse FK) validates to instances.
    """

    def to_pk(self, data: object) -> Hashable:
        """Coerce input to the target pk type, or fail with DRF's incorrect_type;
        an integer the pk column cannot hold fails with does_not_exist, unqueried."""
        model = self.target_model()
        if model is None:
            return data
        pk_field = model._meta.pk
        try:
            if isinstance(data, (bool, dict, list)):
                raise TypeError
            pk: Hashable = pk_field.to_python_value(data)
        except (TypeError, ValueError, AttributeError, OverflowError):  # int(1e400)
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not fits_column(pk_field, pk):
            self.fail("does_not_exist", pk_value=data)
        return pk

    def to_lookup(self, data: object) -> Hashable:
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        return self.to_pk(data)

    def to_internal_value(self, data: object) -> object:
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        return self.resolve(self.to_pk(data), data)

    def fail_does_not_exist(self, data: object) -> None:
        self.fail("does_not_exist", pk_value=data)

    def lookup_value(self, obj: Model) -> Hashable:
        pk: Hashable = obj.pk
        return pk

    def validates_to_pk(self) -> bool:
        """True on a ``<fk>_id`` column of the serializer's model: the pk is written."""
        field = self.parent if isinstance(self.parent, drf_relations.ManyRelatedField) else self
        model = getattr(getattr(field.parent, "Meta", None), "model", None)
        if not is_model_class(model) or not field.source_attrs:
            return False
        column = model._meta.fields_map.get(field.source_attrs[-1])
        return getattr(column, "reference", None) is not None

    async def aresolve(self, keys: list[Hashable]) -> dict[Hashable, object]:
        if not self.validates_to_pk():
            return await super().aresolve(keys)
        queryset = await self._alookup_queryset()
        if len(keys) == 1:  # the FK case: EXISTS is cheaper to build and run
            exists = await queryset.filter(pk=keys[0]).exists()
            return {keys[0]: keys[0]} if exists else {}
        pk_attr = queryset.model._meta.pk_attr  # values_list() does not know "pk"
        return {pk: pk for pk in await queryset.filter(pk__in=keys).values_list(pk_attr, flat=True)}

    def to_representation(self, value: object) -> object:
        pk = value.pk if isinstance(value, (Model, PKOnlyObject)) else value  # or a column
        return self.pk_field.to_representation(pk) if self.pk_field is not None else pk


class SlugRelatedField(RelatedField, drf_relations.SlugRelatedField[Any]):
    """DRF's SlugRelatedField over Tortoise: ``slug_field`` may follow relations
    (``"author__name"``); values are looked up with one query per field."""

    @property
    def lookup_path(self) -> str:  # type: ignore[override]
        return self.slug_field

    def to_lookup(self, data: object) -> Hashable:
        if not isinstance(data, _SCALARS):
            self.fail("invalid")  # a list, a dict...: never a slug
        field = model_field(self.target_model(), self.slug_field)
        try:
            return data if field is None else field.to_python_value(data)  # as stored
        except (TypeError, ValueError, AttributeError):
            self.fail("invalid")

    def fail_does_not_exist(self, data: object) -> None:
        self.fail("does_not_exist", slug_name=self.slug_field, value=smart_str(data))


class HyperlinkedRelatedField(RelatedField, drf_relations.HyperlinkedRelatedField[Any]):
    """DRF's HyperlinkedRelatedField over Tortoise.

    The default lookup (``lookup_field`` from the URL's ``lookup_url_kwarg``) runs one
    query per field.  An overridden ``get_object(view_name, view_args, view_kwargs)``
    (``async def`` for a Tortoise query) is awaited once per distinct URL.
    """

    @property
    def lookup_path(self) -> str:  # type: ignore[override]
        return self.lookup_field

    def _custom_get_object(self) -> bool:
        return drf_relations.method_overridden("get_object", HyperlinkedRelatedField, self)  # type: ignore[arg-type]

    def to_lookup(self, data: object) -> Hashable:
        match = self._match(cast("str", data))  # anything else fails there: incorrect_type
        if self._custom_get_object():
            return (match.view_name, tuple(match.args), tuple(sorted(match.kwargs.items())))
        value: Hashable = match.kwargs[self.lookup_url_kwarg]
        field = model_field(self.target_model(), self.lookup_field)
        try:
            return value if field is None else field.to_python_value(value)
        except (TypeError, ValueError, AttributeError):
            self.fail("does_not_exist")  # as DRF's ObjectValueError / ObjectTypeError

    def _match(self, data: str) -> ResolverMatch:
        # Mirrors rest_framework.relations.HyperlinkedRelatedField.to_internal_value up
        # to the URL match; differs only in leaving the object lookup to aresolve.
        request = self.context.get("request")
        try:
            http_prefix = data.startswith(("http:", "https:"))
        except AttributeError:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if http_prefix:
            # If needed convert absolute URLs to relative path
            data = parse.urlparse(data).path
            prefix = get_script_prefix()
            if data.startswith(prefix):
                data = "/" + data[len(prefix) :]
        data = uri_to_iri(parse.unquote(data))
        try:
            match = resolve(data)
        except Resolver404:
            self.fail("no_match")
        try:
            expected_viewname = request.versioning_scheme.get_versioned_viewname(  # type: ignore[union-attr]
                self.view_name, request
            )
        except AttributeError:
            expected_viewname = self.view_name
        if match.view_name != expected_viewname:
            self.fail("incorrect_match")
        return match

    async def get_object(
        self, view_name: str, view_args: list[object], view_kwargs: dict[str, object]
    ) -> Model:
        """Async twin of DRF's ``get_object``: the object a matched URL names."""
        lookup = {self.lookup_field: view_kwargs[self.lookup_url_kwarg]}
        try:
            return await (await self._alookup_queryset()).get(**lookup)
        except ValueError as exc:
            raise drf_relations.ObjectValueError(str(exc)) from exc
        except TypeError as exc:
            raise drf_relations.ObjectTypeError(str(exc)) from exc

    async def aresolve(self, keys: list[Hashable]) -> dict[Hashable, object]:
        if not self._custom_get_object():
            return await super().aresolve(keys)
        found: dict[Hashable, object] = {}
        for key in keys:  # the user's lookup: one call per distinct URL
            view_name, args, kwargs = cast(_URLKey, key)  # as to_lookup made it
            try:
                found[key] = await maybe_await(self.get_object, view_name, list(args), dict(kwargs))
            except (
                DoesNotExist,
                ObjectDoesNotExistError,
                ObjectDoesNotExist,
                drf_relations.ObjectValueError,
                drf_relations.ObjectTypeError,
            ):
                continue
        return found


class HyperlinkedIdentityField(HyperlinkedRelatedField, drf_relations.HyperlinkedIdentityField):
    """DRF's HyperlinkedIdentityField: the URL of the object itself (read-only)."""

    def __init__(self, view_name: str | None = None, **kwargs: object) -> None:
        kwargs["read_only"] = True  # before RelatedField's queryset check
        super().__init__(view_name, **kwargs)


class ManyRelatedField(drf_relations.ManyRelatedField):
    """DRF's ManyRelatedField over Tortoise: reads the fetched relation, validates
    every value against one lookup of the child field."""

    @property
    def _child(self) -> RelatedField:
        # DRF's stubs: DRF's RelatedField; here always one of this module's.
        return cast("RelatedField", self.child_relation)

    def to_internal_value(self, data: Sequence[object]) -> list[object]:
        # Mirrors rest_framework.relations.ManyRelatedField.to_internal_value; differs in
        # checking values not looked up ahead with one queued query for the list.
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        child = self._child
        if child.__dict__.get("_resolved") is None:
            items = [(child.to_lookup(item), item) for item in data]
            defer_check(self, child.acheck_exist, items)
            return [key for key, _item in items]
        return [child.to_internal_value(item) for item in data]

    async def aload_choices(self) -> None:
        """Load the child's choices, up to this field's ``html_cutoff``."""
        child = self._child
        child._choices = await child.aget_choices(self.html_cutoff)

    def get_attribute(self, instance: object) -> Iterable[object] | None:
        # Mirrors rest_framework.relations.ManyRelatedField.get_attribute; differs in
        # returning the fetched objects (Tortoise's `.all()` would be a new query).
        if isinstance(instance, Model) and instance.pk is None:
            return []  # can't have any relationships if not created
        relationship = drf_fields.Field.get_attribute(self, instance)
        if isinstance(relationship, rel.ReverseRelation):
            try:
                return list(relationship)
            except NoValuesFetched:
                raise _unfetched_error(self.source or "") from None
        return relationship
