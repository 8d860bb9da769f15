"""Django querysets beside Tortoise's: the paginators, filters, responses, viewsets and
OPTIONS over Django models, with the queries and thread hops each request costs
(``thread_hops`` counts at asgiref's level, Django's async ORM included)."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path
from openapi_spec_validator import validate
from rest_framework import filters as drf_filters
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from async_drf import generics, viewsets
from async_drf import serializers as async_serializers
from async_drf.asgi import ASGIHandler
from async_drf.conditional import ModelETag
from async_drf.filters import FilterBackend, OrderingFilter, SearchFilter
from async_drf.pagination import (
    AsyncCursorPagination,
    AsyncLimitOffsetPagination,
    AsyncPageNumberPagination,
)
from async_drf.schemas import SchemaGenerator
from async_drf.settings import async_settings
from async_drf.streaming import AsyncStreamingListAPIView
from async_drf.test import AsyncAPIClient, AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView

from .django_db import django_db  # noqa: F401 - fixture
from .django_models import (
    BasicModel,
    ForeignKeySource,
    ForeignKeyTarget,
    ManyToManySource,
    ManyToManyTarget,
)
from .test_asgi_handler import call

pytestmark = pytest.mark.usefixtures("django_db")

factory = AsyncAPIRequestFactory()


class BasicSerializer(serializers.ModelSerializer):
    class Meta:
        model = BasicModel
        fields = "__all__"


class BasicList(generics.AsyncListCreateAPIView):
    queryset = BasicModel.objects.order_by("id")
    serializer_class = BasicSerializer


@pytest.fixture
def rows() -> list[dict[str, Any]]:
    for text in ("foo", "bar", "baz", "qux", "quux"):
        BasicModel.objects.create(text=text)
    return [{"id": obj.id, "text": obj.text} for obj in BasicModel.objects.order_by("id")]


async def get(view: Any, path: str = "/", **kwargs: Any) -> Any:
    response = await view(factory.get(path), **kwargs)
    return await response.render()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# -- pagination ------------------------------------------------------------------


class TwoPerPage(AsyncPageNumberPagination):
    page_size = 2


class TwoByLimit(AsyncLimitOffsetPagination):
    default_limit = 2


class TwoByCursor(AsyncCursorPagination):
    page_size = 2
    ordering = "id"


async def test_page_number_pagination(
    rows: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str], hops: Any
) -> None:
    """DRF's page: count and rows in one thread hop (DRF's own paginate_queryset), then
    the serializer's hop."""
    view = BasicList.as_view(pagination_class=TwoPerPage)
    response = await get(view, "/?page=2")
    assert response.status_code == 200
    assert response.data == {
        "count": 5,
        "next": "http://testserver/?page=3",
        "previous": "http://testserver/",
        "results": rows[2:4],
    }
    assert len(django_queries) == 2
    assert thread_hops == ["PageNumberPagination.paginate_queryset", "_read_data"]
    assert hops.count == 2


async def test_page_number_pagination_invalid_page(rows: list[dict[str, Any]]) -> None:
    response = await get(BasicList.as_view(pagination_class=TwoPerPage), "/?page=9")
    assert response.status_code == 404
    assert response.data == {"detail": "Invalid page."}


async def test_limit_offset_pagination(
    rows: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str]
) -> None:
    response = await get(BasicList.as_view(pagination_class=TwoByLimit), "/?offset=4")
    assert response.status_code == 200
    assert response.data == {
        "count": 5,
        "next": None,
        "previous": "http://testserver/?limit=2&offset=2",
        "results": rows[4:],
    }
    assert len(django_queries) == 2
    assert thread_hops == ["LimitOffsetPagination.paginate_queryset", "_read_data"]


async def test_cursor_pagination(
    rows: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str]
) -> None:
    """One query per page; the next link leads to the following rows."""
    view = BasicList.as_view(pagination_class=TwoByCursor)
    first = await get(view)
    assert first.data["results"] == rows[:2]
    assert first.data["previous"] is None
    assert len(django_queries) == 1
    assert thread_hops == ["CursorPagination.paginate_queryset", "_read_data"]
    cursor = _query(first.data["next"])["cursor"][0]
    second = await get(view, f"/?cursor={cursor}")
    assert second.data["results"] == rows[2:4]
    assert _query(second.data["previous"])["cursor"]


