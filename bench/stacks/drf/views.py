import time

from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

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
    def get(self, request):
        time.sleep(0.02)  # a sync stack blocks its worker on the upstream call
        return Response({"ok": True})
