"""Async viewsets on DRF's routers: coroutine views, basenames from Tortoise models,
actions, extra actions and OPTIONS, through Django's ASGI handler."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.test import override_settings
from django.urls import reverse
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter, SimpleRouter

from async_drf import serializers, viewsets

from .models import Author, Post, Tag
from .test_generics import PostSerializer

# -- serializers ---------------------------------------------------------------


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


# -- viewsets -----------------------------------------------------------------


class PostViewSet(viewsets.AsyncModelViewSet):
    queryset = Post  # a model class at import time, and no basename= below
    serializer_class = PostSerializer

    @action(detail=True, methods=["post"])
    async def publish(self, request: Any, pk: Any = None) -> Response:
        post = await self.get_object()
        post.published = True
        await post.save()
        return Response({"id": post.id, "published": True})

    @action(detail=False)
    async def published(self, request: Any) -> Response:
        titles = await Post.filter(published=True).values_list("title", flat=True)
        return Response({"titles": titles})


class TagViewSet(viewsets.AsyncReadOnlyModelViewSet):
    queryset = Tag
    serializer_class = TagSerializer


class PingViewSet(viewsets.AsyncViewSet):
    async def list(self, request: Any) -> Response:
        return Response({"ping": "async list"})

    def retrieve(self, request: Any, pk: Any = None) -> Response:
        return Response({"ping": f"sync retrieve {pk}"})


router = DefaultRouter()
router.register("posts", PostViewSet)
router.register("tags", TagViewSet)
router.register("ping", PingViewSet, basename="ping")
urlpatterns = router.urls


# -- fixtures ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
async def posts(tortoise_db: Any) -> list[Post]:
    ann = await Author.create(name="ann")
    return [
        await Post.create(title="first", body="one", published=True, author=ann),
        await Post.create(title="second", body="two", author=ann),
    ]


def body(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
        "author": post.author_id,
    }


# -- registration ----------------------------------------------------------------


def test_router_views_are_coroutine_functions() -> None:
    """Django's handler awaits a router's views; DRF's attributes stay on them."""
    views = {p.name: p.callback for p in urlpatterns if p.name}
    for name in ("post-list", "post-detail", "post-publish", "post-published", "ping-list"):
        view = views[name]
        assert iscoroutinefunction(view), name
        assert view.cls in (PostViewSet, PingViewSet)
        assert isinstance(view.initkwargs, dict)
    assert views["post-list"].actions == {"get": "list", "post": "create"}
    assert views["post-detail"].actions == {
        "get": "retrieve",
        "put": "update",
        "patch": "partial_update",
        "delete": "destroy",
    }
    assert views["post-publish"].initkwargs["detail"] is True
    assert views["post-list"].initkwargs["basename"] == "post"


def test_basename_from_tortoise_model() -> None:
    """DRF's routers derive the basename from a Tortoise model class or QuerySet."""
    assert [basename for _, _, basename in router.registry] == ["post", "tag", "ping"]
    assert reverse("post-detail", kwargs={"pk": 3}) == "/posts/3/"
    # Read from an instance, `queryset` is still what the user wrote.
    assert PostViewSet().queryset is Post
    assert PostViewSet.queryset.model._meta.object_name == "Post"
    assert PostViewSet.queryset.model._meta.db_table == Post._meta.db_table


async def test_basename_from_queryset(posts: list[Post], api_factory: Any) -> None:
    """A QuerySet built after Tortoise.init names the route too, and is cloned per request."""

    class PublishedViewSet(viewsets.AsyncReadOnlyModelViewSet):
        queryset = Post.filter(published=True)
        serializer_class = PostSerializer

    simple = SimpleRouter()
    simple.register("published", PublishedViewSet)
    assert simple.registry[0][2] == "post"
    view = PublishedViewSet()
    assert view.get_queryset().model is Post
    assert view.get_queryset() is not PublishedViewSet.__dict__["queryset"].value
    list_view = simple.urls[0].callback
    assert iscoroutinefunction(list_view)
    response = await list_view(api_factory.get("/published/"))
    assert response.status_code == 200
    assert response.data == [body(posts[0])]


# -- actions through Django's handler ---------------------------------------------


async def test_list(posts: list[Post], api_client: Any, hops: Any) -> None:
    response = await api_client.get("/posts/")
    assert response.status_code == 200
    assert response.json() == [body(p) for p in posts]
    assert hops.count == 0


async def test_create(posts: list[Post], api_client: Any) -> None:
    data = {"title": "third", "body": "three", "author": posts[0].author_id}
    response = await api_client.post("/posts/", data, format="json")
    assert response.status_code == 201
    created = await Post.get(title="third")
    assert response.json() == body(created)


