"""Views shared by tests that go through Django's handler."""

from rest_framework.response import Response

from async_drf.decorators import api_view
from async_drf.views import AsyncAPIView

from .models import Author


class AuthorView(AsyncAPIView):
    async def get(self, request, pk):
        author = await Author.get(pk=pk)
        return Response({"id": author.id, "name": author.name})


class MixedView(AsyncAPIView):
    def get(self, request):
        return Response({"handler": "sync"})

    async def post(self, request):
        return Response({"handler": "async", "data": request.data})


@api_view(["GET", "POST"])
async def function_view(request):
    return Response({"method": request.method, "count": await Author.all().count()})


class AuthorCreate(AsyncAPIView):
    async def post(self, request):
        author = await Author.create(name=request.data["name"])
        return Response({"id": author.id, "name": author.name}, status=201)
