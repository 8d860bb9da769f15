"""drf-spectacular over async_drf views (async_drf.contrib.spectacular): each extension
on small Tortoise serializers and views, the AutoSchema that answers both generators,
the system checks, and the demo: ``manage.py spectacular --validate --fail-on-warn``,
the same operations, parameters and bodies as DRF's generator, Swagger UI and Redoc
with DEBUG off."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import include, path
from openapi_spec_validator import validate
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.routers import SimpleRouter
from rest_framework.schemas.openapi import SchemaGenerator as DRFSchemaGenerator

from async_drf import filters, generics, pagination, relations, serializers, viewsets
from async_drf.authentication import (
    AsyncBasicAuthentication,
    AsyncSessionAuthentication,
    AsyncTokenAuthentication,
)
from async_drf.schemas import AutoSchema as DRFAutoSchema
from async_drf.schemas import field_schema

from .models import Author, Comment, Post, Tag
from .spectacular_compare import assert_same_operations

if os.environ.get("CI", "").lower() != "true":
    pytest.importorskip("drf_spectacular", reason="drf-spectacular is not installed")

from drf_spectacular.drainage import GENERATOR_STATS  # noqa: E402
from drf_spectacular.extensions import OpenApiFilterExtension  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402
from drf_spectacular.openapi import AutoSchema as PlainAutoSchema  # noqa: E402
from drf_spectacular.plumbing import ComponentRegistry  # noqa: E402
from drf_spectacular.utils import extend_schema, extend_schema_field  # noqa: E402
from drf_spectacular.validation import validate_schema  # noqa: E402

from async_drf.contrib.spectacular import AutoSchema  # noqa: E402
from async_drf.contrib.spectacular.extensions import (  # noqa: E402
    FilterBackendExtension,
    OrderingFilterExtension,
    SearchFilterExtension,
    with_spectacular_schemas,
)

INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
SPECTACULAR = "drf_spectacular.openapi.AutoSchema"


# -- a small API over the test models ---------------------------------------------------


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class PostSerializer(serializers.ModelSerializer):
    author_detail = AuthorSerializer(source="author", read_only=True)  # nested

    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author", "editor", "tags", "author_detail"]


class RelationsSerializer(drf_serializers.Serializer):
    """A DRF serializer: drf-spectacular maps it, async_drf's fields through extensions."""

    author = relations.PrimaryKeyRelatedField(queryset=Author)
    tags = relations.PrimaryKeyRelatedField(queryset=Tag, many=True)
    tag_names = relations.SlugRelatedField(slug_field="name", queryset=Tag, many=True)
    editor = relations.StringRelatedField()
    link = relations.HyperlinkedRelatedField(view_name="post-detail", read_only=True)


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "post", "text"]


class Cursor(pagination.AsyncCursorPagination):
    ordering = "-id"
    page_size = 5


