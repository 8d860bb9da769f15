"""DRF's tests/test_filters.py for SearchFilter and OrderingFilter, ported to Tortoise
models (tests/filterset_models.py) with their inputs and expected bodies, through
async generic views; each ordering case also runs with an ``async def
get_serializer_class``."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers as drf_serializers

from async_drf import filters, generics, serializers
from async_drf.test import AsyncAPIRequestFactory

from .filterset_models import (
    OrderingFilterModel,
    SearchFilterModel,
    SensitiveOrderingFilterModel,
)

pytestmark = pytest.mark.usefixtures("tortoise_db")
factory = AsyncAPIRequestFactory()


async def get(view_class: type, params: dict[str, Any] | None = None) -> Any:
    response = await view_class.as_view(pagination_class=None)(factory.get("/", params or {}))
    assert response.status_code == 200, response.data
    return response.data


# -- SearchFilterTests ------------------------------------------------------------------


class SearchFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = SearchFilterModel
        fields = "__all__"


@pytest.fixture
async def searchable(tortoise_db: Any) -> None:
    # Sequence of title/text is: z abc, zz bcd, zzz cde, ...
    for idx in range(10):
        title = "z" * (idx + 1)
        text = chr(idx + ord("a")) + chr(idx + ord("b")) + chr(idx + ord("c"))
        await SearchFilterModel.create(title=title, text=text)
    await SearchFilterModel.create(title="A title", text="The long text")
    await SearchFilterModel.create(title="The title", text='The "text')


def search_view(*fields: str) -> type:
    return type(
        "SearchListView",
        (generics.AsyncListAPIView,),
        {
            "queryset": SearchFilterModel,
            "serializer_class": SearchFilterSerializer,
            "filter_backends": (filters.SearchFilter,),
            "search_fields": fields,
        },
    )


@pytest.mark.usefixtures("searchable")
@pytest.mark.parametrize(
    ("fields", "search", "expected"),
    [
        (("title", "text"), "b", [(1, "z", "abc"), (2, "zz", "bcd")]),  # test_search
        (("=title", "text"), "zzz", [(3, "zzz", "cde")]),  # test_exact_search
        (("title", "^text"), "b", [(2, "zz", "bcd")]),  # test_startswith_search
        (("$title", "$text"), "z{2} ^b", [(2, "zz", "bcd")]),  # test_regexp_search
        (("title", "text"), '"\\"text"', [(12, "The title", 'The "text')]),  # escapes
        (("title", "text"), '"long text"', [(11, "A title", "The long text")]),  # quotes
    ],
)
async def test_search(fields, search, expected):
    data = await get(search_view(*fields), {"search": search})
    assert data == [{"id": i, "title": title, "text": text} for i, title, text in expected]


@pytest.mark.usefixtures("searchable")
async def test_search_field_with_multiple_words():
    view = search_view("title", "text")()
    request = view.initialize_request(factory.get("/", {"search": "foo bar,baz"}))
    html = filters.SearchFilter().to_html(request=request, queryset=SearchFilterModel, view=view)
    assert "foo bar,baz" in html


@pytest.mark.usefixtures("searchable")
async def test_search_returns_same_queryset_if_no_search_fields_or_terms_provided():
    data = await get(search_view())
    assert len(data) == 12 and data[0] == {"id": 1, "title": "z", "text": "abc"}


@pytest.mark.usefixtures("searchable")
async def test_search_with_nonstandard_search_param():
    class QuerySearch(filters.SearchFilter):
        search_param = "query"

    view = search_view("title", "text")
    view.filter_backends = (QuerySearch,)
    assert await get(view, {"query": "b"}) == [
        {"id": 1, "title": "z", "text": "abc"},
        {"id": 2, "title": "zz", "text": "bcd"},
    ]


@pytest.fixture
async def full_text(tortoise_db: Any) -> None:
    for title, text in [
        ("The quick brown fox", "jumps over the lazy dog"),
        ("The slow brown turtle", "crawls under the fence"),
        ("A bright sunny day", "in the park with friends"),
    ]:
        await SearchFilterModel.create(title=title, text=text)


@pytest.mark.usefixtures("full_text")
@pytest.mark.parametrize(
    ("fields", "search", "titles"),
    [
        (("@title",), "fox", {"The quick brown fox"}),
        (("@title",), "brown", {"The quick brown fox", "The slow brown turtle"}),
        (("@title",), "elephant", set()),
        (("@title", "@text"), "lazy", {"The quick brown fox"}),
        (("@title", "@text"), "brown lazy", {"The quick brown fox"}),
        (("@title", "text"), "park", {"A bright sunny day"}),
    ],
)
async def test_full_text_search(fields, search, titles):
    """On SQLite '@' is a contains search (check W003): these inputs match the same rows."""
    data = await get(search_view(*fields), {"search": search})
    assert {row["title"] for row in data} == titles


@pytest.mark.postgres
@pytest.mark.usefixtures("full_text")
async def test_full_text_search_stemming():
    """Full text search matches stemmed words ('jumping' matches 'jumps')."""
    data = await get(search_view("@text"), {"search": "jumping"})
    assert [row["text"] for row in data] == ["jumps over the lazy dog"]


def test_construct_search():
    search = filters.SearchFilter()
    model = SearchFilterModel
    assert search.construct_search("title", model) == "title__icontains"
    assert search.construct_search("title__iendswith", model) == "title__iendswith"
    assert search.construct_search("@title", model) == "title__search"


# -- OrderingFilterTests -------------------------------------------------------------------


class OrderingFilterSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderingFilterModel
        fields = "__all__"


class OrderingFilterSerializerWithModelProperty(serializers.ModelSerializer):
    description = drf_serializers.ReadOnlyField()

    class Meta:
        model = OrderingFilterModel
        fields = ("id", "title", "text", "description")


@pytest.fixture
async def ordered(tortoise_db: Any) -> None:
    # Sequence of title/text is: zyx abc, yxw bcd, xwv cde
    for idx in range(3):
        title = chr(ord("z") - idx) + chr(ord("y") - idx) + chr(ord("x") - idx)
        text = chr(idx + ord("a")) + chr(idx + ord("b")) + chr(idx + ord("c"))
        await OrderingFilterModel.create(title=title, text=text)


def ordering_view(serializer: Any, is_async: bool = False, **attrs: Any) -> type:
    """A view with the given attributes and, if ``is_async``, an ``async def
    get_serializer_class`` returning ``serializer``."""
    attrs = {"queryset": OrderingFilterModel, "filter_backends": (filters.OrderingFilter,), **attrs}
    if not is_async:
        return type("OrderingListView", (generics.AsyncListAPIView,), attrs)

    async def get_serializer_class(self: Any) -> Any:
        return serializer

    attrs["get_serializer_class"] = get_serializer_class
    return type("OrderingListView", (generics.AsyncListAPIView,), attrs)


ROWS = {1: ("zyx", "abc"), 2: ("yxw", "bcd"), 3: ("xwv", "cde")}


def rows(*ids: int, description: bool = False) -> list[dict[str, Any]]:
    found = [{"id": i, "title": ROWS[i][0], "text": ROWS[i][1]} for i in ids]
    for row in found if description else ():
        row["description"] = f"{row['title']}: {row['text']}"
    return found


@pytest.mark.usefixtures("ordered")
@pytest.mark.parametrize(
    ("params", "ids"),
    [
        ({"ordering": "text"}, (1, 2, 3)),  # test_ordering
        ({"ordering": "-text"}, (3, 2, 1)),  # test_reverse_ordering
        ({"ordering": "--text"}, (3, 2, 1)),  # extra hyphens: the default ordering
        ({"ordering": "foobar"}, (3, 2, 1)),  # test_incorrectfield_ordering
        ({}, (3, 2, 1)),  # test_default_ordering
    ],
)
async def test_ordering(params, ids):
    view = ordering_view(
        None,
        serializer_class=OrderingFilterSerializer,
        ordering=("title",),
        ordering_fields=("text",),
    )
    assert await get(view, params) == rows(*ids)


@pytest.mark.usefixtures("ordered")
@pytest.mark.parametrize("is_async", [False, True])
async def test_ordering_without_ordering_fields(is_async):
    serializer = OrderingFilterSerializerWithModelProperty
    attrs = {"ordering": ("title",)}
    if not is_async:
        attrs["serializer_class"] = serializer
    view = ordering_view(serializer, is_async, **attrs)
    # Model field ordering works fine.
    assert await get(view, {"ordering": "text"}) == rows(1, 2, 3, description=True)
    # `incorrectfield` ordering works fine.
    assert await get(view, {"ordering": "foobar"}) == rows(3, 2, 1, description=True)
    # `description` is a Model property, which should be ignored.
    assert await get(view, {"ordering": "description"}) == rows(3, 2, 1, description=True)


@pytest.mark.usefixtures("ordered")
@pytest.mark.parametrize("is_async", [False, True])
async def test_ordering_with_overridden_get_serializer_class(is_async):
    if is_async:
        view = ordering_view(OrderingFilterSerializer, True, ordering=("title",))
    else:

        class view(generics.AsyncListAPIView):  # noqa: N801 - DRF's test shape
            queryset = OrderingFilterModel
            filter_backends = (filters.OrderingFilter,)
            ordering = ("title",)

            # note: no ordering_fields and serializer_class specified
            def get_serializer_class(self) -> Any:
                return OrderingFilterSerializer

    assert await get(view, {"ordering": "text"}) == rows(1, 2, 3)


@pytest.mark.usefixtures("ordered")
async def test_ordering_with_improper_configuration():
    class OrderingListView(generics.AsyncListAPIView):
        queryset = OrderingFilterModel
        filter_backends = (filters.OrderingFilter,)
        ordering = ("title",)
        # note: no ordering_fields and serializer_class
        # or get_serializer_class specified

    with pytest.raises(ImproperlyConfigured):
        await OrderingListView.as_view()(factory.get("/", {"ordering": "text"}))


# -- SensitiveOrderingFilterTests ------------------------------------------------------------


# Three different styles of serializer.
# All should allow ordering by username, but not by password.
class SensitiveDataSerializer1(serializers.ModelSerializer):
    username = drf_serializers.CharField()

    class Meta:
        model = SensitiveOrderingFilterModel
        fields = ("id", "username")


class SensitiveDataSerializer2(serializers.ModelSerializer):
    username = drf_serializers.CharField()
    password = drf_serializers.CharField(write_only=True)

    class Meta:
        model = SensitiveOrderingFilterModel
        fields = ("id", "username", "password")


class SensitiveDataSerializer3(serializers.ModelSerializer):
    user = drf_serializers.CharField(source="username")

    class Meta:
        model = SensitiveOrderingFilterModel
        fields = ("id", "user")


@pytest.fixture
async def sensitive(tortoise_db: Any) -> None:
    for username, password in [("userA", "passA"), ("userB", "passC"), ("userC", "passB")]:
        await SensitiveOrderingFilterModel.create(username=username, password=password)


def sensitive_view(serializer_class: Any, is_async: bool) -> type:
    attrs: dict[str, Any] = {
        "queryset": SensitiveOrderingFilterModel.all().order_by("username"),
        "filter_backends": (filters.OrderingFilter,),
    }
    if is_async:

        async def get_serializer_class(self: Any) -> Any:
            return serializer_class

        attrs["get_serializer_class"] = get_serializer_class
    else:
        attrs["serializer_class"] = serializer_class
    return type("OrderingListView", (generics.AsyncListAPIView,), attrs)


@pytest.mark.usefixtures("sensitive")
@pytest.mark.parametrize("is_async", [False, True])
@pytest.mark.parametrize(
    "serializer_class",
    [SensitiveDataSerializer1, SensitiveDataSerializer2, SensitiveDataSerializer3],
)
async def test_sensitive_ordering(serializer_class, is_async):
    view = sensitive_view(serializer_class, is_async)
    name = "user" if serializer_class is SensitiveDataSerializer3 else "username"
    # test_order_by_serializer_fields: inverse username ordering correctly applied.
    assert await get(view, {"ordering": "-username"}) == [
        {"id": 3, name: "userC"},
        {"id": 2, name: "userB"},
        {"id": 1, name: "userA"},
    ]
    # test_cannot_order_by_non_serializer_fields: the passwords are not in order;
    # the default ordering is used.
    assert await get(view, {"ordering": "password"}) == [
        {"id": 1, name: "userA"},  # passA
        {"id": 2, name: "userB"},  # passC
        {"id": 3, name: "userC"},  # passB
    ]
