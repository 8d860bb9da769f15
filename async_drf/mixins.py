"""Async building blocks for generic views: DRF's model mixins with ``async def``
actions (``create``, ``list``, ``retrieve``, ``update``, ``partial_update``,
``destroy``) and ``perform_*`` hooks.

Serializers come in two kinds, told apart in one place (the helpers below):
async_drf serializers (``ais_valid``/``asave``/``adata``) run on the loop with no
thread hop; a plain DRF serializer, whose validators and ``save`` may do sync I/O,
is validated, saved and rendered in a single thread hop.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model as DjangoModel
from rest_framework import mixins, status
from rest_framework.response import Response

from . import compat
from .concurrency import (
    call_hook,
    is_async_callable,
    is_inline,
    maybe_await,
    run_handler,
    run_sync,
)
from .conditional import check_preconditions, delete_instance, guard_write
from .orm import is_model_class, is_queryset

__all__ = [
    "AsyncCreateModelMixin",
    "AsyncDestroyModelMixin",
    "AsyncListModelMixin",
    "AsyncRetrieveModelMixin",
    "AsyncUpdateModelMixin",
]


def _is_async(serializer: Any) -> bool:
    return hasattr(serializer, "ais_valid")


async def _get_queryset(view: Any) -> Any:
    """``view.get_queryset()``, sync or async; a model class becomes a query."""
    queryset = await call_hook(view, "get_queryset")
    return queryset.all() if is_model_class(queryset) else queryset


async def _get_serializer(view: Any, *args: Any, **kwargs: Any) -> Any:
    """``view.get_serializer(...)``, where each serializer hook may be sync or async."""
    if not is_inline(view.get_serializer):
        return await maybe_await(view.get_serializer, *args, **kwargs)  # the user's own
    # Mirrors rest_framework.generics.GenericAPIView.get_serializer; differs only in
    # awaits, so get_serializer_class/get_serializer_context may be `async def`.
    serializer_class = await call_hook(view, "get_serializer_class")
    kwargs.setdefault("context", await call_hook(view, "get_serializer_context"))
    return serializer_class(*args, **kwargs)


async def _save(serializer: Any, **kwargs: Any) -> Any:
    if _is_async(serializer):
        return await serializer.asave(**kwargs)
    return await run_sync(serializer.save, **kwargs)


async def _serialized_data(serializer: Any) -> Any:
    """``serializer.data``: awaited (async_drf) or read in one hop (DRF, may do I/O)."""
    if _is_async(serializer):
        return await serializer.adata
    return await run_sync(_read_data, serializer)


def _read_data(serializer: Any) -> Any:
    return serializer.data


def _default_save(serializer: Any) -> None:
    serializer.save()


def _validate_perform_render(serializer: Any, perform: Any) -> Any:
    serializer.is_valid(raise_exception=True)
    perform(serializer)
    _forget_prefetched(serializer.instance)
    return serializer.data


def _forget_prefetched(instance: Any) -> None:
    # As DRF's UpdateModelMixin.update: a Django instance read with prefetch_related
    # would otherwise render its relations as they were before the write.
    compat.forget_prefetched(instance)


async def _validate_and_save(serializer: Any, perform: Any) -> Any:
    """Validate ``serializer``, save it through the ``perform`` hook, return its data."""
    if _is_async(serializer):
        await serializer.ais_valid(raise_exception=True)
        await maybe_await(perform, serializer)
        return await serializer.adata
    if getattr(perform, "__func__", None) in _DEFAULT_PERFORMS:
        perform = _default_save  # what the default hook does, minus its own hop
    if is_async_callable(perform):
        # The user's async hook runs on the loop, between the sync halves.
        await run_sync(serializer.is_valid, raise_exception=True)
        await perform(serializer)
        _forget_prefetched(serializer.instance)
        return await _serialized_data(serializer)
    # A DRF serializer and a sync hook: the whole sync phase in one hop.
    return await run_sync(_validate_perform_render, serializer, perform)


async def _evaluate(queryset: Any) -> Any:
    # Serializers iterate synchronously: a Tortoise query must be fetched first.  A
    # Django QuerySet is fetched by the serializer: DRF's in its thread hop, async_drf's
    # with Django's async iteration.
    return await queryset if is_queryset(queryset) else queryset


class AsyncCreateModelMixin(mixins.CreateModelMixin):
    """Async twin of DRF's CreateModelMixin."""

    async def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Mirrors rest_framework.mixins.CreateModelMixin.create; differs in awaiting
        # get_serializer's hooks, validation, perform_create and the rendered data.
        serializer = await _get_serializer(self, data=request.data)
        data = await _validate_and_save(serializer, self.perform_create)
        headers = await call_hook(self, "get_success_headers", data)
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    async def perform_create(self, serializer: Any) -> None:
        await _save(serializer)


