"""System check async_drf.E003/W001: DRF's Django-ORM paginators and filters beside a
Tortoise queryset.  This module is also the URLconf the checks walk."""

from __future__ import annotations

import pytest
from django.core.checks import Error, Warning, run_checks
from django.test import override_settings
from django.urls import include, path
from rest_framework import filters as drf_filters
from rest_framework import generics, mixins, routers, viewsets
from rest_framework import pagination as drf_pagination
from rest_framework.response import Response
from rest_framework.views import APIView
from tortoise.queryset import QuerySet

from async_drf import filters, pagination
from async_drf.checks import check_view_backends

from .models import Post


class DRFPaged(generics.ListAPIView):
    queryset = Post
    pagination_class = drf_pagination.PageNumberPagination


class DRFCursorSubclass(drf_pagination.CursorPagination):
    ordering = "id"


class DRFCursorPaged(generics.ListAPIView):
    queryset = QuerySet(Post)  # a queryset built at import
    pagination_class = DRFCursorSubclass


class DRFSearched(generics.ListAPIView):
    queryset = Post
    filter_backends = [drf_filters.SearchFilter, drf_filters.OrderingFilter]


class AsyncBackends(generics.ListAPIView):
    queryset = Post
    pagination_class = pagination.AsyncLimitOffsetPagination
    filter_backends = [filters.SearchFilter, filters.OrderingFilter, filters.EqualityFilter]


class CustomAsyncPaginator(drf_pagination.PageNumberPagination):
    async def paginate_queryset(self, queryset, request, view=None):  # pragma: no cover
        return []


class CustomAsyncPaged(generics.ListAPIView):
    queryset = Post
    pagination_class = CustomAsyncPaginator


class NoQueryset(generics.ListAPIView):
    pagination_class = drf_pagination.PageNumberPagination
    filter_backends = [drf_filters.SearchFilter]


class Odd(APIView):
    queryset = Post
    pagination_class = "not a class"
    filter_backends = property(lambda self: [])  # not iterable on the class

    def get(self, request):  # pragma: no cover
        return Response()


class DRFViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = Post
    pagination_class = drf_pagination.LimitOffsetPagination


def function_view(request):  # pragma: no cover
    return None


router = routers.SimpleRouter()
router.register("viewset", DRFViewSet, basename="viewset")

urlpatterns = [
    path("paged/", DRFPaged.as_view()),
    path("paged-again/", DRFPaged.as_view()),  # reported once
    path("nested/", include([path("cursor/", DRFCursorPaged.as_view())])),
    path("searched/", DRFSearched.as_view()),
    path("async/", AsyncBackends.as_view()),
    path("custom/", CustomAsyncPaged.as_view()),
    path("no-queryset/", NoQueryset.as_view()),
    path("odd/", Odd.as_view()),
    path("function/", function_view),
    path("", include(router.urls)),
]


def _messages() -> dict[str, list[tuple[str, type]]]:
    found: dict[str, list[tuple[str, type]]] = {}
    for message in check_view_backends():
        found.setdefault(message.obj.__name__, []).append((message.id, type(message)))
    return found


@override_settings(ROOT_URLCONF="tests.test_checks")
def test_flags_drf_backends_beside_a_tortoise_queryset():
    assert _messages() == {
        "DRFPaged": [("async_drf.E003", Error)],
        "DRFCursorPaged": [("async_drf.E003", Error)],
        "DRFSearched": [("async_drf.E003", Error), ("async_drf.W001", Warning)],
        "DRFViewSet": [("async_drf.E003", Error)],
    }


@override_settings(ROOT_URLCONF="tests.test_checks")
def test_messages_name_the_view_and_the_fix():
    by_view = {m.obj.__name__: m for m in check_view_backends() if m.id == "async_drf.E003"}
    assert "tests.test_checks.DRFPaged" in by_view["DRFPaged"].msg
    assert "PageNumberPagination" in by_view["DRFPaged"].msg
    assert by_view["DRFPaged"].hint == "Use async_drf.pagination.AsyncPageNumberPagination."
    assert by_view["DRFCursorPaged"].hint == "Use async_drf.pagination.AsyncCursorPagination."
    assert by_view["DRFViewSet"].hint == "Use async_drf.pagination.AsyncLimitOffsetPagination."


@override_settings(ROOT_URLCONF="tests.test_checks")
def test_runs_with_djangos_check_framework():
    ids = sorted(m.id for m in run_checks() if m.id.startswith("async_drf.E003"))
    assert ids == ["async_drf.E003"] * 4


@override_settings(ROOT_URLCONF="tests.urls")
def test_project_urls_are_clean():
    assert check_view_backends() == []


@override_settings(ROOT_URLCONF="tests.no_such_urlconf")
def test_broken_urlconf_is_left_to_djangos_checks():
    assert check_view_backends() == []


@pytest.mark.parametrize("urlconf", ["tests.test_checks"])
def test_never_crashes_on_odd_views(urlconf):
    with override_settings(ROOT_URLCONF=urlconf):
        assert "Odd" not in _messages()
