"""After-response tasks (async_drf.tasks): a view's ``after_response`` callables and
``request.after_response()`` run once each, after the response's last byte is sent,
only for 2xx/3xx answers of views that did not raise; errors are logged; the ASGI
shutdown waits for them.  In-process here; under uvicorn and a WSGI server below."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
import time

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.http import HttpResponseRedirect
from django.test.utils import override_settings
from django.urls import path
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from async_drf import asgi, generics, tasks
from async_drf import serializers as s
from async_drf.orm import ensure_orm, isolate_connections, release_connections
from async_drf.views import AsyncAPIView

from .asgi_exchange import Exchange
from .django_db import django_db  # noqa: F401
from .models import Author
from .test_asgi import run_lifespan, uvicorn_server  # noqa: F401
from .test_wsgi import _count_workers, wsgi_settings  # noqa: F401

events: list[tuple] = []
gate = asyncio.Event()


async def record(*args, **kwargs):
    events.append(("task", args, kwargs))


def record_sync(*args, **kwargs):
    events.append(("sync task", threading.get_ident(), get_user_model().objects.count()))


async def write_author(request, response, *args, **kwargs):
    await Author.create(name=f"after {response.data['name']}")


async def fail(request, response):
    raise ZeroDivisionError("on purpose")


async def wait_for_gate(name):
    events.append(("waiting", name))
    await gate.wait()
    events.append(("released", name))


async def sleep_long():
    await asyncio.sleep(30)


async def sleep_then_write(seconds):
    await asyncio.sleep(seconds)
    await Author.create(name="written after the response")
    events.append(("finished", time.time()))


class AuthorSerializer(s.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class Detail(generics.AsyncRetrieveAPIView):
    queryset = Author
    serializer_class = AuthorSerializer
    after_response = [record]


class Create(generics.AsyncCreateAPIView):
    queryset = Author
    serializer_class = AuthorSerializer
    after_response = [write_author]


class Adds(AsyncAPIView):
    async def get(self, request):
        request.after_response(record, 1, key="value")
        request.after_response(record_sync)
        return Response({"ok": True})


class Status(AsyncAPIView):
    """``?status=`` answers with that status; ``?raise=1`` raises NotFound instead."""

    async def get(self, request):
        request.after_response(record, "status")
        if request.query_params.get("raise"):
            raise NotFound()
        status = int(request.query_params["status"])
        if status == 302:
            return HttpResponseRedirect("/elsewhere/")
        return Response({"status": status}, status=status)


class Failing(AsyncAPIView):
    after_response = [fail, record]

    async def get(self, request):
        return Response({"ok": True})


class Gated(AsyncAPIView):
    async def get(self, request):
        request.after_response(wait_for_gate, request.query_params["name"])
        return Response({"ok": True})


class Long(AsyncAPIView):
    async def get(self, request):
        request.after_response(sleep_long)
        return Response({"ok": True})


class SleepThenWrite(AsyncAPIView):
    async def get(self, request):
        request.after_response(sleep_then_write, 0.2)
        return Response({"ok": True})


class Plain(AsyncAPIView):
    async def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("authors/", Create.as_view()),
    path("authors/<int:pk>/", Detail.as_view()),
    path("adds/", Adds.as_view()),
    path("status/", Status.as_view()),
    path("failing/", Failing.as_view()),
    path("gated/", Gated.as_view()),
    path("long/", Long.as_view()),
    path("plain/", Plain.as_view()),
    path("sleep/", SleepThenWrite.as_view()),
]


@pytest.fixture(autouse=True)
def urls():
    events.clear()
    gate.clear()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        yield


@pytest.fixture
def handler():
    return asgi.ASGIHandler()


async def serve(app, method, url, *, query=b"", body=b""):
    """One request through ``app``, as uvicorn makes it; the end of the response is
    recorded in ``events`` beside the tasks' own entries.  Returns (status, body)."""
    headers = []
    if body:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    exchange = Exchange(app, url, query, headers, method, body)
    exchange.on_complete = lambda: events.append(("last byte sent",))
    await exchange.run()
    return exchange.status, exchange.body


# -- when they run ------------------------------------------------------------------


async def test_view_tasks_run_once_after_the_last_byte(tortoise_db, handler, hops, thread_starts):
    """``after_response`` callables get (request, response, *args, **kwargs) and start
    only once the response is sent; async ones cost no thread and no hop."""
    ada = await Author.create(name="Ada")
    status, body = await serve(handler, "GET", f"/authors/{ada.pk}/")
    assert (status, body) == (200, b'{"id":%d,"name":"Ada"}' % ada.pk)
    assert events == [("last byte sent",)]  # not before
    assert await tasks.drain() == []
    assert [event[0] for event in events] == ["last byte sent", "task"]
    request, response = events[1][1]
    assert request.method == "GET" and response.status_code == 200
    assert events[1][2] == {"pk": ada.pk}
    assert response.data == {"id": ada.pk, "name": "Ada"}
    assert hops.count == 0
    assert thread_starts == []