class AsyncListModelMixin(mixins.ListModelMixin):
    """Async twin of DRF's ListModelMixin."""

    async def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Mirrors rest_framework.mixins.ListModelMixin.list; differs in awaiting the
        # queryset hooks, the page, the rows and the rendered data.
        queryset = await call_hook(self, "filter_queryset", await _get_queryset(self))

        page = await maybe_await(self.paginate_queryset, queryset)
        if page is not None:
            serializer = await _get_serializer(self, page, many=True)
            data = await _serialized_data(serializer)
            return await maybe_await(self.get_paginated_response, data)

        serializer = await _get_serializer(self, await _evaluate(queryset), many=True)
        return Response(await _serialized_data(serializer))


class AsyncRetrieveModelMixin(mixins.RetrieveModelMixin):
    """Async twin of DRF's RetrieveModelMixin."""

    async def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Mirrors rest_framework.mixins.RetrieveModelMixin.retrieve; differs in awaiting
        # get_object and the data, and in answering If-None-Match/If-Match (etag_class).
        instance = await maybe_await(self.get_object)
        # With an etag_class: If-None-Match may answer 304, If-Match 412.
        etag, not_modified = check_preconditions(self, request, instance)
        if not_modified is not None:
            return not_modified
        serializer = await _get_serializer(self, instance)
        headers = {"ETag": etag} if etag is not None else None
        return Response(await _serialized_data(serializer), headers=headers)


class AsyncUpdateModelMixin(mixins.UpdateModelMixin):
    """Async twin of DRF's UpdateModelMixin (a PUT on a missing object is a 404)."""

    async def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Mirrors rest_framework.mixins.UpdateModelMixin.update; differs in awaiting,
        # in an If-Match guard around the write, and in no prefetch cache to clear.
        partial = kwargs.pop("partial", False)
        instance = await maybe_await(self.get_object)
        with guard_write(self, request, instance) as guard:  # If-Match: a conditional UPDATE
            serializer = await _get_serializer(self, instance, data=request.data, partial=partial)
            data = await _validate_and_save(serializer, self.perform_update)
        # Tortoise keeps no prefetch cache to invalidate (DRF clears Django's here):
        # async_drf serializers fetch the relations they render when asked for data.
        return Response(data, headers=guard.headers(serializer.instance))

    async def perform_update(self, serializer: Any) -> None:
        await _save(serializer)

    async def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return await run_handler(self.update, request, *args, **kwargs)


class AsyncDestroyModelMixin(mixins.DestroyModelMixin):
    """Async twin of DRF's DestroyModelMixin."""

    async def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        # Mirrors rest_framework.mixins.DestroyModelMixin.destroy; differs in awaiting
        # get_object and perform_destroy, inside an If-Match guard.
        instance = await maybe_await(self.get_object)
        with guard_write(self, request, instance):  # If-Match: a conditional DELETE
            await maybe_await(self.perform_destroy, instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    async def perform_destroy(self, instance: Any) -> None:
        if isinstance(instance, DjangoModel):
            await instance.adelete()  # DRF's instance.delete(), with Django's async ORM
        else:
            await delete_instance(instance)


# The default save hooks: with a DRF serializer, _validate_and_save runs their sync
# equivalent in the same thread hop as validation and rendering.
_DEFAULT_PERFORMS = frozenset(
    {AsyncCreateModelMixin.perform_create, AsyncUpdateModelMixin.perform_update}
)
