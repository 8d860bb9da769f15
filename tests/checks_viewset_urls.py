"""Async viewsets routed by DRF's router, for the system checks (tests/test_checks.py)."""

from __future__ import annotations

from rest_framework import filters as drf_filters
from rest_framework import pagination as drf_pagination
from rest_framework import routers
from tortoise.queryset import QuerySet

from async_drf import filters, mixins, pagination, viewsets

from .models import Post


class DRFPagedViewSet(mixins.AsyncListModelMixin, viewsets.AsyncGenericViewSet):
    queryset = Post
    pagination_class = drf_pagination.PageNumberPagination


class DRFFilteredViewSet(viewsets.AsyncReadOnlyModelViewSet):
    queryset = QuerySet(Post)  # a queryset built at import
    filter_backends = [drf_filters.SearchFilter, drf_filters.OrderingFilter]


class AsyncBackendsViewSet(viewsets.AsyncModelViewSet):
    queryset = Post
    pagination_class = pagination.AsyncPageNumberPagination
    filter_backends = [filters.SearchFilter, filters.OrderingFilter]


class PrefixedSearchViewSet(mixins.AsyncListModelMixin, viewsets.AsyncGenericViewSet):
    queryset = Post
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "@body", "$title"]


router = routers.SimpleRouter()
router.register("paged", DRFPagedViewSet)  # basename "post", from the queryset
router.register("filtered", DRFFilteredViewSet, basename="filtered")
router.register("async", AsyncBackendsViewSet, basename="async")
router.register("prefixed", PrefixedSearchViewSet, basename="prefixed")

urlpatterns = router.urls
