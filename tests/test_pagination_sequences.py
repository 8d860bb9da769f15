"""The async paginators on plain sequences (a list, a tuple, a ``range``), and with a
custom ``django_paginator_class``: DRF's tests/test_pagination.py, ported with its
inputs and expected bodies (DRF tests its paginators on ``range(1, 101)``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.paginator import Paginator as DjangoPaginator
from rest_framework import exceptions, filters, serializers, status
from rest_framework.pagination import PAGE_BREAK, PageLink
from rest_framework.request import Request

from async_drf import generics
from async_drf.pagination import AsyncLimitOffsetPagination, AsyncPageNumberPagination
from async_drf.test import AsyncAPIRequestFactory

from .models import Author, Post

factory = AsyncAPIRequestFactory()


class PassThroughSerializer(serializers.BaseSerializer):
    def to_representation(self, item: Any) -> Any:
        return item


class EvenItemsOnly(filters.BaseFilterBackend):
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return [item for item in queryset if item % 2 == 0]


class BasicPagination(AsyncPageNumberPagination):
    page_size = 5
    page_size_query_param = "page_size"
    max_page_size = 20


filtered_view = generics.AsyncListAPIView.as_view(
    serializer_class=PassThroughSerializer,
    queryset=range(1, 101),
    filter_backends=[EvenItemsOnly],
    pagination_class=BasicPagination,
)


async def get(view: Any, params: dict[str, Any]) -> Any:
    response = await view(factory.get("/", params))
    return response.status_code, response.data


# -- TestPaginationIntegration ---------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "body"),
    [
        (
            {"page": 2},
            {
                "results": [12, 14, 16, 18, 20],
                "previous": "http://testserver/",
                "next": "http://testserver/?page=3",
                "count": 50,
            },
        ),
        (
            {"page_size": 10},
            {
                "results": [2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
                "previous": None,
                "next": "http://testserver/?page=2&page_size=10",
                "count": 50,
            },
        ),
        (
            {"page_size": 1000},
            {
                "results": list(range(2, 41, 2)),
                "previous": None,
                "next": "http://testserver/?page=2&page_size=1000",
                "count": 50,
            },
        ),
        (
            {"page_size": 0},
            {
                "results": [2, 4, 6, 8, 10],
                "previous": None,
                "next": "http://testserver/?page=2&page_size=0",
                "count": 50,
            },
        ),
        (
            {"page": 2, "filter": "even"},
            {
                "results": [12, 14, 16, 18, 20],
                "previous": "http://testserver/?filter=even",
                "next": "http://testserver/?filter=even&page=3",
                "count": 50,
            },
        ),
        (
            {"page": 2, "filter": ""},
            {
                "results": [12, 14, 16, 18, 20],
                "previous": "http://testserver/?filter=",
                "next": "http://testserver/?filter=&page=3",
                "count": 50,
            },
        ),
    ],
)
async def test_filtered_items_are_paginated(params, body, hops, queries):
    assert await get(filtered_view, params) == (status.HTTP_200_OK, body)
    assert queries.count == 0
    # The user's sync backend and DRF serializer hop; the paginator does not.
    assert hops.calls == ["EvenItemsOnly.filter_queryset", "_read_data"]


@pytest.mark.parametrize("page", ["0", "invalid"])
async def test_404_not_found_for_zero_or_invalid_page(page):
    assert await get(filtered_view, {"page": page}) == (404, {"detail": "Invalid page."})


async def test_unpaginated_list():
    view = generics.AsyncListAPIView.as_view(
        serializer_class=PassThroughSerializer, queryset=range(1, 101), pagination_class=None
    )
    assert await get(view, {"page": 2}) == (200, list(range(1, 101)))


# -- TestPageNumberPagination ------------------------------------------------------------


class ExamplePageNumber(AsyncPageNumberPagination):
    page_size = 5


async def paginate(paginator: Any, queryset: Any, params: dict[str, Any]) -> Any:
    request = Request(factory.get("/", params))
    page = await paginator.paginate_queryset(queryset, request)
    return None if page is None else list(page)


@pytest.mark.parametrize("sequence", [range(1, 101), list(range(1, 101)), tuple(range(1, 101))])
@pytest.mark.parametrize("params", [{}, {"page": ""}])
async def test_page_number_no_page_number(sequence, params):
    paginator = ExamplePageNumber()
    page = await paginate(paginator, sequence, params)
    assert page == [1, 2, 3, 4, 5]
    assert paginator.get_paginated_response(page).data == {
        "results": [1, 2, 3, 4, 5],
        "previous": None,
        "next": "http://testserver/?page=2",
        "count": 100,
    }
    assert paginator.get_html_context() == {
        "previous_url": None,
        "next_url": "http://testserver/?page=2",
        "page_links": [
            PageLink("http://testserver/", 1, True, False),
            PageLink("http://testserver/?page=2", 2, False, False),
            PageLink("http://testserver/?page=3", 3, False, False),
            PAGE_BREAK,
            PageLink("http://testserver/?page=20", 20, False, False),
        ],
    }
    assert paginator.display_page_controls
    assert isinstance(paginator.to_html(), str)


async def test_page_number_second_page():
    paginator = ExamplePageNumber()
    page = await paginate(paginator, range(1, 101), {"page": 2})
    assert page == [6, 7, 8, 9, 10]
    assert paginator.get_paginated_response(page).data == {
        "results": [6, 7, 8, 9, 10],
        "previous": "http://testserver/",
        "next": "http://testserver/?page=3",
        "count": 100,
    }
    assert paginator.get_html_context()["page_links"] == [
        PageLink("http://testserver/", 1, False, False),
        PageLink("http://testserver/?page=2", 2, True, False),
        PageLink("http://testserver/?page=3", 3, False, False),
        PAGE_BREAK,
        PageLink("http://testserver/?page=20", 20, False, False),
    ]


async def test_page_number_last_page():
    paginator = ExamplePageNumber()
    page = await paginate(paginator, range(1, 101), {"page": "last"})
    assert page == [96, 97, 98, 99, 100]
    assert paginator.get_paginated_response(page).data == {
        "results": [96, 97, 98, 99, 100],
        "previous": "http://testserver/?page=19",
        "next": None,
        "count": 100,
    }
    assert paginator.get_html_context()["page_links"] == [
        PageLink("http://testserver/", 1, False, False),
        PAGE_BREAK,
        PageLink("http://testserver/?page=18", 18, False, False),
        PageLink("http://testserver/?page=19", 19, False, False),
        PageLink("http://testserver/?page=20", 20, True, False),
    ]


async def test_page_number_invalid_page():
    with pytest.raises(exceptions.NotFound):
        await paginate(ExamplePageNumber(), range(1, 101), {"page": "invalid"})


# -- TestPageNumberPaginationOverride: django_paginator_class --------------------------


class OverriddenDjangoPaginator(DjangoPaginator):
    # override the count in our overridden Django Paginator
    # we will only return one page, with one item
    count = 1


class OverriddenPagination(AsyncPageNumberPagination):
    django_paginator_class = OverriddenDjangoPaginator
    page_size = 5


async def test_django_paginator_class_on_a_sequence():
    paginator = OverriddenPagination()
    page = await paginate(paginator, range(1, 101), {})
    assert page == [1]
    assert paginator.get_paginated_response(page).data == {
        "results": [1],
        "previous": None,
        "next": None,
        "count": 1,
    }
    assert paginator.get_html_context() == {
        "previous_url": None,
        "next_url": None,
        "page_links": [PageLink("http://testserver/", 1, True, False)],
    }
    assert not paginator.display_page_controls
    assert isinstance(paginator.to_html(), str)
    with pytest.raises(exceptions.NotFound):
        await paginate(paginator, range(1, 101), {"page": "invalid"})


@pytest.mark.usefixtures("tortoise_db")
async def test_django_paginator_class_on_a_tortoise_queryset(queries):
    """The view's paginator class numbers the pages of a query, too."""
    author = await Author.create(name="ann")
    ids = [(await Post.create(title=f"p{i}", body="", author=author)).id for i in range(12)]
    queries.reset()
    paginator = OverriddenPagination()
    page = await paginate(paginator, Post.all(), {})
    assert [post.id for post in page] == ids[:1]
    assert paginator.get_paginated_response([1]).data["count"] == 1
    assert queries.count == 2  # the count (unused: the class says 1), then one row

    class Orphans(DjangoPaginator):
        def __init__(self, object_list: Any, per_page: int) -> None:
            super().__init__(object_list, per_page, orphans=2)

    class OrphanPagination(AsyncPageNumberPagination):
        django_paginator_class = Orphans
        page_size = 5

    paginator = OrphanPagination()
    last = await paginate(paginator, Post.all(), {"page": 2})
    assert [post.id for post in last] == ids[5:]  # 7 rows: the 2 orphans join page 2
    assert paginator.page.paginator.num_pages == 2