class PostViewSet(viewsets.AsyncModelViewSet):
    queryset = Post
    serializer_class = PostSerializer
    pagination_class = pagination.AsyncPageNumberPagination
    filter_backends = [filters.FilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_fields = {"author": ["exact", "in"], "title": ["icontains"]}
    search_fields = ["title"]
    ordering_fields = ["id"]
    authentication_classes = [AsyncTokenAuthentication, AsyncSessionAuthentication]

    # DRF's inspector on an @action: drf-spectacular gets async_drf's with its options.
    @action(detail=True, serializer_class=CommentSerializer, schema=DRFAutoSchema(list_view=True))
    async def comments(self, request: Any, pk: Any = None) -> Any:  # pragma: no cover
        raise NotImplementedError


class CommentList(generics.AsyncListCreateAPIView):
    queryset = Comment
    serializer_class = CommentSerializer
    pagination_class = pagination.AsyncLimitOffsetPagination
    filter_backends: list[Any] = []
    authentication_classes = [AsyncBasicAuthentication]


class Feed(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = PostSerializer
    pagination_class = Cursor
    filter_backends: list[Any] = []
    schema = DRFAutoSchema(operation_id_base="Feed")  # DRF's inspector on a view


class Relations(generics.AsyncRetrieveAPIView):
    queryset = Post
    serializer_class = RelationsSerializer
    schema = AutoSchema(operation_id_base="Relations")  # async_drf's, for both generators


# @extend_schema builds on DEFAULT_SCHEMA_CLASS when it decorates, as in a project whose
# settings name drf-spectacular's AutoSchema.
with override_settings(REST_FRAMEWORK={"DEFAULT_SCHEMA_CLASS": SPECTACULAR}):

    class AnnotatedSerializer(serializers.ModelSerializer):
        shout = drf_serializers.SerializerMethodField()

        class Meta:
            model = Tag
            fields = ["id", "name", "shout"]

        @extend_schema_field({"type": "string", "maxLength": 60})
        def get_shout(self, tag: Any) -> str:  # pragma: no cover
            return tag.name.upper()

    class Annotated(generics.AsyncListAPIView):
        queryset = Tag
        serializer_class = AnnotatedSerializer
        pagination_class = None
        filter_backends: list[Any] = []

        @extend_schema(summary="Tags, shouted", operation_id="listShoutedTags")
        async def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
            return await self.list(request, *args, **kwargs)


router = SimpleRouter()
router.register("posts", PostViewSet)
api = [
    path("", include(router.urls)),
    path("comments/", CommentList.as_view()),
    path("feed/", Feed.as_view()),
    path("relations/<int:pk>/", Relations.as_view()),
    path("annotated/", Annotated.as_view()),  # last
]
urlpatterns = api


@pytest.fixture(autouse=True)
def schema_settings() -> Any:
    rest_framework = {"DEFAULT_SCHEMA_CLASS": SPECTACULAR, "PAGE_SIZE": 10}
    with override_settings(ROOT_URLCONF=__name__, REST_FRAMEWORK=rest_framework):
        yield


def spectacular_schema(patterns: list[Any] = api) -> dict[str, Any]:
    """drf-spectacular's document of ``patterns``; no warning, no error, valid."""
    schema = SchemaGenerator(patterns=patterns).get_schema(public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), GENERATOR_STATS._error_cache)
    validate_schema(schema)
    validate(json.loads(json.dumps(schema)))
    return schema


def drf_schema(patterns: list[Any] = api) -> dict[str, Any]:
    return DRFSchemaGenerator(patterns=patterns).get_schema(public=True)


def inspector(view_class: type, method: str = "GET", **attributes: Any) -> Any:
    """drf-spectacular's own AutoSchema (not async_drf's) on ``view_class``."""
    view = view_class()
    view.request, view.format_kwarg, view.args, view.kwargs = None, None, (), {}
    for name, value in attributes.items():
        setattr(view, name, value)
    schema = PlainAutoSchema()
    schema.view, schema.registry, schema.method = view, ComponentRegistry(), method
    schema.path = schema.path_regex = "/x/"
    schema.path_prefix = ""
    return schema


# -- each extension, under drf-spectacular's own AutoSchema -------------------------------


async def test_serializer_extension_maps_a_tortoise_model_serializer(tortoise_db: Any) -> None:
    schema = inspector(Relations)._map_serializer(PostSerializer(), "response")
    props = schema["properties"]
    assert props["author"] == INT32  # the Tortoise pk of Author, with its column's range
    assert props["editor"] == {**INT32, "nullable": True}
    assert props["tags"] == {"type": "array", "items": INT32}
    assert props["title"]["maxLength"] == 200 and props["title"]["minLength"] == 1
    assert props["id"] == {"type": "integer", "readOnly": True}
    nested = props["author_detail"]  # inline, as DRF's generator has it
    assert nested["readOnly"] is True and set(nested["properties"]) == {"id", "name"}
    assert schema["required"] == ["title", "body", "author"]
    assert schema == {**DRFAutoSchema().map_serializer(PostSerializer()), "type": "object"}


async def test_serializer_extension_drops_required_for_a_partial_update(tortoise_db: Any) -> None:
    schema = inspector(Relations)._map_serializer(PostSerializer(partial=True), "request")
    assert "required" not in schema


async def test_field_extensions_map_async_drf_relations(tortoise_db: Any) -> None:
    schema = inspector(Relations)._map_serializer(RelationsSerializer(), "response")
    props = schema["properties"]
    assert props["author"] == INT32
    assert props["tags"] == {"type": "array", "items": INT32}
    slugs = field_schema(RelationsSerializer().fields["tag_names"])  # async_drf's mapping
    assert props["tag_names"] == slugs
    assert props["editor"] == {"type": "string", "readOnly": True}
    assert props["link"] == {"type": "string", "readOnly": True}  # as DRF's generator maps it
    assert not GENERATOR_STATS


async def test_filter_extensions_list_the_backends_own_parameters(tortoise_db: Any) -> None:
    schema = inspector(PostViewSet, action="list")
    parameters = schema._get_filter_parameters()
    expected = []
    for backend in PostViewSet.filter_backends:
        expected += backend().get_schema_operation_parameters(schema.view)
    assert parameters == expected
    by_name = {p["name"]: p for p in parameters}
    assert set(by_name) == {"author", "author__in", "title__icontains", "search", "ordering"}
    assert by_name["author"]["schema"]["anyOf"][0] == {**INT32, "format": "int32"}
    matched = [type(OpenApiFilterExtension.get_match(b())) for b in PostViewSet.filter_backends]
    assert matched == [FilterBackendExtension, SearchFilterExtension, OrderingFilterExtension]


@pytest.mark.parametrize(
    ("view_class", "names"),
    [
        (PostViewSet, {"page"}),
        (CommentList, {"limit", "offset"}),
        (Feed, {"cursor"}),
    ],
)
async def test_paginator_extensions_list_lenient_parameters(
    tortoise_db: Any, view_class: type, names: set[str]
) -> None:
    schema = inspector(view_class, action="list")
    parameters = {p["name"]: p for p in schema._get_pagination_parameters()}
    assert set(parameters) == names
    if "page" in names:
        assert parameters["page"]["schema"]["anyOf"][1] == {"enum": ["", "last"]}
    if "limit" in names:
        assert parameters["limit"]["schema"]["anyOf"] == [
            {"type": "integer", "minimum": 1},
            {"type": "string"},
        ]


async def test_paginator_envelopes(tortoise_db: Any) -> None:
    document = await sync_to_async(spectacular_schema)()
    components = document["components"]["schemas"]

    def envelope(path: str) -> dict[str, Any]:
        ok = document["paths"][path]["get"]["responses"]["200"]
        ref = ok["content"]["application/json"]["schema"]["$ref"]
        return components[ref.rsplit("/", 1)[1]]

    page = envelope("/posts/")
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Post"}
    assert set(envelope("/comments/")["properties"]) == {"count", "next", "previous", "results"}
    cursor = envelope("/feed/")  # its own component, not the numbered page's
    assert set(cursor["properties"]) == {"next", "previous", "results"}
    assert set(envelope("/posts/{id}/comments/")["properties"]) >= {"count", "results"}


async def test_authentication_extensions(tortoise_db: Any) -> None:
    document = await sync_to_async(spectacular_schema)()
    schemes = document["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert {"tokenAuth": []} in document["paths"]["/posts/"]["post"]["security"]


async def test_view_extension_gives_drf_inspectors_options_to_spectacular(
    tortoise_db: Any,
) -> None:
    replaced = with_spectacular_schemas(Feed)
    assert isinstance(replaced.schema, AutoSchema)
    assert replaced.schema.operation_id_base == "Feed"
    viewset = with_spectacular_schemas(PostViewSet)
    assert viewset.comments.kwargs["schema"].list_view is True
    assert viewset.comments.mapping == PostViewSet.comments.mapping
    assert with_spectacular_schemas(CommentList) is CommentList  # nothing to replace
    document = await sync_to_async(spectacular_schema)()
    assert document["paths"]["/feed/"]["get"]["operationId"] == "listFeeds"
    comments = document["paths"]["/posts/{id}/comments/"]["get"]
    assert {p["name"] for p in comments["parameters"]} == {"id", "page"}


# -- AutoSchema: both generators, the same document --------------------------------------


async def test_views_get_async_drfs_spectacular_autoschema(tortoise_db: Any) -> None:
    assert type(CommentList().schema) is AutoSchema
    with override_settings(REST_FRAMEWORK={}):
        assert type(CommentList().schema) is DRFAutoSchema


async def test_both_generators_describe_the_same_operations(tortoise_db: Any) -> None:
    unannotated = api[:-1]  # @extend_schema is drf-spectacular's alone
    spectacular = await sync_to_async(spectacular_schema)(unannotated)
    drf = await sync_to_async(drf_schema)(unannotated)
    validate(json.loads(json.dumps(drf)))
    assert_same_operations(drf, spectacular)


async def test_error_responses_and_path_parameters(tortoise_db: Any) -> None:
    document = await sync_to_async(spectacular_schema)()
    detail = document["paths"]["/posts/{id}/"]
    (path_id,) = [p for p in detail["get"]["parameters"] if p["in"] == "path"]
    assert path_id["schema"] == INT32
    assert path_id["description"] == "A unique integer value identifying this post."
    assert set(detail["put"]["responses"]) >= {"200", "400", "401", "403", "404", "415", "503"}
    assert set(detail["delete"]["responses"]) >= {"204", "404"}
    bad = detail["put"]["responses"]["400"]["content"]["application/json"]["schema"]
    assert {r["$ref"].rsplit("/", 1)[1] for r in bad["anyOf"]} == {
        "ErrorResponse",
        "ValidationErrorResponse",
    }
    assert document["paths"]["/posts/"]["post"]["responses"]["201"]
    assert document["paths"]["/posts/"]["post"]["requestBody"]["required"] is True
    # Filters apply to get_object too: DRF's generator lists them on detail routes.
    assert {"search", "ordering"} <= {p["name"] for p in detail["get"]["parameters"]}


async def test_extend_schema_keeps_what_async_drf_documents(tortoise_db: Any) -> None:
    """@extend_schema on a handler and @extend_schema_field on a serializer method: the
    annotations apply, and the error responses and Tortoise types stay."""
    document = await sync_to_async(spectacular_schema)()
    operation = document["paths"]["/annotated/"]["get"]
    assert operation["operationId"] == "listShoutedTags"
    assert operation["summary"] == "Tags, shouted"
    assert set(operation["responses"]) == {"200", "406", "503"}  # GET, AllowAny
    items = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    tag = document["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]["properties"]
    assert tag["shout"] == {"type": "string", "maxLength": 60, "readOnly": True}
    assert tag["name"]["maxLength"] == 50


# -- system checks ------------------------------------------------------------------------


def _check_ids() -> set[str]:
    return {m.id for m in run_checks() if m.id.startswith("async_drf.W00")} & {
        "async_drf.W005",
        "async_drf.W006",
        "async_drf.W007",
        "async_drf.W008",
    }


class CustomSchema(PlainAutoSchema):
    pass


class CustomAsyncSchema(AutoSchema):
    pass


@pytest.mark.parametrize(
    ("schema_class", "apps", "ids"),
    [
        (SPECTACULAR, ["drf_spectacular"], set()),
        (SPECTACULAR, [], {"async_drf.W006"}),
        (None, ["drf_spectacular"], {"async_drf.W007"}),
        (None, [], set()),
        (f"{__name__}.CustomSchema", ["drf_spectacular"], {"async_drf.W008"}),
        (f"{__name__}.CustomAsyncSchema", ["drf_spectacular"], set()),
    ],
)
def test_checks_name_what_drf_spectacular_needs(
    schema_class: str | None, apps: list[str], ids: set[str]
) -> None:
    from django.conf import settings

    rest_framework = {"DEFAULT_SCHEMA_CLASS": schema_class} if schema_class else {}
    installed = [*settings.INSTALLED_APPS, *apps]
    with override_settings(INSTALLED_APPS=installed, REST_FRAMEWORK=rest_framework):
        assert _check_ids() == ids


def test_w005_when_the_extensions_cannot_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "async_drf.contrib.spectacular", None)  # ImportError
    from django.conf import settings

    installed = [*settings.INSTALLED_APPS, "drf_spectacular"]
    with override_settings(INSTALLED_APPS=installed):
        assert _check_ids() == {"async_drf.W005"}