async def test_cursor_pagination_invalid_cursor(rows: list[dict[str, Any]]) -> None:
    cursor = base64.b64encode(b"p=abc").decode()
    view = BasicList.as_view(pagination_class=TwoByCursor)
    for value in ("not-base64!", cursor):
        response = await get(view, f"/?cursor={value}")
        assert response.status_code == 404
        assert response.data == {"detail": "Invalid cursor"}


# -- SearchFilter and OrderingFilter ---------------------------------------------


class SearchedList(BasicList):
    filter_backends = [SearchFilter, OrderingFilter]
    search_fields = ["text"]
    ordering_fields = ["text", "id"]


async def test_search_builds_django_queries_without_a_hop(
    rows: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str]
) -> None:
    """DRF's own search and ordering build the Django query on the loop: the only hop
    is the serializer's."""
    response = await get(SearchedList.as_view(), "/?search=ba&ordering=-text")
    assert response.status_code == 200
    assert [row["text"] for row in response.data] == ["baz", "bar"]
    assert len(django_queries) == 1
    assert thread_hops == ["_read_data"]


@pytest.mark.parametrize("search_field", ["$text", "text__iregex"])
async def test_regex_search(rows: list[dict[str, Any]], search_field: str) -> None:
    view = SearchedList.as_view(search_fields=[search_field])
    response = await get(view, "/?search=^qu+x$")
    assert [row["text"] for row in response.data] == ["qux", "quux"]
    response = await get(view, "/?search=(unclosed")
    assert response.status_code == 400
    assert response.data == {"search": ["Enter a valid regular expression."]}


async def test_search_terms_are_capped(rows: list[dict[str, Any]]) -> None:
    """async_drf's caps on terms apply to a Django queryset's search too."""
    limit = async_settings.SEARCH_MAX_TERMS
    response = await get(SearchedList.as_view(), "/?search=" + "+".join(["a"] * (limit + 1)))
    assert response.status_code == 400
    assert response.data == {"search": [f"Ensure this search has no more than {limit} terms."]}


class ManyToManySourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ManyToManySource
        fields = ["id", "name", "targets"]


class ManyToManySourceList(generics.AsyncListAPIView):
    queryset = ManyToManySource.objects.order_by("id")
    serializer_class = ManyToManySourceSerializer
    filter_backends = [SearchFilter]
    search_fields = ["targets__name"]


@pytest.fixture
def source() -> ManyToManySource:
    """A source with two targets, t1 and t2."""
    source = ManyToManySource.objects.create(name="source")
    source.targets.set([ManyToManyTarget.objects.create(name=f"t{n}") for n in (1, 2)])
    return source


async def test_search_across_a_to_many_relation_has_no_duplicates(
    source: ManyToManySource,
) -> None:
    response = await get(ManyToManySourceList.as_view(), "/?search=t")
    assert response.data == [{"id": source.id, "name": "source", "targets": [1, 2]}]


class TargetSerializer(serializers.ModelSerializer):
    first_source = serializers.StringRelatedField()

    class Meta:
        model = ForeignKeyTarget
        fields = ["id", "name", "first_source"]


class TargetList(generics.AsyncListAPIView):
    queryset = ForeignKeyTarget.objects.order_by("id")
    serializer_class = TargetSerializer
    filter_backends = [OrderingFilter]


class AllFieldsTargetList(TargetList):
    ordering_fields = "__all__"


class AsyncSerializerClassTargetList(TargetList):
    serializer_class = None

    async def get_serializer_class(self) -> Any:
        return TargetSerializer


@pytest.fixture
def targets() -> list[str]:
    names = ["b", "c", "a"]
    for name in names:
        target = ForeignKeyTarget.objects.create(name=name)
        ForeignKeySource.objects.create(name=f"from {name}", target=target)
    return names


@pytest.mark.parametrize("view_class", [TargetList, AsyncSerializerClassTargetList])
async def test_ordering_by_the_serializer_fields(targets: list[str], view_class: Any) -> None:
    """Without ordering_fields, DRF's rule for a Django model: the serializer's readable
    fields, but not a model property (the query could not order by it)."""
    view = view_class.as_view()
    response = await get(view, "/?ordering=-name")
    assert [row["name"] for row in response.data] == ["c", "b", "a"]
    response = await get(view, "/?ordering=first_source")
    assert response.status_code == 200
    assert [row["name"] for row in response.data] == targets


