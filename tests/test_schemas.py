"""OpenAPI schemas from DRF's generator over async views and Tortoise serializers, and
the offline Swagger UI page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import include, path
from openapi_spec_validator import validate
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from async_drf import generics, serializers, viewsets
from async_drf.authentication import AsyncTokenAuthentication
from async_drf.decorators import api_view
from async_drf.docs import SwaggerUIView
from async_drf.filters import OrderingFilter, SearchFilter
from async_drf.pagination import AsyncPageNumberPagination
from async_drf.permissions import AsyncBasePermission
from async_drf.schemas import AutoSchema, SchemaGenerator, get_schema_view

from .models import Everything, Post

INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
SOLID = r"^[^\x00]*[^\s\x00][^\x00]*$"  # not blank once trimmed, no null characters


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author", "editor", "tags", "created"]


class EverythingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Everything
        fields = ["id", "char", "text", "status", "priority", "uid", "created"]


class Pages(AsyncPageNumberPagination):
    page_size = 10


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer
    pagination_class = Pages
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["title"]
    ordering_fields = ["id", "title"]
    authentication_classes = [AsyncTokenAuthentication]


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Post
    serializer_class = PostSerializer


class EverythingViewSet(viewsets.AsyncModelViewSet):
    queryset = Everything
    serializer_class = EverythingSerializer


class AsyncNever(AsyncBasePermission):
    async def has_permission(self, request: Any, view: Any) -> bool:
        return False


class Hidden(generics.AsyncListAPIView):
    queryset = Post
    serializer_class = PostSerializer
    permission_classes = [AsyncNever]
    schema = AutoSchema(operation_id_base="HiddenPost")


class AsyncHookList(generics.AsyncListAPIView):
    queryset = Post
    schema = AutoSchema(operation_id_base="HookPost")

    async def get_serializer_class(self) -> Any:
        return PostSerializer


@api_view(["GET"])
async def ping(request: Any) -> Response:
    return Response({"pong": True})


router = DefaultRouter()
router.register("everything", EverythingViewSet)

api = [
    path("posts/", PostList.as_view()),
    path("posts/<int:pk>/", PostDetail.as_view()),
    path("hidden/", Hidden.as_view()),
    path("hook-posts/", AsyncHookList.as_view()),
    path("ping/", ping),
    path("", include(router.urls)),
]
urlpatterns = [
    *api,
    path("schema/", get_schema_view(title="Test API", version="1.0", patterns=api), name="schema"),
    path(
        "public-schema/",
        get_schema_view(title="Test API", public=True, patterns=api),
        name="public-schema",
    ),
    path("docs/", SwaggerUIView.as_view(url_name="schema"), name="docs"),
]


@pytest.fixture(autouse=True)
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


async def fetch_schema(api_client: Any, url: str = "/schema/") -> dict[str, Any]:
    response = await api_client.get(url, {"format": "openapi-json"})
    assert response.status_code == 200, response.content
    return json.loads(response.content)


async def test_schema_is_valid_openapi(tortoise_db: Any, api_client: Any) -> None:
    schema = await fetch_schema(api_client)
    validate(schema)  # raises on an invalid document
    assert schema["info"] == {"title": "Test API", "version": "1.0"}
    assert set(schema["paths"]) >= {
        "/posts/",
        "/posts/{id}/",
        "/ping/",
        "/everything/",
        "/everything/{id}/",
    }


async def test_serializer_components(tortoise_db: Any, api_client: Any) -> None:
    components = (await fetch_schema(api_client))["components"]["schemas"]
    post = components["Post"]
    assert post["required"] == ["title", "body", "author"]
    props = post["properties"]
    # DRF refuses "", whitespace only (trimmed to "") and null characters.
    assert props["title"] == {"type": "string", "maxLength": 200, "minLength": 1, "pattern": SOLID}
    assert props["id"] == {"type": "integer", "readOnly": True}
    assert props["created"]["readOnly"] is True
    assert props["author"] == INT32  # the Tortoise pk type of Author, with the column's range
    assert props["editor"] == {**INT32, "nullable": True}
    assert props["tags"] == {"type": "array", "items": INT32}
    every = components["Everything"]["properties"]
    assert every["status"] == {"enum": ["draft", "published"], "type": "string"}
    assert every["priority"] == {"enum": [1, 2], "type": "integer"}
    assert every["text"] == {"type": "string", "nullable": True, "pattern": r"^[^\x00]*$"}
    assert every["uid"] == {"type": "string", "format": "uuid", "nullable": True}
    assert every["char"]["description"] == "a short text"
    assert components["Everything"]["required"] == ["char"]


async def test_list_operation(tortoise_db: Any, api_client: Any) -> None:
    operation = (await fetch_schema(api_client))["paths"]["/posts/"]["get"]
    assert operation["operationId"] == "listPosts"
    params = {p["name"]: p for p in operation["parameters"]}
    assert set(params) == {"page", "search", "ordering"}
    # DRF reads an empty page as the first and "last" as the last.
    assert params["page"]["schema"] == {
        "anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["", "last"]}]
    }
    envelope = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
    assert envelope["properties"]["next"]["nullable"] is True
    assert envelope["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Post"}
    assert operation["security"] == [{"tokenAuth": []}, {}]


async def test_security_schemes(tortoise_db: Any, api_client: Any) -> None:
    schema = await fetch_schema(api_client)
    assert schema["components"]["securitySchemes"] == {
        "tokenAuth": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
    }


async def test_path_parameters_are_typed(tortoise_db: Any, api_client: Any) -> None:
    paths = (await fetch_schema(api_client))["paths"]
    for url in ("/posts/{id}/", "/everything/{id}/"):
        (param,) = paths[url]["get"]["parameters"]
        assert param["schema"] == INT32
        assert param["description"].startswith("A unique integer value identifying this ")
    assert paths["/everything/{id}/"]["put"]["operationId"] == "updateEverything"
    assert "requestBody" in paths["/everything/{id}/"]["put"]


async def test_async_permission_is_checked(tortoise_db: Any, api_client: Any) -> None:
    # Not public: each view's (async) permissions decide whether it is listed.
    assert "/hidden/" not in (await fetch_schema(api_client))["paths"]
    assert "/hidden/" in (await fetch_schema(api_client, "/public-schema/"))["paths"]


async def test_async_serializer_hook_is_awaited(tortoise_db: Any, api_client: Any) -> None:
    operation = (await fetch_schema(api_client))["paths"]["/hook-posts/"]["get"]
    items = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]
    assert items == {"$ref": "#/components/schemas/Post"}


async def test_async_hook_on_the_loop_degrades_with_a_warning(tortoise_db: Any) -> None:
    generator = SchemaGenerator(title="t", patterns=[path("hook-posts/", AsyncHookList.as_view())])
    with pytest.warns(RuntimeWarning, match="async serializer hook"):
        schema = generator.get_schema(public=True)  # on the event loop: cannot await
    validate(schema)
    assert "/hook-posts/" in schema["paths"]


def test_async_views_default_to_the_tortoise_aware_schema() -> None:
    assert isinstance(PostList().schema, AutoSchema)
    with override_settings(REST_FRAMEWORK={"DEFAULT_SCHEMA_CLASS": "tests.test_schemas.Custom"}):
        assert type(PostList().schema) is Custom


class Custom(AutoSchema):
    pass


# -- Swagger UI --------------------------------------------------------------------

STATIC_APPS = {
    "INSTALLED_APPS": [
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "django.contrib.staticfiles",
        "rest_framework",
        "rest_framework.authtoken",
        "drf_spectacular_sidecar",
        "async_drf",
        "tests",
    ],
    "STATIC_URL": "/static/",
}


async def test_swagger_ui_page_uses_only_local_assets(api_client: Any) -> None:
    with override_settings(**STATIC_APPS):
        response = await api_client.get("/docs/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "http://" not in html and "https://" not in html and "//cdn" not in html
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert len(assets) == 4
        for asset in assets:
            assert asset.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/")
            assert finders.find(asset.removeprefix("/static/")), asset
        assert '"/schema/?format=openapi-json"' in html


async def test_schema_view_awaits_async_policies() -> None:
    """The schema view runs the async request cycle: an async permission is awaited."""
    from async_drf.test import AsyncAPIRequestFactory

    class Closed(AsyncBasePermission):
        async def has_permission(self, request: Any, view: Any) -> bool:
            return False

    view = get_schema_view(title="t", permission_classes=[Closed], authentication_classes=[])
    response = await view(AsyncAPIRequestFactory().get("/schema/"))
    assert response.status_code == 403