async def test_create_invalid(posts: list[Post], api_client: Any) -> None:
    response = await api_client.post("/posts/", {"title": "t"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "body": ["This field is required."],
        "author": ["This field is required."],
    }
    assert await Post.all().count() == 2


async def test_retrieve(posts: list[Post], api_client: Any, hops: Any, queries: Any) -> None:
    queries.reset()
    response = await api_client.get(f"/posts/{posts[0].id}/")
    assert response.status_code == 200
    assert response.json() == body(posts[0])
    assert queries.count == 1
    assert hops.count == 0


async def test_retrieve_missing(posts: list[Post], api_client: Any) -> None:
    response = await api_client.get("/posts/999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Post matches the given query."}


async def test_update_and_partial_update(posts: list[Post], api_client: Any) -> None:
    data = {"title": "renamed", "body": "new", "author": posts[0].author_id}
    response = await api_client.put(f"/posts/{posts[0].id}/", data, format="json")
    assert response.status_code == 200
    assert response.json() == {**body(posts[0]), "title": "renamed", "body": "new"}
    response = await api_client.patch(f"/posts/{posts[0].id}/", {"body": "b"}, format="json")
    assert response.status_code == 200
    assert response.json() == {**body(posts[0]), "title": "renamed", "body": "b"}
    assert (await Post.get(id=posts[0].id)).body == "b"


async def test_destroy(posts: list[Post], api_client: Any) -> None:
    response = await api_client.delete(f"/posts/{posts[0].id}/")
    assert response.status_code == 204
    assert response.content == b""
    assert await Post.all().count() == 1


async def test_method_not_allowed(posts: list[Post], api_client: Any) -> None:
    response = await api_client.put("/posts/", {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"


async def test_detail_action(posts: list[Post], api_client: Any) -> None:
    """An `async def` @action(detail=True) gets the object through get_object."""
    response = await api_client.post(f"/posts/{posts[1].id}/publish/")
    assert response.status_code == 200
    assert response.json() == {"id": posts[1].id, "published": True}
    assert (await Post.get(id=posts[1].id)).published is True
    response = await api_client.post("/posts/999/publish/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Post matches the given query."}


async def test_list_action(posts: list[Post], api_client: Any) -> None:
    response = await api_client.get("/posts/published/")
    assert response.status_code == 200
    assert response.json() == {"titles": ["first"]}


async def test_read_only_viewset(tortoise_db: Any, api_client: Any) -> None:
    tag = await Tag.create(name="python")
    response = await api_client.get("/tags/")
    assert response.status_code == 200
    assert response.json() == [{"id": tag.id, "name": "python"}]
    response = await api_client.get(f"/tags/{tag.id}/")
    assert response.status_code == 200
    assert response.json() == {"id": tag.id, "name": "python"}
    response = await api_client.delete(f"/tags/{tag.id}/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "DELETE" not allowed.'}


async def test_plain_viewset_sync_and_async_actions(tortoise_db: Any, api_client: Any) -> None:
    response = await api_client.get("/ping/")
    assert response.status_code == 200
    assert response.json() == {"ping": "async list"}
    response = await api_client.get("/ping/7/")
    assert response.status_code == 200
    assert response.json() == {"ping": "sync retrieve 7"}


async def test_options(posts: list[Post], api_client: Any) -> None:
    """OPTIONS describes the viewset and the fields a POST takes."""
    response = await api_client.options("/posts/")
    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "Post List"
    assert data["renders"] == ["application/json", "text/html"]
    assert list(data["actions"]["POST"]) == ["id", "title", "body", "published", "author"]
    assert data["actions"]["POST"]["title"]["max_length"] == 200


async def test_options_detail_missing_object(posts: list[Post], api_client: Any) -> None:
    """OPTIONS on a missing object leaves PUT out (get_object raised 404) but succeeds."""
    response = await api_client.options("/posts/999/")
    assert response.status_code == 200
    assert response.json()["name"] == "Post Instance"
    assert "actions" not in response.json()
    response = await api_client.options(f"/posts/{posts[0].id}/")
    assert list(response.json()["actions"]) == ["PUT"]


async def test_api_root(tortoise_db: Any, api_client: Any) -> None:
    response = await api_client.get("/")
    assert response.status_code == 200
    assert response.json() == {
        "posts": "http://testserver/posts/",
        "tags": "http://testserver/tags/",
        "ping": "http://testserver/ping/",
    }