def test_default_ordering_fields_are_drfs_for_a_django_model() -> None:
    """The mirror of DRF's rule gives what DRF's own OrderingFilter gives."""
    view = TargetList()
    queryset = ForeignKeyTarget.objects.all()
    drf_fields = drf_filters.OrderingFilter().get_default_valid_fields(queryset, view, {})
    assert OrderingFilter().get_default_valid_fields(queryset, view, {}) == drf_fields
    assert [name for name, _label in drf_fields] == ["id", "name"]


async def test_ordering_fields_all(targets: list[str]) -> None:
    view = AllFieldsTargetList.as_view()
    response = await get(view, "/?ordering=name")
    assert [row["name"] for row in response.data] == ["a", "b", "c"]
    response = await get(view, "/?ordering=first_source")
    assert [row["name"] for row in response.data] == targets


# -- FilterBackend: django-filter for a Django queryset -------------------------


class FilteredList(BasicList):
    filter_backends = [FilterBackend]
    filterset_fields = ["id", "text"]


async def test_filter_backend_hands_django_querysets_to_django_filter(
    rows: list[dict[str, Any]], thread_hops: list[str]
) -> None:
    response = await get(FilteredList.as_view(), "/?text=bar")
    assert response.status_code == 200
    assert response.data == [rows[1]]
    # django-filter validates in a thread hop (a choice filter queries the database).
    assert thread_hops == ["DjangoFilterBackend.filter_queryset", "_read_data"]
    response = await get(FilteredList.as_view(), "/?id=abc")
    assert response.status_code == 400
    assert response.data == {"id": ["Enter a number."]}


async def test_filter_backend_without_a_filterset_costs_no_hop(
    rows: list[dict[str, Any]], thread_hops: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "django_filters.rest_framework", None)
    response = await get(BasicList.as_view(filter_backends=[FilterBackend]))
    assert response.data == rows
    assert thread_hops == ["_read_data"]


async def test_filter_backend_without_django_filter_is_a_clear_error(
    rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "django_filters.rest_framework", None)
    with pytest.raises(ImproperlyConfigured, match=r"FilteredList filters a Django queryset"):
        await FilteredList.as_view()(factory.get("/?text=bar"))


async def test_filter_form_in_the_browsable_api(rows: list[dict[str, Any]]) -> None:
    apps = [
        "django_filters",
        "rest_framework",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]
    with override_settings(INSTALLED_APPS=apps):
        response = await FilteredList.as_view()(factory.get("/", HTTP_ACCEPT="text/html"))
        content = (await _render_in_thread(response)).content.decode()
    assert '<input type="text" name="text" id="id_text">' in content


async def _render_in_thread(response: Any) -> Any:
    return await sync_to_async(response.render)()


# -- a lazy Django QuerySet in a Response ---------------------------------------


class ValuesView(AsyncAPIView):
    async def get(self, request: Any) -> Response:
        texts = BasicModel.objects.order_by("id").values("text")
        if request.query_params.get("nested"):
            return Response({"texts": texts, "count": 5})
        return Response(texts)


async def test_response_with_a_lazy_queryset_renders_in_one_hop(
    rows: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str], hops: Any
) -> None:
    response = await ValuesView.as_view()(factory.get("/"))
    assert django_queries == []  # nothing ran on the loop
    response = await response.render()
    assert response.content == b'[{"text":"foo"},{"text":"bar"},{"text":"baz"},' + (
        b'{"text":"qux"},{"text":"quux"}]'
    )
    assert len(django_queries) == 1
    assert thread_hops == ["SimpleTemplateResponse.render"]
    assert hops.count == 1


async def test_response_with_a_nested_lazy_queryset(rows: list[dict[str, Any]]) -> None:
    response = await (await ValuesView.as_view()(factory.get("/?nested=1"))).render()
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "texts": [{"text": row["text"]} for row in rows],
        "count": 5,
    }


async def test_response_with_plain_data_renders_inline(thread_hops: list[str]) -> None:
    class PlainView(AsyncAPIView):
        async def get(self, request: Any) -> Response:
            return Response({"texts": ["foo"]})

    response = await (await PlainView.as_view()(factory.get("/"))).render()
    assert response.content == b'{"texts":["foo"]}'
    assert thread_hops == []


# -- viewsets and routers, through Django's ASGI handler --------------------------


class BasicViewSet(viewsets.AsyncModelViewSet):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer


