"""async_drf.middleware.CsrfViewMiddleware: Django's CSRF cases (csrf_tests in
django/django) through the twin's async path, where process_view is awaited.

Sync tests, as in test_middleware.py: Django's database and sync views are read from
the test's thread; ``thread_hops`` counts what each call ran in a thread.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import (
    CSRF_SESSION_KEY,
    REASON_BAD_ORIGIN,
    REASON_CSRF_TOKEN_MISSING,
    REASON_NO_CSRF_COOKIE,
    get_token,
)
from django.test import RequestFactory, override_settings
from django.views.decorators.csrf import csrf_exempt

from async_drf import middleware as twins

from .django_db import django_db  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("django_db")

factory = RequestFactory()
SECRET = "lcccccccX2kcccccccY2jcccccccssIC"


def token_view(request: Any) -> HttpResponse:
    return HttpResponse(get_token(request) or "")


def run(request: Any, view: Any = token_view) -> Any:
    """What Django's handler does with the middleware: __acall__ around process_view
    and the view."""
    middleware: Any = None

    async def get_response(request: Any) -> Any:
        answer = await middleware.process_view(request, view, (), {})
        return answer or await sync_to_async(view)(request)

    middleware = twins.CsrfViewMiddleware(get_response)
    assert middleware.async_mode
    return async_to_sync(middleware)(request)


def post(content_type: str = "application/json", **extra: Any) -> Any:
    request = factory.post("/", content_type=content_type, **extra)
    request._dont_enforce_csrf_checks = False
    return request


def with_cookie(request: Any, secret: str = SECRET) -> Any:
    request.COOKIES[settings.CSRF_COOKIE_NAME] = secret
    return request


def test_get_is_accepted_and_sets_the_cookie(thread_hops):
    """test_process_response_get_token_not_used / test_token_node_with_new_csrf_cookie."""
    response = run(factory.get("/"))
    assert response.status_code == 200
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert len(cookie.value) == 32 and response.headers["Vary"] == "Cookie"
    assert thread_hops == ["token_view"]  # process_request/view/response inline


def test_post_without_cookie_is_rejected_by_the_failure_view(thread_hops, caplog):
    """test_no_csrf_cookie: 403 with REASON_NO_CSRF_COOKIE, logged; the failure view
    (a sync view) runs in a hop, the protected view never runs."""
    response = run(post())
    assert response.status_code == 403
    assert thread_hops == ["CsrfViewMiddleware._reject"]
    assert caplog.records[-1].getMessage() == f"Forbidden ({REASON_NO_CSRF_COOKIE}): /"


def test_post_with_cookie_and_no_token_is_rejected(caplog):
    response = run(with_cookie(post()))
    assert response.status_code == 403
    assert caplog.records[-1].getMessage() == f"Forbidden ({REASON_CSRF_TOKEN_MISSING}): /"


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_rejected(method, caplog):
    request = with_cookie(getattr(factory, method)("/"))
    request._dont_enforce_csrf_checks = False
    assert run(request).status_code == 403


def test_token_in_header_is_accepted(thread_hops):
    request = with_cookie(post(HTTP_X_CSRFTOKEN=SECRET))
    assert run(request).status_code == 200
    assert thread_hops == ["token_view"]


def test_token_in_form_is_accepted(thread_hops):
    request = with_cookie(
        factory.post(
            "/",
            data=f"csrfmiddlewaretoken={SECRET}",
            content_type="application/x-www-form-urlencoded",
        )
    )
    request._dont_enforce_csrf_checks = False
    assert run(request).status_code == 200
    assert thread_hops == ["token_view"]


def test_multipart_post_is_parsed_in_a_hop(thread_hops):
    """Parsing a multipart body may write uploaded files: process_view hops for it."""
    request = with_cookie(factory.post("/", data={"csrfmiddlewaretoken": SECRET}))
    request._dont_enforce_csrf_checks = False
    assert request.META["CONTENT_TYPE"].startswith("multipart/")
    assert run(request).status_code == 200
    assert thread_hops == ["CsrfViewMiddleware.process_view", "token_view"]


def test_csrf_exempt_view_is_not_checked():
    assert run(post(), csrf_exempt(token_view)).status_code == 200


@override_settings(ALLOWED_HOSTS=["www.example.com"])
def test_bad_origin_is_rejected(caplog):
    request = with_cookie(post(HTTP_HOST="www.example.com", HTTP_ORIGIN="https://evil.com"))
    request.META["HTTP_X_CSRFTOKEN"] = SECRET
    assert run(request).status_code == 403
    reason = REASON_BAD_ORIGIN % "https://evil.com"
    assert caplog.records[-1].getMessage() == f"Forbidden ({reason}): /"


def test_invalid_cookie_is_replaced():
    """test_invalid_cookie_replaced_on_GET: a malformed cookie gets a new one."""
    response = run(with_cookie(factory.get("/"), "bad" * 3))
    assert len(response.cookies[settings.CSRF_COOKIE_NAME].value) == 32


def test_failure_view_runs_in_sync_mode_too():
    """Sync mode (WSGI): Django's process_view and _reject unchanged."""
    middleware = twins.CsrfViewMiddleware(token_view)
    assert not middleware.async_mode
    request = post()
    middleware.process_request(request)
    assert middleware.process_view(request, token_view, (), {}).status_code == 403


# -- CSRF_USE_SESSIONS: the secret lives in the session -------------------------------


@override_settings(CSRF_USE_SESSIONS=True)
def test_use_sessions_reads_and_writes_the_session_in_hops(thread_hops):
    """test_process_response_get_token_used (sessions): the secret is stored in the
    session; reading a session not loaded yet hops."""
    request = factory.get("/")
    twins.SessionMiddleware(token_view).process_request(request)
    response = run(request)
    assert response.status_code == 200
    assert request.session[CSRF_SESSION_KEY] == request.META["CSRF_COOKIE"]
    assert not response.cookies  # no CSRF cookie: the session holds it
    assert thread_hops == [
        "CsrfViewMiddleware.process_request",  # reads the session (db: not loaded yet)
        "token_view",
    ]


@override_settings(CSRF_USE_SESSIONS=True)
def test_use_sessions_token_in_header(thread_hops):
    request = post(HTTP_X_CSRFTOKEN=SECRET)
    twins.SessionMiddleware(token_view).process_request(request)
    request.session[CSRF_SESSION_KEY] = SECRET  # loaded: reads are inline
    assert run(request).status_code == 200
    assert thread_hops == ["token_view"]


@override_settings(CSRF_USE_SESSIONS=True)
def test_use_sessions_without_session_middleware_is_improperly_configured():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="CSRF_USE_SESSIONS is enabled"):
        run(factory.get("/"))
