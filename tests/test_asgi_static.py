"""async_drf.asgi.StaticFiles: STATIC_URL answered by servestatic before Django's
handler, with DEBUG off; every other request passes through without a thread hop."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import rest_framework
from django.core.exceptions import ImproperlyConfigured
from django.test.utils import override_settings

from async_drf import asgi
from async_drf.concurrency import count_hops

from .test_asgi_handler import call, urls

CSS = "rest_framework/css/bootstrap.min.css"  # DRF's, found by AppDirectoriesFinder
CSS_BYTES = (Path(rest_framework.__file__).parent / "static" / CSS).read_bytes()

finders = override_settings(DEBUG=False, STATIC_URL="/static/", SERVESTATIC_USE_FINDERS=True)


@pytest.fixture
def app():
    with urls, finders:
        yield asgi.StaticFiles(asgi.ASGIHandler())


async def test_static_files_are_served_with_debug_off(app):
    assert await call(app, "GET", f"/static/{CSS}") == (200, CSS_BYTES)


async def test_head_and_not_modified_are_answered_by_servestatic(app):
    status, body = await call(app, "HEAD", f"/static/{CSS}")
    assert (status, body) == (200, b"")
    headers = [(b"if-modified-since", b"Fri, 01 Jan 2100 00:00:00 GMT")]
    assert await call(app, "GET", f"/static/{CSS}", headers=headers) == (304, b"")


async def test_api_requests_pass_through_without_a_thread(app, tortoise_db, thread_starts):
    """The static layer costs an API request a prefix test: no hop, no thread."""
    with count_hops() as hops:
        status, body = await call(app, "GET", "/authors/")
    assert (status, body) == (200, b"[]")
    assert hops.count == 0
    assert thread_starts == []


async def test_an_unknown_static_path_reaches_django(app):
    status, body = await call(app, "GET", "/static/rest_framework/missing.css")
    assert status == 404
    assert b"Not Found" in body  # Django's page, from tests.urls' handler


async def test_the_root_path_is_not_part_of_the_static_prefix(app):
    """Behind a proxy that mounts the site under /app, uvicorn's ``path`` keeps the
    prefix and ``root_path`` names it, as Django's path_info does."""
    received = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        received.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/app/static/{CSS}",
        "root_path": "/app",
        "query_string": b"",
        "headers": [],
    }
    await app(scope, receive, send)
    assert received[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in received[1:]) == CSS_BYTES


async def test_collected_files_are_served_from_static_root(tmp_path):
    (tmp_path / "site.css").write_text("body{}")
    with urls, override_settings(DEBUG=False, STATIC_URL="/assets/", STATIC_ROOT=tmp_path):
        app = asgi.StaticFiles(asgi.ASGIHandler())
    assert await call(app, "GET", "/assets/site.css") == (200, b"body{}")
    assert (await call(app, "GET", f"/assets/{CSS}"))[0] == 404  # finders are off


async def test_autorefresh_looks_files_up_off_the_loop(tmp_path):
    """SERVESTATIC_AUTOREFRESH (servestatic's default with DEBUG) finds files added
    after start-up, in a counted hop; API requests still make none."""
    with (
        urls,
        override_settings(
            STATIC_URL="/static/", STATIC_ROOT=tmp_path, SERVESTATIC_AUTOREFRESH=True
        ),
    ):
        app = asgi.StaticFiles(asgi.ASGIHandler())
        (tmp_path / "late.js").write_text("1;")
        with count_hops() as hops:
            assert await call(app, "GET", "/static/late.js") == (200, b"1;")
        assert hops.calls == ["ServeStaticBase.find_file"]
        with count_hops() as hops:
            assert (await call(app, "GET", "/plain/"))[0] == 200
        assert hops.count == 0


def test_get_asgi_application_serves_static_files_when_asked():
    assert type(asgi.get_asgi_application().app) is asgi.ASGIHandler
    with finders:
        assert type(asgi.get_asgi_application(serve_static=True).app) is asgi.StaticFiles
        with override_settings(ASYNC_DRF={"SERVE_STATIC": True}):
            assert type(asgi.get_asgi_application().app) is asgi.StaticFiles


def test_serving_static_files_needs_servestatic(monkeypatch):
    monkeypatch.setitem(sys.modules, "servestatic.asgi", None)  # as if not installed
    with pytest.raises(ImproperlyConfigured, match=r'pip install "async_drf\[static\]"'):
        asgi.StaticFiles(asgi.ASGIHandler())
