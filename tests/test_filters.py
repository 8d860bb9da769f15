"""Filter backends over Tortoise querysets: search, ordering and filterset_fields (the
list form; lookups and FilterSets are in test_filtersets.py)."""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from tortoise.context import TortoiseContext

from async_drf import generics
from async_drf.concurrency import maybe_await
from async_drf.filters import EqualityFilter, FilterBackend, OrderingFilter, SearchFilter
from async_drf.pytest_plugin import test_tortoise_config
from async_drf.serializers import ModelSerializer

from .models import Author, Everything, Post, Priority, Status, Tag

pytestmark = pytest.mark.usefixtures("tortoise_db")


class View:
    """The attributes a filter backend reads from a view."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


def _request(api_factory: Any, params: dict[str, Any]) -> Request:
    return Request(api_factory.get("/posts/", params))


async def _filter(backend: Any, api_factory: Any, params: dict[str, Any], queryset=None, **view):
    queryset = Post.all() if queryset is None else queryset
    request = _request(api_factory, params)
    return await maybe_await(backend().filter_queryset, request, queryset, View(**view))


async def _titles(queryset: Any) -> list[str]:
    return list(await queryset.order_by("id").values_list("title", flat=True))


async def _blog() -> dict[str, Any]:
    ann = await Author.create(name="Ann Lee")
    bob = await Author.create(name="Bob Stone")
    py, web = await Tag.create(name="python"), await Tag.create(name="web")
    posts = {}
    for title, body, author, editor, tags in [
        ("Hello world", "first post", ann, None, [py, web]),
        ("Async views", "about python", bob, ann, [py]),
        ("Nothing here", "empty", bob, None, []),
    ]:
        post = await Post.create(title=title, body=body, author=author, editor=editor)
        await post.tags.add(*tags)
        posts[title] = post
    return posts


# -- SearchFilter ----------------------------------------------------------------------


async def test_search_icontains_terms_and_fields_queries_and_hops(api_factory, queries, hops):
    await _blog()
    queries.reset()
    qs = await _filter(
        SearchFilter, api_factory, {"search": "PYTHON"}, search_fields=["title", "body"]
    )
    assert queries.count == 0 and hops.count == 0  # building a query does no I/O
    assert await _titles(qs) == ["Async views"]


async def test_search_terms_are_anded_and_fields_ored(api_factory):
    await _blog()
    view = {"search_fields": ["title", "body"]}
    # "post" is in two bodies; "hello" in one title: both terms must match one row.
    qs = await _filter(SearchFilter, api_factory, {"search": "post hello"}, **view)
    assert await _titles(qs) == ["Hello world"]
    qs = await _filter(SearchFilter, api_factory, {"search": "post,async"}, **view)
    assert await _titles(qs) == []
    qs = await _filter(SearchFilter, api_factory, {"search": "o"}, **view)
    assert len(await _titles(qs)) == 3


async def test_search_quoted_phrase_kept_together(api_factory):
    await _blog()
    view = {"search_fields": ["title"]}
    qs = await _filter(SearchFilter, api_factory, {"search": '"hello world"'}, **view)
    assert await _titles(qs) == ["Hello world"]
    qs = await _filter(SearchFilter, api_factory, {"search": '"world hello"'}, **view)
    assert await _titles(qs) == []


async def test_search_across_foreign_keys_keeps_rows_without_the_relation(api_factory):
    await _blog()
    qs = await _filter(
        SearchFilter, api_factory, {"search": "ann"}, search_fields=["author__name", "title"]
    )
    assert await _titles(qs) == ["Hello world"]
    # editor is nullable: an OR across it must not drop rows that have no editor.
    qs = await _filter(
        SearchFilter, api_factory, {"search": "e"}, search_fields=["editor__name", "title"]
    )
    assert await _titles(qs) == ["Hello world", "Async views", "Nothing here"]


async def test_search_across_many_to_many_has_no_duplicates(api_factory, queries):
    await _blog()
    backend = SearchFilter()
    request = _request(api_factory, {"search": "o"})  # both tags match the first post
    view = View(search_fields=["tags__name"])
    assert backend.must_call_distinct(Post.all(), view.search_fields)
    qs = backend.filter_queryset(request, Post.all(), view)
    queries.reset()
    assert await qs.count() == 2
    assert queries.count == 1
    assert await _titles(qs) == ["Hello world", "Async views"]
    # A later ordering by a related column still works (no SELECT DISTINCT).
    ordered = qs.order_by("-author__name")
    assert list(await ordered.values_list("title", flat=True)) == ["Async views", "Hello world"]


async def test_search_reverse_foreign_key_needs_distinct(api_factory):
    post = (await _blog())["Hello world"]
    from .models import Comment

    await Comment.create(post=post, text="nice one")
    await Comment.create(post=post, text="nice two")
    qs = await _filter(
        SearchFilter,
        api_factory,
        {"search": "nice"},
        queryset=Post.all(),
        search_fields=["comments__text"],
    )
    assert await qs.count() == 1
    assert not SearchFilter().must_call_distinct(Post.all(), ["author__name", "^title"])


@pytest.mark.parametrize(
    ("field", "term", "expected"),
    [
        ("^title", "hel", ["Hello world"]),
        ("^title", "world", []),
        ("=title", '"HELLO WORLD"', ["Hello world"]),
        ("=title", "HELLO WORLD", []),  # two terms, each must equal the title
        ("=title", "hello", []),
        ("title__iexact", "'async VIEWS'", ["Async views"]),
        ("author__name__istartswith", "bob", ["Async views", "Nothing here"]),
    ],
)
async def test_search_prefixes_and_explicit_lookups(api_factory, field, term, expected):
    await _blog()
    qs = await _filter(SearchFilter, api_factory, {"search": term}, search_fields=[field])
    assert await _titles(qs) == expected


async def _literal_rows() -> None:
    author = await Author.create(name="x")
    for title in [
        "100% sure",
        "100 sure",
        "snake_case",
        "snakeXcase",
        "back\\slash",
        "backslash",
        "it's",
        "its",
        'say "hi"',
        "' OR 1=1 --",
        "; DROP TABLE post; --",
        "plain",
    ]:
        await Post.create(title=title, body="", author=author)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("%", ["100% sure"]),
        ("0%", ["100% sure"]),
        ("_", ["snake_case"]),
        ("e_c", ["snake_case"]),
        ("\\", ["back\\slash"]),
        ("it's", ["it's"]),
        ('"\' OR 1=1 --"', ["' OR 1=1 --"]),  # quoted: one literal phrase
        ("' OR 1=1 --", ["' OR 1=1 --"]),  # DRF splits it: every token must match
        ("DROP TABLE post;", ["; DROP TABLE post; --"]),
        ('"; DROP TABLE post; --"', ["; DROP TABLE post; --"]),
        ('say "hi"', ['say "hi"']),
    ],
)
async def test_search_wildcards_quotes_and_sql_are_literal_text(api_factory, term, expected):
    await _literal_rows()
    qs = await _filter(SearchFilter, api_factory, {"search": term}, search_fields=["title"])
    assert await _titles(qs) == expected
    assert await Post.all().count() == 12  # and nothing was dropped


async def test_search_null_character_is_a_400(api_factory):
    with pytest.raises(ValidationError):
        await _filter(SearchFilter, api_factory, {"search": "a\x00b"}, search_fields=["title"])


class SearchedPostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title"]


class SearchedPosts(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = SearchedPostSerializer
    filter_backends = [SearchFilter]
    search_fields = ["title", "body", "author__name"]


async def _search(api_factory: Any, term: str) -> Any:
    return await SearchedPosts.as_view()(api_factory.get("/posts/", {"search": term}))


TOO_MANY_TERMS = {"search": ["Ensure this search has no more than 20 terms."]}
TERM_TOO_LONG = {"search": ["Ensure each search term has no more than 200 characters."]}


@pytest.mark.parametrize(
    ("term", "error"),
    [
        (" ".join(["a"] * 1000), TOO_MANY_TERMS),  # was a RecursionError, a 500
        (" ".join(["a"] * 900), TOO_MANY_TERMS),  # held the loop for 1.2 s
        (" ".join(["a"] * 21), TOO_MANY_TERMS),
        (",".join(["a"] * 21), TOO_MANY_TERMS),  # DRF splits on commas too
        ("x" * 100_000, TERM_TOO_LONG),  # "LIKE pattern too complex" (503) on SQLite
        ("x" * 201, TERM_TOO_LONG),
        (f'"{"x " * 150}"', TERM_TOO_LONG),  # a quoted phrase is one term
    ],
)
async def test_search_limits_are_400s_before_any_query(api_factory, queries, term, error):
    await _blog()
    queries.reset()
    response = await _search(api_factory, term)
    assert response.status_code == 400
    assert response.data == error
    assert queries.count == 0


async def test_search_limits_apply_before_the_query_is_built(api_factory, monkeypatch):
    def construct_search(*args: Any) -> str:
        raise AssertionError("no lookup should be built")

    monkeypatch.setattr(SearchFilter, "construct_search", construct_search)
    response = await _search(api_factory, " ".join(["a"] * 1000))
    assert (response.status_code, response.data) == (400, TOO_MANY_TERMS)


async def test_search_within_the_limits_works(api_factory):
    await _blog()
    response = await _search(api_factory, " ".join(["o"] * 20))
    assert response.status_code == 200
    assert len(response.data) == 3
    response = await _search(api_factory, "x" * 200)
    assert (response.status_code, response.data) == (200, [])


@override_settings(ASYNC_DRF={"SEARCH_MAX_TERMS": 1, "SEARCH_MAX_TERM_LENGTH": 3})
async def test_search_limits_are_settings(api_factory):
    assert (await _search(api_factory, "abc")).status_code == 200
    response = await _search(api_factory, "a b")
    assert response.data == {"search": ["Ensure this search has no more than 1 terms."]}
    response = await _search(api_factory, "abcd")
    assert response.data == {"search": ["Ensure each search term has no more than 3 characters."]}


@override_settings(ASYNC_DRF={"SEARCH_MAX_TERMS": None, "SEARCH_MAX_TERM_LENGTH": None})
async def test_search_limits_can_be_turned_off(api_factory):
    response = await _search(api_factory, " ".join(["o"] * 30) + " " + "o" * 300)
    assert (response.status_code, response.data) == (200, [])


async def test_search_without_terms_or_fields_returns_the_queryset(api_factory):
    queryset = Post.all()
    assert await _filter(SearchFilter, api_factory, {}, queryset, search_fields=["x"]) is queryset
    result = await _filter(SearchFilter, api_factory, {"search": "a"}, queryset)
    assert result is queryset


async def test_search_param_comes_from_drf_settings(api_factory):
    assert SearchFilter.search_param == api_settings.SEARCH_PARAM == "search"

    class QSearch(SearchFilter):
        search_param = "q"

    await _blog()
    qs = await _filter(QSearch, api_factory, {"q": "async"}, search_fields=["title"])
    assert await _titles(qs) == ["Async views"]
    params = QSearch().get_schema_operation_parameters(View())
    assert [p["name"] for p in params] == ["q"]


async def test_search_to_html_renders(api_factory):
    html = SearchFilter().to_html(
        _request(api_factory, {"search": "x"}), Post.all(), View(search_fields=["title"])
    )
    assert 'name="search"' in html


@pytest.mark.parametrize(
    ("field", "lookup"),
    [
        ("title", "title__icontains"),
        ("^title", "title__istartswith"),
        ("=title", "title__iexact"),
        ("@title", "title__search"),
        ("$title", "title__iregex"),
        ("$author__name", "author__name__iregex"),
        ("title__iexact", "title__iexact"),
        ("title__iregex", "title__iregex"),
    ],
)
async def test_search_construct_search_returns_drfs_lookup(field, lookup):
    """As DRF's, on every database; the Tortoise name is chosen when filtering."""
    assert SearchFilter().construct_search(field, Post.all()) == lookup


