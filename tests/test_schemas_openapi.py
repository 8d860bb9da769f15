"""What async_drf's OpenAPI schema says beyond DRF's: the error responses each operation
can give, the real success status, input constraints, conditional requests and links;
then DRF's own tests of the methods async_drf mirrors (tests/schemas/test_openapi.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import include, path
from openapi_spec_validator import validate
from rest_framework import fields as drf_fields
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from async_drf import generics, serializers, viewsets
from async_drf.authentication import AsyncSessionAuthentication, AsyncTokenAuthentication
from async_drf.conditional import ModelETag
from async_drf.filters import FilterBackend, SearchFilter
from async_drf.pagination import AsyncLimitOffsetPagination, AsyncPageNumberPagination
from async_drf.routers import AsyncDefaultRouter
from async_drf.schemas import AutoSchema, SchemaGenerator, field_schema, get_schema_view
from async_drf.throttling import AsyncAnonRateThrottle
from async_drf.views import AsyncAPIView

from .models import Author, Comment, Post
from .test_schemas import Pages, ping  # a paginator; an async function view

ERROR = {"$ref": "#/components/schemas/ErrorResponse"}
# At most 20 terms of at most 200 characters (SEARCH_MAX_TERMS, SEARCH_MAX_TERM_LENGTH).
SEARCH = r"^[\s,]*(?:[^\s,\x00]{1,200}(?:[\s,]+|$)){0,20}$"
VALIDATION = {"anyOf": [ERROR, {"$ref": "#/components/schemas/ValidationErrorResponse"}]}


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "author", "tags"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "post", "text"]


class PostList(generics.AsyncListCreateAPIView):
    queryset = Post
    serializer_class = PostSerializer
    pagination_class = Pages
    filter_backends = [FilterBackend, SearchFilter]
    filterset_fields = ["author"]
    search_fields = ["title"]
    authentication_classes = [AsyncTokenAuthentication, AsyncSessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [AsyncAnonRateThrottle]


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Post
    serializer_class = PostSerializer
    etag_class = ModelETag


class CommentList(generics.AsyncListCreateAPIView):
    queryset = Comment
    serializer_class = CommentSerializer
    pagination_class = AsyncLimitOffsetPagination


class AuthorViewSet(viewsets.AsyncReadOnlyModelViewSet):
    queryset = Author
    serializer_class = AuthorSerializer
    pagination_class = Pages

    @action(detail=True, serializer_class=PostSerializer, schema=AutoSchema(list_view=True))
    async def posts(self, request: Any, pk: Any = None) -> Response:
        raise NotImplementedError  # only its schema is under test


class Status(AsyncAPIView):
    authentication_classes: list[Any] = []

    def get(self, request: Any) -> Response:
        return Response({"status": "ok"})

    def post(self, request: Any) -> Response:
        return Response(request.data)  # 200, as Response() is

    def delete(self, request: Any) -> Response:
        return Response()


router = AsyncDefaultRouter()
router.register("authors", AuthorViewSet)

patterns = [
    path("posts/", PostList.as_view()),
    path("posts/<int:pk>/", PostDetail.as_view()),
    path("comments/", CommentList.as_view()),
    path("status/", Status.as_view()),
    path("ping/", ping),
    path("", include(router.urls)),
]


@pytest.fixture
def schema(tortoise_db: Any) -> dict[str, Any]:
    document = SchemaGenerator(title="t", patterns=patterns).get_schema(public=True)
    validate(document)
    return document


def operation(schema: dict[str, Any], url: str, method: str) -> dict[str, Any]:
    return schema["paths"][url][method]


# -- error responses -------------------------------------------------------------------


def test_each_operation_lists_the_errors_its_policies_can_give(schema: dict[str, Any]) -> None:
    # Token first: 401 with a challenge; a session write also needs its CSRF token (403).
    assert list(operation(schema, "/posts/", "get")["responses"]) == [
        *("200", "400", "401", "403", "404", "406", "429", "503")
    ]
    assert list(operation(schema, "/posts/", "post")["responses"]) == [
        *("201", "400", "401", "403", "406", "415", "429", "503")
    ]
    # No authenticators, no permissions, no throttles, no filters; limit/offset never 404s.
    assert list(operation(schema, "/comments/", "get")["responses"]) == ["200", "406", "503"]
    # A plain APIView reads no model: no 503.
    assert list(operation(schema, "/status/", "post")["responses"]) == [
        *("200", "400", "406", "415")
    ]


def test_error_bodies_and_headers(schema: dict[str, Any]) -> None:
    responses = operation(schema, "/posts/", "post")["responses"]
    assert responses["400"]["content"] == {"application/json": {"schema": VALIDATION}}
    assert responses["406"]["content"] == {"application/json": {"schema": ERROR}}
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert responses["429"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    components = schema["components"]["schemas"]
    assert components["ErrorResponse"]["required"] == ["detail"]
    field_errors = components["ValidationErrorResponse"]["anyOf"][0]
    assert field_errors["type"] == "object" and "additionalProperties" in field_errors


def test_an_async_authenticate_header_is_taken_for_a_challenge() -> None:
    from async_drf._schema_responses import error_statuses

    class AsyncChallenge(AsyncTokenAuthentication):
        async def authenticate_header(self, request: Any) -> str:
            return "Token"

    view = Status(authentication_classes=[AsyncChallenge])
    statuses = error_statuses(
        view, "GET", path_has_variables=False, is_list=False, has_query_filters=False
    )
    assert "401" in statuses  # and no coroutine left un-awaited (warnings are errors)


def test_a_throttled_view_may_answer_503_without_a_model() -> None:
    from async_drf._schema_responses import error_statuses

    view = Status(throttle_classes=[AsyncAnonRateThrottle])  # its store may be unreachable
    statuses = error_statuses(
        view, "GET", path_has_variables=False, is_list=False, has_query_filters=False
    )
    assert statuses[-2:] == ["429", "503"]


def test_a_session_alone_answers_403_not_401() -> None:
    from async_drf._schema_responses import error_statuses

    view = Status(authentication_classes=[AsyncSessionAuthentication])
    view.permission_classes = [IsAuthenticated]
    statuses = error_statuses(
        view, "GET", path_has_variables=False, is_list=False, has_query_filters=False
    )
    assert "401" not in statuses and "403" in statuses


# -- success responses and bodies ------------------------------------------------------


def test_only_a_create_answers_201_and_only_a_destroy_204(schema: dict[str, Any]) -> None:
    assert "201" in operation(schema, "/posts/", "post")["responses"]
    assert operation(schema, "/posts/{id}/", "delete")["responses"]["204"] == {"description": ""}
    status = schema["paths"]["/status/"]
    assert "200" in status["post"]["responses"] and "201" not in status["post"]["responses"]
    assert "200" in status["delete"]["responses"] and "204" not in status["delete"]["responses"]


def test_a_view_without_serializer_is_not_a_list(schema: dict[str, Any]) -> None:
    for url, operation_id in (("/status/", "retrieveStatus"), ("/ping/", "retrieveping")):
        get = operation(schema, url, "get")
        assert get["operationId"] == operation_id
        assert get["responses"]["200"]["content"]["application/json"]["schema"] == {}


def test_function_views_use_the_tortoise_aware_schema() -> None:
    assert isinstance(ping.cls().schema, AutoSchema)


def test_an_action_answering_a_page(schema: dict[str, Any]) -> None:
    get = operation(schema, "/authors/{id}/posts/", "get")
    assert get["operationId"] == "postsAuthor"  # its own name, not the list's
    assert [p["name"] for p in get["parameters"]] == ["id", "page"]
    page = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Post"}


def test_the_router_root_and_the_schema_view_are_left_out(schema: dict[str, Any]) -> None:
    assert "/" not in schema["paths"] and not any("format" in url for url in schema["paths"])


def test_a_body_with_required_fields_is_required(schema: dict[str, Any]) -> None:
    assert operation(schema, "/posts/", "post")["requestBody"]["required"] is True
    assert operation(schema, "/posts/{id}/", "put")["requestBody"]["required"] is True
    assert "required" not in operation(schema, "/posts/{id}/", "patch")["requestBody"]
    assert "required" not in operation(schema, "/status/", "post")["requestBody"]


# -- input constraints -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (
            drf_fields.CharField(),
            {"type": "string", "minLength": 1, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"},
        ),
        (drf_fields.CharField(allow_blank=True), {"type": "string", "pattern": r"^[^\x00]*$"}),
        (
            drf_fields.CharField(trim_whitespace=False),
            {"type": "string", "minLength": 1, "pattern": r"^[^\x00]*$"},
        ),
        (drf_fields.CharField(read_only=True), {"type": "string"}),
        (drf_fields.IntegerField(min_value=1), {"type": "integer", "minimum": 1}),
    ],
)
def test_field_schema_says_what_drf_refuses(field: Any, expected: dict[str, Any]) -> None:
    assert field_schema(field) == expected


def test_pagination_parameters_say_what_drf_accepts(schema: dict[str, Any]) -> None:
    params = {p["name"]: p["schema"] for p in operation(schema, "/comments/", "get")["parameters"]}
    lenient = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}]}
    assert params["limit"] == lenient  # limit=abc: DRF uses the default
    assert params["offset"] == {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string"}]}
    params = {p["name"]: p["schema"] for p in operation(schema, "/posts/", "get")["parameters"]}
    assert params["page"] == {"anyOf": [{"type": "integer", "minimum": 1}, {"enum": ["", "last"]}]}
    assert params["search"] == {"type": "string", "pattern": SEARCH}  # else a 400
    int32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    # The filterset's own parameter: its column's range, or empty (ignored).
    assert params["author"] == {"anyOf": [{**int32, "format": "int32"}, {"enum": [""]}]}
    (post_id,) = operation(schema, "/posts/{id}/", "put")["parameters"][:1]
    assert post_id["schema"] == int32
    body = schema["components"]["schemas"]["Post"]["properties"]
    assert body["author"] == int32 and body["tags"]["items"] == int32


# -- conditional requests --------------------------------------------------------------


def test_conditional_operations(schema: dict[str, Any]) -> None:
    get = operation(schema, "/posts/{id}/", "get")
    assert [p["name"] for p in get["parameters"] if p["in"] == "header"] == [
        "If-Match",
        "If-None-Match",
    ]
    assert get["responses"]["200"]["headers"]["ETag"]["required"] is True
    assert get["responses"]["304"]["headers"]["ETag"]["required"] is True
    assert "content" not in get["responses"]["304"]
    put = operation(schema, "/posts/{id}/", "put")
    assert put["responses"]["412"]["content"] == {"application/json": {"schema": ERROR}}
    assert "428" not in put["responses"]  # ModelETag does not require If-Match
    assert "headers" not in operation(schema, "/posts/{id}/", "delete")["responses"]["204"]
    assert "412" not in operation(schema, "/posts/", "get")["responses"]


# -- links -----------------------------------------------------------------------------


def test_links_lead_from_a_row_to_what_a_client_can_do_with_it(schema: dict[str, Any]) -> None:
    created = operation(schema, "/posts/", "post")["responses"]["201"]["links"]
    assert created["retrievePost"] == {
        "operationId": "retrievePost",
        "parameters": {"id": "$response.body#/id"},
        "description": "retrievePost with the id of the row in the body.",
    }
    assert {"updatePost", "partialUpdatePost", "destroyPost"} <= set(created)
    assert created["retrieveAuthor_author"]["parameters"] == {"id": "$response.body#/author"}
    listed = operation(schema, "/posts/", "get")["responses"]["200"]["links"]
    assert listed["retrievePost"]["parameters"] == {"id": "$response.body#/results/0/id"}
    retrieved = operation(schema, "/posts/{id}/", "get")["responses"]["200"]["links"]
    assert "retrievePost" not in retrieved  # not to itself
    # No detail route for comments; a comment links to its post.
    comment = operation(schema, "/comments/", "post")["responses"]["201"]["links"]
    assert set(comment) == {"retrievePost_post"}
    assert "links" not in operation(schema, "/posts/{id}/", "delete")["responses"]["204"]


# -- the schema URL --------------------------------------------------------------------

urlpatterns = [
    *patterns,
    path("schema/", get_schema_view(title="t", public=True, patterns=patterns)),
]


@pytest.mark.parametrize(
    ("query", "headers"), [({}, {"HTTP_ACCEPT": "application/json"}), ({"format": "json"}, {})]
)
async def test_the_schema_answers_plain_json(
    api_client: Any, tortoise_db: Any, query: dict[str, str], headers: dict[str, str]
) -> None:
    with override_settings(ROOT_URLCONF=__name__):
        response = await api_client.get("/schema/", query, **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["paths"].keys() >= {"/posts/", "/posts/{id}/"}


# -- DRF's tests/schemas/test_openapi.py, ported (async views, Tortoise models) ---------


class ItemSerializer(serializers.Serializer):
    text = drf_fields.CharField()


def inspect(view_class: Any, method: str, path: str = "/", **initkwargs: Any) -> AutoSchema:
    view = SchemaGenerator().create_view(view_class.as_view(**initkwargs), method)
    inspector = AutoSchema()
    inspector.view = view
    return inspector


def success(responses: dict[str, Any]) -> dict[str, Any]:
    return {code: response for code, response in responses.items() if code.startswith("2")}


def test_response_body_generation() -> None:
    # DRF documents any POST as 201; a create answers 201, a plain post DRF's 200.
    inspector = inspect(generics.AsyncCreateAPIView, "POST", serializer_class=ItemSerializer)
    responses = inspector.get_responses("/", "POST")
    assert responses["201"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/Item"
    )
    assert "description" in responses["201"]
    generic = inspect(generics.AsyncGenericAPIView, "POST", serializer_class=ItemSerializer)
    assert list(success(generic.get_responses("/", "POST"))) == ["200"]


def test_list_response_body_generation() -> None:
    inspector = inspect(generics.AsyncListAPIView, "GET", serializer_class=ItemSerializer)
    inspector.view.pagination_class = None
    assert success(inspector.get_responses("/", "GET")) == {
        "200": {
            "description": "",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                },
            },
        },
    }
    assert inspector.get_components("/", "GET")["Item"] == {
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}
        },
        "required": ["text"],
    }


def test_paginated_list_response_body_generation() -> None:
    class Pagination(AsyncPageNumberPagination):
        def get_paginated_response_schema(self, schema: Any) -> dict[str, Any]:
            return {"type": "object", "item": schema}

    inspector = inspect(
        generics.AsyncListAPIView,
        "GET",
        serializer_class=ItemSerializer,
        pagination_class=Pagination,
    )
    assert success(inspector.get_responses("/", "GET")) == {
        "200": {
            "description": "",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "item": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    },
                },
            },
        },
    }


def test_delete_response_body_generation() -> None:
    inspector = inspect(generics.AsyncDestroyAPIView, "DELETE", serializer_class=ItemSerializer)
    assert success(inspector.get_responses("/{id}/", "DELETE")) == {"204": {"description": ""}}


def test_operation_id_generation(tortoise_db: Any) -> None:
    inspector = inspect(generics.AsyncListAPIView, "GET", queryset=Post)
    assert inspector.get_operation_id("/", "GET") == "listPosts"
    custom = inspect(generics.AsyncListAPIView, "GET", queryset=Post)
    custom.operation_id_base = "Ulysse"
    assert custom.get_operation_id("/", "GET") == "listUlysses"


def test_operation_id_viewset(tortoise_db: Any) -> None:
    class ExampleViewSet(viewsets.AsyncModelViewSet):
        queryset = Post
        serializer_class = PostSerializer

    router = AsyncDefaultRouter()
    router.register("account", ExampleViewSet, basename="account")
    paths = SchemaGenerator(patterns=router.urls).get_schema(public=True)["paths"]
    assert paths["/account/"]["get"]["operationId"] == "listPosts"
    assert paths["/account/"]["post"]["operationId"] == "createPost"
    assert paths["/account/{id}/"]["get"]["operationId"] == "retrievePost"
    assert paths["/account/{id}/"]["put"]["operationId"] == "updatePost"
    assert paths["/account/{id}/"]["patch"]["operationId"] == "partialUpdatePost"
    assert paths["/account/{id}/"]["delete"]["operationId"] == "destroyPost"
