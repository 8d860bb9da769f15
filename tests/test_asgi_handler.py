"""async_drf.asgi.ASGIHandler: Django's handler without the per-request thread.

Django's handler sends request_started and closes the response in a thread made for
the request.  async_drf's runs Django's own bookkeeping receivers on the loop when the
request ran no sync code, and takes Django's path for everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core import signals
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.http import FileResponse, HttpResponse, JsonResponse
from django.test.utils import override_settings
from django.urls import path

from async_drf import asgi, generics
from async_drf import serializers as s

from .asgi_exchange import http_scope
from .models import Author

# -- views served by this module's urlconf ------------------------------------------

seen: dict[str, object] = {}


async def plain(request):
    return HttpResponse("ok")


def record_thread():
    seen["sync_thread"] = threading.get_ident()


async def runs_sync_code(request):
    await sync_to_async(record_thread)()
    return HttpResponse("ok")


async def upload(request):
    upload = request.FILES["doc"]
    seen["upload"] = upload
    return JsonResponse({"size": upload.size})


async def download(request):
    handle = open(__file__, "rb")  # noqa: SIM115 - FileResponse closes it
    seen["file"] = handle
    return FileResponse(handle)


async def with_closer(request):
    response = HttpResponse("ok")
    response._resource_closers.append(lambda: seen.update(closer=threading.get_ident()))
    return response


async def slow(request):
    try:
        await asyncio.sleep(5)
    except asyncio.CancelledError:
        seen["cancelled"] = True
        raise
    return HttpResponse("late")


class AuthorSerializer(s.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "created"]


class AuthorList(generics.AsyncListCreateAPIView):
    queryset = Author
    serializer_class = AuthorSerializer


urlpatterns = [
    path("authors/", AuthorList.as_view()),
    path("plain/", plain),
    path("sync/", runs_sync_code),
    path("upload/", upload),
    path("download/", download),
    path("slow/", slow),
    path("closer/", with_closer),
]


# -- an in-process ASGI client ------------------------------------------------------


async def call(app, method, url, body=b"", headers=(), disconnect_after=None, query=b""):
    """One request through `app`; returns (status, body).

    Like uvicorn, ``receive`` answers ``http.disconnect`` once the response is sent;
    ``disconnect_after`` makes the client leave that many seconds in instead.
    """
    sent_request = False
    messages = []
    response_sent = asyncio.Event()

    async def receive():
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": body, "more_body": False}
        if disconnect_after is not None:
            await asyncio.sleep(disconnect_after)
        else:
            await response_sent.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            response_sent.set()

    scope = http_scope(method, url, query, headers)
    await app(scope, receive, send)
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return (start["status"] if start else None), content


# Django's MiddlewareMixin middleware (sessions, auth...) runs in the request's thread;
# these tests use none, as an API with async-only middleware would.
urls = override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[])


@pytest.fixture
def handler():
    seen.clear()
    with urls:
        yield asgi.ASGIHandler()


@contextlib.contextmanager
def connected(receiver):
    """``receiver`` on request_started and request_finished for the block."""
    signals.request_started.connect(receiver)
    signals.request_finished.connect(receiver)
    try:
        yield
    finally:
        signals.request_started.disconnect(receiver)
        signals.request_finished.disconnect(receiver)


@pytest.fixture
def bookkeeping_spy(monkeypatch):
    """A receiver treated as Django bookkeeping; records the thread of each call."""
    calls: list[tuple[str, int]] = []

    def started(**kwargs):
        calls.append(("started", threading.get_ident()))

    def finished(**kwargs):
        calls.append(("finished", threading.get_ident()))

    monkeypatch.setattr(asgi, "_BOOKKEEPING", asgi._BOOKKEEPING | {started, finished})
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield calls
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


# -- the fast path ------------------------------------------------------------------


async def test_a_request_without_sync_code_starts_no_thread(handler, thread_starts):
    assert await call(handler, "GET", "/plain/") == (200, b"ok")
    assert thread_starts == []


async def test_generic_views_over_tortoise_start_no_thread(tortoise_db, handler, thread_starts):
    """The whole async_drf request path (negotiation, serializer, Tortoise, rendering)
    runs on the loop: listing and creating start no thread end to end."""
    body = b'{"name": "Ada"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"15")]
    status, content = await call(handler, "POST", "/authors/", body, headers)
    assert status == 201, content
    status, content = await call(handler, "GET", "/authors/")
    assert status == 200 and b'"name":"Ada"' in content.replace(b" ", b"")
    assert thread_starts == []


async def test_djangos_handler_starts_a_thread_for_the_same_request(thread_starts):
    """The cost the fast path removes (and proof the counter sees it)."""
    with urls:
        assert await call(DjangoASGIHandler(), "GET", "/plain/") == (200, b"ok")
    assert len(thread_starts) >= 1


async def test_bookkeeping_runs_on_the_loop_when_no_sync_code_ran(handler, bookkeeping_spy):
    loop_thread = threading.get_ident()
    assert await call(handler, "GET", "/plain/") == (200, b"ok")
    assert bookkeeping_spy == [("started", loop_thread), ("finished", loop_thread)]


async def test_bookkeeping_runs_in_the_request_thread_after_sync_code(handler, bookkeeping_spy):
    """A request that used its thread (the Django ORM, a sync permission...) has it
    closed there, as Django does: request_finished goes to that thread."""
    loop_thread = threading.get_ident()
    assert await call(handler, "GET", "/sync/") == (200, b"ok")
    assert seen["sync_thread"] != loop_thread
    assert bookkeeping_spy == [("started", loop_thread), ("finished", seen["sync_thread"])]


# -- everything else takes Django's path --------------------------------------------


async def test_other_sync_receivers_run_off_the_loop_once_per_request(handler, thread_starts):
    calls = []

    def receiver(sender, **kwargs):
        calls.append(threading.get_ident())

    with connected(receiver):
        assert await call(handler, "GET", "/plain/") == (200, b"ok")
    assert len(calls) == 2
    assert threading.get_ident() not in calls  # never blocking the loop
    assert thread_starts


async def test_async_receivers_are_awaited_on_the_fast_path(handler, thread_starts):
    calls = []

    async def receiver(sender, **kwargs):
        await asyncio.sleep(0)
        calls.append("scope" in kwargs)

    with connected(receiver):
        assert await call(handler, "GET", "/plain/") == (200, b"ok")
    assert calls == [True, False]  # started (with the scope), then finished


async def test_uploaded_files_are_closed_off_the_loop(handler, bookkeeping_spy):
    boundary = "xyz"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="doc"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "hello\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    headers = [
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    status, content = await call(handler, "POST", "/upload/", body, headers)
    assert (status, content) == (200, b'{"size": 5}')
    assert seen["upload"].closed
    finished_thread = [thread for name, thread in bookkeeping_spy if name == "finished"]
    assert finished_thread != [threading.get_ident()]


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_file_responses_are_closed(handler, bookkeeping_spy):
    status, content = await call(handler, "GET", "/download/")
    assert status == 200
    assert content.startswith(b'"""async_drf.asgi.ASGIHandler')
    assert seen["file"].closed
    finished_thread = [thread for name, thread in bookkeeping_spy if name == "finished"]
    assert finished_thread != [threading.get_ident()]