async def test_search_full_text_prefix_on_sqlite_is_a_contains_search(api_factory, tortoise_db):
    """SQLite has no full-text search: '@' finds the term anywhere (system check W003
    says so at startup) instead of failing the request."""
    if tortoise_db.db().capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    await _blog()
    qs = await _filter(SearchFilter, api_factory, {"search": "VIEW"}, search_fields=["@title"])
    assert await _titles(qs) == ["Async views"]


@pytest.mark.sqlite_only
async def test_search_regex_prefix_on_plain_sqlite_is_a_clear_error(api_factory, tortoise_db):
    if tortoise_db.db().capabilities.dialect != "sqlite":
        pytest.skip("SQLite only")
    ctx = TortoiseContext()
    async with ctx:  # a SQLite database without Tortoise's REGEXP functions
        await ctx.init(config=test_tortoise_config("sqlite://:memory:"), _create_db=True)
        with pytest.raises(ImproperlyConfigured, match="install_regexp_functions"):
            await _filter(SearchFilter, api_factory, {"search": "^h"}, search_fields=["$title"])


async def test_search_regex_prefix(api_factory):
    """'$' works on the test database: REGEXP functions on SQLite, '~*' on PostgreSQL."""
    await _blog()
    qs = await _filter(SearchFilter, api_factory, {"search": "^h.*D$"}, search_fields=["$title"])
    assert await _titles(qs) == ["Hello world"]
    qs = await _filter(
        SearchFilter, api_factory, {"search": "^(ann|bob)"}, search_fields=["$editor__name"]
    )
    assert await _titles(qs) == ["Async views"]  # rows without an editor do not break it


