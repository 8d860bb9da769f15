"""async_drf.handlers: Django-level errors as {"detail": ...} JSON under the API's
paths, Django's HTML pages elsewhere."""

from __future__ import annotations

import pytest
from django.core.checks.urls import check_custom_error_handlers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import AsyncClient
from django.test.utils import override_settings
from django.urls import path

handler400 = "async_drf.handlers.bad_request"
handler403 = "async_drf.handlers.permission_denied"
handler404 = "async_drf.handlers.page_not_found"
handler500 = "async_drf.handlers.server_error"


async def form(request):
    return HttpResponse(str(len(request.GET) + len(request.POST)))  # Django parses them


async def forbidden(request):
    raise PermissionDenied("not for you")


async def boom(request):
    raise RuntimeError("secret internals")


urlpatterns = [path(f"{prefix}form/", form) for prefix in ("api/", "v1/", "")] + [
    path(f"{prefix}{name}/", view)
    for prefix in ("api/", "")
    for name, view in (("forbidden", forbidden), ("boom", boom))
]

settings = override_settings(
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["testserver"],
    MIDDLEWARE=[
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    CSRF_FAILURE_VIEW="async_drf.handlers.csrf_failure",
    DATA_UPLOAD_MAX_NUMBER_FIELDS=5,
    DATA_UPLOAD_MAX_MEMORY_SIZE=100,
)


@pytest.fixture
def client():
    with settings:
        yield AsyncClient(raise_request_exception=False)


def assert_json(response, status, detail):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


def assert_html(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


FIELDS = "&".join(f"f{i}=1" for i in range(6))
FORM = "application/x-www-form-urlencoded"


async def test_unknown_url():
    with settings:
        client = AsyncClient()
        assert_json(await client.get("/api/nope/"), 404, "Not found.")
        assert_html(await client.get("/nope/"), 404)


async def test_disallowed_host(client):
    evil = {"host": "evil.example"}
    assert_json(await client.get("/api/form/", headers=evil), 400, "Invalid Host header.")
    assert_html(await client.get("/form/", headers=evil), 400)


async def test_too_many_fields(client):
    detail = "Too many fields: at most 5 are accepted."
    assert_json(await client.post("/api/form/", FIELDS, content_type=FORM), 400, detail)
    assert_json(await client.get(f"/api/form/?{FIELDS}"), 400, detail)
    assert_html(await client.post("/form/", FIELDS, content_type=FORM), 400)


async def test_oversized_body(client):
    big = "a=" + "x" * 100
    response = await client.post("/api/form/", big, content_type=FORM)
    assert_json(response, 400, "Request body too large: at most 100 bytes are accepted.")
    assert_html(await client.post("/form/", big, content_type=FORM), 400)
    assert (await client.post("/api/form/", "a=1", content_type=FORM)).content == b"1"


async def test_permission_denied(client):
    detail = "You do not have permission to perform this action."
    assert_json(await client.get("/api/forbidden/"), 403, detail)
    assert_html(await client.get("/forbidden/"), 403)


async def test_server_error_says_nothing_of_the_exception(client):
    assert_json(await client.get("/api/boom/"), 500, "A server error occurred.")
    assert_html(await client.get("/boom/"), 500)


async def test_csrf_failure():
    with settings:
        client = AsyncClient(enforce_csrf_checks=True)
        response = await client.post("/api/form/", "a=1", content_type=FORM)
        assert_json(response, 403, "CSRF Failed: CSRF cookie not set.")
        assert_html(await client.post("/form/", "a=1", content_type=FORM), 403)


async def test_the_api_paths_are_a_setting():
    with settings, override_settings(ASYNC_DRF={"API_PATH_PREFIXES": ["/v1/"]}):
        client = AsyncClient()
        assert_json(await client.get("/v1/nope/"), 404, "Not found.")
        assert_html(await client.get("/api/nope/"), 404)


async def test_with_debug_django_shows_its_technical_pages():
    with settings, override_settings(DEBUG=True):
        response = await AsyncClient().get("/api/nope/")
    assert_html(response, 404)
    assert b"Using the URLconf defined in" in response.content


def test_handlers_have_the_signatures_django_checks():
    with settings:
        assert check_custom_error_handlers(None) == []
