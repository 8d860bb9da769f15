"""Generic views over Tortoise: DRF's tests/test_generics.py behaviours, plus hop and
query counts."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import ANY

import pytest
from asgiref.sync import async_to_sync
from django.http import Http404
from rest_framework import serializers as drf_serializers
from rest_framework.response import Response

from async_drf import generics, serializers
from async_drf.pagination import AsyncPageNumberPagination
from async_drf.test import AsyncAPIRequestFactory

from .models import Author, Post, Tag

factory = AsyncAPIRequestFactory()


# -- serializers ---------------------------------------------------------------


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author"]


class TitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title"]


class NestedPostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags"]
        depth = 1


class SyncPostSerializer(drf_serializers.Serializer):
    """A plain DRF serializer: validation, save and .data are sync."""

    id = drf_serializers.IntegerField(read_only=True)
    title = drf_serializers.CharField(max_length=200)
    body = drf_serializers.CharField()
    author = drf_serializers.IntegerField(source="author_id")

    def create(self, validated_data: dict[str, Any]) -> Post:
        return async_to_sync(Post.create)(**validated_data)

    def update(self, instance: Post, validated_data: dict[str, Any]) -> Post:
        async_to_sync(instance.update_from_dict(validated_data).save)()
        return instance


# -- views -------------------------------------------------------------------


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post  # a model class: fine at import, before Tortoise.init
    serializer_class = PostSerializer


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Post
    serializer_class = PostSerializer


class PublishedOnly:
    """A sync filter backend (it only builds a query)."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset.filter(published=True)


class AsyncTitleFilter:
    async def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset.exclude(title="hidden")


class FilteredDetail(PostDetail):
    filter_backends = [PublishedOnly, AsyncTitleFilter]


class FilteredList(PostList):
    filter_backends = [PublishedOnly, AsyncTitleFilter]


class PerMethodSerializerDetail(PostDetail):
    def get_serializer_class(self) -> Any:
        return TitleSerializer if self.request.method == "GET" else PostSerializer


class AsyncPerMethodSerializerDetail(PostDetail):
    async def get_serializer_class(self) -> Any:
        return TitleSerializer if self.request.method == "GET" else PostSerializer


class SyncQuerysetList(PostList):
    queryset = None

    def get_queryset(self) -> Any:
        return Post.filter(author_id=int(self.request.query_params["author"]))


class AsyncQuerysetList(PostList):
    queryset = None

    async def get_queryset(self) -> Any:
        author = await Author.get(name=self.request.query_params["author"])
        return Post.filter(author_id=author.id)


class AsyncPerformCreate(PostList):
    async def perform_create(self, serializer: Any) -> None:
        author = await Author.get(name="bo")
        await serializer.asave(author_id=author.id, title="forced")


class SyncPerformCreate(PostList):
    serializer_class = SyncPostSerializer

    def perform_create(self, serializer: Any) -> None:
        serializer.save(title="forced from a thread")


class AsyncContextList(PostList):
    contexts: list[dict[str, Any]] = []

    async def get_serializer_context(self) -> dict[str, Any]:
        context = {"marker": "async context", **super().get_serializer_context()}
        self.contexts.append(context)
        return context


class AsyncGetSerializerList(PostList):
    async def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["context"] = {"marker": "async get_serializer"}
        return super().get_serializer(*args, **kwargs)


