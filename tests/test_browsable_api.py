"""DRF's browsable API over async views: forms, pagination controls, permission checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework import renderers
from rest_framework.permissions import BasePermission
from rest_framework.routers import SimpleRouter

from async_drf import generics, serializers, viewsets
from async_drf.filters import OrderingFilter, SearchFilter
from async_drf.pagination import AsyncPageNumberPagination
from async_drf.permissions import AsyncBasePermission
from async_drf.renderers import BrowsableAPIRenderer, async_renderer_class

from .models import Author, Post, Tag

HTML = {"HTTP_ACCEPT": "text/html"}


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author", "tags"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class SmallPages(AsyncPageNumberPagination):
    page_size = 2


class AsyncDenyWrites(AsyncBasePermission):
    """Reads allowed; writes denied, decided asynchronously."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS")


class AsyncDenyObjectWrites(AsyncBasePermission):
    async def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS")


class SyncDenyWrites(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS")


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer
    pagination_class = SmallPages
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["id", "title"]


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Post
    serializer_class = PostSerializer


class ReadOnlyPosts(PostList):
    permission_classes = [AsyncDenyWrites]


class ReadOnlyPost(PostDetail):
    permission_classes = [AsyncDenyObjectWrites]


class CutoffPostSerializer(PostSerializer):
    class Meta(PostSerializer.Meta):
        extra_kwargs = {"author": {"html_cutoff": 2}}


class CutoffPosts(PostList):
    serializer_class = CutoffPostSerializer


class SyncReadOnlyPosts(PostList):
    permission_classes = [SyncDenyWrites]


class AsyncHookAuthors(generics.AsyncListCreateAPIView):
    """Every serializer/queryset hook is `async def`."""

    async def get_queryset(self) -> Any:
        return Author.all()

    async def get_serializer_class(self) -> Any:
        return AuthorSerializer


class AuthorViewSet(viewsets.AsyncModelViewSet):
    queryset = Author
    serializer_class = AuthorSerializer
    pagination_class = SmallPages


router = SimpleRouter()
router.register("authors", AuthorViewSet)

urlpatterns = [
    path("posts/", PostList.as_view()),
    path("posts/<int:pk>/", PostDetail.as_view()),
    path("ro-posts/", ReadOnlyPosts.as_view()),
    path("ro-posts/<int:pk>/", ReadOnlyPost.as_view()),
    path("sync-ro-posts/", SyncReadOnlyPosts.as_view()),
    path("cutoff-posts/", CutoffPosts.as_view()),
    path("hook-authors/", AsyncHookAuthors.as_view()),
    *router.urls,
]


@pytest.fixture(autouse=True)
def urls() -> Any:
    renderer_classes = ["rest_framework.renderers.JSONRenderer"]
    renderer_classes.append("rest_framework.renderers.BrowsableAPIRenderer")
    rest = {
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
        "TEST_REQUEST_DEFAULT_FORMAT": "json",
        "DEFAULT_RENDERER_CLASSES": renderer_classes,
    }
    with override_settings(ROOT_URLCONF=__name__, REST_FRAMEWORK=rest):
        yield


@pytest.fixture
async def posts(tortoise_db: Any) -> list[Post]:
    author = await Author.create(name="ann")
    await Tag.create(name="t")
    return [await Post.create(title=f"p{i}", body="b", author=author) for i in range(5)]


def form(html: str, method: str) -> str:
    """The browsable API's HTML (not raw data) form for ``method``: POST or PUT."""
    marker = 'method="POST"' if method == "POST" else f'data-method="{method}"'
    for match in re.finditer(r"<form[^>]*>.*?</form>", html, re.S):
        text = match.group(0)
        opening = text[: text.index(">")]
        if marker in opening and "form-horizontal" in opening and "_content" not in text:
            return text
    return ""


def test_drf_renderers_are_swapped_for_async_twins() -> None:
    assert async_renderer_class(renderers.BrowsableAPIRenderer) is BrowsableAPIRenderer
    assert async_renderer_class(renderers.JSONRenderer) is renderers.JSONRenderer

    class Custom(renderers.BrowsableAPIRenderer):
        pass

    twin = async_renderer_class(Custom)
    assert issubclass(twin, Custom) and twin is async_renderer_class(Custom)
    assert hasattr(twin, "aprepare")


async def test_list_page_has_post_form_and_pagination(posts: list[Post], api_client: Any) -> None:
    response = await api_client.get("/posts/", **HTML)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    post_form = form(html, "POST")
    for name in ("title", "body", "published", "author", "tags"):
        assert f'name="{name}"' in post_form, name
    assert 'name="_content"' in html  # the raw data (JSON) form
    assert "pagination" in html and "?page=2" in html  # 5 rows, 2 a page
    assert 'name="search"' in html  # the filter form of SearchFilter/OrderingFilter
    assert "ordering=title" in html
    # First page's rows only (quoted as the escaped JSON body shows them: a bare "p2"
    # could also appear inside the page's random CSRF token).
    assert "&quot;p0&quot;" in html and "&quot;p2&quot;" not in html


async def test_detail_page_has_put_form(posts: list[Post], api_client: Any) -> None:
    response = await api_client.get(f"/posts/{posts[0].id}/", **HTML)
    assert response.status_code == 200
    html = response.content.decode()
    put_form = form(html, "PUT")
    assert 'name="title"' in put_form and 'value="p0"' in put_form
    assert 'name="tags"' in put_form  # a relation renders, without choices
    assert form(html, "POST") == ""
    assert "DELETE" in html


@pytest.mark.parametrize("url", ["/ro-posts/", "/sync-ro-posts/"])
async def test_denied_permission_shows_no_form(
    posts: list[Post], api_client: Any, url: str
) -> None:
    response = await api_client.get(url, **HTML)
    assert response.status_code == 200
    html = response.content.decode()
    assert form(html, "POST") == ""
    assert 'name="_content"' not in html


async def test_denied_object_permission_shows_no_put_form(
    posts: list[Post], api_client: Any
) -> None:
    response = await api_client.get(f"/ro-posts/{posts[0].id}/", **HTML)
    assert response.status_code == 200
    html = response.content.decode()
    assert form(html, "PUT") == ""
    assert 'name="_content"' not in html
    assert "p0" in html  # the object itself is shown


async def test_async_serializer_hooks_render(tortoise_db: Any, api_client: Any) -> None:
    await Author.create(name="bea")
    response = await api_client.get("/hook-authors/", **HTML)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name"' in form(html, "POST")
    assert "bea" in html


async def test_viewset_list_and_detail(tortoise_db: Any, api_client: Any) -> None:
    authors = [await Author.create(name=f"a{i}") for i in range(3)]
    response = await api_client.get("/authors/", **HTML)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name"' in form(html, "POST")
    assert "?page=2" in html
    response = await api_client.get(f"/authors/{authors[0].id}/", **HTML)
    assert response.status_code == 200
    assert 'value="a0"' in form(response.content.decode(), "PUT")


async def test_html_form_post_creates(posts: list[Post], api_client: Any) -> None:
    # What the browser's HTML form sends (urlencoded); the raw JSON form is tested live.
    data = {"title": "from form", "body": "b", "author": posts[0].author_id}
    response = await api_client.post("/authors/", {"name": "form"}, format="multipart", **HTML)
    assert response.status_code == 201
    assert "form" in response.content.decode()
    response = await api_client.post("/posts/", data, format="multipart", **HTML)
    assert response.status_code == 201, response.content
    assert await Post.filter(title="from form").exists()


async def test_invalid_post_rerenders_form_with_errors(posts: list[Post], api_client: Any) -> None:
    response = await api_client.post("/posts/", {"title": ""}, format="multipart", **HTML)
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field may not be blank." in html or "This field is required." in html


def _options(html: str, name: str) -> list[str]:
    """The option values of the ``<select name=name>`` in ``html``."""
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, name
    return re.findall(r'<option value="([^"]*)"', match.group(1))


async def test_related_fields_offer_their_choices(
    posts: list[Post], api_client: Any, queries: Any
) -> None:
    bob = await Author.create(name="bob")
    await Tag.create(name="x")
    tags = [str(pk) for pk in await Tag.all().values_list("id", flat=True)]
    queries.reset()
    response = await api_client.get("/posts/", **HTML)
    assert response.status_code == 200
    post_form = form(response.content.decode(), "POST")
    assert _options(post_form, "author") == [str(posts[0].author_id), str(bob.pk)]
    assert _options(post_form, "tags") == tags
    # count + page + the page's tag links, then one query per related field of the form
    assert queries.count == 5, queries.queries
    assert 'FROM "author"' in queries.queries[3] and "LIMIT" in queries.queries[3]
    assert 'FROM "tag"' in queries.queries[4]


async def test_put_form_selects_the_current_choices(posts: list[Post], api_client: Any) -> None:
    bob = await Author.create(name="bob")
    tag = await Tag.get(name="t")
    await posts[0].tags.add(tag)
    response = await api_client.get(f"/posts/{posts[0].id}/", **HTML)
    assert response.status_code == 200
    put_form = form(response.content.decode(), "PUT")
    assert _options(put_form, "author") == [str(posts[0].author_id), str(bob.pk)]
    assert f'<option value="{posts[0].author_id}" selected' in put_form
    assert f'<option value="{bob.pk}" selected' not in put_form
    assert f'<option value="{tag.pk}" selected' in put_form


async def test_choices_stop_at_html_cutoff(
    posts: list[Post], api_client: Any, queries: Any
) -> None:
    for i in range(3):
        await Author.create(name=f"more{i}")
    queries.reset()
    response = await api_client.get("/cutoff-posts/", **HTML)
    post_form = form(response.content.decode(), "POST")
    assert _options(post_form, "author") == [str(posts[0].author_id), "2", "n/a"]
    assert "More than 2 items..." in post_form
    assert "LIMIT" in [q for q in queries.queries if 'FROM "author"' in q][0]


async def test_denied_form_loads_no_choices(
    posts: list[Post], api_client: Any, queries: Any
) -> None:
    response = await api_client.get("/ro-posts/", **HTML)
    assert response.status_code == 200
    assert not any('FROM "author"' in q for q in queries.queries)
