"""Every kind of related field through real views: status and body, query and hop counts.

The serializers are what a DRF user writes: a pk field declared under another name
(``author_id = PrimaryKeyRelatedField(source="author")``), slugs, strings,
hyperlinks, a HyperlinkedModelSerializer with ``lookup_field``/``extra_kwargs``,
and reverse relations written from the other side.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import include, path
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIRequestFactory

from async_drf import generics, serializers, viewsets

from .models import Author, Post, Tag
from .relation_models import ManyToManySource, ManyToManyTarget

T = "http://testserver"


class AuthorIdPostSerializer(serializers.ModelSerializer):
    author_id = serializers.PrimaryKeyRelatedField(source="author", queryset=Author)

    class Meta:
        model = Post
        fields = ["id", "title", "body", "author_id"]


class AuthorHexPostSerializer(serializers.ModelSerializer):
    author = serializers.PrimaryKeyRelatedField(queryset=Author, pk_field=serializers.CharField())

    class Meta:
        model = Post
        fields = ["id", "title", "body", "author"]


class SlugPostSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="name", queryset=Author)
    tags = serializers.SlugRelatedField(slug_field="name", queryset=Tag, many=True)

    class Meta:
        model = Post
        fields = ["id", "title", "body", "author", "tags"]


class StringSourceSerializer(serializers.ModelSerializer):
    targets = serializers.StringRelatedField(many=True)

    class Meta:
        model = ManyToManySource
        fields = ["id", "name", "targets"]


class LinkedPostSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = Post
        fields = ["url", "title", "body", "author", "editor", "tags"]
        extra_kwargs = {"author": {"lookup_field": "name"}, "editor": {"lookup_field": "name"}}


class LinkedAuthorSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = Author
        fields = ["url", "name", "posts"]
        extra_kwargs = {"url": {"lookup_field": "name"}}


class EveryRelationSerializer(serializers.ModelSerializer):
    """One field of every kind, for the fixed query count of a page."""

    self_url = serializers.HyperlinkedIdentityField(view_name="post-detail")
    author_id = serializers.PrimaryKeyRelatedField(source="author", read_only=True)
    author_name = serializers.SlugRelatedField(source="author", slug_field="name", read_only=True)
    author_url = serializers.HyperlinkedRelatedField(
        source="author", view_name="author-detail", lookup_field="name", read_only=True
    )
    tag_names = serializers.SlugRelatedField(
        source="tags", slug_field="name", many=True, read_only=True
    )
    tag_urls = serializers.HyperlinkedRelatedField(
        source="tags", view_name="tag-detail", many=True, read_only=True
    )
    tag_strings = serializers.StringRelatedField(source="tags", many=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "self_url",
            "author_id",
            "author_name",
            "author_url",
            "tag_names",
            "tag_urls",
            "tag_strings",
        ]


class AuthorWithPostsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "posts", "edited"]


class TagWithPostsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "posts"]


def _list(serializer: Any, queryset: Any = Post) -> Any:
    return type(
        f"{serializer.__name__}List",
        (generics.AsyncListCreateAPIView,),
        {"queryset": queryset, "serializer_class": serializer},
    ).as_view()


class LinkedPosts(viewsets.AsyncModelViewSet):
    queryset = Post
    serializer_class = LinkedPostSerializer


class LinkedAuthors(viewsets.AsyncModelViewSet):
    queryset = Author
    serializer_class = LinkedAuthorSerializer
    lookup_field = "name"


class Tags(viewsets.AsyncReadOnlyModelViewSet):
    queryset = Tag
    serializer_class = TagWithPostsSerializer


router = SimpleRouter()
router.register("posts", LinkedPosts)
router.register("authors", LinkedAuthors)
router.register("tags", Tags)

urlpatterns = [
    path("author-id-posts/", _list(AuthorIdPostSerializer)),
    path("hex-posts/", _list(AuthorHexPostSerializer)),
    path("slug-posts/", _list(SlugPostSerializer)),
    path("string-sources/", _list(StringSourceSerializer, ManyToManySource)),
    path("every-relation/", _list(EveryRelationSerializer)),
    path("authors-with-posts/", _list(AuthorWithPostsSerializer, Author)),
    path("tags-with-posts/", _list(TagWithPostsSerializer, Tag)),
    path("", include(router.urls)),
]


@pytest.fixture(autouse=True)
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
async def blog(tortoise_db: Any) -> dict[str, Any]:
    ann, bob = await Author.create(name="ann"), await Author.create(name="bob")
    tags = [await Tag.create(name=name) for name in ("a", "b")]
    post = await Post.create(title="p0", body="b", author=ann)
    await post.tags.add(*tags)
    return {"ann": ann, "bob": bob, "tags": tags, "post": post}


# A pk field declared under another name ---------------------------------------------


async def test_pk_field_with_relation_source_saves(blog: dict[str, Any], api_client: Any) -> None:
    ann = blog["ann"]
    response = await api_client.post(
        "/author-id-posts/", {"title": "t", "body": "b", "author_id": ann.pk}
    )
    assert response.status_code == 201, response.content
    post = await Post.get(title="t")
    assert response.json() == {"id": post.pk, "title": "t", "body": "b", "author_id": ann.pk}
    assert post.author_id == ann.pk


async def test_pk_field_with_relation_source_missing_is_400(
    blog: dict[str, Any], api_client: Any
) -> None:
    response = await api_client.post(
        "/author-id-posts/", {"title": "t", "body": "b", "author_id": 999}
    )
    assert response.status_code == 400
    assert response.json() == {"author_id": ['Invalid pk "999" - object does not exist.']}
    assert not await Post.filter(title="t").exists()


async def test_pk_field_with_relation_source_reads_the_column(
    blog: dict[str, Any], api_client: Any, queries: Any, hops: Any
) -> None:
    queries.reset()
    response = await api_client.get("/author-id-posts/")
    assert response.status_code == 200
    assert response.json() == [
        {"id": blog["post"].pk, "title": "p0", "body": "b", "author_id": blog["ann"].pk}
    ]
    assert queries.count == 1 and hops.count == 0


async def test_pk_field_with_pk_field(blog: dict[str, Any], api_client: Any) -> None:
    ann = blog["ann"]
    response = await api_client.post(
        "/hex-posts/", {"title": "t", "body": "b", "author": str(ann.pk)}
    )
    assert response.status_code == 201, response.content
    post = await Post.get(title="t")
    assert response.json() == {"id": post.pk, "title": "t", "body": "b", "author": str(ann.pk)}
    assert post.author_id == ann.pk


# Slugs ------------------------------------------------------------------------------


async def test_slug_fields_read(blog: dict[str, Any], api_client: Any) -> None:
    response = await api_client.get("/slug-posts/")
    assert response.status_code == 200
    assert response.json() == [
        {"id": blog["post"].pk, "title": "p0", "body": "b", "author": "ann", "tags": ["a", "b"]}
    ]


async def test_slug_fields_write_with_one_query_per_field(
    blog: dict[str, Any], api_client: Any, queries: Any, hops: Any
) -> None:
    data = {"title": "t", "body": "b", "author": "bob", "tags": ["b", "a"]}
    queries.reset()
    response = await api_client.post("/slug-posts/", data)
    assert response.status_code == 201, response.content
    lookups = [q for q in queries.queries if '"name" IN' in q]
    assert len(lookups) == 2, queries.queries  # the author; both tags at once
    assert hops.count == 0
    post = await Post.get(title="t").prefetch_related("tags")
    assert response.json() == {"id": post.pk, **data, "tags": ["a", "b"]}  # as stored
    assert post.author_id == blog["bob"].pk
    assert sorted(t.name for t in post.tags) == ["a", "b"]


async def test_slug_missing_is_400_and_writes_nothing(
    blog: dict[str, Any], api_client: Any
) -> None:
    data = {"title": "t", "body": "b", "author": "ann", "tags": ["a", "zzz"]}
    response = await api_client.post("/slug-posts/", data)
    assert response.status_code == 400
    assert response.json() == {"tags": ["Object with name=zzz does not exist."]}
    assert not await Post.filter(title="t").exists()


async def test_slug_of_the_wrong_type_is_400(blog: dict[str, Any], api_client: Any) -> None:
    data = {"title": "t", "body": "b", "author": {"name": "ann"}, "tags": [["a"]]}
    response = await api_client.post("/slug-posts/", data)
    assert response.status_code == 400
    assert response.json() == {"author": ["Invalid value."], "tags": ["Invalid value."]}


# Strings ----------------------------------------------------------------------------


async def test_string_related_many(tortoise_db: Any, api_client: Any, queries: Any) -> None:
    targets = [await ManyToManyTarget.create(name=n) for n in ("x", "y")]
    source = await ManyToManySource.create(name="s")
    await source.targets.add(*targets)
    queries.reset()
    response = await api_client.get("/string-sources/")
    assert response.status_code == 200
    assert response.json() == [{"id": source.pk, "name": "s", "targets": ["x", "y"]}]
    assert queries.count == 3  # the sources, their links, the targets


# Hyperlinks -------------------------------------------------------------------------


async def test_hyperlinked_model_serializer_reads(blog: dict[str, Any], api_client: Any) -> None:
    post = blog["post"]
    response = await api_client.get(f"/posts/{post.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "url": f"{T}/posts/{post.pk}/",
        "title": "p0",
        "body": "b",
        "author": f"{T}/authors/ann/",
        "editor": None,
        "tags": [f"{T}/tags/{t.pk}/" for t in blog["tags"]],
    }
    response = await api_client.get("/authors/ann/")
    assert response.json() == {
        "url": f"{T}/authors/ann/",
        "name": "ann",
        "posts": [f"{T}/posts/{post.pk}/"],
    }


async def test_hyperlinked_model_serializer_writes(blog: dict[str, Any], api_client: Any) -> None:
    data = {
        "title": "t",
        "body": "b",
        "author": f"{T}/authors/bob/",
        "editor": "/authors/ann/",
        "tags": [f"{T}/tags/{blog['tags'][1].pk}/"],
    }
    response = await api_client.post("/posts/", data)
    assert response.status_code == 201, response.content
    post = await Post.get(title="t")
    assert response.json() == {
        **data,
        "url": f"{T}/posts/{post.pk}/",
        "editor": f"{T}/authors/ann/",
    }
    assert (post.author_id, post.editor_id) == (blog["bob"].pk, blog["ann"].pk)
    assert response["Location"] == f"{T}/posts/{post.pk}/"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (f"{T}/authors/nobody/", "Invalid hyperlink - Object does not exist."),
        (f"{T}/nowhere/", "Invalid hyperlink - No URL match."),
        (f"{T}/tags/1/", "Invalid hyperlink - Incorrect URL match."),
        (7, "Incorrect type. Expected URL string, received int."),
    ],
)
async def test_hyperlink_errors_are_400(
    blog: dict[str, Any], api_client: Any, value: Any, message: str
) -> None:
    response = await api_client.post("/posts/", {"title": "t", "body": "b", "author": value})
    assert response.status_code == 400
    assert response.json() == {"author": [message]}


async def test_reverse_hyperlinks_write(blog: dict[str, Any], api_client: Any) -> None:
    post = blog["post"]
    response = await api_client.put(
        "/authors/bob/", {"name": "bob", "posts": [f"{T}/posts/{post.pk}/"]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["posts"] == [f"{T}/posts/{post.pk}/"]
    assert (await Post.get(pk=post.pk)).author_id == blog["bob"].pk


# Every relation on one page: fixed queries, no thread hop ---------------------------


async def _every_relation_page(api_client: Any, queries: Any, hops: Any) -> Any:
    queries.reset()
    hops.reset()
    response = await api_client.get("/every-relation/")
    assert response.status_code == 200
    assert hops.count == 0
    return response.json(), queries.count


async def test_every_relation_costs_fixed_queries(
    blog: dict[str, Any], api_client: Any, queries: Any, hops: Any
) -> None:
    body, small = await _every_relation_page(api_client, queries, hops)
    post, tags = blog["post"], blog["tags"]
    assert body == [
        {
            "id": post.pk,
            "self_url": f"{T}/posts/{post.pk}/",
            "author_id": blog["ann"].pk,
            "author_name": "ann",
            "author_url": f"{T}/authors/ann/",
            "tag_names": ["a", "b"],
            "tag_urls": [f"{T}/tags/{t.pk}/" for t in tags],
            "tag_strings": ["<Tag>", "<Tag>"],  # Tortoise's default str()
        }
    ]
    for n in range(19):
        other = await Post.create(title=f"more {n}", body="b", author=blog["bob"])
        await other.tags.add(tags[n % 2])
    body, large = await _every_relation_page(api_client, queries, hops)
    assert len(body) == 20 and body[-1]["author_name"] == "bob"
    assert small == large == 4  # posts, their authors, post_tag rows, their tags


# Reverse relations written from the other side -------------------------------------


async def test_reverse_fk_create_and_update(blog: dict[str, Any], api_client: Any) -> None:
    post = blog["post"]
    response = await api_client.post(
        "/authors-with-posts/", {"name": "cy", "posts": [post.pk], "edited": [post.pk]}
    )
    assert response.status_code == 201, response.content
    cy = await Author.get(name="cy")
    assert response.json() == {"id": cy.pk, "name": "cy", "posts": [post.pk], "edited": [post.pk]}
    moved = await Post.get(pk=post.pk)
    assert (moved.author_id, moved.editor_id) == (cy.pk, cy.pk)


async def test_reverse_fk_required_as_in_drf(blog: dict[str, Any], api_client: Any) -> None:
    response = await api_client.post("/authors-with-posts/", {"name": "cy"})
    assert response.status_code == 400
    assert response.json() == {
        "posts": ["This field is required."],
        "edited": ["This field is required."],
    }


async def test_reverse_m2m_create(blog: dict[str, Any], api_client: Any) -> None:
    post = blog["post"]
    response = await api_client.post("/tags-with-posts/", {"name": "c", "posts": [post.pk]})
    assert response.status_code == 201, response.content
    tag = await Tag.get(name="c")
    assert response.json() == {"id": tag.pk, "name": "c", "posts": [post.pk]}
    assert [t.name for t in await post.tags.all()] == ["a", "b", "c"]


async def test_reverse_fk_missing_is_400_and_writes_nothing(
    blog: dict[str, Any], api_client: Any
) -> None:
    response = await api_client.post(
        "/authors-with-posts/", {"name": "cy", "posts": [999], "edited": []}
    )
    assert response.status_code == 400
    assert response.json() == {"posts": ['Invalid pk "999" - object does not exist.']}
    assert not await Author.filter(name="cy").exists()


async def test_openapi_schema_types_the_related_fields(tortoise_db: Any) -> None:
    from async_drf.schemas import get_schema_view

    view = get_schema_view(title="t", public=True, patterns=[path("", include(router.urls))])
    response = await view(APIRequestFactory().get("/schema/", {"format": "openapi-json"}))
    assert response.status_code == 200
    schemas = response.data["components"]["schemas"]
    links = {"type": "array", "items": {"type": "string"}}
    assert schemas["LinkedPost"]["properties"]["url"] == {"type": "string", "readOnly": True}
    assert schemas["LinkedPost"]["properties"]["author"] == {"type": "string"}
    assert schemas["LinkedPost"]["properties"]["editor"] == {"type": "string", "nullable": True}
    assert schemas["LinkedPost"]["properties"]["tags"] == links
    assert schemas["LinkedAuthor"]["properties"]["posts"] == links
    assert schemas["LinkedAuthor"]["required"] == ["name", "posts"]
    assert schemas["TagWithPosts"]["properties"]["posts"] == {
        "type": "array",
        "items": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    }


async def test_options_describes_related_fields_without_querying(
    blog: dict[str, Any], api_client: Any, queries: Any
) -> None:
    queries.reset()
    response = await api_client.options("/posts/")
    assert response.status_code == 200
    post = response.json()["actions"]["POST"]
    assert post["author"] == {
        "type": "field",
        "required": True,
        "read_only": False,
        "label": "Author",
    }
    assert post["tags"]["type"] == "field" and post["tags"]["required"] is False
    assert queries.count == 0