class NestedList(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = NestedPostSerializer


class SyncSerializerList(PostList):
    serializer_class = SyncPostSerializer


class SyncSerializerDetail(PostDetail):
    serializer_class = SyncPostSerializer


class TwoPerPage(AsyncPageNumberPagination):
    page_size = 2


class PaginatedList(PostList):
    pagination_class = TwoPerPage


class NoQuerysetList(generics.AsyncListAPIView):
    serializer_class = PostSerializer


class SlugDetail(PostDetail):
    lookup_field = "title"
    lookup_url_kwarg = "slug"


# -- fixtures --------------------------------------------------------------


@pytest.fixture
async def posts(tortoise_db: Any) -> list[Post]:
    ann = await Author.create(name="ann")
    await Author.create(name="bo")
    return [
        await Post.create(title=f"post {n}", body=f"body {n}", published=n != 2, author=ann)
        for n in range(1, 4)
    ]


def body(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
        "author": post.author_id,
    }


async def call(view: Any, method: str, path: str = "/", data: Any = None, **kwargs: Any) -> Any:
    request = getattr(factory, method)(path, data, format="json")
    return await view.as_view()(request, **kwargs)


# -- list / create -----------------------------------------------------------


async def test_list_returns_every_row(posts: list[Post], hops: Any, queries: Any) -> None:
    """GET on a list view returns all rows, with no thread hop and one query."""
    queries.reset()
    response = await call(PostList, "get")
    assert response.status_code == 200
    assert response.data == [body(p) for p in posts]
    assert hops.count == 0
    assert queries.count == 1


async def test_list_nested_relations_fixed_queries(
    posts: list[Post], hops: Any, queries: Any
) -> None:
    """20 posts with nested author and tags: a fixed number of queries, no thread hop."""
    tags = [await Tag.create(name=name) for name in ("a", "b")]
    author = await Author.get(name="bo")
    for n in range(17):
        post = await Post.create(title=f"more {n}", body="b", author=author)
        await post.tags.add(*tags)
    queries.reset()
    response = await call(NestedList, "get")
    assert response.status_code == 200
    assert len(response.data) == 20
    assert response.data[-1] == {
        "id": post.id,
        "title": "more 16",
        "author": {"id": author.id, "name": "bo", "email": None, "created": ANY},
        "tags": [{"id": tags[0].id, "name": "a"}, {"id": tags[1].id, "name": "b"}],
    }
    assert response.data[0]["tags"] == []
    assert queries.count == 4  # posts, their authors, post_tag rows, their tags
    assert hops.count == 0


async def test_create_valid(posts: list[Post], hops: Any) -> None:
    """POST with valid data creates a row and returns it with 201."""
    data = {"title": "new", "body": "text", "author": posts[0].author_id}
    response = await call(PostList, "post", data=data)
    assert response.status_code == 201
    created = await Post.get(title="new")
    assert response.data == body(created)
    assert hops.count == 0


async def test_create_invalid_writes_nothing(posts: list[Post]) -> None:
    """POST with invalid data is a 400 with field errors, and no row is written."""
    response = await call(PostList, "post", data={"title": "x" * 201, "author": "a"})
    assert response.status_code == 400
    assert response.data == {
        "title": ["Ensure this field has no more than 200 characters."],
        "body": ["This field is required."],
        "author": ["Incorrect type. Expected pk value, received str."],
    }
    assert await Post.all().count() == 3


async def test_create_unique_together_is_400(posts: list[Post]) -> None:
    """A row breaking unique_together is a 400, never a 500."""
    data = {"title": posts[0].title, "body": "b", "author": posts[0].author_id}
    response = await call(PostList, "post", data=data)
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["The fields author, title must make a unique set."]
    }
    assert await Post.all().count() == 3


async def test_list_method_not_allowed(posts: list[Post]) -> None:
    """DELETE on a list view is a 405 with an Allow header."""
    response = await call(PostList, "delete")
    assert response.status_code == 405
    assert response.data == {"detail": 'Method "DELETE" not allowed.'}
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


# -- retrieve / update / destroy -------------------------------------------------


async def test_retrieve(posts: list[Post], hops: Any, queries: Any) -> None:
    """GET on a detail view returns the row: one query, no thread hop."""
    queries.reset()
    response = await call(PostDetail, "get", pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == body(posts[0])
    assert queries.count == 1
    assert hops.count == 0


async def test_retrieve_missing_is_404(posts: list[Post]) -> None:
    response = await call(PostDetail, "get", pk=999)
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}


