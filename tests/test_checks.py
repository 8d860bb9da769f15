"""System checks async_drf.E003/W001 (DRF's Django-ORM paginators and filters beside a
Tortoise queryset) and W003/W004 (search prefixes SQLite cannot serve).  This module is
also the URLconf the checks walk."""

from __future__ import annotations

from typing import Any

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
from async_drf.checks import check_search_prefixes, check_view_backends

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
    filter_backends = [filters.SearchFilter, filters.OrderingFilter, filters.FilterBackend]


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


class PrefixedSearch(generics.ListAPIView):
    queryset = Post
    filter_backends = [filters.SearchFilter]
    search_fields = ["title", "@body", "$title", "=author__name"]


class NoSearchFilter(generics.ListAPIView):
    queryset = Post
    filter_backends = [filters.OrderingFilter]
    search_fields = ["@body"]  # unused without a SearchFilter


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
    path("prefixed/", PrefixedSearch.as_view()),
    path("no-search/", NoSearchFilter.as_view()),
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


def _tortoise(connection: Any) -> dict[str, Any]:
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    }


@pytest.mark.parametrize(
    ("connection", "ids"),
    [
        ("sqlite://:memory:", ["async_drf.W003", "async_drf.W004"]),
        ("sqlite:///tmp/x.sqlite3?install_regexp_functions=True", ["async_drf.W003"]),
        (
            {"engine": "tortoise.backends.sqlite", "credentials": {"file_path": ":memory:"}},
            ["async_drf.W003", "async_drf.W004"],
        ),
        ("postgres://user@localhost:5432/db", []),
        ({"engine": "tortoise.backends.asyncpg", "credentials": {}}, []),
    ],
)
def test_search_prefixes_sqlite_cannot_serve_are_warnings(connection, ids):
    with override_settings(ROOT_URLCONF="tests.test_checks", TORTOISE_ORM=_tortoise(connection)):
        messages = check_search_prefixes()
    assert [m.id for m in messages] == ids
    assert all(m.obj is PrefixedSearch and isinstance(m, Warning) for m in messages)


@override_settings(ROOT_URLCONF="tests.test_checks", TORTOISE_ORM=_tortoise("sqlite://:memory:"))
def test_search_prefix_messages_name_the_field_the_model_and_the_fix():
    w003, w004 = check_search_prefixes()
    assert "PrefixedSearch.search_fields: '@body'" in w003.msg
    assert "Post is stored in SQLite (TORTOISE_ORM connection 'default')" in w003.msg
    assert w003.hint == "Use PostgreSQL or MySQL for '@', or drop the prefix."
    assert "'$title' is a regex search" in w004.msg
    assert w004.hint == "Add '?install_regexp_functions=True' to the connection's URL."
    assert {m.id for m in run_checks()} >= {"async_drf.W003", "async_drf.W004"}


@override_settings(ROOT_URLCONF="tests.test_checks", TORTOISE_ORM={"apps": {}})
def test_search_prefixes_of_models_outside_tortoise_orm_are_not_checked():
    assert check_search_prefixes() == []


# -- W009: Django's MiddlewareMixin middleware around async_drf views ------------------


def test_djangos_default_middleware_around_async_views_is_a_warning():
    from async_drf.checks import check_mixin_middleware

    middleware = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "myproject.middleware.Custom",  # not one async_drf has a twin for
    ]
    with override_settings(ROOT_URLCONF="tests.urls", MIDDLEWARE=middleware):
        messages = check_mixin_middleware()
    assert [(m.id, type(m)) for m in messages] == [("async_drf.W009", Warning)] * 2
    assert "django.middleware.security.SecurityMiddleware" in messages[0].msg
    assert messages[1].hint == (
        "Use 'async_drf.middleware.SessionMiddleware': the same middleware, run on the event loop."
    )


@pytest.mark.parametrize(
    ("urlconf", "middleware"),
    [
        ("tests.urls", ["async_drf.middleware.SessionMiddleware"]),  # the twins
        ("tests.urls", []),
        ("tests.no_such_urlconf", ["django.middleware.common.CommonMiddleware"]),
    ],
)
def test_twins_or_no_async_views_are_clean(urlconf, middleware):
    from async_drf.checks import check_mixin_middleware

    with override_settings(ROOT_URLCONF=urlconf, MIDDLEWARE=middleware):
        assert check_mixin_middleware() == []


# Async viewsets: their class attribute ``queryset`` is what DRF's router reads (an
# overlay that derives the basename); the checks see the declared Tortoise queryset.
VIEWSETS = "tests.checks_viewset_urls"


def _ids_by_view(messages: list[Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for message in messages:
        if isinstance(message.obj, type):  # a view's message, not a settings one
            found.setdefault(message.obj.__name__, []).append(message.id)
    return found


@override_settings(ROOT_URLCONF=VIEWSETS)
def test_e003_flags_async_viewsets_like_generic_views():
    errors = [m for m in check_view_backends() if m.id == "async_drf.E003"]
    assert _ids_by_view(errors) == {
        "DRFPagedViewSet": ["async_drf.E003"],
        "DRFFilteredViewSet": ["async_drf.E003"],
    }
    assert all(isinstance(m, Error) for m in errors)
    paged, filtered = errors
    assert paged.hint == "Use async_drf.pagination.AsyncPageNumberPagination."
    assert filtered.hint == "Use async_drf.filters.SearchFilter."


@override_settings(ROOT_URLCONF=VIEWSETS)
def test_w001_flags_async_viewsets_like_generic_views():
    warnings = [m for m in check_view_backends() if m.id == "async_drf.W001"]
    assert _ids_by_view(warnings) == {"DRFFilteredViewSet": ["async_drf.W001"]}
    assert isinstance(warnings[0], Warning)
    assert warnings[0].hint == "Use async_drf.filters.OrderingFilter."


@override_settings(ROOT_URLCONF=VIEWSETS, TORTOISE_ORM=_tortoise("sqlite://:memory:"))
def test_w003_w004_flag_async_viewsets_like_generic_views():
    assert _ids_by_view(check_search_prefixes()) == {
        "PrefixedSearchViewSet": ["async_drf.W003", "async_drf.W004"]
    }


@override_settings(ROOT_URLCONF=VIEWSETS, TORTOISE_ORM=_tortoise("sqlite://:memory:"))
def test_async_viewsets_with_async_backends_are_clean():
    ids = _ids_by_view(run_checks())
    assert "AsyncBackendsViewSet" not in ids
    assert ids["DRFPagedViewSet"] == ["async_drf.E003"]