@pytest.mark.parametrize("term", ["(", "a)", "[z-a]", "*x", "a**"])
async def test_search_invalid_regex_is_a_400(api_factory, term):
    with pytest.raises(ValidationError) as info:
        await _filter(SearchFilter, api_factory, {"search": term}, search_fields=["title", "$body"])
    assert info.value.detail == {"search": ["Enter a valid regular expression."]}
    assert info.value.status_code == 400


@pytest.mark.postgres
async def test_search_full_text_and_regex_on_postgres(api_factory):
    await _blog()
    qs = await _filter(SearchFilter, api_factory, {"search": "views"}, search_fields=["@title"])
    assert await _titles(qs) == ["Async views"]  # stemmed: 'views' matches 'view'
    qs = await _filter(SearchFilter, api_factory, {"search": "^h.*D$"}, search_fields=["$title"])
    assert await _titles(qs) == ["Hello world"]


# -- OrderingFilter --------------------------------------------------------------------


async def _ordered(api_factory: Any, param: str | None, **view: Any) -> list[str]:
    params = {} if param is None else {"ordering": param}
    return await _titles_in_order(await _filter(OrderingFilter, api_factory, params, **view))


async def _titles_in_order(queryset: Any) -> list[str]:
    return list(await queryset.values_list("title", flat=True))


