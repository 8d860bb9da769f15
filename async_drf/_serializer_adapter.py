"""How a generic view validates, saves and renders its serializer, of either kind.

:func:`adapter_for` is the one place that tells them apart: an async_drf serializer
(``ais_valid``/``asave``/``adata``) runs on the loop with no thread hop; a plain DRF
serializer, whose validators and ``save`` may do sync I/O, is validated, saved and
rendered in a single thread hop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from . import compat
from .concurrency import is_async_callable, maybe_await, run_sync

if TYPE_CHECKING:
    from rest_framework.views import APIView

    from ._async_serializer import AsyncSerializerMixin
    from ._types import AnySerializer, HasData

__all__ = ["SerializerAdapter", "adapter_for", "aview_serializer", "mark_default_save"]

_Data = TypeVar("_Data")  # what a serializer's ``.data`` is

# A view's ``perform_create``/``perform_update`` hook, called with the serializer.
Perform = Callable[["AnySerializer"], "Awaitable[None] | None"]

# The mixins' default save hooks: with a DRF serializer their sync equivalent
# (``serializer.save()``) runs in the same thread hop as validation and rendering.
_default_saves: set[Callable[..., object]] = set()


def mark_default_save(*hooks: Callable[..., object]) -> None:
    """Declare ``perform_*`` hooks that only save the serializer."""
    _default_saves.update(hooks)


class SerializerAdapter:
    """The async steps of DRF's generic actions, for one kind of serializer."""

    async def save(self, serializer: AnySerializer, **kwargs: object) -> object:
        raise NotImplementedError(".save() must be overridden.")

    async def data(self, serializer: HasData[_Data]) -> _Data:
        raise NotImplementedError(".data() must be overridden.")

    async def validate_and_save(self, serializer: AnySerializer, perform: Perform) -> object:
        """Validate ``serializer``, save it through the ``perform`` hook, return its data."""
        raise NotImplementedError(".validate_and_save() must be overridden.")


class _AsyncSerializerAdapter(SerializerAdapter):
    """async_drf's serializers: every step awaited on the loop."""

    async def save(self, serializer: AnySerializer, **kwargs: object) -> object:
        return await cast("AsyncSerializerMixin", serializer).asave(**kwargs)

    async def data(self, serializer: HasData[_Data]) -> _Data:
        data: _Data = await cast("AsyncSerializerMixin", serializer).adata
        return data

    async def validate_and_save(self, serializer: AnySerializer, perform: Perform) -> object:
        serializer = cast("AsyncSerializerMixin", serializer)
        await serializer.ais_valid(raise_exception=True)
        await maybe_await(perform, serializer)
        return await serializer.adata


class _DRFSerializerAdapter(SerializerAdapter):
    """DRF's serializers: the sync steps in as few thread hops as the hooks allow."""

    async def save(self, serializer: AnySerializer, **kwargs: object) -> object:
        return await run_sync(serializer.save, **kwargs)

    async def data(self, serializer: HasData[_Data]) -> _Data:
        return await run_sync(_read_data, serializer)

    async def validate_and_save(self, serializer: AnySerializer, perform: Perform) -> object:
        if getattr(perform, "__func__", None) in _default_saves:
            perform = _default_save  # what the default hook does, minus its own hop
        if is_async_callable(perform):
            # The user's async hook runs on the loop, between the sync halves.
            await run_sync(serializer.is_valid, raise_exception=True)
            await cast("Awaitable[None]", perform(serializer))
            _forget_prefetched(serializer.instance)
            return await self.data(serializer)
        # A sync hook: the whole sync phase in one hop.
        return await run_sync(_validate_perform_render, serializer, perform)


_ASYNC = _AsyncSerializerAdapter()
_DRF = _DRFSerializerAdapter()


def adapter_for(serializer: object) -> SerializerAdapter:
    """The adapter for ``serializer``: async_drf's (``ais_valid``) or DRF's."""
    return _ASYNC if hasattr(serializer, "ais_valid") else _DRF


class _SerializerView(Protocol):
    """A view that builds serializers (DRF's GenericAPIView, sync or async hook)."""

    def get_serializer(self, *args: object, **kwargs: object) -> AnySerializer: ...


async def aview_serializer(view: APIView, *args: object, **kwargs: object) -> AnySerializer:
    """``view.get_serializer(...)`` for any view: AsyncGenericAPIView's ``aget_serializer``
    (which awaits async serializer hooks), else the hook itself, sync or async."""
    aget_serializer = getattr(view, "aget_serializer", None)
    if aget_serializer is not None:
        serializer: AnySerializer = await aget_serializer(*args, **kwargs)
        return serializer
    # Else a generic view's hook (the view serves serializers when this is called).
    return await maybe_await(cast("_SerializerView", view).get_serializer, *args, **kwargs)


def _read_data(serializer: HasData[_Data]) -> _Data:
    return serializer.data


def _default_save(serializer: AnySerializer) -> None:
    serializer.save()


def _validate_perform_render(serializer: AnySerializer, perform: Perform) -> object:
    serializer.is_valid(raise_exception=True)
    perform(serializer)
    _forget_prefetched(serializer.instance)
    return serializer.data


def _forget_prefetched(instance: object) -> None:
    # As DRF's UpdateModelMixin.update: a Django instance read with prefetch_related
    # would otherwise render its relations as they were before the write.
    compat.forget_prefetched(instance)
