"""The test tools send what a real ASGI client sends."""

from __future__ import annotations

from django.test import override_settings
from django.urls import path
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from async_drf.test import AsyncAPIClient, AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView


class Echo(AsyncAPIView):
    async def get(self, request):
        return self.describe(request)

    async def post(self, request):
        return self.describe(request)

    def describe(self, request):
        return Response(
            {
                "content_type": request.META.get("CONTENT_TYPE"),
                "data": request.data,
                "query": request.query_params.dict(),
                "authorization": request.META.get("HTTP_AUTHORIZATION"),
                "remote_addr": request.META.get("REMOTE_ADDR"),
                "user": str(request.user),
                "auth": request.auth,
            }
        )


urlpatterns = [path("echo/", Echo.as_view())]


async def test_factory_json_body_has_one_content_type():
    request = AsyncAPIRequestFactory().post("/", {"a": 1}, format="json")
    assert request.META["CONTENT_TYPE"] == "application/json"
    assert Request(request, parsers=[JSONParser()]).data == {"a": 1}


async def test_factory_wsgi_style_headers_and_remote_addr():
    request = AsyncAPIRequestFactory().get(
        "/?x=1", HTTP_AUTHORIZATION="Token abc", REMOTE_ADDR="10.1.2.3"
    )
    assert request.META["HTTP_AUTHORIZATION"] == "Token abc"
    assert request.META["REMOTE_ADDR"] == "10.1.2.3"
    assert request.GET["x"] == "1"
    assert "HTTP_HTTP_AUTHORIZATION" not in request.META


@override_settings(ROOT_URLCONF=__name__)
async def test_client_json_post_is_not_415():
    response = await AsyncAPIClient().post("/echo/", {"a": [1, 2]}, format="json")
    assert response.status_code == 200
    assert response.json()["data"] == {"a": [1, 2]}
    assert response.json()["content_type"] == "application/json"


@override_settings(ROOT_URLCONF=__name__)
async def test_client_credentials_and_query_params():
    client = AsyncAPIClient()
    client.credentials(HTTP_AUTHORIZATION="Token xyz")
    response = await client.get("/echo/", {"q": "term"}, REMOTE_ADDR="192.0.2.7")
    body = response.json()
    assert body["authorization"] == "Token xyz"
    assert body["query"] == {"q": "term"}
    assert body["remote_addr"] == "192.0.2.7"
    client.credentials()
    assert (await client.get("/echo/")).json()["authorization"] is None


@override_settings(ROOT_URLCONF=__name__)
async def test_client_force_authenticate():
    class U:
        is_authenticated = True

        def __str__(self):
            return "forced-user"

    client = AsyncAPIClient()
    client.force_authenticate(user=U(), token="tok")
    body = (await client.get("/echo/")).json()
    assert body["user"] == "forced-user"
    assert body["auth"] == "tok"
    client.force_authenticate(None)
    assert (await client.get("/echo/")).json()["user"] == "None"