async def test_ordering_listed_fields_descending_and_several(api_factory, hops, queries):
    await _blog()
    queries.reset()
    view = {"ordering_fields": ["title", "author__name", "id"]}
    qs = await _filter(OrderingFilter, api_factory, {"ordering": "-title"}, **view)
    assert hops.count == 0 and queries.count == 0
    assert await _titles_in_order(qs) == ["Nothing here", "Hello world", "Async views"]
    assert await _ordered(api_factory, "-author__name,title", **view) == [
        "Async views",
        "Nothing here",
        "Hello world",
    ]


@pytest.mark.parametrize(
    "ordering", ["body", "-body", "nosuch", "author", "tags__name", "title;DROP", "__all__", ""]
)
async def test_ordering_unlisted_fields_are_dropped(api_factory, ordering):
    await _blog()
    view = {"ordering_fields": ["title"], "ordering": "-id"}
    assert await _ordered(api_factory, ordering, **view) == [
        "Nothing here",
        "Async views",
        "Hello world",
    ]


async def test_ordering_keeps_only_the_valid_part(api_factory):
    await _blog()
    view = {"ordering_fields": ["title"]}
    assert await _ordered(api_factory, "nosuch,-title", **view) == [
        "Nothing here",
        "Hello world",
        "Async views",
    ]


async def test_ordering_all_allows_every_column(api_factory):
    await _blog()
    view = {"ordering_fields": "__all__"}
    assert await _ordered(api_factory, "body", **view) == [
        "Async views",
        "Nothing here",
        "Hello world",
    ]
    assert await _ordered(api_factory, "-author_id,-id", **view) == [
        "Nothing here",
        "Async views",
        "Hello world",
    ]
    # Relations are not columns; a related path must be listed explicitly.
    backend = OrderingFilter()
    valid = [name for name, _ in backend.get_valid_fields(Post.all(), View(**view))]
    assert "author__name" not in valid and "tags" not in valid and "author" not in valid
    assert {"id", "title", "body", "author_id", "created"} <= set(valid)


