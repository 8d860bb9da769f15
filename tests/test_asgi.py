"""get_asgi_application(): lifespan starts and stops Tortoise; a real uvicorn serves it."""

from __future__ import annotations

import asyncio
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


async def test_other_scopes_go_to_django():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await TortoiseLifespan(app)({"type": "http"}, None, None)
    assert seen == ["http"]


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