async def test_other_resource_closers_run_off_the_loop(handler):
    """Only closers marked inline (the view's cycle breaker) run on the loop."""
    assert await call(handler, "GET", "/closer/") == (200, b"ok")
    assert seen["closer"] != threading.get_ident()


async def test_the_views_cycle_breaker_keeps_the_loop_path(tortoise_db, handler, bookkeeping_spy):
    loop_thread = threading.get_ident()
    status, _ = await call(handler, "GET", "/authors/")
    assert status == 200
    assert bookkeeping_spy == [("started", loop_thread), ("finished", loop_thread)]


async def test_a_client_that_leaves_cancels_the_view_and_finishes_the_request(
    handler, bookkeeping_spy
):
    status, _ = await call(handler, "GET", "/slow/", disconnect_after=0.05)
    assert status is None  # nothing was sent
    assert seen["cancelled"] is True
    assert [name for name, _ in bookkeeping_spy] == ["started", "finished"]


async def test_unknown_paths_and_errors_still_answer(handler):
    status, _ = await call(handler, "GET", "/missing/")
    assert status == 404


class ClosingCache(LocMemCache):
    def close(self, **kwargs):  # a backend whose close may do network I/O
        pass


async def test_a_cache_that_does_io_on_close_is_closed_off_the_loop():
    cache_settings = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "io": {"BACKEND": f"{__name__}.ClosingCache"},
    }
    with override_settings(CACHES=cache_settings):
        caches["default"]  # noqa: B018 - opened in this context
        assert asgi._caches_close_quietly()
        caches["io"]  # noqa: B018
        assert not asgi._caches_close_quietly()


def test_get_asgi_application_serves_http_through_async_drfs_handler():
    app = asgi.get_asgi_application()
    assert isinstance(app.app, asgi.ASGIHandler)


async def test_mixin_middleware_still_runs_in_the_request_thread(thread_starts):
    """As README says: Django's MiddlewareMixin middleware hops to the request's thread,
    so with it the thread is started anyway."""
    middleware = ["django.contrib.sessions.middleware.SessionMiddleware"]
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
        assert await call(asgi.ASGIHandler(), "GET", "/plain/") == (200, b"ok")
    assert len(thread_starts) >= 1
