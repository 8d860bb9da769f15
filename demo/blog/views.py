"""The blog's API: generic views, a viewset with an extra action, a viewset over
Django's users, a function view, a view that mixes a sync and an async handler, an
after-response task and a streamed export.

Every hook (``get_queryset``, ``perform_create``, permissions, ...) may be ``def`` or
``async def``; Tortoise queries are awaited on the event loop.
"""

import asyncio
import time

from django.contrib.auth import get_user_model
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action, permission_classes, throttle_classes, throttle_scope
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from tortoise.expressions import F

from async_drf import generics, viewsets
from async_drf.conditional import ModelETag
from async_drf.decorators import api_view
from async_drf.pagination import AsyncCursorPagination, AsyncLimitOffsetPagination
from async_drf.schemas import AutoSchema
from async_drf.streaming import AsyncStreamingListAPIView
from async_drf.throttling import AsyncScopedRateThrottle
from async_drf.views import AsyncAPIView

from .filters import PostFilter
from .models import Author, Comment, Post, Tag
from .permissions import IsOwnerOrReadOnly
from .serializers import (
    AuthorSerializer,
    CommentSerializer,
    PostExportSerializer,
    PostSerializer,
    TagSerializer,
    UserSerializer,
)

# -- generic views: page-number pagination, filters, owner-only writes -------------


class PostList(generics.AsyncListCreateAPIView):
    """List posts (``?page=``, ``?search=``, ``?ordering=`` and PostFilter's
    ``?published=``, ``?author=``, ``?tag=``, ...) or create one as the authenticated user."""

    queryset = Post  # a model class: each request gets a fresh Post.all()
    serializer_class = PostSerializer
    filterset_class = PostFilter
    search_fields = ["title", "body", "author__name"]
    ordering_fields = ["created", "title", "id"]

    async def perform_create(self, serializer):
        await serializer.asave(owner_id=self.request.user.id)


async def record_read(request, response, pk):
    """Count a read of the post once the reader has it: the response does not wait."""
    if request.method == "GET":
        # QuerySet.update leaves Post.updated (auto_now), and so the ETag, as it is.
        await Post.filter(pk=pk).update(reads=F("reads") + 1)


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    """Read a post; only its owner may change or delete it.

    Responses carry an ETag: send it back in ``If-Match`` with a PUT, PATCH or DELETE,
    and a change made since you read the post is a 412 instead of being overwritten.
    Each successful GET is counted after the response is sent (``reads`` in the export).
    """

    queryset = Post
    serializer_class = PostSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsOwnerOrReadOnly]
    etag_class = ModelETag  # computed from Post.updated (auto_now)
    after_response = [record_read]  # record_read(request, response, pk=...)


class PostExport(AsyncStreamingListAPIView):
    """Every post, streamed as it is read: a JSON array, NDJSON (``Accept:
    application/x-ndjson``) or CSV (``Accept: text/csv`` or ``?format=csv``), with the
    filters and ordering of /api/posts/ and no pages."""

    queryset = Post
    serializer_class = PostExportSerializer
    filterset_class = PostFilter
    search_fields = ["title", "body", "author__name"]
    ordering_fields = ["created", "title", "id", "reads"]
    schema = AutoSchema(operation_id_base="PostExport")  # PostList already has "listPosts"


class CommentList(generics.AsyncListCreateAPIView):
    """Comments with limit/offset pagination: ``?limit=5&offset=10&post=3``."""

    queryset = Comment
    serializer_class = CommentSerializer
    pagination_class = AsyncLimitOffsetPagination
    # django-filter's dict form: ?post=3, ?post__in=1,2, ?name__icontains=reader
    filterset_fields = {"post": ["exact", "in"], "name": ["icontains"]}
    search_fields = ["name", "text"]
    ordering_fields = ["created", "id"]

    async def perform_create(self, serializer):
        await serializer.asave(owner_id=self.request.user.id)


class FeedPagination(AsyncCursorPagination):
    ordering = "-created"  # cursor pagination needs a fixed ordering
    page_size = 5


class Feed(generics.AsyncListAPIView):
    """Published posts, newest first, with opaque ``?cursor=`` links (no count query)."""

    serializer_class = PostSerializer
    pagination_class = FeedPagination
    filter_backends = []
    schema = AutoSchema(operation_id_base="Feed")  # PostList already has "listPosts"

    async def get_queryset(self):
        return Post.filter(published=True)


