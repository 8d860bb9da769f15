"""Generic views over Tortoise ORM (and Django's): AsyncGenericAPIView, the nine
concrete ``Async*APIView`` classes and ``aget_object_or_404``.

Hooks keep DRF's names; ``get_object``, ``filter_queryset``, ``paginate_queryset`` and
``get_paginated_response`` are coroutines, and every hook a user overrides may be
``def`` or ``async def``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar, cast, overload

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBase
from django.shortcuts import aget_object_or_404 as django_aget_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from tortoise import exceptions as orm

from . import mixins
from ._types import (
    AnySerializer,
    FilterBackend,
    FilterQueryset,
    Instance,
    PaginateQueryset,
    QuerySetLike,
    ViewQuerySet,
)
from .compat import ObjectDoesNotExistError
from .concurrency import call_hook, is_inline, mark_inline, maybe_await, run_handler
from .db import is_django_query
from .exceptions import DatabaseErrorKind, classify_database_error
from .fields import fits_column, integer_range
from .orm import as_model_query, as_query, get_model, is_model_class
from .settings import async_settings
from .views import AsyncAPIView

__all__ = [
    "AsyncCreateAPIView",
    "AsyncDestroyAPIView",
    "AsyncGenericAPIView",
    "AsyncListAPIView",
    "AsyncListCreateAPIView",
    "AsyncRetrieveAPIView",
    "AsyncRetrieveDestroyAPIView",
    "AsyncRetrieveUpdateAPIView",
    "AsyncRetrieveUpdateDestroyAPIView",
    "AsyncUpdateAPIView",
    "aget_object_or_404",
]

# A lookup value of the wrong type ("abc" for an integer pk) only fails when the
# query is awaited, with one of these: it is a missing object, not a server error.
_BAD_LOOKUP = (ValueError, TypeError, orm.ValidationError, orm.FieldError, orm.ParamsError)

NOT_FOUND_MESSAGE = _("No {name} matches the given query.")

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.db.models import Manager
    from django.db.models import Model as DjangoModel
    from django.db.models import Q as DjangoQ
    from django.db.models import QuerySet as DjangoQuerySet
    from tortoise.expressions import Q
    from tortoise.fields import IntField
    from tortoise.models import Model
    from tortoise.queryset import QuerySet

    _M = TypeVar("_M", bound=Model)
    _DM = TypeVar("_DM", bound=DjangoModel)

    class _Lookup(Protocol):
        """A Tortoise model class or QuerySet, as aget_object_or_404 reads it."""

        def get(self, *args: object, **kwargs: object) -> Awaitable[Instance]: ...


@overload
async def aget_object_or_404(
    queryset: type[_M] | QuerySet[_M], /, *args: Q, **lookup: object
) -> _M: ...
@overload
async def aget_object_or_404(
    queryset: type[_DM] | Manager[_DM] | DjangoQuerySet[_DM], /, *args: DjangoQ, **lookup: object
) -> _DM: ...
@overload
async def aget_object_or_404(
    queryset: QuerySetLike, /, *args: Q | DjangoQ, **lookup: object
) -> Instance: ...
async def aget_object_or_404(queryset: object, /, *args: object, **lookup: object) -> Instance:
    """Async twin of DRF's ``get_object_or_404`` for a Tortoise model class or QuerySet,
    or a Django model class, manager or QuerySet (read with Django's ``aget``).

    Raises Http404 when no row matches, and also when a lookup value does not fit
    the field's type.
    """
    if is_django_query(queryset):
        return await _django_object_or_404(queryset, *args, **lookup)
    if not (is_model_class(queryset) or hasattr(queryset, "get")):
        klass = queryset if isinstance(queryset, type) else type(queryset)
        raise ValueError(
            "First argument to aget_object_or_404() must be a Model or QuerySet, "
            f"not '{klass.__name__}'."
        )
    model = get_model(queryset)
    lookup = _checked_lookup(model, lookup)
    try:
        return await cast("_Lookup", queryset).get(*args, **lookup)
    except (orm.DoesNotExist, ObjectDoesNotExistError):
        raise Http404(NOT_FOUND_MESSAGE.format(name=model.__name__))
    except _BAD_LOOKUP:
        raise Http404  # DRF's bare 404: the body says "Not found."
    except Exception as exc:
        if classify_database_error(exc) is DatabaseErrorKind.DATA:
            raise Http404 from exc  # a value the column cannot hold matches nothing
        raise


async def _django_object_or_404(
    queryset: object, /, *args: object, **lookup: object
) -> DjangoModel:
    # Mirrors rest_framework.generics.get_object_or_404; differs only in awaiting
    # Django's aget_object_or_404.
    try:
        query = cast("DjangoQuerySet[DjangoModel]", queryset)  # is_django_query said so
        return await django_aget_object_or_404(query, *args, **lookup)
    except (TypeError, ValueError, ValidationError):
        raise Http404


def _checked_lookup(model: type[Model], lookup: dict[str, object]) -> dict[str, object]:
    """``lookup`` with integer column values converted, checked before any query:
    a value of the wrong type is a bare 404, one out of the column's range matches
    no row (PostgreSQL would refuse it, SQLite could not bind it)."""
    checked = dict(lookup)
    for key, value in lookup.items():
        field = model._meta.pk if key == "pk" else model._meta.fields_map.get(key)
        if integer_range(field) is None:
            continue
        field = cast("IntField[int | None]", field)  # integer_range: None for the others
        try:
            checked[key] = field.to_python_value(value)
        except (TypeError, ValueError, OverflowError):
            raise Http404 from None
        if not fits_column(field, checked[key]):
            raise Http404(NOT_FOUND_MESSAGE.format(name=model.__name__))
    return checked


if TYPE_CHECKING:
    # DRF's GenericAPIView as async_drf's views use it: over Tortoise querysets too,
    # with async get_object/filter_queryset/paginate_queryset.  Hidden from the checker
    # so that a view's own hooks override these, not DRF's sync, Django-only ones.

    class _GenericAPIView:
        queryset: ViewQuerySet | None
        serializer_class: type[AnySerializer] | None
        lookup_field: str
        lookup_url_kwarg: str | None
        filter_backends: Sequence[type[FilterBackend]]
        pagination_class: type[BasePagination] | None

        def get_queryset(self) -> QuerySetLike: ...
        def get_serializer(self, *args: object, **kwargs: object) -> AnySerializer: ...
        def get_serializer_class(self) -> type[AnySerializer]: ...
        def get_serializer_context(self) -> dict[str, object]: ...
        @property
        def paginator(self) -> BasePagination | None: ...
else:
    _GenericAPIView = GenericAPIView


class AsyncGenericAPIView(AsyncAPIView, _GenericAPIView):
    """Async twin of DRF's GenericAPIView over Tortoise querysets.

    ``queryset`` may be a Tortoise model class (usable at import time, before
    Tortoise is initialised) or QuerySet, or a Django QuerySet (read through
    Django's async ORM); each request gets a fresh ``.all()``.
    ``etag_class`` (e.g. :class:`~async_drf.conditional.ModelETag`) turns on ETags,
    ``If-None-Match`` and ``If-Match`` for retrieve, update and destroy.
    """

    etag_class = async_settings.DEFAULT_ETAG_CLASS
    queryset: ViewQuerySet | None = None

    def get_queryset(self) -> QuerySetLike:
        assert self.queryset is not None, (
            f"'{self.__class__.__name__}' should either include a `queryset` attribute, "
            "or override the `get_queryset()` method."
        )
        # Ensure queryset is re-evaluated on each request (a model class becomes a query).
        return as_query(self.queryset)

    async def aget_queryset(self) -> QuerySetLike:
        """``get_queryset()``, awaited if ``async def``: the query the actions read.

        A model class it returns becomes a query (``Model.all()``).
        """
        queryset: ViewQuerySet = await call_hook(self, "get_queryset")
        return as_model_query(queryset)

    async def aget_serializer(self, *args: object, **kwargs: object) -> AnySerializer:
        """``get_serializer(...)`` where each serializer hook may be ``async def``."""
        if not is_inline(self.get_serializer):
            return await maybe_await(self.get_serializer, *args, **kwargs)  # the user's own
        # Mirrors rest_framework.generics.GenericAPIView.get_serializer; differs only in
        # awaits, so get_serializer_class/get_serializer_context may be `async def`.
        serializer_class: type[AnySerializer] = await call_hook(self, "get_serializer_class")
        kwargs.setdefault("context", await call_hook(self, "get_serializer_context"))
        # The arguments are the caller's, as DRF passes them on (instance, data, many...).
        return cast("Callable[..., AnySerializer]", serializer_class)(*args, **kwargs)

    async def get_object(self) -> Instance:
        # Mirrors rest_framework.generics.GenericAPIView.get_object; differs in awaiting
        # get_queryset, filter_queryset, the lookup (aget_object_or_404, which answers
        # 404 for a value the column cannot hold) and check_object_permissions.
        queryset = await call_hook(self, "filter_queryset", await self.aget_queryset())

        # Perform the lookup filtering.
        lookup_url_kwarg = self.lookup_url_kwarg or self.lookup_field

        assert lookup_url_kwarg in self.kwargs, (
            f"Expected view {self.__class__.__name__} to be called with a URL keyword "
            f'argument named "{lookup_url_kwarg}". Fix your URL conf, or set the '
            "`.lookup_field` attribute on the view correctly."
        )

        filter_kwargs = {self.lookup_field: self.kwargs[lookup_url_kwarg]}
        obj = await aget_object_or_404(queryset, **filter_kwargs)

        # May raise a permission denied
        await self.check_object_permissions(self.request, obj)

        return obj

    async def filter_queryset(self, queryset: QuerySetLike) -> QuerySetLike:
        # Backends that only build Tortoise Q objects are registered inline by their
        # authors, so they cost no thread hop; others hop or are awaited.
        for backend in list(self.filter_backends):
            # DRF's stubs type backends over Django querysets; ours also take Tortoise's.
            filter_queryset = cast("FilterQueryset", backend().filter_queryset)
            queryset = await maybe_await(filter_queryset, self.request, queryset, self)
        return queryset

    async def paginate_queryset(self, queryset: QuerySetLike) -> list[object] | None:
        if self.paginator is None:
            return None
        # DRF's stubs type paginators over Django querysets; ours also take Tortoise's.
        paginate = cast("PaginateQueryset", self.paginator.paginate_queryset)
        return await maybe_await(paginate, queryset, self.request, view=self)

    async def get_paginated_response(self, data: object) -> Response:
        assert self.paginator is not None
        return await maybe_await(self.paginator.get_paginated_response, data)


# DRF's serializer hooks and our default get_queryset are pure CPU: no thread hop.
# A user's sync override of a builder hook (concurrency.BUILDER_HOOKS) runs inline too,
# through call_hook, until it queries Django's ORM; other sync overrides hop.
mark_inline(
    AsyncGenericAPIView.get_queryset,
    GenericAPIView.get_serializer,
    GenericAPIView.get_serializer_class,
    GenericAPIView.get_serializer_context,
)


# Concrete view classes that provide method handlers
# by composing the mixin classes with the base view.


class AsyncCreateAPIView(mixins.AsyncCreateModelMixin, AsyncGenericAPIView):
    """Async twin of DRF's CreateAPIView: ``post`` awaits ``create``."""

    async def post(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.create, request, *args, **kwargs)


class AsyncListAPIView(mixins.AsyncListModelMixin, AsyncGenericAPIView):
    """Async twin of DRF's ListAPIView: ``get`` awaits ``list``."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.list, request, *args, **kwargs)


class AsyncRetrieveAPIView(mixins.AsyncRetrieveModelMixin, AsyncGenericAPIView):
    """Async twin of DRF's RetrieveAPIView: ``get`` awaits ``retrieve``."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.retrieve, request, *args, **kwargs)


class AsyncDestroyAPIView(mixins.AsyncDestroyModelMixin, AsyncGenericAPIView):
    """Async twin of DRF's DestroyAPIView: ``delete`` awaits ``destroy``."""

    async def delete(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.destroy, request, *args, **kwargs)


class AsyncUpdateAPIView(mixins.AsyncUpdateModelMixin, AsyncGenericAPIView):
    """Async twin of DRF's UpdateAPIView: ``put``/``patch`` await ``update``."""

    async def put(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.update, request, *args, **kwargs)

    async def patch(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.partial_update, request, *args, **kwargs)


class AsyncListCreateAPIView(
    mixins.AsyncListModelMixin, mixins.AsyncCreateModelMixin, AsyncGenericAPIView
):
    """Async twin of DRF's ListCreateAPIView."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.list, request, *args, **kwargs)

    async def post(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.create, request, *args, **kwargs)


class AsyncRetrieveUpdateAPIView(
    mixins.AsyncRetrieveModelMixin, mixins.AsyncUpdateModelMixin, AsyncGenericAPIView
):
    """Async twin of DRF's RetrieveUpdateAPIView."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.retrieve, request, *args, **kwargs)

    async def put(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.update, request, *args, **kwargs)

    async def patch(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.partial_update, request, *args, **kwargs)


class AsyncRetrieveDestroyAPIView(
    mixins.AsyncRetrieveModelMixin, mixins.AsyncDestroyModelMixin, AsyncGenericAPIView
):
    """Async twin of DRF's RetrieveDestroyAPIView."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.retrieve, request, *args, **kwargs)

    async def delete(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.destroy, request, *args, **kwargs)


class AsyncRetrieveUpdateDestroyAPIView(
    mixins.AsyncRetrieveModelMixin,
    mixins.AsyncUpdateModelMixin,
    mixins.AsyncDestroyModelMixin,
    AsyncGenericAPIView,
):
    """Async twin of DRF's RetrieveUpdateDestroyAPIView."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.retrieve, request, *args, **kwargs)

    async def put(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.update, request, *args, **kwargs)

    async def patch(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.partial_update, request, *args, **kwargs)

    async def delete(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await run_handler(self.destroy, request, *args, **kwargs)