async def test_retrieve_bad_pk_type_is_404(posts: list[Post]) -> None:
    """A pk that does not fit the column ("abc" for an integer) is a 404, not a 500."""
    response = await call(PostDetail, "get", pk="abc")
    assert response.status_code == 404
    assert response.data == {"detail": "Not found."}


@pytest.mark.parametrize("pk", [2**31, -(2**31) - 1, 2**63, 2**70, "99999999999999999999999"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
async def test_path_id_outside_the_column_is_404_without_a_query(
    posts: list[Post], queries: Any, method: str, pk: Any
) -> None:
    """An id an int4 column cannot hold matches no row: 404 before any query (PostgreSQL
    refused it, a 503; SQLite could not bind past 64 bits, a 500)."""
    queries.reset()
    response = await call(PostDetail, method, data={"title": "x"}, pk=pk)
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}
    assert queries.count == 0


async def test_path_id_of_the_wrong_type_is_404_without_a_query(
    posts: list[Post], queries: Any
) -> None:
    queries.reset()
    response = await call(PostDetail, "get", pk="1e400")
    assert (response.status_code, response.data) == (404, {"detail": "Not found."})
    assert queries.count == 0


async def test_lookup_the_database_refuses_is_404(posts: list[Post]) -> None:
    """A lookup not checked beforehand that the driver refuses as data is a 404 too."""
    with pytest.raises(Http404):
        await generics.aget_object_or_404(Post, id__gte=2**63)


@pytest.mark.parametrize(
    ("author", "message"),
    [
        ("2147483648", 'Invalid pk "2147483648" - object does not exist.'),
        ("9223372036854775808", 'Invalid pk "9223372036854775808" - object does not exist.'),
        (
            "-1180591620717411303424",
            'Invalid pk "-1180591620717411303424" - object does not exist.',
        ),
        ("1e400", "Incorrect type. Expected pk value, received float."),
        ("-1e400", "Incorrect type. Expected pk value, received float."),
        ('"1e400"', "Incorrect type. Expected pk value, received str."),
        ('"NaN"', "Incorrect type. Expected pk value, received str."),
    ],
)
async def test_create_with_a_foreign_key_outside_the_column_is_400_without_a_query(
    posts: list[Post], queries: Any, author: str, message: str
) -> None:
    """``{"author": 1e400}`` was a 500 (OverflowError), 2**63 one on SQLite, and
    2**31 a 503 on PostgreSQL: DRF's field messages, and no query for the pk."""
    queries.reset()
    raw = f'{{"title": "t", "body": "b", "author": {author}}}'
    request = factory.post("/", raw, content_type="application/json")
    response = await PostList.as_view()(request)
    assert response.status_code == 400
    assert response.data == {"author": [message]}
    assert queries.count == 0
    assert await Post.all().count() == 3


async def test_retrieve_by_lookup_field(posts: list[Post]) -> None:
    response = await call(SlugDetail, "get", slug="post 3")
    assert response.status_code == 200
    assert response.data == body(posts[2])


async def test_lookup_url_kwarg_missing_asserts(posts: list[Post]) -> None:
    with pytest.raises(AssertionError, match='URL keyword argument named "slug"'):
        await call(SlugDetail, "get", pk=posts[0].id)


async def test_update(posts: list[Post], hops: Any) -> None:
    """PUT replaces the row and returns it."""
    data = {"title": "renamed", "body": "new body", "author": posts[0].author_id}
    response = await call(PostDetail, "put", data=data, pk=posts[0].id)
    assert response.status_code == 200
    updated = await Post.get(id=posts[0].id)
    assert (updated.title, updated.body) == ("renamed", "new body")
    assert response.data == body(updated)
    assert hops.count == 0


async def test_update_missing_is_404(posts: list[Post]) -> None:
    """PUT on a missing object is a 404 (DRF does not create it), and writes nothing."""
    data = {"title": "t", "body": "b", "author": posts[0].author_id}
    response = await call(PostDetail, "put", data=data, pk=999)
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}
    assert await Post.all().count() == 3