class ValuesRoute(AsyncAPIView):
    async def get(self, request: Any) -> Response:
        return Response(BasicModel.objects.order_by("id").values_list("text", flat=True))


router = DefaultRouter()
router.register("basic", BasicViewSet)  # basename from the Django queryset, as in DRF
urlpatterns = [*router.urls, path("values/", ValuesRoute.as_view())]


async def test_model_viewset_through_the_handler(rows: list[dict[str, Any]]) -> None:
    client = AsyncAPIClient()
    with override_settings(ROOT_URLCONF=__name__):
        listed = await client.get("/basic/")
        created = await client.post("/basic/", {"text": "new"}, format="json")
        updated = await client.patch("/basic/1/", {"text": "FOO"}, format="json")
        deleted = await client.delete("/basic/2/")
        missing = await client.get("/basic/2/")
        values = await client.get("/values/")
    assert (listed.status_code, listed.json()) == (200, rows)
    assert (created.status_code, created.json()) == (201, {"id": 6, "text": "new"})
    assert (updated.status_code, updated.json()) == (200, {"id": 1, "text": "FOO"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No BasicModel matches the given query."}
    assert values.json() == ["FOO", "baz", "qux", "quux", "new"]


# -- OPTIONS, updates of prefetched relations ------------------------------------


class BasicDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer


async def test_options_describes_put_after_awaiting_get_object(rows: list[dict[str, Any]]) -> None:
    request = factory.options("/1/")
    response = await (await BasicDetail.as_view()(request, pk=1)).render()
    assert response.status_code == 200
    assert response.data["actions"]["PUT"]["text"] == {
        "type": "string",
        "required": True,
        "read_only": False,
        "label": "Text comes here",
        "help_text": "Text description.",
        "max_length": 100,
    }


class NamedTargetsSerializer(serializers.ModelSerializer):
    targets = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = ManyToManySource
        fields = ["id", "name", "targets"]


class RenamingSourceDetail(generics.AsyncRetrieveUpdateAPIView):
    queryset = ManyToManySource.objects.prefetch_related("targets")
    serializer_class = NamedTargetsSerializer

    def perform_update(self, serializer: Any) -> None:
        instance = serializer.save()
        ManyToManyTarget.objects.filter(sources=instance).update(name="renamed")


async def test_update_renders_relations_as_written_not_as_prefetched(
    source: ManyToManySource, thread_hops: list[str]
) -> None:
    """As DRF's UpdateModelMixin.update: the instance's prefetch cache is dropped after
    perform_update, so the response shows the related rows as the write left them."""
    request = factory.patch("/", {"name": "changed"}, format="json")
    response = await (await RenamingSourceDetail.as_view()(request, pk=source.id)).render()
    assert response.status_code == 200
    assert response.data == {"id": source.id, "name": "changed", "targets": ["renamed"] * 2}
    assert thread_hops == ["QuerySet.get", "_validate_perform_render"]


# DRF's tests/test_prefetch_related.py


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "username", "email", "groups")


class UserUpdate(generics.AsyncUpdateAPIView):
    queryset = User.objects.exclude(username="exclude").prefetch_related("groups")
    serializer_class = UserSerializer


@pytest.fixture
def tom() -> tuple[User, list[Group]]:
    user = User.objects.create(username="tom", email="tom@example.com")
    groups = [Group.objects.create(name="a"), Group.objects.create(name="b")]
    user.groups.set(groups)
    return user, groups


@pytest.mark.parametrize("username", ["new", "exclude"])
async def test_prefetch_related_updates(tom: tuple[User, list[Group]], username: str) -> None:
    """The second case is the regression test for DRF's issue 4661 (an update that
    excludes the instance from the view's queryset).  The groups' ids are not reset
    between tests here: the expected pk is the group's."""
    user, groups = tom
    view = UserUpdate.as_view()
    pk = user.pk
    groups_pk = groups[0].pk
    request = factory.put("/", {"username": username, "groups": [groups_pk]}, format="json")
    response = await view(request, pk=pk)
    assert await (await User.objects.aget(pk=pk)).groups.acount() == 1
    expected = {"id": pk, "username": username, "groups": [groups_pk], "email": "tom@example.com"}
    assert response.data == expected


async def test_can_update_without_queryset_on_class_view(tom: tuple[User, list[Group]]) -> None:
    class UserUpdateWithoutQuerySet(generics.AsyncUpdateAPIView):
        serializer_class = UserSerializer

        def get_object(self) -> User:
            return User.objects.get(pk=self.kwargs["pk"])

    user, _groups = tom
    request = factory.patch("/", {"username": "new"}, format="multipart")
    response = await UserUpdateWithoutQuerySet.as_view()(request, pk=user.pk)
    assert response.data["id"] == user.id
    assert response.data["username"] == "new"
    await user.arefresh_from_db()
    assert user.username == "new"


# -- what is Tortoise-only says so ---------------------------------------------


class ETagDetail(BasicDetail):
    etag_class = ModelETag


async def test_etags_on_a_django_model_are_a_clear_error(rows: list[dict[str, Any]]) -> None:
    with pytest.raises(ImproperlyConfigured, match="BasicModel is a Django model"):
        await ETagDetail.as_view()(factory.get("/1/"), pk=1)


async def test_a_streaming_list_of_a_django_queryset_is_a_clear_error(
    rows: list[dict[str, Any]],
) -> None:
    view = AsyncStreamingListAPIView.as_view(
        queryset=BasicModel.objects.all(), serializer_class=BasicSerializer
    )
    with pytest.raises(ImproperlyConfigured, match="its queryset is Django's"):
        await view(factory.get("/"))


def test_async_drf_model_serializer_refuses_a_django_model() -> None:
    class WrongSerializer(async_serializers.ModelSerializer):
        class Meta:
            model = BasicModel
            fields = "__all__"

    with pytest.raises(ImproperlyConfigured, match="rest_framework.serializers.ModelSerializer"):
        WrongSerializer().fields  # noqa: B018


class TextSerializer(async_serializers.Serializer):
    text = async_serializers.CharField()


async def test_async_drf_serializer_reads_a_django_queryset_with_async_iteration(
    rows: list[dict[str, Any]], thread_hops: list[str], hops: Any
) -> None:
    view = BasicList.as_view(serializer_class=TextSerializer)
    response = await get(view)
    assert response.data == [{"text": row["text"]} for row in rows]
    assert thread_hops == ["QuerySet._fetch_all"]  # Django's async iteration
    assert hops.count == 0


# -- OpenAPI ----------------------------------------------------------------------


async def test_schema_of_a_django_model_view_is_drfs() -> None:
    """A view over a Django model gets DRF's schema: its path parameter and component
    come from the Django model's fields."""
    generator = SchemaGenerator(
        patterns=[path("basic/<int:pk>/", BasicDetail.as_view())], title="Django models"
    )
    schema = await sync_to_async(generator.get_schema)(None, True)
    validate(schema)
    operation = schema["paths"]["/basic/{id}/"]["get"]
    assert operation["operationId"] == "retrieveBasicModel"
    assert operation["parameters"][0] == {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A unique integer value identifying this basic model.",
        "schema": {"type": "string"},
    }
    text = schema["components"]["schemas"]["Basic"]["properties"]["text"]
    # From the Django model's field (async_drf adds its text constraints besides).
    assert {key: text.get(key) for key in ("type", "description", "maxLength")} == {
        "type": "string",
        "description": "Text description.",
        "maxLength": 100,
    }


# -- thread hops per request, end to end -------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "view_hops"),
    [
        ("GET", "/basic/", b"", 200, ["_read_data"]),
        ("GET", "/basic/1/", b"", 200, ["QuerySet.get", "_read_data"]),
        ("POST", "/basic/", b'{"text": "new"}', 201, ["_validate_perform_render"]),
        (
            "PATCH",
            "/basic/1/",
            b'{"text": "FOO"}',
            200,
            ["QuerySet.get", "_validate_perform_render"],
        ),
        ("DELETE", "/basic/1/", b"", 204, ["QuerySet.get", "Model.delete"]),
        ("GET", "/values/", b"", 200, ["SimpleTemplateResponse.render"]),
    ],
)
async def test_thread_hops_through_the_asgi_handler(
    rows: list[dict[str, Any]],
    thread_hops: list[str],
    method: str,
    url: str,
    body: bytes,
    status: int,
    view_hops: list[str],
) -> None:
    """The view's hops, then one more: async_drf's handler closes a response in the
    request's thread once the request has one (Django's connections belong to it)."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        answer = await call(ASGIHandler(), method, url, body=body, headers=headers)
    assert answer[0] == status
    assert thread_hops == [*view_hops, "HttpResponseBase.close"]
