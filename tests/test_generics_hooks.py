"""Sync builder hooks on generic views and viewsets: ``get_queryset``,
``get_serializer_class``, ``get_serializer_context``, ``get_success_headers`` and
``filter_queryset`` written with ``def`` run inline (no thread hop); one that queries
the Django ORM all the same is run again in a thread hop, with a warning once per view
class and hook."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from async_drf import generics, viewsets
from async_drf.concurrency import SyncHookWarning
from async_drf.pagination import AsyncPageNumberPagination

from .django_db import django_db  # noqa: F401 - fixture
from .django_models import BasicModel
from .models import Author, Post
from .test_generics import PostSerializer, TitleSerializer, body, call, factory

# The threads each hook ran on: the event loop's, unless it hopped.
ran_on: list[tuple[str, int]] = []


def _ran(name: str) -> None:
    ran_on.append((name, threading.get_ident()))


@pytest.fixture(autouse=True)
def clear_ran_on() -> None:
    ran_on.clear()


@pytest.fixture
async def posts(tortoise_db: Any) -> list[Post]:
    ann = await Author.create(name="ann")
    return [
        await Post.create(title=f"post {n}", body=f"body {n}", published=n != 2, author=ann)
        for n in range(1, 4)
    ]


# -- one view per listed hook, written with `def` --------------------------------


class SyncGetQueryset(generics.AsyncListCreateAPIView):
    serializer_class = PostSerializer

    def get_queryset(self) -> Any:
        _ran("get_queryset")
        return Post.filter(published=True)


class SyncGetSerializerClass(generics.AsyncListCreateAPIView):
    queryset = Post

    def get_serializer_class(self) -> Any:
        _ran("get_serializer_class")
        return TitleSerializer if self.request.method == "GET" else PostSerializer


class SyncGetSerializerContext(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        _ran("get_serializer_context")
        return {**super().get_serializer_context(), "marker": "sync context"}


class SyncFilterQueryset(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def filter_queryset(self, queryset: Any) -> Any:
        _ran("filter_queryset")
        return queryset.filter(published=True)


class SyncFilterQuerysetCallingSuper(SyncFilterQueryset):
    """DRF's idiom: extend the default (here a coroutine), return what it returns."""

    def filter_queryset(self, queryset: Any) -> Any:
        _ran("filter_queryset")
        return super(SyncFilterQueryset, self).filter_queryset(queryset.filter(published=True))


