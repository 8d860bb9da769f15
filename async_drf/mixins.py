"""Async building blocks for generic views: DRF's model mixins with ``async def``
actions (``create``, ``list``, ``retrieve``, ``update``, ``partial_update``,
``destroy``) and ``perform_*`` hooks.

The view's serializer hooks are awaited through ``AsyncGenericAPIView.aget_serializer``;
validating, saving and rendering go through one adapter that tells async_drf's
serializers from DRF's (``_serializer_adapter``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Model as DjangoModel
from django.http import HttpResponseNotModified
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from ._serializer_adapter import adapter_for, mark_default_save
from .concurrency import call_hook, maybe_await, run_handler
from .conditional import check_preconditions, delete_instance, guard_write
from .orm import is_queryset

if TYPE_CHECKING:
    # The mixins are only ever used on AsyncGenericAPIView, whose hooks they call.  To
    # the checker they are not DRF's sync mixins, so that a view's own `async def`
    # hooks (perform_create...) override ours, not DRF's sync ones.
    from ._types import AnySerializer, Instance, QuerySetLike
    from .generics import AsyncGenericAPIView as _GenericView

    class _Create: ...

    class _List: ...

    class _Retrieve: ...

    class _Update: ...

    class _Destroy: ...
else:
    _GenericView = object
    _Create, _List = mixins.CreateModelMixin, mixins.ListModelMixin
    _Retrieve, _Update = mixins.RetrieveModelMixin, mixins.UpdateModelMixin
    _Destroy = mixins.DestroyModelMixin

__all__ = [
    "AsyncCreateModelMixin",
    "AsyncDestroyModelMixin",
    "AsyncListModelMixin",
    "AsyncRetrieveModelMixin",
    "AsyncUpdateModelMixin",
]


async def _evaluate(queryset: QuerySetLike) -> QuerySetLike:
    # Serializers iterate synchronously: a Tortoise query must be fetched first.  A
    # Django QuerySet is fetched by the serializer: DRF's in its thread hop, async_drf's
    # with Django's async iteration.
    return await queryset if is_queryset(queryset) else queryset


class AsyncCreateModelMixin(_Create, _GenericView):
    """Async twin of DRF's CreateModelMixin."""

    if TYPE_CHECKING:  # DRF's, inherited as it is

        def get_success_headers(self, data: object) -> dict[str, str]: ...

    async def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        # Mirrors rest_framework.mixins.CreateModelMixin.create; differs in awaiting
        # get_serializer's hooks, validation, perform_create and the rendered data.
        serializer = await self.aget_serializer(data=request.data)
        data = await adapter_for(serializer).validate_and_save(serializer, self.perform_create)
        headers = await call_hook(self, "get_success_headers", data)
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    async def perform_create(self, serializer: AnySerializer) -> None:
        await adapter_for(serializer).save(serializer)


class AsyncListModelMixin(_List, _GenericView):
    """Async twin of DRF's ListModelMixin."""

    async def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        # Mirrors rest_framework.mixins.ListModelMixin.list; differs in awaiting the
        # queryset hooks, the page, the rows and the rendered data.
        queryset = await call_hook(self, "filter_queryset", await self.aget_queryset())

        page = await maybe_await(self.paginate_queryset, queryset)
        if page is not None:
            serializer = await self.aget_serializer(page, many=True)
            data = await adapter_for(serializer).data(serializer)
            return await maybe_await(self.get_paginated_response, data)

        serializer = await self.aget_serializer(await _evaluate(queryset), many=True)
        return Response(await adapter_for(serializer).data(serializer))


class AsyncRetrieveModelMixin(_Retrieve, _GenericView):
    """Async twin of DRF's RetrieveModelMixin."""

    async def retrieve(
        self, request: Request, *args: object, **kwargs: object
    ) -> Response | HttpResponseNotModified:
        # Mirrors rest_framework.mixins.RetrieveModelMixin.retrieve; differs in awaiting
        # get_object and the data, and in answering If-None-Match/If-Match (etag_class).
        instance = await maybe_await(self.get_object)
        # With an etag_class: If-None-Match may answer 304, If-Match 412.
        etag, not_modified = check_preconditions(self, request, instance)
        if not_modified is not None:
            return not_modified
        serializer = await self.aget_serializer(instance)
        headers = {"ETag": etag} if etag is not None else None
        return Response(await adapter_for(serializer).data(serializer), headers=headers)


class AsyncUpdateModelMixin(_Update, _GenericView):
    """Async twin of DRF's UpdateModelMixin (a PUT on a missing object is a 404)."""

    async def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        # Mirrors rest_framework.mixins.UpdateModelMixin.update; differs in awaiting,
        # in an If-Match guard around the write, and in no prefetch cache to clear.
        partial = kwargs.pop("partial", False)
        instance = await maybe_await(self.get_object)
        with guard_write(self, request, instance) as guard:  # If-Match: a conditional UPDATE
            serializer = await self.aget_serializer(instance, data=request.data, partial=partial)
            data = await adapter_for(serializer).validate_and_save(serializer, self.perform_update)
        # Tortoise keeps no prefetch cache to invalidate (DRF clears Django's here):
        # async_drf serializers fetch the relations they render when asked for data.
        return Response(data, headers=guard.headers(serializer.instance))

    async def perform_update(self, serializer: AnySerializer) -> None:
        await adapter_for(serializer).save(serializer)

    async def partial_update(self, request: Request, *args: object, **kwargs: object) -> Response:
        kwargs["partial"] = True
        return await run_handler(self.update, request, *args, **kwargs)


class AsyncDestroyModelMixin(_Destroy, _GenericView):
    """Async twin of DRF's DestroyModelMixin."""

    async def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        # Mirrors rest_framework.mixins.DestroyModelMixin.destroy; differs in awaiting
        # get_object and perform_destroy, inside an If-Match guard.
        instance = await maybe_await(self.get_object)
        with guard_write(self, request, instance):  # If-Match: a conditional DELETE
            await maybe_await(self.perform_destroy, instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    async def perform_destroy(self, instance: Instance) -> None:
        if isinstance(instance, DjangoModel):
            await instance.adelete()  # DRF's instance.delete(), with Django's async ORM
        else:
            await delete_instance(instance)


# The default save hooks: with a DRF serializer, the adapter runs their sync
# equivalent in the same thread hop as validation and rendering.
mark_default_save(AsyncCreateModelMixin.perform_create, AsyncUpdateModelMixin.perform_update)