@pytest.mark.usefixtures("django_db")
async def test_request_tasks_get_their_own_arguments_in_order(tortoise_db, handler, hops):
    """``request.after_response(func, *args, **kwargs)``: async on the loop, sync in a
    worker thread (one hop) where Django's ORM may be used; the thread's connections
    are closed at the end (one more hop), as after a request."""
    await get_user_model().objects.acreate(username="u")
    assert await serve(handler, "GET", "/adds/") == (200, b'{"ok":true}')
    await tasks.drain()
    assert events[0] == ("last byte sent",)
    assert events[1] == ("task", (1,), {"key": "value"})
    kind, thread, users = events[2]
    assert (kind, users) == ("sync task", 1)
    assert thread != threading.get_ident()
    assert hops.calls == ["record_sync", "close_old_connections"]


async def test_a_task_writes_with_tortoise(tortoise_db, handler):
    status, _ = await serve(handler, "POST", "/authors/", body=b'{"name": "Ada"}')
    assert status == 201
    await tasks.drain()
    assert await Author.filter(name="after Ada").count() == 1


@pytest.mark.parametrize(
    ("query", "status", "ran"),
    [
        (b"status=200", 200, True),
        (b"status=204", 204, True),
        (b"status=302", 302, True),
        (b"status=304", 304, True),
        (b"status=400", 400, False),
        (b"status=500", 500, False),
        (b"raise=1", 404, False),
    ],
)
async def test_only_2xx_and_3xx_answers_of_views_that_did_not_raise(
    tortoise_db, handler, query, status, ran
):
    assert (await serve(handler, "GET", "/status/", query=query))[0] == status
    await tasks.drain()
    assert (("task", ("status",), {}) in events) is ran


# -- errors, limits, shutdown -------------------------------------------------------


async def test_a_failing_task_is_logged_and_the_next_ones_run(tortoise_db, handler, caplog):
    with caplog.at_level(logging.ERROR, logger="async_drf.tasks"):
        assert await serve(handler, "GET", "/failing/") == (200, b'{"ok":true}')
        await tasks.drain()
        assert await serve(handler, "GET", "/plain/") == (200, b'{"ok":true}')
    [failure] = caplog.records
    assert failure.getMessage() == f"After-response task {__name__}.fail failed"
    assert failure.exc_info[0] is ZeroDivisionError  # logged with its traceback
    assert [event[0] for event in events] == ["last byte sent", "task", "last byte sent"]


async def test_at_most_max_concurrency_run_at_once(tortoise_db, handler):
    with override_settings(ASYNC_DRF={"AFTER_RESPONSE_MAX_CONCURRENCY": 2}):
        for name in "abcd":
            await serve(handler, "GET", "/gated/", query=b"name=" + name.encode())
        for _ in range(20):
            await asyncio.sleep(0)
        assert [e for e in events if e[0] == "waiting"] == [("waiting", "a"), ("waiting", "b")]
        gate.set()
        assert await tasks.drain() == []
    assert sorted(e[1] for e in events if e[0] == "released") == ["a", "b", "c", "d"]


async def test_drain_cancels_what_outlives_the_timeout_and_logs_it(tortoise_db, handler, caplog):
    await serve(handler, "GET", "/long/")
    with caplog.at_level(logging.WARNING, logger="async_drf.tasks"):
        assert await tasks.drain(timeout=0.05) == [f"{__name__}.sleep_long"]
    assert caplog.messages == [f"After-response task cancelled at shutdown: {__name__}.sleep_long"]
    assert tasks._runners[asyncio.get_running_loop()].tasks == {}


async def test_lifespan_shutdown_waits_for_running_tasks(tortoise_db, handler, monkeypatch):
    monkeypatch.setattr(asgi, "close_orm", record)  # keep the test database open
    await serve(handler, "GET", "/gated/", query=b"name=a")

    async def app(scope, receive, send):  # pragma: no cover - lifespan only
        raise AssertionError

    lifespan = asgi.TortoiseLifespan(app)
    shutdown = asyncio.create_task(run_lifespan(lifespan, ["lifespan.shutdown"]))
    await asyncio.sleep(0.05)
    assert not shutdown.done()  # waiting for the task
    gate.set()
    assert await shutdown == [{"type": "lifespan.shutdown.complete"}]
    assert events[-2:] == [("released", "a"), ("task", (), {})]  # then close_orm