async def test_update_invalid_changes_nothing(posts: list[Post]) -> None:
    response = await call(PostDetail, "put", data={"title": ""}, pk=posts[0].id)
    assert response.status_code == 400
    assert response.data == {
        "title": ["This field may not be blank."],
        "body": ["This field is required."],
        "author": ["This field is required."],
    }
    assert (await Post.get(id=posts[0].id)).title == "post 1"


async def test_partial_update(posts: list[Post]) -> None:
    """PATCH changes only the fields sent."""
    response = await call(PostDetail, "patch", data={"body": "patched"}, pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {**body(posts[0]), "body": "patched"}
    assert (await Post.get(id=posts[0].id)).body == "patched"


async def test_partial_update_writes_only_its_columns(
    posts: list[Post], queries: Any, hops: Any
) -> None:
    """PATCH writes the columns it changes and the auto_now one, nothing else: a
    concurrent PATCH of another field is not overwritten with the value read."""
    before = (await Post.get(id=posts[0].id)).updated
    queries.reset()
    response = await call(PostDetail, "patch", data={"body": "patched"}, pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {**body(posts[0]), "body": "patched"}
    assert queries.count == 2  # the row, the UPDATE (the unique set is unchanged: no check)
    assert _qmarks(queries.queries[-1]) == 'UPDATE "post" SET "body"=?,"updated"=? WHERE "id"=?'
    assert hops.count == 0
    after = await Post.get(id=posts[0].id)
    assert after.body == "patched"
    assert after.updated > before  # auto_now still set


async def test_update_writes_the_validated_columns(posts: list[Post], queries: Any) -> None:
    """PUT writes what it validated: an omitted optional field keeps its value."""
    await Post.filter(id=posts[0].id).update(published=False)
    data = {"title": "renamed", "body": "new body", "author": posts[0].author_id}
    queries.reset()
    response = await call(PostDetail, "put", data=data, pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {**data, "id": posts[0].id, "published": False}
    assert queries.count == 4  # the row, the author exists, unique_together, the UPDATE
    assert _qmarks(queries.queries[-1]) == (
        'UPDATE "post" SET "title"=?,"body"=?,"author_id"=?,"updated"=? WHERE "id"=?'
    )


def _qmarks(sql: str) -> str:
    """``sql`` with PostgreSQL's numbered placeholders written as SQLite's ``?``."""
    return re.sub(r"\$\d+", "?", sql)


async def test_destroy(posts: list[Post]) -> None:
    response = await call(PostDetail, "delete", pk=posts[0].id)
    assert response.status_code == 204
    assert response.data is None
    assert not await Post.filter(id=posts[0].id).exists()
    assert await Post.all().count() == 2


async def test_destroy_missing_is_404(posts: list[Post]) -> None:
    response = await call(PostDetail, "delete", pk=999)
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}


async def test_detail_method_not_allowed(posts: list[Post]) -> None:
    response = await call(PostDetail, "post", data={}, pk=posts[0].id)
    assert response.status_code == 405
    assert response.data == {"detail": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"


# -- filter backends -----------------------------------------------------------


async def test_filter_backends_apply_to_get_object(posts: list[Post], hops: Any) -> None:
    """An object the filter backends exclude is a 404 on the detail view."""
    response = await call(FilteredDetail, "get", pk=posts[1].id)  # unpublished
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}
    response = await call(FilteredDetail, "get", pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == body(posts[0])
    # The plain sync backend is not registered inline: one hop per request.
    assert hops.count == 2


async def test_filter_backends_apply_to_list(posts: list[Post]) -> None:
    await Post.create(title="hidden", body="b", published=True, author_id=posts[0].author_id)
    response = await call(FilteredList, "get")
    assert response.status_code == 200
    assert response.data == [body(posts[0]), body(posts[2])]


# -- hooks overridden with def or async def ------------------------------------


@pytest.mark.parametrize("view", [PerMethodSerializerDetail, AsyncPerMethodSerializerDetail])
async def test_get_serializer_class_per_method(posts: list[Post], view: Any) -> None:
    response = await call(view, "get", pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {"id": posts[0].id, "title": "post 1"}
    response = await call(view, "patch", data={"title": "patched"}, pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {**body(posts[0]), "title": "patched"}


async def test_sync_get_queryset_override(posts: list[Post], hops: Any) -> None:
    """A sync get_queryset only builds a query: it runs inline (no thread hop), and its
    QuerySet is not awaited early."""
    other = await Post.create(title="other", body="b", author=await Author.get(name="bo"))
    response = await call(SyncQuerysetList, "get", f"/?author={other.author_id}")
    assert response.status_code == 200
    assert response.data == [body(other)]
    assert hops.count == 0


async def test_async_get_queryset_override(posts: list[Post], hops: Any) -> None:
    other = await Post.create(title="other", body="b", author=await Author.get(name="bo"))
    response = await call(AsyncQuerysetList, "get", "/?author=bo")
    assert response.status_code == 200
    assert response.data == [body(other)]
    assert hops.count == 0


async def test_async_perform_create_override(posts: list[Post], hops: Any) -> None:
    data = {"title": "ignored", "body": "b", "author": posts[0].author_id}
    response = await call(AsyncPerformCreate, "post", data=data)
    assert response.status_code == 201
    created = await Post.get(title="forced")
    assert (await created.author).name == "bo"
    assert response.data == body(created)
    assert hops.count == 0


async def test_sync_perform_create_override(posts: list[Post], hops: Any) -> None:
    """A sync perform_create shares the DRF serializer's single thread hop."""
    data = {"title": "ignored", "body": "b", "author": posts[0].author_id}
    response = await call(SyncPerformCreate, "post", data=data)
    assert response.status_code == 201
    created = await Post.get(title="forced from a thread")
    assert response.data == {
        "id": created.id,
        "title": "forced from a thread",
        "body": "b",
        "author": posts[0].author_id,
    }
    assert hops.count == 1


async def test_async_get_serializer_context(posts: list[Post], hops: Any) -> None:
    """An async get_serializer_context is awaited by DRF's default get_serializer path."""
    AsyncContextList.contexts.clear()
    response = await call(AsyncContextList, "get")
    assert response.status_code == 200
    assert response.data == [body(p) for p in posts]
    assert [c["marker"] for c in AsyncContextList.contexts] == ["async context"]
    assert hops.count == 0


async def test_async_get_serializer(posts: list[Post], hops: Any) -> None:
    response = await call(AsyncGetSerializerList, "get")
    assert response.status_code == 200
    assert response.data == [body(p) for p in posts]
    assert hops.count == 0


async def test_get_object_override_sync_and_async(posts: list[Post], hops: Any) -> None:
    class AsyncFirst(PostDetail):
        async def get_object(self) -> Post:
            return await Post.first()

    async def fetch_last() -> Post:
        return await Post.get(id=posts[-1].id)

    class SyncLast(PostDetail):
        def get_object(self) -> Post:
            return async_to_sync(fetch_last)()

    response = await call(AsyncFirst, "get", pk=0)
    assert (response.status_code, response.data) == (200, body(posts[0]))
    assert hops.count == 0
    response = await call(SyncLast, "get", pk=0)
    assert (response.status_code, response.data) == (200, body(posts[-1]))
    assert hops.count == 1


# -- queryset attribute ----------------------------------------------------------


async def test_queryset_attribute_is_cloned_per_request(posts: list[Post]) -> None:
    """A QuerySet in `queryset` is copied per request, never the shared attribute."""

    class PublishedList(PostList):
        queryset = Post.filter(published=True)

    view = PublishedList()
    assert view.get_queryset() is not PublishedList.queryset
    assert view.get_queryset() is not view.get_queryset()
    response = await call(PublishedList, "get")
    assert response.data == [body(posts[0]), body(posts[2])]
    late = await Post.create(title="late", body="b", published=True, author_id=posts[0].author_id)
    response = await call(PublishedList, "get")
    assert response.status_code == 200
    assert response.data == [body(posts[0]), body(posts[2]), body(late)]


async def test_model_class_queryset_gives_fresh_query(posts: list[Post]) -> None:
    view = PostList()
    first, second = view.get_queryset(), view.get_queryset()
    assert first is not second
    assert first.model is Post
    assert PostList.queryset is Post


async def test_missing_queryset_asserts(tortoise_db: Any) -> None:
    with pytest.raises(AssertionError, match="'NoQuerysetList' should either include a `queryset`"):
        await call(NoQuerysetList, "get")


# -- pagination -----------------------------------------------------------------


async def test_paginated_list(posts: list[Post], hops: Any, queries: Any) -> None:
    queries.reset()
    response = await call(PaginatedList, "get", "/?page=2")
    assert response.status_code == 200
    assert response.data == {
        "count": 3,
        "next": None,
        "previous": "http://testserver/",
        "results": [body(posts[2])],
    }
    assert hops.count == 0
    assert queries.count == 2  # count + page


async def test_paginate_queryset_without_paginator(posts: list[Post]) -> None:
    view = PostList()
    assert await view.paginate_queryset(Post.all()) is None


# -- DRF sync serializer ---------------------------------------------------------


async def test_sync_serializer_create_is_one_hop(posts: list[Post], hops: Any) -> None:
    """A DRF serializer is validated, saved and rendered in a single thread hop."""
    data = {"title": "sync", "body": "b", "author": posts[0].author_id}
    response = await call(SyncSerializerList, "post", data=data)
    assert response.status_code == 201
    created = await Post.get(title="sync")
    assert response.data == {
        "id": created.id,
        "title": "sync",
        "body": "b",
        "author": posts[0].author_id,
    }
    assert hops.count == 1


async def test_sync_serializer_invalid_is_400(posts: list[Post], hops: Any) -> None:
    response = await call(SyncSerializerList, "post", data={"title": "t"})
    assert response.status_code == 400
    assert response.data == {
        "body": ["This field is required."],
        "author": ["This field is required."],
    }
    assert await Post.all().count() == 3
    assert hops.count == 1


async def test_sync_serializer_retrieve_and_update(posts: list[Post], hops: Any) -> None:
    response = await call(SyncSerializerDetail, "get", pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {
        "id": posts[0].id,
        "title": "post 1",
        "body": "body 1",
        "author": posts[0].author_id,
    }
    assert hops.count == 1
    response = await call(SyncSerializerDetail, "patch", data={"body": "x"}, pk=posts[0].id)
    assert response.status_code == 200
    assert response.data == {
        "id": posts[0].id,
        "title": "post 1",
        "body": "x",
        "author": posts[0].author_id,
    }
    assert (await Post.get(id=posts[0].id)).body == "x"
    assert hops.count == 2


# -- aget_object_or_404 ----------------------------------------------------------


async def test_aget_object_or_404(posts: list[Post]) -> None:
    assert await generics.aget_object_or_404(Post, pk=posts[0].id) == posts[0]
    assert await generics.aget_object_or_404(Post.filter(published=True), title="post 3")
    with pytest.raises(Http404, match="No Post matches the given query."):
        await generics.aget_object_or_404(Post.filter(published=True), title="post 2")
    with pytest.raises(Http404):
        await generics.aget_object_or_404(Post, pk="abc")


@pytest.mark.parametrize(("first", "name"), [(None, "NoneType"), (str, "str"), ([], "list")])
async def test_aget_object_or_404_refuses_what_is_no_model_or_queryset(
    tortoise_db: Any, first: Any, name: str
) -> None:
    """As Django's aget_object_or_404 does: a ValueError naming what it got."""
    message = f"First argument to aget_object_or_404() must be a Model or QuerySet, not '{name}'."
    with pytest.raises(ValueError, match=re.escape(message)):
        await generics.aget_object_or_404(first, pk=1)


# -- `def` overrides of the generic actions ---------------------------------------


class SyncActionsDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    """DRF-style `def` overrides of the actions (they may do sync I/O, e.g. the Django
    ORM): each runs in the one thread hop a sync handler gets."""

    queryset = Post
    serializer_class = PostSerializer

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response({"pk": kwargs["pk"], "in_thread": not _on_loop()})

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response({"partial": kwargs.get("partial", False), "in_thread": not _on_loop()})

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response(status=204, headers={"X-In-Thread": str(not _on_loop())})


class SyncActionsList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return Response({"created": request.data["title"]}, status=201)

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # The DRF idiom of wrapping the parent's action: here a coroutine, finished on
        # the loop after this sync code.
        return super().list(request, *args, **kwargs)


def _on_loop() -> bool:
    from async_drf.concurrency import in_event_loop

    return in_event_loop()


async def test_def_action_overrides_run_in_one_thread_hop(posts: list[Post], hops: Any) -> None:
    response = await call(SyncActionsDetail, "get", pk=posts[0].id)
    assert (response.status_code, response.data) == (200, {"pk": posts[0].id, "in_thread": True})
    assert hops.count == 1
    hops.reset()
    response = await call(SyncActionsDetail, "put", data={"title": "x"}, pk=posts[0].id)
    assert (response.status_code, response.data) == (200, {"partial": False, "in_thread": True})
    response = await call(SyncActionsDetail, "patch", data={"title": "x"}, pk=posts[0].id)
    assert (response.status_code, response.data) == (200, {"partial": True, "in_thread": True})
    response = await call(SyncActionsDetail, "delete", pk=posts[0].id)
    assert (response.status_code, response["X-In-Thread"]) == (204, "True")
    assert hops.count == 3
    assert await Post.all().count() == 3  # the overrides wrote nothing
    hops.reset()
    response = await call(SyncActionsList, "post", data={"title": "t"})
    assert (response.status_code, response.data) == (201, {"created": "t"})
    assert hops.count == 1


async def test_def_list_override_returning_the_parents_coroutine(
    posts: list[Post], hops: Any
) -> None:
    response = await call(SyncActionsList, "get")
    assert response.status_code == 200
    assert [row["title"] for row in response.data] == ["post 1", "post 2", "post 3"]
    assert hops.count == 1  # the override itself; the parent's list runs on the loop


async def test_def_update_override_reached_through_partial_update(
    posts: list[Post], hops: Any
) -> None:
    class View(generics.AsyncUpdateAPIView):
        queryset = Post
        serializer_class = PostSerializer

        def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
            return Response({"partial": kwargs["partial"]})

    response = await call(View, "patch", data={}, pk=posts[0].id)
    assert (response.status_code, response.data) == (200, {"partial": True})
    assert hops.count == 1


async def test_handlers_are_coroutines_and_response_type(posts: list[Post]) -> None:
    response = await PostDetail.as_view()(factory.get("/"), pk=posts[0].id)
    assert isinstance(response, Response)
    assert response.status_code == 200
    assert response.data == body(posts[0])


async def test_sync_handler_returning_mixin_coroutine(posts: list[Post]) -> None:
    """DRF-style `def get(...): return self.list(...)` works: the coroutine is awaited."""

    class View(generics.mixins.AsyncListModelMixin, generics.AsyncGenericAPIView):
        queryset = Post
        serializer_class = PostSerializer

        def get(self, request: Any) -> Any:
            return self.list(request)

    response = await call(View, "get")
    assert response.status_code == 200
    assert response.data == [body(p) for p in posts]


async def test_options_describes_actions_when_get_serializer_class_is_async(tortoise_db):
    """OPTIONS awaits an `async def get_serializer_class` instead of calling it."""
    from async_drf.test import AsyncAPIRequestFactory as _Factory

    class View(generics.AsyncListCreateAPIView):
        queryset = Post

        async def get_serializer_class(self):
            return PostSerializer

    response = await View.as_view()(_Factory().options("/"))
    assert response.status_code == 200
    assert "title" in response.data["actions"]["POST"]
