"""User code over async_drf's public API, checked by mypy (``make lint``/``make test``).

Never imported by pytest: ``assert_type`` fails the type check, not a test, when a
hint of the public API is lost or widened to ``Any``.
"""

from __future__ import annotations

from typing import Any, assert_type

from django.contrib.auth.models import Group
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponseBase
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList
from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

from async_drf import generics, relations, schemas, serializers
from async_drf._types import Instance, QuerySetLike
from async_drf.concurrency import maybe_await
from async_drf.db import aevaluate
from async_drf.fastjson import ORJSONRenderer
from async_drf.filters import FilterBackend, SearchFilter
from async_drf.filtersets import BaseFilterSet, CharFilter, FilterSet, filterset_factory
from async_drf.tasks import AfterResponseRequest
from async_drf.test import AsyncAPIRequestFactory
from async_drf.validators import UniqueValidator


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    author_id = fields.IntField()


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title"]


class PostWriter(serializers.ModelSerializer):
    """Hooks overridden as a user types them, over the user's own model."""

    class Meta:
        model = Post
        fields = ["id", "title"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return dict(super().validate(attrs))

    def update(self, instance: Post, validated_data: dict[str, Any]) -> Post:
        return instance

    async def acreate(self, validated_data: dict[str, Any]) -> Post:
        post: Post = await super().acreate(validated_data)
        return post


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer

    def get_queryset(self) -> QuerySet[Post]:  # a sync hook
        return Post.filter(title__startswith="a")

    async def perform_create(self, serializer: Any) -> None:  # an async hook
        await serializer.asave(author_id=1)


async def render(serializer: PostSerializer) -> None:
    assert_type(await serializer.ais_valid(raise_exception=True), bool)
    data = await serializer.adata  # the async twin of .data
    assert_type(data, ReturnDict[Any, Any])
    assert_type(serializer.data, ReturnDict[Any, Any])
    assert_type(serializer.get_prefetch_fields(), list[str])
    assert_type(serializer.build_unique_validator("title"), UniqueValidator)
    await serializer.asave()
    del data


async def render_many(serializer: serializers.ListSerializer) -> None:
    assert_type(await serializer.adata, ReturnList[Any])  # a list's data is a list


async def hooks(view: PostList, request: Request) -> None:
    assert_type(await view.get(request), HttpResponseBase)
    assert_type(await view.list(request), Response)
    assert_type(await view.aget_serializer(), BaseSerializer[Any])
    assert_type(await view.filter_queryset(view.get_queryset()), QuerySetLike)
    assert_type(await view.paginate_queryset(view.get_queryset()), list[object] | None)
    assert_type(await view.get_object(), Instance)  # a Tortoise or a Django row
    assert_type(await generics.aget_object_or_404(Post, pk=1), Post)
    assert_type(await generics.aget_object_or_404(Post.filter(title="a"), pk=1), Post)


async def bridge() -> None:
    async def fetch(pk: int) -> Post:
        return await Post.get(pk=pk)

    def title(post: Post) -> str:
        return post.title

    post = await maybe_await(fetch, 1)  # an async hook gives what it returns
    assert_type(post, Post)
    assert_type(await maybe_await(title, post), str)  # so does a sync one


async def tooling(request: AfterResponseRequest) -> None:
    def notify(post_id: int, *, title: str) -> None:
        del post_id, title

    request.after_response(notify, 1, title="a")  # the arguments are checked against func
    assert_type(AsyncAPIRequestFactory().generic("GET", "/posts/"), ASGIRequest)
    assert_type(await aevaluate(Group.objects.all()), list[Group])
    assert_type(ORJSONRenderer().render({"id": 1}), bytes)


async def schema_hooks(
    field: relations.PrimaryKeyRelatedField, inspector: schemas.AutoSchema
) -> None:
    assert_type(await field.aget_queryset(), QuerySet[Model] | None)
    assert_type(await field.aget_choices(), dict[object, str])
    assert_type(inspector.get_operation("/posts/", "GET"), dict[str, object])
    assert_type(inspector.get_serializer("/posts/", "GET"), BaseSerializer[Any] | None)


class PostFilterSet(FilterSet):
    title = CharFilter(lookup_expr="icontains")

    class Meta:
        model = Post
        fields = ["author_id"]


async def filtering(view: PostList, request: Request) -> None:
    filterset = PostFilterSet(request.query_params, Post.all(), request=request)
    assert_type(filterset.qs, QuerySet[Any])
    assert_type(await filterset.afilter_queryset(Post.all()), QuerySet[Any])
    assert_type(CharFilter(lookup_expr="iexact").bind(Post), CharFilter)
    assert_type(filterset_factory(Post), type[FilterSet])
    # A search gives back the queryset type it was given.
    assert_type(SearchFilter().filter_queryset(request, Post.all(), view), QuerySet[Post])
    assert_type(FilterBackend().get_filterset_class(view, Post), type[BaseFilterSet] | None)