# -- other handlers -----------------------------------------------------------------


async def test_under_djangos_own_handler(tortoise_db):
    """Django's handler closes the response in a thread: the task goes to the loop."""
    ada = await Author.create(name="Ada")
    assert (await serve(DjangoASGIHandler(), "GET", f"/authors/{ada.pk}/"))[0] == 200
    await tasks.drain()
    assert [event[0] for event in events] == ["last byte sent", "task"]


@pytest.mark.usefixtures("django_db")
async def test_under_the_test_client(tortoise_db, api_client):
    response = await api_client.get("/adds/")
    assert response.status_code == 200
    await tasks.drain()
    assert [event[0] for event in events] == ["task", "sync task"]


@pytest.mark.sqlite_only
def test_under_a_wsgi_server(wsgi_settings):  # noqa: F811
    """Django's WSGI handler runs the view on a loop that is gone when the server
    closes the response: the tasks run then, in the worker thread, on a new loop,
    with their own Tortoise connections (closed afterwards).  runserver ends a
    response without a Content-Length (set by CommonMiddleware) by closing the
    connection, after the tasks: the client would wait for them."""
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    with override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"]):
        server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sleep/"
        response = httpx.get(url, timeout=10)
        answered = time.time()
        assert response.json() == {"ok": True}
        deadline = time.monotonic() + 15
        while not events and time.monotonic() < deadline:
            time.sleep(0.02)
        [(kind, finished)] = events
        assert kind == "finished"
        assert finished > answered  # the client had its response first
    finally:
        server.shutdown()
        server.server_close()

    async def count():
        await ensure_orm()
        isolate_connections()  # as a request under WSGI does
        try:
            return await Author.filter(name="written after the response").count()
        finally:
            await release_connections()

    assert async_to_sync(count)() == 1
    assert _count_workers() == 0


# -- cost -----------------------------------------------------------------------------


async def test_a_request_without_tasks_adds_nothing(tortoise_db, api_factory):
    response = await Plain.as_view()(api_factory.get("/plain/"))
    assert response.status_code == 200
    assert [closer.__name__ for closer in response._resource_closers] == ["release_cycles"]


async def test_a_request_with_tasks_leaves_no_cycles(tortoise_db, handler):
    ada = await Author.create(name="Ada")
    url = f"/authors/{ada.pk}/"
    await serve(handler, "GET", url)
    await tasks.drain()
    events.clear()
    gc.collect()
    gc.disable()
    try:
        assert (await serve(handler, "GET", url))[0] == 200
        await tasks.drain()
        events.clear()  # the task's arguments: request and response
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        assert [type(o).__qualname__ for o in gc.garbage] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


# -- a real server ------------------------------------------------------------------


async def poll_finished(client, name, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = (await client.get("/tasks/finished/")).json().get(name)
        if done:
            return done
        await asyncio.sleep(0.05)
    raise AssertionError(f"task {name} never finished")


async def stop(process):
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    assert process.returncode == 0, output
    return output


async def test_uvicorn_answers_before_a_200ms_task_finishes(uvicorn_server):  # noqa: F811
    process, base = uvicorn_server
    assert process.poll() is None, process.stdout.read()
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        response = await client.get("/tasks/sleep/", params={"name": "a", "seconds": 0.2})
        answered = time.time()
        assert response.json() == {"name": "a"}
        [finished] = await poll_finished(client, "a")
        assert finished > answered  # the client had its response first
        await asyncio.sleep(0.3)
        assert (await client.get("/tasks/finished/")).json() == {"a": [finished]}  # once
    await stop(process)


async def test_uvicorn_shutdown_drains_a_running_task(uvicorn_server):  # noqa: F811
    process, base = uvicorn_server
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        response = await client.get("/tasks/sleep/", params={"name": "b", "seconds": 1})
        assert response.status_code == 200
    output = await stop(process)
    assert "task finished: b" in output
    assert output.index("task finished: b") < output.index("Tortoise ORM connections closed")


async def test_uvicorn_logs_a_failing_task_and_serves_the_next_request(
    uvicorn_server,  # noqa: F811
):
    process, base = uvicorn_server
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        assert (await client.get("/tasks/fail/")).json() == {"ok": True}
        await client.get("/tasks/sleep/", params={"name": "c", "seconds": 0})
        await poll_finished(client, "c")  # the failed task did not stop the next one
        assert (await client.get("/function/")).json() == {"method": "GET", "count": 0}
    output = await stop(process)
    assert "After-response task tests.after_response_views.explode failed" in output
    assert "Traceback (most recent call last)" in output
    assert "ZeroDivisionError: the task failed on purpose" in output
