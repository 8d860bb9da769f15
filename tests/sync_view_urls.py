"""URLs with sync DRF views given async policies (for the async_drf.E004 check)."""

from django.urls import include, path
from rest_framework import routers

from .test_routers import DenyAll, TagViewSet


class SyncRoot(routers.APIRootView):
    permission_classes = [DenyAll]


class SyncRouter(routers.DefaultRouter):
    APIRootView = SyncRoot


router = SyncRouter()
router.register("tags", TagViewSet)
urlpatterns = [path("sync/", include(router.urls))]
