"""get_asgi_application(): lifespan starts and stops Tortoise; a real uvicorn serves it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from tortoise.exceptions import ConfigurationError

from async_drf import asgi, orm
from async_drf.asgi import TortoiseLifespan

from .models import Author

ROOT = Path(__file__).resolve().parent.parent


async def run_lifespan(app, messages):
    """Drive the ASGI lifespan protocol; returns what the app sent."""
    queue: asyncio.Queue = asyncio.Queue()
    for message in messages:
        queue.put_nowait({"type": message})
    sent = []

    async def send(message):
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, queue.get, send)
    return sent


async def not_http(scope, receive, send):  # the wrapped app must not see lifespan
    raise AssertionError("lifespan reached the wrapped app")


def sqlite_config(path: Path) -> dict:
    return {
        "connections": {"default": f"sqlite://{path}"},
        "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    }


def aiosqlite_threads() -> int:
    return sum(1 for t in threading.enumerate() if "_connection_worker_thread" in t.name)


@pytest.mark.sqlite_only
async def test_lifespan_starts_tortoise_for_other_tasks_and_closes_it(tmp_path):
    app = TortoiseLifespan(not_http, config=sqlite_config(tmp_path / "l.db"), generate_schemas=True)
    threads_before = aiosqlite_threads()
    startup = asyncio.Queue()
    shutdown = asyncio.Event()
    sent = []

    async def receive():
        if startup.empty() and not sent:
            return {"type": "lifespan.startup"}
        await shutdown.wait()
        return {"type": "lifespan.shutdown"}

    async def send(message):
        sent.append(message["type"])
        startup.put_nowait(message)

    # The server runs lifespan in its own task, requests in other tasks.
    lifespan_task = asyncio.create_task(app({"type": "lifespan"}, receive, send))
    assert (await startup.get())["type"] == "lifespan.startup.complete"

    async def request_task():
        await Author.create(name="from-another-task")
        return await Author.all().count()

    assert await asyncio.create_task(request_task()) == 1
    assert aiosqlite_threads() > threads_before
    shutdown.set()
    await lifespan_task
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises((RuntimeError, ConfigurationError)):  # closed: no queries any more
        await asyncio.create_task(request_task())
    for _ in range(100):  # aiosqlite's thread ends once its connection is closed
        if aiosqlite_threads() == threads_before:
            break
        await asyncio.sleep(0.01)
    assert aiosqlite_threads() == threads_before


@pytest.mark.sqlite_only
async def test_lifespan_startup_failure_is_reported(tmp_path):
    bad = {
        "connections": {"default": "sqlite://:memory:"},
        "apps": {"models": {"models": ["tests.no_such_module"]}},
    }
    sent = await run_lifespan(TortoiseLifespan(not_http, config=bad), ["lifespan.startup"])
    assert len(sent) == 1
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert sent[0]["message"].startswith("async_drf: Tortoise ORM failed to start: ")
    assert "tests.no_such_module" in sent[0]["message"]


async def test_other_scopes_go_to_django(tortoise_db):
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await TortoiseLifespan(app)({"type": "http"}, None, None)
    assert seen == ["http"]


# -- servers that send no lifespan events (daphne, uvicorn --lifespan off) -----------


async def create_author(scope, receive, send):
    """An ASGI app whose every request writes through Tortoise."""
    await Author.create(name=scope["path"])
    await send({"type": "http.response.start", "status": 201})


@pytest.fixture
def exit_hooks(monkeypatch):
    """What start_orm leaves for interpreter exit, instead of registering it."""
    hooks = []
    monkeypatch.setattr(orm, "register_exit_hook", hooks.append)
    yield hooks
    for hook in hooks:  # a failed test leaves no Tortoise running for the next ones
        hook()


@pytest.fixture
def inits(monkeypatch):
    """Counts Tortoise initialisations; each yields to the loop, as a real one does."""
    calls = []
    original = orm.init_orm

    async def init_orm(*args, **kwargs):
        calls.append(args)
        await asyncio.sleep(0.05)  # the other first requests arrive meanwhile
        await original(*args, **kwargs)

    monkeypatch.setattr(orm, "init_orm", init_orm)
    return calls


async def first_requests(app, count=8):
    """``count`` concurrent first requests, each in its own task as a server runs them."""
    sent = []

    async def send(message):
        sent.append(message["status"])

    await asyncio.gather(
        *(
            asyncio.create_task(app({"type": "http", "path": f"/{i}"}, None, send))
            for i in range(count)
        )
    )
    return sent, await Author.all().count()


def lazy_app(tmp_path) -> TortoiseLifespan:
    return TortoiseLifespan(
        create_author, config=sqlite_config(tmp_path / "l.db"), generate_schemas=True
    )


async def assert_the_exit_hook_closes_tortoise(exit_hooks, threads):
    assert tortoise_running() and len(threads) == 1
    await asyncio.to_thread(exit_hooks[0])  # what the interpreter runs before joining threads
    assert not tortoise_running()
    assert await all_ended(threads)


def tortoise_running() -> bool:
    return orm._active_context() is not None


def sqlite_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


async def all_ended(threads):
    """True once every one of ``threads`` has ended (aiosqlite's end with their connection)."""
    for _ in range(200):
        if not any(thread.is_alive() for thread in threads):
            return True
        await asyncio.sleep(0.01)
    return False


@pytest.mark.sqlite_only
async def test_without_lifespan_first_requests_start_tortoise_once_and_the_loop_end_closes_it(
    tmp_path, inits, exit_hooks, caplog
):
    app = lazy_app(tmp_path)
    threads_before = sqlite_threads()
    caplog.set_level(logging.INFO, logger="async_drf")

    async def serve():  # a server's whole life: uvicorn --lifespan off runs it in asyncio.run
        sent, count = await first_requests(app)
        return sent, count, sqlite_threads() - threads_before, tortoise_running()

    sent, count, threads, running = await asyncio.to_thread(asyncio.run, serve())
    assert (sent, count) == ([201] * 8, 8)
    assert len(inits) == 1 and app.orm_ready
    assert running and len(threads) == 1  # one connection, shared by every request
    # asyncio.run cancelled the task start_orm left: Tortoise closed on its own loop.
    assert not tortoise_running()
    assert await all_ended(threads)
    assert "Tortoise ORM connections closed" in caplog.text
    assert len(exit_hooks) == 1
    exit_hooks[0]()  # at interpreter exit: nothing left to do


@pytest.mark.sqlite_only
async def test_a_stopped_loop_closes_tortoise_at_exit(tmp_path, exit_hooks):
    """daphne stops its event loop without cancelling its tasks."""
    app = lazy_app(tmp_path)
    threads_before = sqlite_threads()
    loop = asyncio.new_event_loop()
    try:
        sent, count = await asyncio.to_thread(loop.run_until_complete, first_requests(app, 3))
        assert (sent, count) == ([201] * 3, 3)
        threads = sqlite_threads() - threads_before
        await asyncio.sleep(0.3)
        assert all(thread.is_alive() for thread in threads)  # nothing closed it before exit
        await assert_the_exit_hook_closes_tortoise(exit_hooks, threads)
    finally:
        loop.close()


@pytest.mark.sqlite_only
async def test_a_loop_running_in_a_daemon_thread_closes_tortoise_at_exit(tmp_path, exit_hooks):
    """runserver's autoreloader serves from a daemon thread, still running at exit."""
    app = lazy_app(tmp_path)
    threads_before = sqlite_threads()
    loop = asyncio.new_event_loop()
    server = threading.Thread(target=loop.run_forever, daemon=True)
    server.start()
    try:
        future = asyncio.run_coroutine_threadsafe(first_requests(app, 3), loop)
        assert await asyncio.wrap_future(future) == ([201] * 3, 3)
        threads = sqlite_threads() - threads_before
        await assert_the_exit_hook_closes_tortoise(exit_hooks, threads)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        server.join(timeout=10)
        loop.close()


@pytest.mark.sqlite_only
async def test_a_failed_start_fails_the_request_and_the_next_one_tries_again(
    inits, exit_hooks, caplog
):
    bad = {
        "connections": {"default": "sqlite://:memory:"},
        "apps": {"models": {"models": ["tests.no_such_module"]}},
    }
    app = TortoiseLifespan(create_author, config=bad)
    for attempt in (1, 2):
        with pytest.raises(ConfigurationError, match="tests.no_such_module"):
            await asyncio.create_task(app({"type": "http", "path": "/"}, None, None))
        assert len(inits) == attempt
        assert not app.orm_ready and not tortoise_running()
    assert "Tortoise ORM failed to start" in caplog.text
    assert exit_hooks == []


async def test_after_lifespan_start_up_requests_skip_the_lazy_start(tortoise_db, monkeypatch):
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    async def start_orm(*args, **kwargs):
        raise AssertionError("a request after lifespan start-up started Tortoise")

    monkeypatch.setattr(asgi, "start_orm", start_orm)
    lifespan = TortoiseLifespan(app)
    messages = asyncio.Queue()
    messages.put_nowait({"type": "lifespan.startup"})
    started = asyncio.Queue()
    task = asyncio.create_task(lifespan({"type": "lifespan"}, messages.get, started.put))
    try:  # Tortoise runs already (tortoise_db): start-up completes without a new one
        assert await started.get() == {"type": "lifespan.startup.complete"}
        assert lifespan.orm_ready
        await lifespan({"type": "http"}, None, None)
        assert seen == ["http"]
    finally:
        task.cancel()


# -- a real server ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def uvicorn_server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "ASYNC_DRF_SERVER_DB_URL": f"sqlite://{tmp_path / 'server.db'}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.asgi_app:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--log-level",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_uvicorn_serves_async_views_over_tortoise_and_closes_on_shutdown(uvicorn_server):
    process, base = uvicorn_server
    assert process.poll() is None, process.stdout.read()
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        created = await asyncio.gather(
            *(client.post("/authors/", json={"name": f"a{i}"}) for i in range(8))
        )
        assert [r.status_code for r in created] == [201] * 8
        ids = sorted(r.json()["id"] for r in created)
        detail = await client.get(f"/authors/{ids[0]}/")
        assert detail.status_code == 200
        assert detail.json()["name"].startswith("a")
        missing = await client.get("/authors/999999/")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "No Author matches the given query."}
        count = await client.get("/function/")
        assert count.json() == {"method": "GET", "count": 8}

    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.to_thread(process.communicate, timeout=15)
    assert process.returncode == 0, output
    assert "Tortoise ORM started" in output
    assert "Tortoise ORM connections closed" in output
    assert "Application shutdown complete" in output


async def test_uvicorn_refuses_to_start_when_tortoise_cannot(tmp_path):
    env = {
        **os.environ,
        "ASYNC_DRF_SERVER_DB_URL": f"sqlite://{tmp_path}/missing-dir/db.sqlite3",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.asgi_app:application",
            "--port",
            str(free_port()),
            "--lifespan",
            "on",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "async_drf: Tortoise ORM failed to start" in result.stderr
