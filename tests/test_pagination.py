"""Async paginators: DRF's parameters, links and response shapes over Tortoise querysets."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from rest_framework import pagination as drf_pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.settings import api_settings

from async_drf.concurrency import maybe_await
from async_drf.filters import OrderingFilter
from async_drf.pagination import (
    AsyncCursorPagination,
    AsyncLimitOffsetPagination,
    AsyncPageNumberPagination,
)

from .models import Author, Post

pytestmark = pytest.mark.usefixtures("tortoise_db")


class PageNumber(AsyncPageNumberPagination):
    page_size = 3
    page_size_query_param = "page_size"
    max_page_size = 5


class LimitOffset(AsyncLimitOffsetPagination):
    default_limit = 3
    max_limit = 5


class CursorById(AsyncCursorPagination):
    page_size = 3
    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 5


class CursorByCreated(AsyncCursorPagination):
    page_size = 3  # DRF's default ordering, '-created'


async def _posts(count: int) -> list[int]:
    author = await Author.create(name="ann")
    posts = [await Post.create(title=f"p{i:02d}", body="b", author=author) for i in range(count)]
    return [post.id for post in posts]


def _request(api_factory: Any, params: dict[str, Any] | None = None) -> Request:
    return Request(api_factory.get("/posts/", params or {}))


async def _paginate(paginator: Any, api_factory: Any, params: dict[str, Any] | None = None):
    rows = await maybe_await(
        paginator.paginate_queryset, Post.all(), _request(api_factory, params), view=None
    )
    return None if rows is None else [row.id for row in rows]


def _query(url: str | None) -> dict[str, str]:
    assert url is not None
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


# -- PageNumberPagination ---------------------------------------------------------------


async def test_page_number_first_page_shape_links_queries_and_hops(api_factory, queries, hops):
    ids = await _posts(7)
    queries.reset()
    paginator = PageNumber()
    assert await _paginate(paginator, api_factory) == ids[:3]
    response = await maybe_await(paginator.get_paginated_response, ["x"])
    assert queries.count == 2  # count + rows
    assert hops.count == 0
    assert response.data == {
        "count": 7,
        "next": "http://testserver/posts/?page=2",
        "previous": None,
        "results": ["x"],
    }


async def test_page_number_links_keep_other_params(api_factory):
    ids = await _posts(7)
    paginator = PageNumber()
    assert await _paginate(paginator, api_factory, {"page": 2, "search": "p"}) == ids[3:6]
    assert _query(paginator.get_next_link()) == {"page": "3", "search": "p"}
    # Back to page 1 drops the page parameter, as DRF does.
    assert _query(paginator.get_previous_link()) == {"search": "p"}


async def test_page_number_last_page(api_factory):
    ids = await _posts(7)
    paginator = PageNumber()
    assert await _paginate(paginator, api_factory, {"page": "last"}) == ids[6:]
    assert paginator.get_next_link() is None
    assert _query(paginator.get_previous_link()) == {"page": "2"}
    assert paginator.page.number == 3
    assert paginator.page.paginator.num_pages == 3


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", str(10**30), "4", ""])
async def test_page_number_invalid_page_is_404(api_factory, queries, page):
    await _posts(7)
    queries.reset()
    paginator = PageNumber()
    if page == "":  # an empty page parameter means page 1, as in DRF
        assert len(await _paginate(paginator, api_factory, {"page": page})) == 3
        return
    with pytest.raises(NotFound) as info:
        await _paginate(paginator, api_factory, {"page": page})
    assert str(info.value.detail) == "Invalid page."
    assert queries.count == 1  # the count; no rows fetched


async def test_page_number_empty_result_first_page_is_valid(api_factory, queries):
    paginator = PageNumber()
    assert await _paginate(paginator, api_factory) == []
    response = paginator.get_paginated_response([])
    assert response.data == {"count": 0, "next": None, "previous": None, "results": []}
    assert queries.count == 1  # nothing to fetch after a zero count
    with pytest.raises(NotFound):
        await _paginate(PageNumber(), api_factory, {"page": 2})


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [("4", 4), (str(10**9), 5), ("0", 3), ("-5", 3), ("abc", 3), ("", 3)],
)
async def test_page_number_page_size_param_capped_and_defaulted(api_factory, page_size, expected):
    ids = await _posts(7)
    rows = await _paginate(PageNumber(), api_factory, {"page_size": page_size})
    assert rows == ids[:expected]


async def test_page_number_huge_page_size_without_cap(api_factory):
    class Uncapped(AsyncPageNumberPagination):
        page_size = 2
        page_size_query_param = "page_size"

    ids = await _posts(3)
    assert await _paginate(Uncapped(), api_factory, {"page_size": str(10**30)}) == ids


async def test_page_number_without_page_size_is_disabled(api_factory, queries):
    class Disabled(AsyncPageNumberPagination):
        page_size = None

    assert await _paginate(Disabled(), api_factory) is None
    assert queries.count == 0


async def test_page_number_accepts_a_model_class(api_factory):
    ids = await _posts(4)
    rows = await PageNumber().paginate_queryset(Post, _request(api_factory))
    assert [row.id for row in rows] == ids[:3]


async def test_page_number_browsable_controls_render(api_factory):
    await _posts(7)
    paginator = PageNumber()
    await _paginate(paginator, api_factory, {"page": 2})
    assert paginator.display_page_controls is True
    html = paginator.to_html()
    assert 'href="http://testserver/posts/?page=3"' in html
    assert 'href="http://testserver/posts/"' in html  # page 1
    assert ">2<" in html


async def test_page_number_single_page_hides_controls(api_factory):
    await _posts(2)
    paginator = PageNumber()
    await _paginate(paginator, api_factory)
    assert paginator.display_page_controls is False


def test_page_number_schema_and_parameters_are_drfs():
    paginator = PageNumber()
    schema = paginator.get_paginated_response_schema({"type": "array"})
    assert schema["required"] == ["count", "results"]
    assert set(schema["properties"]) == {"count", "next", "previous", "results"}
    names = [p["name"] for p in paginator.get_schema_operation_parameters(None)]
    assert names == ["page", "page_size"]


def test_paginators_default_page_size_from_settings_like_drf():
    # As DRF's own classes: PAGE_SIZE is read once, when the class is created.
    for ours, drfs in [
        (AsyncPageNumberPagination, drf_pagination.PageNumberPagination),
        (AsyncCursorPagination, drf_pagination.CursorPagination),
    ]:
        assert ours.page_size == drfs.page_size
    assert (
        AsyncLimitOffsetPagination.default_limit
        == drf_pagination.LimitOffsetPagination.default_limit
    )


def test_page_size_setting_is_honoured_at_import():
    code = (
        "import django; from django.conf import settings;"
        "settings.configure(REST_FRAMEWORK={'PAGE_SIZE': 7, 'DEFAULT_PAGINATION_CLASS':"
        " 'async_drf.pagination.AsyncCursorPagination'}); django.setup();"
        "from async_drf import pagination as p; from rest_framework.settings import api_settings;"
        "print(p.AsyncPageNumberPagination.page_size, p.AsyncLimitOffsetPagination.default_limit,"
        " p.AsyncCursorPagination.page_size, api_settings.DEFAULT_PAGINATION_CLASS.__name__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["7", "7", "7", "AsyncCursorPagination"]


def test_default_pagination_class_setting_resolves_to_ours():
    with override_settings(
        REST_FRAMEWORK={
            "DEFAULT_PAGINATION_CLASS": "async_drf.pagination.AsyncPageNumberPagination",
            "PAGE_SIZE": 2,
        }
    ):
        assert api_settings.DEFAULT_PAGINATION_CLASS is AsyncPageNumberPagination
        assert api_settings.PAGE_SIZE == 2


# -- LimitOffsetPagination --------------------------------------------------------------


async def test_limit_offset_default_limit_links_queries_hops(api_factory, queries, hops):
    ids = await _posts(7)
    queries.reset()
    paginator = LimitOffset()
    assert await _paginate(paginator, api_factory, {"offset": 3, "q": "x"}) == ids[3:6]
    response = await maybe_await(paginator.get_paginated_response, [])
    assert queries.count == 2
    assert hops.count == 0
    assert set(response.data) == {"count", "next", "previous", "results"}
    assert response.data["count"] == 7
    assert _query(response.data["next"]) == {"limit": "3", "offset": "6", "q": "x"}
    assert _query(response.data["previous"]) == {"limit": "3", "q": "x"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": "2"}, slice(0, 2)),
        ({"limit": "-1"}, slice(0, 3)),
        ({"limit": "0"}, slice(0, 3)),
        ({"limit": "abc"}, slice(0, 3)),
        ({"limit": str(10**9)}, slice(0, 5)),
        ({"offset": "-5"}, slice(0, 3)),
        ({"offset": "abc"}, slice(0, 3)),
        ({"offset": "5", "limit": "4"}, slice(5, 9)),
        ({"offset": "7"}, slice(7, 7)),
    ],
)
async def test_limit_offset_params_fall_back_like_drf(api_factory, params, expected):
    ids = await _posts(7)
    assert await _paginate(LimitOffset(), api_factory, params) == ids[expected]


@pytest.mark.parametrize("offset", ["8", str(10**30)])
async def test_limit_offset_past_the_end_is_empty_without_a_row_query(api_factory, queries, offset):
    await _posts(7)
    queries.reset()
    paginator = LimitOffset()
    assert await _paginate(paginator, api_factory, {"offset": offset}) == []
    assert queries.count == 1
    assert paginator.get_next_link() is None


async def test_limit_offset_huge_limit_without_cap(api_factory):
    class Uncapped(AsyncLimitOffsetPagination):
        default_limit = 2

    ids = await _posts(3)
    assert await _paginate(Uncapped(), api_factory, {"limit": str(10**30)}) == ids


async def test_limit_offset_without_limit_is_disabled(api_factory, queries):
    class Disabled(AsyncLimitOffsetPagination):
        default_limit = None

    assert await _paginate(Disabled(), api_factory) is None
    assert queries.count == 0


async def test_limit_offset_browsable_controls_render(api_factory):
    await _posts(7)
    paginator = LimitOffset()
    await _paginate(paginator, api_factory, {"offset": 3})
    assert paginator.display_page_controls is True
    assert "offset=6" in paginator.to_html()


# -- CursorPagination ------------------------------------------------------------------


def _cursor(url: str | None) -> str:
    return _query(url)["cursor"]


async def _walk(paginator_class: type, api_factory: Any, queries: Any, direction: str = "next"):
    """Follow links from the first page; return the pages of ids (1 query per page)."""
    pages, params = [], {}
    while True:
        queries.reset()
        paginator = paginator_class()
        pages.append(await _paginate(paginator, api_factory, params))
        assert queries.count == 1
        link = paginator.get_next_link() if direction == "next" else paginator.get_previous_link()
        if link is None:
            return pages, paginator
        params = {"cursor": _cursor(link)}


async def test_cursor_pages_forward_and_back_one_query_each(api_factory, queries, hops):
    ids = await _posts(8)
    pages, last = await _walk(CursorById, api_factory, queries)
    assert pages == [ids[0:3], ids[3:6], ids[6:8]]
    assert hops.count == 0
    # Walk back from the last page through previous links.
    paginator, params, back = last, None, []
    while (link := paginator.get_previous_link()) is not None:
        params = {"cursor": _cursor(link)}
        paginator = CursorById()
        back.append(await _paginate(paginator, api_factory, params))
    assert back == [ids[3:6], ids[0:3]]


async def test_cursor_response_shape_and_html(api_factory):
    await _posts(4)
    paginator = CursorById()
    await _paginate(paginator, api_factory, {"other": "1"})
    response = await maybe_await(paginator.get_paginated_response, ["x"])
    assert list(response.data) == ["next", "previous", "results"]
    assert response.data["previous"] is None
    assert _query(response.data["next"])["other"] == "1"
    assert paginator.display_page_controls is True
    assert "cursor=" in paginator.to_html()
    schema = paginator.get_paginated_response_schema({})
    assert schema["required"] == ["results"]


async def test_cursor_default_ordering_by_created_descending(api_factory, queries):
    ids = await _posts(7)
    pages, _ = await _walk(CursorByCreated, api_factory, queries)
    assert [i for page in pages for i in page] == ids[::-1]


@pytest.mark.parametrize("paginator_class", [CursorById, CursorByCreated])
async def test_cursor_pages_stay_stable_when_rows_are_inserted(api_factory, paginator_class):
    ids = await _posts(7)
    seen: list[int] = []
    paginator = paginator_class()
    seen += await _paginate(paginator, api_factory)
    author = await Author.get(name="ann")
    while (link := paginator.get_next_link()) is not None:
        # Rows written between two page requests must not shift the next page.
        await Post.create(title=f"new{len(seen)}", body="b", author=author)
        paginator = paginator_class()
        seen += await _paginate(paginator, api_factory, {"cursor": _cursor(link)})
    originals = [i for i in seen if i in ids]
    assert sorted(originals) == ids  # no skips
    assert len(set(seen)) == len(seen)  # no duplicates


async def test_cursor_page_size_param_capped(api_factory):
    ids = await _posts(8)
    assert await _paginate(CursorById(), api_factory, {"page_size": "4"}) == ids[:4]
    assert await _paginate(CursorById(), api_factory, {"page_size": str(10**9)}) == ids[:5]
    assert await _paginate(CursorById(), api_factory, {"page_size": "-1"}) == ids[:3]


async def test_cursor_huge_page_size_without_cap(api_factory):
    class Uncapped(CursorById):
        max_page_size = None

    ids = await _posts(3)
    assert await _paginate(Uncapped(), api_factory, {"page_size": str(10**30)}) == ids


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "é",
        _b64("p=\x00"),
        _b64("o=abc"),
        _b64("o=-1"),
        _b64("r=x"),
        _b64("p=notanint"),
        _b64("p=1.5"),
        _b64("p=" + "9" * 40),
    ],
)
async def test_cursor_garbage_or_tampered_is_404_by_id(api_factory, cursor):
    await _posts(4)
    with pytest.raises(NotFound) as info:
        await _paginate(CursorById(), api_factory, {"cursor": cursor})
    assert str(info.value.detail) == "Invalid cursor"


@pytest.mark.parametrize("position", ["notadate", "2024-13-45", "1", ""])
async def test_cursor_wrong_typed_position_is_404_by_created(api_factory, position):
    await _posts(4)
    with pytest.raises(NotFound) as info:
        await _paginate(CursorByCreated(), api_factory, {"cursor": _b64(f"p={position}")})
    assert str(info.value.detail) == "Invalid cursor"


@pytest.mark.parametrize("cursor", ["", "%%%"])
async def test_cursor_without_tokens_is_the_first_page_as_in_drf(api_factory, cursor):
    # DRF's decode_cursor drops non-base64 characters: nothing left means "no position".
    ids = await _posts(4)
    assert await _paginate(CursorById(), api_factory, {"cursor": cursor}) == ids[:3]


async def test_cursor_valid_position_as_text(api_factory):
    ids = await _posts(5)
    rows = await _paginate(CursorById(), api_factory, {"cursor": _b64(f"p={ids[1]}")})
    assert rows == ids[2:5]


async def test_cursor_huge_offset_is_capped_by_offset_cutoff(api_factory):
    await _posts(3)
    assert await _paginate(CursorById(), api_factory, {"cursor": _b64("o=99999999")}) == []


async def test_cursor_follows_the_views_ordering_filter(api_factory):
    await _posts(5)
    await Post.filter(title="p01").update(title="zz")

    class View:
        filter_backends = [OrderingFilter]
        ordering_fields = ["title", "id"]

    paginator = CursorById()
    request = _request(api_factory, {"ordering": "-title"})
    rows = await paginator.paginate_queryset(Post.all(), request, view=View())
    assert [row.title for row in rows] == ["zz", "p04", "p03"]
    assert paginator.ordering == ("-title",)
    next_rows = await CursorById().paginate_queryset(
        Post.all(),
        _request(api_factory, {"ordering": "-title", "cursor": _cursor(paginator.get_next_link())}),
        view=View(),
    )
    assert [row.title for row in next_rows] == ["p02", "p00"]


@pytest.mark.parametrize("position", ["a\x00b", "x" * 300])
async def test_cursor_text_position_that_the_column_cannot_hold_is_404(api_factory, position):
    class ByTitle(AsyncCursorPagination):
        page_size = 2
        ordering = "title"

    await _posts(3)
    with pytest.raises(NotFound):
        await _paginate(ByTitle(), api_factory, {"cursor": _b64(f"p={position}")})


@pytest.mark.parametrize(
    "params",
    [
        {"page": 2},
        {"page": 3, "search": "a b&c", "z": "1", "a": ["x", "y"]},
        {"page": "2", "q": "ünïcode/%?"},
        {"page": "last", "page_size": 2},
        {"page": 1},
        {},
    ],
)
async def test_page_number_links_are_drfs(api_factory, params):
    """The links are DRF's own strings, whatever the other parameters."""
    await _posts(7)
    paginator = PageNumber()
    await _paginate(paginator, api_factory, params)
    for _ in range(2):  # the second time from the cached helpers
        assert paginator.get_next_link() == drf_pagination.PageNumberPagination.get_next_link(
            paginator
        )
        assert paginator.get_previous_link() == (
            drf_pagination.PageNumberPagination.get_previous_link(paginator)
        )
    # A second request through the same paginator gets its own URL's links.
    await _paginate(paginator, api_factory, {"page": 2, "other": "yes"})
    assert _query(paginator.get_next_link()) == {"page": "3", "other": "yes"}


def test_page_number_links_mirror_drfs_code():
    """get_next_link / get_previous_link mirror DRF's: notice when DRF's change."""
    import inspect

    next_source = inspect.getsource(drf_pagination.PageNumberPagination.get_next_link)
    previous_source = inspect.getsource(drf_pagination.PageNumberPagination.get_previous_link)
    assert next_source.split("\n", 1)[1] == (
        "        if not self.page.has_next():\n"
        "            return None\n"
        "        url = self.request.build_absolute_uri()\n"
        "        page_number = self.page.next_page_number()\n"
        "        return replace_query_param(url, self.page_query_param, page_number)\n"
    )
    assert previous_source.split("\n", 1)[1] == (
        "        if not self.page.has_previous():\n"
        "            return None\n"
        "        url = self.request.build_absolute_uri()\n"
        "        page_number = self.page.previous_page_number()\n"
        "        if page_number == 1:\n"
        "            return remove_query_param(url, self.page_query_param)\n"
        "        return replace_query_param(url, self.page_query_param, page_number)\n"
    )
