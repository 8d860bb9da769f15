"""URLs served by the database-capacity tests (tests/pool_settings.py)."""

from typing import Any

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from tortoise import Tortoise

from async_drf import generics, serializers
from async_drf.concurrency import run_sync
from async_drf.views import AsyncAPIView

from .models import Tag


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class TagCreate(generics.AsyncCreateAPIView):
    queryset = Tag
    serializer_class = TagSerializer


def _holds_connection() -> bool:
    return connection.connection is not None


class HeldConnection(AsyncAPIView):
    """Whether this request's thread still holds a Django connection once the view runs."""

    async def get(self, request: Any) -> Response:
        return Response({"holds_connection": await run_sync(_holds_connection)})


def _sleep_in_django(seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])


class HoldDjango(AsyncAPIView):
    """Keeps one pooled Django connection busy for ``?seconds=``."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    async def get(self, request: Any) -> Response:
        await run_sync(_sleep_in_django, float(request.query_params["seconds"]))
        return Response({"held": "django"})


class HoldTortoise(AsyncAPIView):
    """Keeps one connection of Tortoise's pool busy for ``?seconds=``."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    async def get(self, request: Any) -> Response:
        seconds = float(request.query_params["seconds"])
        await Tortoise.get_connection("default").execute_query("SELECT pg_sleep($1)", [seconds])
        return Response({"held": "tortoise"})


urlpatterns = [
    path("tags/", TagCreate.as_view()),
    path("held/", HeldConnection.as_view()),
    path("hold-django/", HoldDjango.as_view()),
    path("hold-tortoise/", HoldTortoise.as_view()),
]