# -- TestLimitOffset ---------------------------------------------------------------------


class ExampleLimitOffset(AsyncLimitOffsetPagination):
    default_limit = 10
    max_limit = 15


@pytest.mark.parametrize(
    ("params", "page", "previous", "next_"),
    [
        ({"limit": 5}, [1, 2, 3, 4, 5], None, "?limit=5&offset=5"),
        ({"limit": 5, "offset": 1}, [2, 3, 4, 5, 6], "?limit=5", "?limit=5&offset=6"),
        ({"limit": 5, "offset": 5}, [6, 7, 8, 9, 10], "?limit=5", "?limit=5&offset=10"),
        (
            {"limit": 5, "offset": 10},
            [11, 12, 13, 14, 15],
            "?limit=5&offset=5",
            "?limit=5&offset=15",
        ),
        ({"limit": 5, "offset": 95}, [96, 97, 98, 99, 100], "?limit=5&offset=90", None),
        ({"limit": 5, "offset": "invalid"}, [1, 2, 3, 4, 5], None, "?limit=5&offset=5"),
        ({"limit": "invalid", "offset": 0}, list(range(1, 11)), None, "?limit=10&offset=10"),
        ({"limit": 0, "offset": 0}, list(range(1, 11)), None, "?limit=10&offset=10"),
        (
            {"limit": "11235", "offset": 50},
            list(range(51, 66)),
            "?limit=15&offset=35",
            "?limit=15&offset=65",
        ),
    ],
)
async def test_limit_offset(params, page, previous, next_):
    paginator = ExampleLimitOffset()
    assert await paginate(paginator, range(1, 101), params) == page
    base = "http://testserver/"
    assert paginator.get_paginated_response(page).data == {
        "results": page,
        "previous": previous and base + previous,
        "next": next_ and base + next_,
        "count": 100,
    }


async def test_limit_offset_page_links():
    paginator = ExampleLimitOffset()
    await paginate(paginator, range(1, 101), {"limit": 5, "offset": 10})
    assert paginator.get_html_context()["page_links"] == [
        PageLink("http://testserver/?limit=5", 1, False, False),
        PageLink("http://testserver/?limit=5&offset=5", 2, False, False),
        PageLink("http://testserver/?limit=5&offset=10", 3, True, False),
        PageLink("http://testserver/?limit=5&offset=15", 4, False, False),
        PAGE_BREAK,
        PageLink("http://testserver/?limit=5&offset=95", 20, False, False),
    ]
    assert paginator.display_page_controls


async def test_limit_offset_erroneous_offset():
    paginator = ExampleLimitOffset()
    page = await paginate(paginator, range(1, 101), {"limit": 5, "offset": 1000})
    assert page == []
    paginator.get_paginated_response(page)
    paginator.get_html_context()


async def test_limit_offset_not_applied_if_limit_or_default_limit_not_set():
    class NoDefault(AsyncLimitOffsetPagination):
        default_limit = None

    assert await paginate(NoDefault(), range(1, 101), {}) is None
