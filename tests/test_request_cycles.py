"""A finished request leaves no reference cycles, so CPython frees it at once.

Objects caught in a cycle wait for the cyclic garbage collector.  Under load a
request's whole graph (request, view, serializer, fields, rows) then survives into the
older generations, and full collections stall every request in flight.  These tests
collect with the collector paused and count what only it could have freed.
"""

from __future__ import annotations

import gc
import json

import pytest
from django.http import HttpResponse
from django.test.utils import override_settings
from django.urls import path
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from async_drf import asgi, generics, viewsets
from async_drf import serializers as s
from async_drf.pagination import AsyncPageNumberPagination
from async_drf.views import AsyncAPIView

from .models import Author, Comment, Post
from .test_asgi_handler import call


class AuthorSerializer(s.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email", "created"]


class PostSerializer(s.ModelSerializer):
    author_name = s.CharField(source="author.name", read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "published", "author", "author_name"]


class CommentSerializer(s.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text"]


class NestedPostSerializer(s.ModelSerializer):
    author = AuthorSerializer(read_only=True)
    comments = CommentSerializer(many=True, read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "author", "comments"]


class Pages(AsyncPageNumberPagination):
    page_size = 2


class AuthorList(generics.AsyncListCreateAPIView):
    queryset = Author
    serializer_class = AuthorSerializer
    pagination_class = Pages


class AuthorDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Author
    serializer_class = AuthorSerializer


class PostList(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def get_queryset(self):
        return Post.all().select_related("author")


class NestedPostList(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = NestedPostSerializer

    def get_queryset(self):
        return Post.all().select_related("author").prefetch_related("comments")


class AuthorViewSet(viewsets.AsyncModelViewSet):
    queryset = Author
    serializer_class = AuthorSerializer


class Refuses(BasePermission):
    async def has_permission(self, request, view):
        raise PermissionDenied("no")


class Guarded(AsyncAPIView):
    permission_classes = [Refuses]

    async def get(self, request):
        return HttpResponse("never")


class Plain(AsyncAPIView):
    async def get(self, request):
        return HttpResponse("plain")


class Cyclic(AsyncAPIView):
    """Leaves a cycle on purpose: proof that the counting sees one."""

    async def get(self, request):
        loop: dict = {}
        loop["self"] = loop
        return HttpResponse("cycle")


urlpatterns = [
    path("authors/", AuthorList.as_view()),
    path("authors/<int:pk>/", AuthorDetail.as_view()),
    path("posts/", PostList.as_view()),
    path("nested/", NestedPostList.as_view()),
    path("guarded/", Guarded.as_view()),
    path("set/", AuthorViewSet.as_view({"get": "list", "post": "create"})),
    path("set/<int:pk>/", AuthorViewSet.as_view({"get": "retrieve", "patch": "partial_update"})),
    path("plain/", Plain.as_view()),
    path("cyclic/", Cyclic.as_view()),
]

JSON = [(b"content-type", b"application/json")]


@pytest.fixture
async def app(tortoise_db):
    ada = await Author.create(name="Ada")
    await Author.create(name="Grace")
    post = await Post.create(title="t", body="b", author=ada)
    await Comment.create(post=post, text="first")
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        yield asgi.ASGIHandler()


# Database drivers whose own cycles (asyncpg's pool and connection bookkeeping, which
# its background work may leave at any moment) are not the request's.
DRIVERS = {"asyncpg"}


def _outside_drivers(garbage: list) -> list:
    """``garbage`` without the cycles that hold an object of a database driver."""
    by_id = {id(o): o for o in garbage}
    group = {key: key for key in by_id}

    def root(key: int) -> int:
        while group[key] != key:
            group[key] = group[group[key]]
            key = group[key]
        return key

    for obj in garbage:
        for referent in gc.get_referents(obj):
            if id(referent) in by_id:
                group[root(id(referent))] = root(id(obj))
    tainted = {
        root(key) for key, obj in by_id.items() if type(obj).__module__.partition(".")[0] in DRIVERS
    }
    return [obj for key, obj in by_id.items() if root(key) not in tainted]


async def cyclic_garbage(app, method, url, body=None, query=b""):
    """Run the request twice (the first fills Django's and DRF's caches); return the
    status of the second and the type names of what only the cycle collector frees."""
    raw = json.dumps(body).encode() if body is not None else b""
    headers = [*JSON, (b"content-length", str(len(raw)).encode())] if raw else []
    await call(app, method, url, raw, headers, query=query)
    await Author.filter(name="Linus").delete()  # the create case creates it again
    gc.collect()
    gc.disable()
    try:
        status, _ = await call(app, method, url, raw, headers, query=query)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return status, sorted(type(o).__qualname__ for o in _outside_drivers(gc.garbage))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize(
    ("method", "url", "body", "query", "status"),
    [
        ("GET", "/authors/", None, b"page=1", 200),
        ("GET", "/authors/1/", None, b"", 200),
        ("GET", "/posts/", None, b"", 200),
        ("POST", "/authors/", {"name": "Linus"}, b"", 201),
        ("PATCH", "/authors/1/", {"email": "ada@example.com"}, b"", 200),
        ("POST", "/authors/", {"name": ""}, b"", 400),
        ("GET", "/authors/999/", None, b"", 404),
        ("GET", "/authors/", None, b"page=99", 404),
        ("DELETE", "/authors/", None, b"", 405),
        ("GET", "/guarded/", None, b"", 403),
        ("GET", "/plain/", None, b"", 200),
        ("GET", "/set/", None, b"", 200),
        ("GET", "/set/1/", None, b"", 200),
        ("PATCH", "/set/1/", {"email": "ada@example.org"}, b"", 200),
    ],
)
async def test_a_finished_request_leaves_no_cycles(app, method, url, body, query, status):
    assert await cyclic_garbage(app, method, url, body, query) == (status, [])


ASYNC_MIDDLEWARE = [
    f"async_drf.middleware.{name}"
    for name in (
        "SecurityMiddleware",
        "SessionMiddleware",
        "CommonMiddleware",
        "CsrfViewMiddleware",
        "AuthenticationMiddleware",
        "MessageMiddleware",
        "XFrameOptionsMiddleware",
    )
]


@pytest.mark.parametrize(
    ("method", "url", "body", "query", "status"),
    [
        ("GET", "/authors/", None, b"page=1", 200),
        ("GET", "/authors/1/", None, b"", 200),
        ("POST", "/authors/", {"name": "Linus"}, b"", 201),
        ("GET", "/authors/999/", None, b"", 404),
        ("GET", "/guarded/", None, b"", 403),
        ("GET", "/plain/", None, b"", 200),
    ],
)
async def test_startprojects_middleware_from_async_drf_leaves_no_cycles(
    app, method, url, body, query, status
):
    """Django's lazy request.user and auser and the message storage hold the request;
    the twins in async_drf.middleware let go of it when the response is closed."""
    with override_settings(MIDDLEWARE=ASYNC_MIDDLEWARE):
        handler = asgi.ASGIHandler()
        assert await cyclic_garbage(handler, method, url, body, query) == (status, [])


async def test_nested_serializers_leave_only_tortoises_own_cycle(app):
    """A prefetched reverse relation is a cycle in Tortoise itself (the post holds its
    ReverseRelation, which holds the post); the serializers around it are freed."""
    status, garbage = await cyclic_garbage(app, "GET", "/nested/")
    assert status == 200
    assert set(garbage) == {"Author", "Comment", "Post", "ReverseRelation", "dict", "list"}


async def test_the_count_sees_a_cycle(app):
    assert await cyclic_garbage(app, "GET", "/cyclic/") == (200, ["dict"])


async def test_the_client_leaving_after_the_response_leaves_no_cycle(app):
    """The server answers the disconnect listener once the response is sent; Django's
    handler re-raises its RequestAborted in the handler's frame, which then holds the
    request alive in a cycle.  (The tests above go through the same path.)"""
    assert await cyclic_garbage(app, "GET", "/plain/") == (200, [])


# -- what the test client sees after the response is closed -------------------------


@pytest.fixture
def urls():
    with override_settings(ROOT_URLCONF=__name__):
        yield


async def test_a_closed_response_still_renders_its_serializer(tortoise_db, urls, api_client):
    """Breaking the cycles drops the cached bound fields; reading them rebuilds them."""
    ada = await Author.create(name="Ada")
    await Post.create(title="t", body="b", author=ada)
    response = await api_client.get("/posts/")
    assert response.status_code == 200
    rows = response.data
    serializer = rows.serializer
    assert "fields" not in serializer.child.__dict__  # released on close
    assert list(serializer.child.fields) == ["id", "title", "published", "author", "author_name"]
    assert serializer.child.fields["title"].parent is serializer.child
    posts = await Post.all().select_related("author")
    assert [serializer.child.to_representation(post) for post in posts] == rows


async def test_a_closed_response_keeps_its_context(tortoise_db, urls, api_client):
    await Author.create(name="Ada")
    response = await api_client.get("/authors/", {"page": 1})
    assert response.status_code == 200
    assert response.data["results"][0]["name"] == "Ada"
    context = response.renderer_context
    assert isinstance(context["view"], AuthorList)
    assert context["request"].query_params["page"] == "1"
    assert "response" not in context  # DRF's self-reference, only needed while rendering
    assert not hasattr(context["view"], "response")