async def test_ordering_all_includes_annotations(api_factory):
    from tortoise.functions import Count

    await _blog()
    qs = Post.all().annotate(ntags=Count("tags"))
    result = await _filter(
        OrderingFilter, api_factory, {"ordering": "-ntags,id"}, qs, ordering_fields="__all__"
    )
    assert await _titles_in_order(result) == ["Hello world", "Async views", "Nothing here"]


async def test_ordering_default_from_view(api_factory):
    await _blog()
    assert await _ordered(api_factory, None, ordering_fields=["id"], ordering="-id") == [
        "Nothing here",
        "Async views",
        "Hello world",
    ]
    assert await _ordered(api_factory, None, ordering_fields=["id"], ordering=["title"]) == [
        "Async views",
        "Hello world",
        "Nothing here",
    ]


class PostSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField()
    secret = serializers.CharField(write_only=True, source="body")
    author_name = serializers.CharField(source="author.name", read_only=True)
    author = serializers.IntegerField(source="author_id")
    summary = serializers.SerializerMethodField()
    shout = serializers.CharField(source="upper_title", read_only=True)


async def test_ordering_defaults_to_the_serializers_readable_columns(api_factory):
    await _blog()
    backend = OrderingFilter()

    class SerializedView:
        def get_serializer_class(self):
            return PostSerializer

    valid = backend.get_valid_fields(Post.all(), SerializedView())
    assert [name for name, _ in valid] == ["id", "title", "author__name", "author_id"]
    view = {"serializer_class": PostSerializer}
    assert await _ordered(api_factory, "-author__name,-id", **view) == [
        "Nothing here",
        "Async views",
        "Hello world",
    ]
    # Write-only and non-column fields are dropped.
    for ordering in ["body", "secret", "summary", "upper_title", "shout"]:
        assert await _ordered(api_factory, ordering, **view) == [
            "Hello world",
            "Async views",
            "Nothing here",
        ]


async def test_ordering_without_serializer_or_fields_is_improperly_configured(api_factory):
    """DRF's error: never a fallback to every column (which would order by secrets)."""
    await _blog()

    class NoSerializer:
        def get_serializer_class(self):
            raise AssertionError("no serializer_class")

    with pytest.raises(ImproperlyConfigured, match="Cannot use OrderingFilter on a view"):
        OrderingFilter().get_valid_fields(Post.all(), NoSerializer())
    with pytest.raises(ImproperlyConfigured, match="'ordering_fields' attribute"):
        await _ordered(api_factory, "-body")
    # Without an ordering parameter nothing is looked up, as in DRF.
    assert await _ordered(api_factory, None) == ["Hello world", "Async views", "Nothing here"]


class SecretSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField()


async def test_ordering_awaits_an_async_get_serializer_class(api_factory, hops):
    """Only the serializer's fields are orderable: ``body`` (not in it) is dropped."""
    await _blog()

    class AsyncView:
        async def get_serializer_class(self):
            return SecretSerializer

    async def ordered(ordering: str) -> list[str]:
        request = _request(api_factory, {"ordering": ordering})
        qs = await OrderingFilter().filter_queryset(request, Post.all(), AsyncView())
        return await _titles_in_order(qs)

    assert await ordered("-body") == ["Hello world", "Async views", "Nothing here"]  # ignored
    assert await ordered("-title") == ["Nothing here", "Hello world", "Async views"]
    assert hops.count == 0


async def test_ordering_async_get_serializer_class_on_the_loop_uses_the_attribute():
    """Sync callers on the event loop (DRF's own code paths) cannot await the hook."""

    class AsyncView:
        serializer_class = PostSerializer

        async def get_serializer_class(self):  # pragma: no cover - never called
            return PostSerializer

    valid = OrderingFilter().get_valid_fields(Post.all(), AsyncView())
    assert "author_id" in [name for name, _ in valid]

    class NoAttribute:
        async def get_serializer_class(self):  # pragma: no cover - never called
            return PostSerializer

    with pytest.raises(ImproperlyConfigured):
        OrderingFilter().get_valid_fields(Post.all(), NoAttribute())


