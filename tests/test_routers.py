"""AsyncDefaultRouter's root view honours async policies; E004 flags sync DRF views."""

from __future__ import annotations

from django.test import override_settings
from django.urls import include, path

from async_drf import viewsets
from async_drf.checks import check_sync_views_with_async_policies
from async_drf.permissions import AsyncBasePermission
from async_drf.routers import AsyncAPIRootView, AsyncDefaultRouter
from async_drf.test import AsyncAPIClient

from .models import Tag


class DenyAll(AsyncBasePermission):
    message = "Closed."

    async def has_permission(self, request, view):
        return False


class TagViewSet(viewsets.AsyncReadOnlyModelViewSet):
    queryset = Tag

    def get_serializer_class(self):  # unused by these tests
        raise AssertionError


router = AsyncDefaultRouter()
router.register("tags", TagViewSet)

urlpatterns = [path("async/", include(router.urls))]


class ClosedRoot(AsyncAPIRootView):
    permission_classes = [DenyAll]


class ClosedRouter(AsyncDefaultRouter):
    APIRootView = ClosedRoot


closed_router = ClosedRouter()
closed_router.register("tags", TagViewSet, basename="closed-tag")
urlpatterns += [path("closed/", include(closed_router.urls))]


@override_settings(ROOT_URLCONF=__name__)
async def test_async_root_view_awaits_async_permissions():
    response = await AsyncAPIClient().get("/closed/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Closed."}


@override_settings(ROOT_URLCONF=__name__)
async def test_async_root_view_lists_the_routes():
    response = await AsyncAPIClient().get("/async/")
    assert response.status_code == 200
    assert response.json() == {"tags": "http://testserver/async/tags/"}


def test_check_flags_sync_drf_views_with_async_policies():
    with override_settings(ROOT_URLCONF="tests.sync_view_urls"):
        messages = check_sync_views_with_async_policies()
    assert [m.id for m in messages] == ["async_drf.E004"]
    assert "SyncRoot" in messages[0].msg and "DenyAll" in messages[0].msg


def test_check_is_quiet_for_async_views():
    with override_settings(ROOT_URLCONF=__name__):
        assert check_sync_views_with_async_policies() == []
