"""Generic views over Django models: DRF's tests/test_generics.py, ported to the async
views with DRF's own ModelSerializer, plus the thread hops each request costs.

Django's async ORM runs each call in a thread (``aget`` is ``sync_to_async(get)``), so
hops are counted at asgiref's level (``thread_hops``: every ``sync_to_async`` call)
as well as by async_drf's own counter (``hops``: the hops it makes itself).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response

from async_drf import generics
from async_drf.test import AsyncAPIRequestFactory

from .django_db import django_db  # noqa: F401 - fixture
from .django_models import (
    BasicModel,
    ClassA,
    ClassB,
    Comment,
    ForeignKeySource,
    SlugBasedModel,
    TwoFieldModel,
    UUIDForeignKeyTarget,
)

pytestmark = pytest.mark.usefixtures("django_db")

factory = AsyncAPIRequestFactory()


async def render(response: Any) -> Any:
    """Render as Django's ASGI handler does: awaited when ``render`` is a coroutine
    function (async_drf's JSON responses), else in a thread."""
    if iscoroutinefunction(response.render):
        return await response.render()
    return await sync_to_async(response.render)()


# -- serializers -------------------------------------------------------------


class BasicSerializer(serializers.ModelSerializer):
    class Meta:
        model = BasicModel
        fields = "__all__"


class ForeignKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ForeignKeySource
        fields = "__all__"


class SlugSerializer(serializers.ModelSerializer):
    slug = serializers.ReadOnlyField()

    class Meta:
        model = SlugBasedModel
        fields = ("text", "slug")


# -- views -------------------------------------------------------------------


class RootView(generics.AsyncListCreateAPIView):
    queryset = BasicModel.objects.all()
    serializer_class = BasicSerializer


class InstanceView(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = BasicModel.objects.exclude(text="filtered out")
    serializer_class = BasicSerializer


class FKInstanceView(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = ForeignKeySource.objects.all()
    serializer_class = ForeignKeySerializer


class SlugBasedInstanceView(InstanceView):
    """A model with a slug-field."""

    queryset = SlugBasedModel.objects.all()
    serializer_class = SlugSerializer
    lookup_field = "slug"


# -- TestRootView --------------------------------------------------------------


def _create(*texts: str) -> list[dict[str, Any]]:
    for text in texts:
        BasicModel(text=text).save()
    return [{"id": obj.id, "text": obj.text} for obj in BasicModel.objects.all()]


@pytest.fixture
def root_data() -> list[dict[str, Any]]:
    """Create 3 BasicModel instances."""
    return _create("foo", "bar", "baz")


async def test_get_root_view(
    root_data: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str], hops: Any
) -> None:
    """GET requests to ListCreateAPIView should return list of objects: one query, in
    the one thread hop that renders the rows."""
    request = factory.get("/")
    response = await RootView.as_view()(request)
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_200_OK
    assert response.data == root_data
    assert thread_hops == ["_read_data"]
    assert hops.count == 1


async def test_head_root_view(root_data: list[dict[str, Any]], django_queries: list[str]) -> None:
    """HEAD requests to ListCreateAPIView should return 200."""
    request = factory.head("/")
    response = await render(await RootView.as_view()(request))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_200_OK


async def test_post_root_view(
    root_data: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str]
) -> None:
    """POST requests to ListCreateAPIView should create a new object: validation, save
    and rendering in one thread hop."""
    data = {"text": "foobar"}
    request = factory.post("/", data, format="json")
    response = await render(await RootView.as_view()(request))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_201_CREATED
    assert response.data == {"id": 4, "text": "foobar"}
    assert thread_hops == ["_validate_perform_render"]
    created = await BasicModel.objects.aget(id=4)
    assert created.text == "foobar"


async def test_put_root_view(root_data: list[dict[str, Any]], django_queries: list[str]) -> None:
    """PUT requests to ListCreateAPIView should not be allowed"""
    data = {"text": "foobar"}
    request = factory.put("/", data, format="json")
    response = await render(await RootView.as_view()(request))
    assert len(django_queries) == 0
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
    assert response.data == {"detail": 'Method "PUT" not allowed.'}


async def test_delete_root_view(root_data: list[dict[str, Any]], django_queries: list[str]) -> None:
    """DELETE requests to ListCreateAPIView should not be allowed"""
    request = factory.delete("/")
    response = await render(await RootView.as_view()(request))
    assert len(django_queries) == 0
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
    assert response.data == {"detail": 'Method "DELETE" not allowed.'}


async def test_post_cannot_set_id(
    root_data: list[dict[str, Any]], django_queries: list[str]
) -> None:
    """POST requests to create a new object should not be able to set the id."""
    data = {"id": 999, "text": "foobar"}
    request = factory.post("/", data, format="json")
    response = await render(await RootView.as_view()(request))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_201_CREATED
    assert response.data == {"id": 4, "text": "foobar"}
    created = await BasicModel.objects.aget(id=4)
    assert created.text == "foobar"


async def test_post_error_root_view(root_data: list[dict[str, Any]]) -> None:
    """POST requests to ListCreateAPIView in HTML should include a form error."""
    data = {"text": "foobar" * 100}
    request = factory.post("/", data, format="multipart", HTTP_ACCEPT="text/html")
    response = await render(await RootView.as_view()(request))
    expected_error = (
        '<span class="help-block">Ensure this field has no more than 100 characters.</span>'
    )
    assert expected_error in response.rendered_content.decode()
    assert await BasicModel.objects.acount() == 3


# -- TestInstanceView ----------------------------------------------------------

EXPECTED_QUERIES_FOR_PUT = 2


@pytest.fixture
def instance_data() -> list[dict[str, Any]]:
    """Create 3 BasicModel instances, and one the view's queryset filters out."""
    rows = _create("foo", "bar", "baz", "filtered out")
    return [row for row in rows if row["text"] != "filtered out"]


async def test_get_instance_view(
    instance_data: list[dict[str, Any]],
    django_queries: list[str],
    thread_hops: list[str],
    hops: Any,
) -> None:
    """GET requests to RetrieveUpdateDestroyAPIView should return a single object: one
    hop for Django's aget, one for DRF's serializer (only that one is async_drf's)."""
    request = factory.get("/1")
    response = await render(await InstanceView.as_view()(request, pk=1))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_200_OK
    assert response.data == instance_data[0]
    assert thread_hops == ["QuerySet.get", "_read_data"]
    assert hops.count == 1


async def test_post_instance_view(
    instance_data: list[dict[str, Any]], django_queries: list[str]
) -> None:
    """POST requests to RetrieveUpdateDestroyAPIView should not be allowed"""
    data = {"text": "foobar"}
    request = factory.post("/", data, format="json")
    response = await render(await InstanceView.as_view()(request))
    assert len(django_queries) == 0
    assert response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
    assert response.data == {"detail": 'Method "POST" not allowed.'}


@pytest.mark.parametrize(
    ("method", "data", "pk"),
    [
        # DRF's test_put_instance_view, test_patch_instance_view, test_put_cannot_set_id
        pytest.param("put", {"text": "foobar"}, "1", id="put"),
        pytest.param("patch", {"text": "foobar"}, 1, id="patch"),
        pytest.param("put", {"id": 999, "text": "foobar"}, 1, id="put-cannot-set-id"),
    ],
)
async def test_put_and_patch_instance_view(
    instance_data: list[dict[str, Any]],
    django_queries: list[str],
    thread_hops: list[str],
    method: str,
    data: dict[str, Any],
    pk: Any,
) -> None:
    """PUT and PATCH requests to RetrieveUpdateDestroyAPIView should update an object,
    and should not be able to set the id: Django's aget, then validation, save and
    rendering in one hop."""
    request = getattr(factory, method)("/1", data, format="json")
    response = await render(await InstanceView.as_view()(request, pk=pk))
    assert len(django_queries) == EXPECTED_QUERIES_FOR_PUT
    assert response.status_code == status.HTTP_200_OK
    assert dict(response.data) == {"id": 1, "text": "foobar"}
    assert thread_hops == ["QuerySet.get", "_validate_perform_render"]
    updated = await BasicModel.objects.aget(id=1)
    assert updated.text == "foobar"


async def test_delete_instance_view(
    instance_data: list[dict[str, Any]], django_queries: list[str], thread_hops: list[str]
) -> None:
    """DELETE requests to RetrieveUpdateDestroyAPIView should delete an object: Django's
    aget and adelete, one hop each."""
    request = factory.delete("/1")
    response = await render(await InstanceView.as_view()(request, pk=1))
    assert len(django_queries) == 2
    assert response.status_code == status.HTTP_204_NO_CONTENT
    assert response.content == b""
    assert thread_hops == ["QuerySet.get", "Model.delete"]
    objects = BasicModel.objects.exclude(text="filtered out")
    ids = [obj.id async for obj in objects.all()]
    assert ids == [2, 3]


async def test_get_instance_view_incorrect_arg(
    instance_data: list[dict[str, Any]], django_queries: list[str]
) -> None:
    """GET requests with an incorrect pk type, should raise 404, not 500.
    Regression test for #890."""
    request = factory.get("/a")
    response = await render(await InstanceView.as_view()(request, pk="a"))
    assert len(django_queries) == 0
    assert response.status_code == status.HTTP_404_NOT_FOUND


async def test_put_to_deleted_instance(
    instance_data: list[dict[str, Any]], django_queries: list[str]
) -> None:
    """PUT requests to RetrieveUpdateDestroyAPIView should return 404 if
    an object does not currently exist."""
    await (await BasicModel.objects.aget(id=1)).adelete()
    django_queries.clear()
    data = {"text": "foobar"}
    request = factory.put("/1", data, format="json")
    response = await render(await InstanceView.as_view()(request, pk=1))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_404_NOT_FOUND


async def test_put_to_filtered_out_instance(instance_data: list[dict[str, Any]]) -> None:
    """PUT requests to an URL of instance which is filtered out should not be
    able to create new objects."""
    data = {"text": "foo"}
    filtered_out_pk = (await BasicModel.objects.filter(text="filtered out").afirst()).pk
    request = factory.put(f"/{filtered_out_pk}", data, format="json")
    response = await render(await InstanceView.as_view()(request, pk=filtered_out_pk))
    assert response.status_code == status.HTTP_404_NOT_FOUND


async def test_patch_cannot_create_an_object(
    instance_data: list[dict[str, Any]], django_queries: list[str]
) -> None:
    """PATCH requests should not be able to create objects."""
    data = {"text": "foobar"}
    request = factory.patch("/999", data, format="json")
    response = await render(await InstanceView.as_view()(request, pk=999))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert not await BasicModel.objects.filter(id=999).aexists()


async def test_put_error_instance_view(instance_data: list[dict[str, Any]]) -> None:
    """Incorrect PUT requests in HTML should include a form error."""
    data = {"text": "foobar" * 100}
    request = factory.put("/", data, format="multipart", HTTP_ACCEPT="text/html")
    response = await render(await InstanceView.as_view()(request, pk=1))
    expected_error = (
        '<span class="help-block">Ensure this field has no more than 100 characters.</span>'
    )
    assert expected_error in response.rendered_content.decode()


async def test_slug_based_instance_view() -> None:
    """A lookup_field other than the pk (DRF declares this view and never requests it)."""
    await SlugBasedModel.objects.acreate(text="foo", slug="the-foo")
    view = SlugBasedInstanceView.as_view()
    response = await render(await view(factory.get("/the-foo"), slug="the-foo"))
    assert response.status_code == status.HTTP_200_OK
    assert response.data == {"text": "foo", "slug": "the-foo"}
    response = await render(await view(factory.get("/nope"), slug="nope"))
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.data == {"detail": "No SlugBasedModel matches the given query."}


# -- TestOverriddenGetObject ---------------------------------------------------


class OverriddenGetObjectView(generics.AsyncRetrieveUpdateDestroyAPIView):
    """Example detail view for override of get_object()."""

    serializer_class = BasicSerializer

    def get_object(self) -> Any:
        pk = int(self.kwargs["pk"])
        return get_object_or_404(BasicModel.objects.all(), id=pk)


class AsyncOverriddenGetObjectView(OverriddenGetObjectView):
    async def get_object(self) -> Any:
        pk = int(self.kwargs["pk"])
        return await generics.aget_object_or_404(BasicModel.objects.all(), id=pk)


@pytest.mark.parametrize("view", [OverriddenGetObjectView, AsyncOverriddenGetObjectView])
async def test_overridden_get_object_view(
    root_data: list[dict[str, Any]], django_queries: list[str], view: Any
) -> None:
    """GET requests to RetrieveUpdateDestroyAPIView should return a single object
    (a sync get_object runs in a thread hop; an async one awaits Django's aget)."""
    request = factory.get("/1")
    response = await render(await view.as_view()(request, pk=1))
    assert len(django_queries) == 1
    assert response.status_code == status.HTTP_200_OK
    assert response.data == root_data[0]


# -- Regression test for #285 ----------------------------------------------------


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        exclude = ("created",)


class CommentView(generics.AsyncListCreateAPIView):
    serializer_class = CommentSerializer
    model = Comment


async def test_create_model_with_auto_now_add_field() -> None:
    """Regression test for #285

    https://github.com/encode/django-rest-framework/issues/285
    """
    data = {"email": "foobar@example.com", "content": "foobar"}
    request = factory.post("/", data, format="json")
    response = await render(await CommentView.as_view()(request))
    assert response.status_code == status.HTTP_201_CREATED
    created = await Comment.objects.aget(id=1)
    assert created.content == "foobar"


# -- Test for particularly ugly regression with m2m in browsable API -------------


class ClassASerializer(serializers.ModelSerializer):
    children = serializers.PrimaryKeyRelatedField(many=True, queryset=ClassB.objects.all())

    class Meta:
        model = ClassA
        fields = "__all__"


class ExampleView(generics.AsyncListCreateAPIView):
    serializer_class = ClassASerializer
    queryset = ClassA.objects.all()


async def test_m2m_in_browsable_api() -> None:
    """Test for particularly ugly regression with m2m in browsable API"""
    await ClassB.objects.acreate(name="child")
    request = factory.get("/", HTTP_ACCEPT="text/html")
    view = ExampleView().as_view()
    response = await render(await view(request))
    assert response.status_code == status.HTTP_200_OK
    # The form's choices, listed by DRF's field in the rendering thread.
    assert '<option value="1"  >ClassB object (1)</option>' in response.content.decode()


# -- TestFilterBackendAppliedToViews -------------------------------------------


class InclusiveFilterBackend:
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset.filter(text="foo")


class ExclusiveFilterBackend:
    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        return queryset.filter(text="other")


class DynamicSerializerView(generics.AsyncListCreateAPIView):
    queryset = TwoFieldModel.objects.all()
    renderer_classes = (renderers.BrowsableAPIRenderer, renderers.JSONRenderer)

    def get_serializer_class(self) -> Any:
        if self.request.method == "POST":

            class DynamicSerializer(serializers.ModelSerializer):
                class Meta:
                    model = TwoFieldModel
                    fields = ("field_b",)

        else:

            class DynamicSerializer(serializers.ModelSerializer):
                class Meta:
                    model = TwoFieldModel
                    fields = "__all__"

        return DynamicSerializer


async def test_get_root_view_filters_by_name_with_filter_backend(
    root_data: list[dict[str, Any]],
) -> None:
    """GET requests to ListCreateAPIView should return filtered list."""
    root_view = RootView.as_view(filter_backends=(InclusiveFilterBackend,))
    request = factory.get("/")
    response = await render(await root_view(request))
    assert response.status_code == status.HTTP_200_OK
    assert len(response.data) == 1
    assert response.data == [{"id": 1, "text": "foo"}]


async def test_get_root_view_filters_out_all_models_with_exclusive_filter_backend(
    root_data: list[dict[str, Any]],
) -> None:
    """GET requests to ListCreateAPIView should return empty list when all models are
    filtered out."""
    root_view = RootView.as_view(filter_backends=(ExclusiveFilterBackend,))
    request = factory.get("/")
    response = await render(await root_view(request))
    assert response.status_code == status.HTTP_200_OK
    assert response.data == []


async def test_get_instance_view_filters_out_name_with_filter_backend(
    root_data: list[dict[str, Any]],
) -> None:
    """GET requests to RetrieveUpdateDestroyAPIView should raise 404 when model filtered
    out."""
    instance_view = InstanceView.as_view(filter_backends=(ExclusiveFilterBackend,))
    request = factory.get("/1")
    response = await render(await instance_view(request, pk=1))
    assert response.status_code == status.HTTP_404_NOT_FOUND
    assert response.data == {
        "detail": ErrorDetail(string="No BasicModel matches the given query.", code="not_found")
    }


async def test_get_instance_view_will_return_single_object_when_filter_does_not_exclude_it(
    root_data: list[dict[str, Any]],
) -> None:
    """GET requests to RetrieveUpdateDestroyAPIView should return a single object when
    not excluded"""
    instance_view = InstanceView.as_view(filter_backends=(InclusiveFilterBackend,))
    request = factory.get("/1")
    response = await render(await instance_view(request, pk=1))
    assert response.status_code == status.HTTP_200_OK
    assert response.data == {"id": 1, "text": "foo"}


async def test_dynamic_serializer_form_in_browsable_api() -> None:
    """GET requests to ListCreateAPIView should return filtered list."""
    view = DynamicSerializerView.as_view()
    request = factory.get("/")
    response = await render(await view(request))
    content = response.content.decode()
    assert "field_b" in content
    assert "field_a" not in content


# -- TestGuardedQueryset ---------------------------------------------------------


async def test_guarded_queryset() -> None:
    class QuerysetAccessError(generics.AsyncListAPIView):
        queryset = BasicModel.objects.all()

        def get(self, request: Any) -> Response:
            return Response(list(self.queryset))

    view = QuerysetAccessError.as_view()
    request = factory.get("/")
    with pytest.raises(RuntimeError):
        await render(await view(request))


async def test_guarded_queryset_in_a_response() -> None:
    """The class attribute stays guarded when an async handler hands it to Response
    (rendered in a thread hop, where DRF's guard raises)."""

    class QuerysetAccessError(generics.AsyncListAPIView):
        queryset = BasicModel.objects.all()

        async def get(self, request: Any) -> Response:
            return Response(self.queryset)

    view = QuerysetAccessError.as_view()
    response = await view(factory.get("/"))
    with pytest.raises(RuntimeError, match="Do not evaluate the `.queryset` attribute"):
        await render(response)


# -- ApiViewsTests ---------------------------------------------------------------
# DRF's handlers call `create`, `retrieve`... with the request's arguments; here the
# overrides are `async def`, as the async concrete views await them.


@pytest.mark.parametrize(
    ("view_class", "handler", "action"),
    [
        (generics.AsyncCreateAPIView, "post", "create"),
        (generics.AsyncDestroyAPIView, "delete", "destroy"),
        (generics.AsyncUpdateAPIView, "patch", "partial_update"),
        (generics.AsyncRetrieveUpdateAPIView, "get", "retrieve"),
        (generics.AsyncRetrieveUpdateAPIView, "put", "update"),
        (generics.AsyncRetrieveUpdateAPIView, "patch", "partial_update"),
        (generics.AsyncRetrieveDestroyAPIView, "get", "retrieve"),
        (generics.AsyncRetrieveDestroyAPIView, "delete", "destroy"),
    ],
)
async def test_api_view_handler_calls_action(view_class: Any, handler: str, action: str) -> None:
    async def record(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        self.called = True
        self.call_args = (request, args, kwargs)

    mock_view = type("MockApiView", (view_class,), {action: record})
    view = mock_view()
    data = ("test request", ("test arg",), {"test_kwarg": "test"})
    await getattr(view, handler)("test request", "test arg", test_kwarg="test")
    assert view.called is True
    assert view.call_args == data


# -- GetObjectOr404Tests ---------------------------------------------------------


@pytest.fixture
def uuid_object() -> UUIDForeignKeyTarget:
    return UUIDForeignKeyTarget.objects.create(name="bar")


async def test_get_object_or_404_with_valid_uuid(uuid_object: UUIDForeignKeyTarget) -> None:
    obj = await generics.aget_object_or_404(UUIDForeignKeyTarget, pk=uuid_object.pk)
    assert obj == uuid_object


async def test_get_object_or_404_with_invalid_string_for_uuid(
    uuid_object: UUIDForeignKeyTarget,
) -> None:
    with pytest.raises(Http404):
        await generics.aget_object_or_404(UUIDForeignKeyTarget, pk="not-a-uuid")


async def test_get_object_or_404_takes_a_manager_and_a_queryset(
    uuid_object: UUIDForeignKeyTarget,
) -> None:
    assert await generics.aget_object_or_404(UUIDForeignKeyTarget.objects, name="bar")
    with pytest.raises(Http404, match="No UUIDForeignKeyTarget matches the given query."):
        await generics.aget_object_or_404(UUIDForeignKeyTarget.objects.all(), name="baz")


# -- TestSerializer, TestTyping ----------------------------------------------------


def test_serializer_class_not_provided() -> None:
    class NoSerializerClass(generics.AsyncGenericAPIView):
        pass

    with pytest.raises(AssertionError) as excinfo:
        NoSerializerClass().get_serializer_class()

    assert str(excinfo.value) == (
        "'NoSerializerClass' should either include a `serializer_class` "
        "attribute, or override the `get_serializer_class()` method."
    )


async def test_given_context_not_overridden() -> None:
    context = object()

    class View(generics.AsyncListAPIView):
        serializer_class = serializers.Serializer

        async def list(self, request: Any) -> Response:
            response = Response()
            response.serializer = self.get_serializer(context=context)
            return response

    response = await View.as_view()(factory.get("/"))
    serializer = response.serializer

    assert serializer.context is context


def test_genericview_is_subscriptable() -> None:
    assert generics.AsyncGenericAPIView is generics.AsyncGenericAPIView["foo"]


def test_listview_is_subscriptable() -> None:
    assert generics.AsyncListAPIView is generics.AsyncListAPIView["foo"]


def test_instanceview_is_subscriptable() -> None:
    assert generics.AsyncRetrieveAPIView is generics.AsyncRetrieveAPIView["foo"]
