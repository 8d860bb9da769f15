"""Streaming list views, served in-process by test_streaming.py and under uvicorn
(included by tests/urls.py under ``stream/``)."""

from django.urls import path
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import SerializerMethodField
from rest_framework.response import Response
from tortoise.expressions import RawSQL

from async_drf import serializers as s
from async_drf.filters import FilterBackend, OrderingFilter, SearchFilter
from async_drf.streaming import AsyncStreamingListAPIView
from async_drf.views import AsyncAPIView

from .models import Author, Post


async def make_posts(count):
    """``count`` posts: titles b, a, c per author (ties across authors), every other
    one published, editors mixed with NULLs."""
    names = [f"{'ZYXWV'[k % 5]}{k}" for k in range(max(count // 3 + 1, 2))]
    authors = [await Author.create(name=name) for name in names]
    posts = []
    for i in range(count):
        author = authors[i // 3]
        editor = None if i % 4 == 0 else authors[i % 2]
        title = "bac"[i % 3]
        posts.append(
            await Post.create(
                title=title, body="x", published=i % 2 == 0, author=author, editor=editor
            )
        )
    return posts


class PostSerializer(s.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "published", "author", "editor"]


class AuthorSerializer(s.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class AuthoredPostSerializer(s.ModelSerializer):
    author = AuthorSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "author"]


class NestedPostSerializer(s.ModelSerializer):
    author = AuthorSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags"]


class Posts(AsyncStreamingListAPIView):
    queryset = Post
    serializer_class = PostSerializer
    stream_chunk_size = 4
    filter_backends = [SearchFilter, OrderingFilter, FilterBackend]
    search_fields = ["title"]
    ordering_fields = [
        "title",
        "id",
        "created",
        "published",
        "editor_id",
        "author__name",
        "editor__name",
    ]
    filterset_fields = ["published"]


class NestedPosts(Posts):
    serializer_class = NestedPostSerializer


class AuthoredPosts(Posts):
    serializer_class = AuthoredPostSerializer
    filter_backends = [OrderingFilter]  # FilterBackend's FilterSet is a cycle of its own


class ByTitle(Posts):
    filter_backends = []
    ordering = "-title"


class ByModel(Posts):
    filter_backends = []


class Guarded(Posts):
    def check_permissions(self, request):
        raise PermissionDenied("no export for you")


class FailingSerializer(PostSerializer):
    boom = SerializerMethodField()

    class Meta(PostSerializer.Meta):
        fields = ["id", "boom"]

    def get_boom(self, post):
        if post.id > 4:
            raise RuntimeError("row 5 cannot be rendered")
        return "ok"


class FailsLater(Posts):
    serializer_class = FailingSerializer


class SlowOnPostgres(Posts):
    """Rows after the fourth take 30 s each to compute."""

    def get_queryset(self):
        sleep = 'SELECT 1 FROM pg_sleep(CASE WHEN "post"."id" > 4 THEN 30 ELSE 0 END)'
        return Post.annotate(slow=RawSQL(f"({sleep})"))


class Seed(AsyncAPIView):
    """``POST ?count=10``: the posts of make_posts, for a server's empty database."""

    async def post(self, request):
        await make_posts(int(request.query_params["count"]))
        return Response(status=201)


urlpatterns = [
    path("posts/", Posts.as_view()),
    path("nested/", NestedPosts.as_view()),
    path("authored/", AuthoredPosts.as_view()),
    path("by-title/", ByTitle.as_view()),
    path("by-model/", ByModel.as_view()),
    path("guarded/", Guarded.as_view()),
    path("fails/", FailsLater.as_view()),
    path("slow/", SlowOnPostgres.as_view()),
    path("seed/", Seed.as_view()),
]
