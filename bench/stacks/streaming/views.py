from async_drf import filters, generics
from async_drf.streaming import AsyncStreamingListAPIView

from ..asyncdrf.views import PostSerializer
from ..tortoise_models import Post


class PostExport(AsyncStreamingListAPIView):
    """Every post as a JSON array, NDJSON or CSV; ``?search=`` narrows it (warm-up)."""

    queryset = Post
    serializer_class = PostSerializer
    filter_backends = [filters.SearchFilter]
    search_fields = ["=title"]


class PostList(generics.AsyncListAPIView):
    """The same rows as one JSON list, not streamed (no pagination): for comparison."""

    queryset = Post
    serializer_class = PostSerializer
    pagination_class = None