async def test_ordering_html_and_schema(api_factory):
    await _blog()
    request = _request(api_factory, {"ordering": "-title"})
    html = OrderingFilter().to_html(request, Post.all(), View(ordering_fields=["title"]))
    assert "-title" in html
    params = OrderingFilter().get_schema_operation_parameters(View())
    assert params[0]["name"] == api_settings.ORDERING_PARAM == "ordering"


async def test_ordering_accepts_a_model_class(api_factory):
    await _blog()
    qs = await _filter(
        OrderingFilter, api_factory, {"ordering": "-id"}, queryset=Post, ordering_fields=["id"]
    )
    assert (await _titles_in_order(qs))[0] == "Nothing here"


# -- FilterBackend (filterset_fields, the list form) ---------------------------------------


async def test_filterset_fields_bool_and_foreign_key(api_factory, hops, queries):
    posts = await _blog()
    await Post.filter(title="Async views").update(published=True)
    bob_id = posts["Async views"].author_id
    queries.reset()
    view = {"filterset_fields": ["published", "author", "title"]}
    qs = await _filter(FilterBackend, api_factory, {"published": "true", "author": bob_id}, **view)
    assert hops.count == 0 and queries.count == 0
    assert await _titles(qs) == ["Async views"]
    qs = await _filter(FilterBackend, api_factory, {"title": "Nothing here"}, **view)
    assert await _titles(qs) == ["Nothing here"]


@pytest.mark.parametrize(
    ("value", "published"),
    [("true", True), ("True", True), ("1", True), ("yes", True), ("on", True)]
    + [("false", False), ("0", False), ("no", False), ("off", False)],
)
async def test_filterset_fields_boolean_spellings(api_factory, value, published):
    await _blog()
    await Post.filter(title="Async views").update(published=True)
    qs = await _filter(
        FilterBackend, api_factory, {"published": value}, filterset_fields=["published"]
    )
    expected = ["Async views"] if published else ["Hello world", "Nothing here"]
    assert await _titles(qs) == expected


async def _everything() -> Everything:
    return await Everything.create(
        char="c",
        amount=decimal.Decimal("12.50"),
        ratio=0.5,
        when=datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
        day=datetime.date(2024, 5, 1),
        uid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        status=Status.PUBLISHED,
        priority=Priority.HIGH,
        big=2**40,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("amount", "12.5"),
        ("ratio", "0.5"),
        ("when", "2024-05-01T12:00:00Z"),
        ("day", "2024-05-01"),
        ("uid", "12345678-1234-5678-1234-567812345678"),
        ("status", "published"),
        ("priority", "2"),
        ("big", str(2**40)),
        ("char", "c"),
        ("flag", "true"),
    ],
)
async def test_filterset_fields_convert_by_field_type(api_factory, name, value):
    row = await _everything()
    await Everything.create(char="other", flag=False, status=Status.DRAFT, priority=Priority.LOW)
    request = _request(api_factory, {name: value})
    view = View(filterset_fields=[name])
    qs = await FilterBackend().filter_queryset(request, Everything.all(), view)
    assert list(await qs.values_list("id", flat=True)) == [row.id]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"author": "abc"}, {"author": ["Enter a whole number."]}),
        ({"author": "1.5"}, {"author": ["Enter a whole number."]}),
        ({"published": "maybe"}, {"published": ["Must be a valid boolean."]}),
        (
            {"author": "abc", "published": "maybe"},
            {"author": ["Enter a whole number."], "published": ["Must be a valid boolean."]},
        ),
        ({"id": str(2**40)}, {"id": ["Ensure this value is less than or equal to 2147483647."]}),
        (
            {"id": str(-(2**40))},
            {"id": ["Ensure this value is greater than or equal to -2147483648."]},
        ),
        ({"title": "a\x00b"}, {"title": ["Null characters are not allowed."]}),
    ],
)
async def test_filterset_fields_wrong_type_is_a_400_naming_the_field(api_factory, params, errors):
    view = {"filterset_fields": ["author", "published", "id", "title"]}
    with pytest.raises(ValidationError) as info:
        await _filter(FilterBackend, api_factory, params, **view)
    assert info.value.detail == errors
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("uid", "zz", "Enter a valid UUID."),
        ("status", "nope", "Select a valid choice. nope is not one of the available choices."),
        ("priority", "7", "Select a valid choice. 7 is not one of the available choices."),
        ("day", "2024-13-01", "Enter a valid date."),
        ("when", "yesterday", "Enter a valid date/time."),
        ("amount", "x", "Enter a number."),
    ],
)
async def test_filterset_fields_wrong_type_messages_are_django_filters(
    api_factory, name, value, message
):
    request = _request(api_factory, {name: value})
    with pytest.raises(ValidationError) as info:
        await FilterBackend().filter_queryset(
            request, Everything.all(), View(filterset_fields=[name])
        )
    assert info.value.detail == {name: [message]}


