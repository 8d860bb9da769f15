"""Async viewsets: DRF's ViewSetMixin whose views are coroutine functions, and the
viewset classes built from async_drf's generic view and mixins.

DRF's ``SimpleRouter`` and ``DefaultRouter`` register them unchanged, ``basename``
included: see :class:`AsyncViewSetMixin`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

from asgiref.sync import markcoroutinefunction
from django.utils.decorators import classonlymethod
from rest_framework.viewsets import ViewSetMixin

from . import mixins
from .generics import AsyncGenericAPIView
from .orm import get_model, is_model_class, is_queryset
from .views import AsyncAPIView

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpResponseBase
    from rest_framework.decorators import ViewSetAction
    from rest_framework.views import AsView, GenericView

    from ._types import ViewQuerySet

__all__ = [
    "AsyncGenericViewSet",
    "AsyncModelViewSet",
    "AsyncReadOnlyModelViewSet",
    "AsyncViewSet",
    "AsyncViewSetMixin",
]


class _Overlay:
    """``target`` with a few attributes added; every other attribute is the target's."""

    def __init__(self, target: object, **attrs: object) -> None:
        self.__dict__.update(attrs, _target=target)

    def __getattr__(self, name: str) -> object:
        if "_target" not in self.__dict__:  # a copy being rebuilt: no recursion
            raise AttributeError(name)
        return getattr(self.__dict__["_target"], name)

    def __repr__(self) -> str:
        return f"<{self._target!r} as DRF's router sees it>"


class _TortoiseQueryset:
    """A viewset's Tortoise ``queryset`` attribute, readable by DRF's routers.

    ``SimpleRouter.get_default_basename`` reads ``viewset.queryset.model._meta.object_name``
    from the class: a Tortoise model class has no ``.model``, and Tortoise's
    ``MetaInfo`` (``__slots__``) no ``object_name``.  Read from the class, the
    attribute is the model class or QuerySet seen through an overlay that adds them;
    read from an instance (``get_queryset``, user code) it is the value itself.
    """

    def __init__(self, value: ViewQuerySet) -> None:
        self.value = value

    def __get__(self, instance: object, owner: type | None = None) -> ViewQuerySet | _Overlay:
        if instance is not None:
            return self.value
        model = get_model(self.value)
        meta = _Overlay(model._meta, object_name=model.__name__)
        return _Overlay(self.value, model=_Overlay(model, _meta=meta))


def declared_queryset(view_class: type) -> object:
    """The ``queryset`` a view class declares: on a viewset, the model class or QuerySet
    itself, not the overlay DRF's routers read from the class."""
    declared = inspect.getattr_static(view_class, "queryset", None)
    if isinstance(declared, _TortoiseQueryset):
        return declared.value
    return getattr(view_class, "queryset", None)


class AsyncViewSetMixin(ViewSetMixin):
    """Async twin of DRF's ViewSetMixin: ``as_view`` returns a coroutine function."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        queryset = cls.__dict__.get("queryset")
        if is_model_class(queryset) or is_queryset(queryset):
            # A non-data descriptor: an instance attribute (as_view(queryset=...)) wins.
            cls.queryset = _TortoiseQueryset(queryset)  # type: ignore[attr-defined]

    @classonlymethod
    def as_view(
        cls,
        actions: dict[str, str | ViewSetAction[Callable[..., HttpResponseBase]]] | None = None,
        **initkwargs: object,
    ) -> AsView[GenericView]:
        # DRF's view is a plain `def` returning the dispatch() coroutine: mark it, or
        # Django's handler would run it in a thread and get an un-awaited coroutine.
        # functools.wraps (csrf_exempt) keeps view.cls, view.initkwargs, view.actions.
        return markcoroutinefunction(super().as_view(actions, **initkwargs))


class AsyncViewSet(AsyncViewSetMixin, AsyncAPIView):
    """Async twin of DRF's ViewSet: no actions by default."""


class AsyncGenericViewSet(AsyncViewSetMixin, AsyncGenericAPIView):
    """Async twin of DRF's GenericViewSet: AsyncGenericAPIView's hooks, no actions."""


class AsyncReadOnlyModelViewSet(
    mixins.AsyncRetrieveModelMixin, mixins.AsyncListModelMixin, AsyncGenericViewSet
):
    """Async twin of DRF's ReadOnlyModelViewSet: ``list`` and ``retrieve``."""


class AsyncModelViewSet(
    mixins.AsyncCreateModelMixin,
    mixins.AsyncRetrieveModelMixin,
    mixins.AsyncUpdateModelMixin,
    mixins.AsyncDestroyModelMixin,
    mixins.AsyncListModelMixin,
    AsyncGenericViewSet,
):
    """Async twin of DRF's ModelViewSet: ``create``, ``retrieve``, ``update``,
    ``partial_update``, ``destroy`` and ``list``."""
