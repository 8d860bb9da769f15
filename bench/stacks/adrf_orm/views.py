import asyncio

from adrf import generics, serializers
from adrf.views import APIView
from rest_framework.response import Response

from ..djmodels.models import Post


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "created_at", "author"]


class PostList(generics.ListCreateAPIView):
    queryset = Post.objects.all()
    serializer_class = PostSerializer


class PostDetail(generics.RetrieveAPIView):
    queryset = Post.objects.all()
    serializer_class = PostSerializer


class Slow(APIView):
    async def get(self, request):
        await asyncio.sleep(0.02)
        return Response({"ok": True})