# -- a viewset on DefaultRouter, with an extra action ----------------------------


class AuthorViewSet(viewsets.AsyncReadOnlyModelViewSet):
    """``/api/authors/``, ``/api/authors/<pk>/`` and ``/api/authors/<pk>/posts/``."""

    queryset = Author
    serializer_class = AuthorSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "id"]

    # serializer_class and the schema tell the OpenAPI schema what the action answers.
    @action(detail=True, serializer_class=PostSerializer, schema=AutoSchema(list_view=True))
    async def posts(self, request, pk=None):
        """This author's posts, paginated like any list."""
        author = await self.get_object()
        page = await self.paginate_queryset(Post.filter(author=author))
        serializer = self.get_serializer(page, many=True)
        return await self.get_paginated_response(await serializer.adata)


class TagViewSet(viewsets.AsyncReadOnlyModelViewSet):
    queryset = Tag
    serializer_class = TagSerializer
    pagination_class = None  # a short list: no pages


# -- a viewset over a Django model: the users who own the posts ----------------------


class UserViewSet(viewsets.AsyncReadOnlyModelViewSet):
    """``/api/users/`` and ``/api/users/<pk>/``: the name behind a post's ``owner_id``.

    The queryset is Django's: read through Django's async ORM, rendered by DRF's own
    ModelSerializer, paginated, searched and ordered like the Tortoise views.
    """

    queryset = get_user_model().objects.order_by("id")
    serializer_class = UserSerializer
    permission_classes = [IsAuthenticated]
    search_fields = ["username"]
    ordering_fields = ["username", "id"]


# -- an async function view: two upstream calls at once --------------------------

UPSTREAM_DELAY = 0.05  # seconds each simulated upstream call takes


async def fetch_weather():
    """Stands in for an HTTP call to another service (e.g. with httpx.AsyncClient)."""
    await asyncio.sleep(UPSTREAM_DELAY)
    return {"city": "Lisbon", "celsius": 21}


async def fetch_quote():
    await asyncio.sleep(UPSTREAM_DELAY)
    return {"text": "Simple is better than complex."}


@api_view(["GET"])
@permission_classes([AllowAny])
@throttle_classes([AsyncScopedRateThrottle])
@throttle_scope("upstream")  # rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["upstream"]
async def upstream(request):
    """Await both upstream calls concurrently: the total is one delay, not two."""
    started = time.perf_counter()
    weather, quote = await asyncio.gather(fetch_weather(), fetch_quote())
    return Response(
        {
            "weather": weather,
            "quote": quote,
            "elapsed": time.perf_counter() - started,
            "sequential": 2 * UPSTREAM_DELAY,
        }
    )


# -- one view, a sync handler beside an async one ---------------------------------


def _on_event_loop():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class StatusView(AsyncAPIView):
    """GET is a plain ``def``: it runs in a worker thread, where Django's sync ORM is
    allowed.  POST is ``async def`` and runs on the event loop."""

    permission_classes = [AllowAny]

    def get(self, request):
        return Response(
            {
                "status": "ok",
                "handler": "sync",
                "on_event_loop": _on_event_loop(),
                "user": str(request.user),
                "users": get_user_model().objects.count(),  # sync Django ORM: fine here
            }
        )

    async def post(self, request):
        return Response(
            {
                "handler": "async",
                "on_event_loop": _on_event_loop(),
                "user": str(request.user),
                "posts": await Post.all().count(),
                "echo": request.data,
            }
        )


# -- DRF's own views, rebased on AsyncAPIView ---------------------------------------
# A DRF APIView authenticates synchronously, so it cannot use the async authenticators
# of REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].  Putting AsyncAPIView first
# gives DRF's view the async request cycle; its sync handler runs in a thread.


class TokenView(AsyncAPIView, ObtainAuthToken):
    """``POST username, password`` -> ``{"token": ...}`` (rest_framework.authtoken)."""

    # DRF's view has no throttle: each password guess costs a hash of ~0.35 s of CPU.
    throttle_classes = [AsyncScopedRateThrottle]
    throttle_scope = "token"  # rate: REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