class SyncGetSuccessHeaders(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def get_success_headers(self, data: Any) -> dict[str, str]:
        _ran("get_success_headers")
        return {"X-Created": str(data["id"])}


@pytest.mark.parametrize(
    ("view", "hook", "expected"),
    [
        (SyncGetQueryset, "get_queryset", lambda p: [body(p[0]), body(p[2])]),
        (
            SyncGetSerializerClass,
            "get_serializer_class",
            lambda p: [{"id": x.id, "title": x.title} for x in p],
        ),
        (SyncGetSerializerContext, "get_serializer_context", lambda p: [body(x) for x in p]),
        (SyncFilterQueryset, "filter_queryset", lambda p: [body(p[0]), body(p[2])]),
        (SyncFilterQuerysetCallingSuper, "filter_queryset", lambda p: [body(p[0]), body(p[2])]),
    ],
)
async def test_sync_builder_hook_on_list_costs_no_hop(
    posts: list[Post], hops: Any, thread_hops: list[str], view: Any, hook: str, expected: Any
) -> None:
    """A listed hook written with `def` runs on the loop: no thread hop at all."""
    response = await call(view, "get")
    assert response.status_code == 200
    assert response.data == expected(posts)
    assert ran_on == [(hook, threading.get_ident())]
    assert hops.count == 0
    assert thread_hops == []


@pytest.mark.parametrize(
    ("view", "hooks"),
    [
        (SyncGetSerializerClass, ["get_serializer_class"]),
        (SyncGetSerializerContext, ["get_serializer_context"]),
        (SyncGetSuccessHeaders, ["get_success_headers"]),
    ],
)
async def test_sync_builder_hook_on_create_costs_no_hop(
    posts: list[Post], hops: Any, thread_hops: list[str], view: Any, hooks: list[str]
) -> None:
    data = {"title": "new", "body": "b", "author": posts[0].author_id}
    response = await call(view, "post", data=data)
    assert response.status_code == 201
    created = await Post.get(title="new")
    assert response.data == body(created)
    if view is SyncGetSuccessHeaders:
        assert response["X-Created"] == str(created.id)
    assert ran_on == [(hook, threading.get_ident()) for hook in hooks]
    assert hops.count == 0
    assert thread_hops == []


async def test_sync_hooks_on_a_viewset_cost_no_hop(posts: list[Post], hops: Any) -> None:
    class PostViewSet(viewsets.AsyncModelViewSet):
        def get_queryset(self) -> Any:
            return Post.filter(published=True)

        def get_serializer_class(self) -> Any:
            return PostSerializer

        def get_success_headers(self, data: Any) -> dict[str, str]:
            return {"Location": f"/posts/{data['id']}/"}

    response = await PostViewSet.as_view({"get": "list"})(factory.get("/"))
    assert (response.status_code, response.data) == (200, [body(posts[0]), body(posts[2])])
    response = await PostViewSet.as_view({"get": "retrieve"})(factory.get("/"), pk=posts[1].id)
    assert response.status_code == 404  # unpublished: filtered out by get_queryset
    data = {"title": "new", "body": "b", "author": posts[0].author_id}
    request = factory.post("/", data, format="json")
    response = await PostViewSet.as_view({"post": "create"})(request)
    assert response.status_code == 201
    assert response["Location"] == f"/posts/{response.data['id']}/"
    assert hops.count == 0


# -- DRF-style and async twins -----------------------------------------------------


class Pages(AsyncPageNumberPagination):
    page_size = 2


class DRFStyleList(generics.AsyncListAPIView):
    serializer_class = PostSerializer
    pagination_class = Pages

    def get_queryset(self) -> Any:
        return Post.filter(published=True).order_by("-id")


class AsyncTwinList(DRFStyleList):
    async def get_queryset(self) -> Any:
        return Post.filter(published=True).order_by("-id")


@pytest.mark.parametrize("path", ["/", "/?page=2", "/?page=9"])
async def test_drf_style_sync_get_queryset_answers_as_its_async_twin(
    posts: list[Post], hops: Any, queries: Any, path: str
) -> None:
    await Post.create(title="four", body="b", published=True, author_id=posts[0].author_id)
    queries.reset()
    sync_response = await call(DRFStyleList, "get", path)
    sync_queries = queries.count
    queries.reset()
    async_response = await call(AsyncTwinList, "get", path)
    assert sync_response.status_code == async_response.status_code
    assert sync_response.data == async_response.data
    assert sync_response.render().content == async_response.render().content
    assert sync_queries == queries.count
    assert hops.count == 0


# -- a listed hook that queries the Django ORM -------------------------------------


def _published_only() -> bool:
    # A Django ORM query: on the event loop Django raises SynchronousOnlyOperation.
    return not BasicModel.objects.filter(text="show unpublished").exists()


def django_query_views() -> tuple[Any, Any]:
    """Two view classes made afresh (the warning is once per class and hook)."""

    class DjangoQueryInGetQueryset(generics.AsyncListAPIView):
        serializer_class = PostSerializer

        def get_queryset(self) -> Any:
            _ran("get_queryset")
            return Post.filter(published=True) if _published_only() else Post.all()

    class DjangoQueryInContext(generics.AsyncListAPIView):
        queryset = Post
        serializer_class = TitleSerializer

        def get_serializer_context(self) -> dict[str, Any]:
            _ran("get_serializer_context")
            return {**super().get_serializer_context(), "rows": BasicModel.objects.count()}

    return DjangoQueryInGetQueryset, DjangoQueryInContext


@pytest.mark.usefixtures("django_db")
async def test_hook_that_queries_django_runs_in_a_thread_and_warns_once(
    posts: list[Post], hops: Any
) -> None:
    DjangoQueryInGetQueryset, _ = django_query_views()  # noqa: N806 - a class
    with pytest.warns(SyncHookWarning, match=r"DjangoQueryInGetQueryset\.get_queryset\(\)") as w:
        response = await call(DjangoQueryInGetQueryset, "get")
    assert len(w) == 1
    assert "async def get_queryset" in str(w[0].message)
    assert (response.status_code, response.data) == (200, [body(posts[0]), body(posts[2])])
    # Tried inline (refused by Django before any query), then run in one thread hop.
    loop_thread = threading.get_ident()
    assert [name for name, _ in ran_on] == ["get_queryset", "get_queryset"]
    assert ran_on[0][1] == loop_thread and ran_on[1][1] != loop_thread
    assert hops.calls == [DjangoQueryInGetQueryset.get_queryset.__qualname__]

    # Later requests go to the thread directly, and say nothing more.
    await sync_to_async_create(text="show unpublished")
    ran_on.clear()
    hops.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = await call(DjangoQueryInGetQueryset, "get")
    assert (response.status_code, response.data) == (200, [body(p) for p in posts])
    assert len(ran_on) == 1 and ran_on[0][1] != loop_thread
    assert hops.count == 1


@pytest.mark.usefixtures("django_db")
async def test_the_warning_is_once_per_view_class_and_hook(posts: list[Post], hops: Any) -> None:
    DjangoQueryInGetQueryset, DjangoQueryInContext = django_query_views()  # noqa: N806

    class Subclass(DjangoQueryInGetQueryset):
        pass

    with pytest.warns(SyncHookWarning, match=r"Subclass\.get_queryset\(\)"):
        assert (await call(Subclass, "get")).status_code == 200
    with pytest.warns(SyncHookWarning, match=r"DjangoQueryInContext\.get_serializer_context"):
        response = await call(DjangoQueryInContext, "get")
    assert response.data == [{"id": p.id, "title": p.title} for p in posts]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (await call(Subclass, "get")).status_code == 200
        assert (await call(DjangoQueryInContext, "get")).status_code == 200
    with pytest.warns(SyncHookWarning, match=r"DjangoQueryInGetQueryset\.get_queryset"):
        assert (await call(DjangoQueryInGetQueryset, "get")).status_code == 200


async def sync_to_async_create(**fields: Any) -> None:
    await BasicModel.objects.acreate(**fields)