async def test_filterset_fields_ignore_unlisted_and_empty_params(api_factory, queries):
    await _blog()
    result = await _filter(
        FilterBackend,
        api_factory,
        {"body": "empty", "published": "", "author": "abc"},
        filterset_fields=["published"],
    )
    queries.reset()
    assert len(await _titles(result)) == 3
    assert "WHERE" not in queries.queries[0]
    queryset = Post.all()
    assert await _filter(FilterBackend, api_factory, {"a": "1"}, queryset) is queryset


@pytest.mark.parametrize("name", ["nosuch", "author__nosuch", "data", "blob"])
async def test_filterset_fields_misconfigured_field_is_a_clear_error(api_factory, name):
    with pytest.raises(ImproperlyConfigured, match=name):
        await FilterBackend().filter_queryset(
            _request(api_factory, {name: "1"}),
            Post.all() if "nosuch" in name else Everything.all(),
            View(filterset_fields=[name]),
        )


def test_filterset_fields_schema_parameters():
    view = View(queryset=Everything, filterset_fields=["flag", "big", "amount", "when", "status"])
    params = FilterBackend().get_schema_operation_parameters(view)
    assert [p["name"] for p in params] == ["flag", "big", "amount", "when", "status"]
    empty = {"enum": [""]}  # an empty value is ignored
    assert [p["schema"] for p in params] == [
        {"anyOf": [{"type": "boolean"}, empty]},
        {
            "anyOf": [
                {"type": "integer", "format": "int64", "minimum": -(2**63), "maximum": 2**63 - 1},
                empty,
            ]
        },
        {"anyOf": [{"type": "number"}, empty]},
        {"anyOf": [{"type": "string", "format": "date-time"}, empty]},
        {"anyOf": [{"type": "string", "enum": ["draft", "published"]}, empty]},
    ]
    assert all(p["in"] == "query" and p["required"] is False for p in params)
    fk = FilterBackend().get_schema_operation_parameters(
        View(queryset=Post, filterset_fields=["author"])
    )
    int32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert fk[0]["schema"] == {"anyOf": [int32, empty]}
    assert FilterBackend().get_schema_operation_parameters(View()) == []


async def test_equality_filter_is_a_deprecated_alias(api_factory):
    await _blog()
    with pytest.warns(DeprecationWarning, match="use async_drf.filters.FilterBackend"):
        backend = EqualityFilter()
    assert isinstance(backend, FilterBackend)
    request = _request(api_factory, {"title": "Nothing here", "id__gte": "2"})
    view = View(filterset_fields={"title": ["exact"], "id": ["gte"]})
    assert await _titles(await backend.filter_queryset(request, Post, view)) == ["Nothing here"]


@pytest.mark.parametrize(
    "text",
    ["", "a b,c", " ".join(["w"] * 20), " ".join(["w"] * 21), "x" * 200, "x" * 201, "a\x00b"],
)
def test_search_schema_matches_what_the_filter_accepts(api_factory, text):
    (parameter,) = [
        p
        for p in SearchFilter().get_schema_operation_parameters(View(search_fields=["title"]))
        if p["name"] == "search"
    ]
    try:
        SearchFilter().get_search_terms(_request(api_factory, {"search": text}))
        accepted = True
    except ValidationError:
        accepted = False
    assert bool(re.search(parameter["schema"]["pattern"], text)) is accepted
