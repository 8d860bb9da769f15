import asyncio

from rest_framework.response import Response

from async_drf import generics, serializers
from async_drf.views import AsyncAPIView

from ..tortoise_models import Post


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "created_at", "author"]


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer


class PostDetail(generics.AsyncRetrieveAPIView):
    queryset = Post
    serializer_class = PostSerializer


class Slow(AsyncAPIView):
    async def get(self, request):
        await asyncio.sleep(0.02)  # stands in for an upstream call
        return Response({"ok": True})
