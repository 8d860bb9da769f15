"""AsyncDefaultRouter: DRF's DefaultRouter whose API root view is an AsyncAPIView.

DRF's routers register async_drf viewsets as they are; only DefaultRouter's own root
view is a sync DRF view, which cannot await async authentication, permission or
throttle classes once those are the project's defaults.
"""

from __future__ import annotations

from rest_framework import routers

from .views import AsyncAPIView

__all__ = ["AsyncAPIRootView", "AsyncDefaultRouter"]


class AsyncAPIRootView(AsyncAPIView, routers.APIRootView):
    """Async twin of DRF's APIRootView: the same listing, with async policies awaited."""

    schema = None  # left out of the schema, as DRF's (AsyncAPIView's default comes first)


class AsyncDefaultRouter(routers.DefaultRouter):
    """DRF's DefaultRouter with :class:`AsyncAPIRootView` as its root view."""

    APIRootView = AsyncAPIRootView
