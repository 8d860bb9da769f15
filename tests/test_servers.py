"""The project under real ASGI servers, each in its own process on a free port.

Servers that send no lifespan events (daphne, ``runserver`` with daphne installed,
``uvicorn --lifespan off``) start Tortoise on the first request, once however many
arrive together, and close it when they stop.  Every server command README.md's
"Servers" section shows serves the demo.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .demo_server import prepare
from .test_demo import DEMO, demo_env

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
FIRST_REQUESTS = 8
STOP_TIMEOUT = 20  # seconds a server gets to exit after the signal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def default_sigint() -> None:
    # A shell that starts a job in the background ignores SIGINT for it, and a server
    # inherits that (daphne keeps an ignored SIGINT ignored): give it Ctrl-C back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def need(executable: str) -> Path:
    """The server's command in this virtualenv; skipped outside CI when not installed."""
    path = BIN / executable
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{executable} is missing: the test extra installs it")
        pytest.skip(f"{executable} is not installed (pip install 'async_drf[test]')")
    return path


class Server:
    """A server process in a session of its own, so a signal reaches every process it
    started (a reloader's child, a manager's workers)."""

    def __init__(self, args: list[str], port: int, env: dict[str, str], cwd: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=default_sigint,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:  # a bare connection: an HTTP request would start Tortoise
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise AssertionError(f"{args[0]} did not start:\n{self.process.stdout.read()}")

    def stop(self, sig: int, *, group: bool = False) -> str:
        """Send ``sig`` to the server (to all its processes with ``group``, as Ctrl-C in
        a terminal does); its output once it has exited."""
        if group:
            os.killpg(self.process.pid, sig)
        else:
            self.process.send_signal(sig)
        try:
            output, _ = self.process.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"still running {STOP_TIMEOUT} s after {sig!r}") from None
        return output

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextlib.contextmanager
def serving(args: list[str], env: dict[str, str], cwd: Path, port: int) -> Iterator[Server]:
    server = Server(args, port, env, cwd)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


def project_env(db_url: str, settings: str = "tests.server_settings") -> dict[str, str]:
    """The test project (tests/asgi_app.py), its Tortoise tables made at start-up."""
    return {
        **os.environ,
        "ASYNC_DRF_SERVER_DB_URL": db_url,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": settings,
    }


async def first_requests(base: str) -> None:
    """Concurrent first requests write through Tortoise; then a read sees every write."""
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        created = await asyncio.gather(
            *(client.post("/authors/", json={"name": f"a{i}"}) for i in range(FIRST_REQUESTS))
        )
        assert [r.status_code for r in created] == [201] * FIRST_REQUESTS, created[0].text
        assert sorted(r.json()["name"] for r in created) == [f"a{i}" for i in range(FIRST_REQUESTS)]
        count = await client.get("/function/")
        assert (count.status_code, count.json()) == (200, {"method": "GET", "count": 8})


def started(output: str) -> int:
    """How often Tortoise started (lines of tests/server_settings.py's log handler)."""
    return len(re.findall(r"^Tortoise ORM started$", output, flags=re.M))


def without_lifespan(name: str, port: int) -> list[str]:
    app = "tests.asgi_app:application"
    if name == "daphne":
        return [str(need("daphne")), "-b", "127.0.0.1", "-p", str(port), app]
    if name == "uvicorn --lifespan off":
        return [str(need("uvicorn")), app, "--port", str(port), "--lifespan", "off"]
    need("daphne")  # runserver with daphne's app installed
    # Without the autoreloader: it kills its server process 0.25 s after Ctrl-C, which
    # a loaded machine may need for closing Tortoise's connections.
    return [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"]


@pytest.mark.sqlite_only  # the servers' own SQLite files, not the test database
@pytest.mark.parametrize(
    ("name", "sig"),
    [
        ("daphne", signal.SIGINT),
        ("daphne", signal.SIGTERM),
        ("uvicorn --lifespan off", signal.SIGINT),
        ("uvicorn --lifespan off", signal.SIGTERM),
        ("runserver", signal.SIGINT),
    ],
)
async def test_without_lifespan_tortoise_starts_once_and_closes_at_exit(name, sig, tmp_path):
    port = free_port()
    settings = "tests.daphne_settings" if name == "runserver" else "tests.server_settings"
    env = project_env(f"sqlite://{tmp_path / 'server.db'}", settings)
    with serving(without_lifespan(name, port), env, ROOT, port) as server:
        await first_requests(server.base)
        output = await asyncio.to_thread(server.stop, sig, group=name == "runserver")
    assert started(output) == 1, output
    assert "Traceback" not in output, output
    if name.startswith("uvicorn") and sig == signal.SIGTERM:
        # After its graceful shutdown uvicorn raises SIGTERM again with the default
        # action: the process ends there, and the system closes its connections.
        assert server.process.returncode == -signal.SIGTERM, output
        assert "Finished server process" in output, output
    else:
        assert server.process.returncode == 0, output
        assert "Tortoise ORM connections closed" in output, output


@pytest.mark.sqlite_only
async def test_daphnes_exit_waits_for_after_response_tasks_before_closing_tortoise(tmp_path):
    # (runserver's autoreloader kills its server process 0.25 s after Ctrl-C: no wait.)
    port = free_port()
    env = project_env(f"sqlite://{tmp_path / 'server.db'}")
    with serving(without_lifespan("daphne", port), env, ROOT, port) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as client:
            response = await client.get("/tasks/sleep/", params={"name": "b", "seconds": 1})
            assert (response.status_code, response.json()) == (200, {"name": "b"})
            # Ctrl-C once the task runs: daphne kills an application instance still
            # pending at shutdown (here: one whose response is not closed yet).
            for _ in range(100):
                if "b" in (await client.get("/tasks/started/")).json():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the after-response task never started")
        output = await asyncio.to_thread(server.stop, signal.SIGINT)
    assert server.process.returncode == 0, output
    assert "task finished: b" in output, output
    assert output.index("task finished: b") < output.index("Tortoise ORM connections closed")


@pytest.mark.postgres
async def test_daphne_on_postgresql_starts_and_closes_the_pool():
    import asyncpg

    base, _, _ = os.environ["ASYNC_DRF_TEST_DB_URL"].rpartition("/")
    name = f"servers_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(os.environ["ASYNC_DRF_TEST_DB_URL"])
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        port = free_port()
        args = without_lifespan("daphne", port)
        with serving(args, project_env(f"{base}/{name}"), ROOT, port) as server:
            await first_requests(server.base)
            sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
            assert await admin.fetchval(sessions, name) >= 1  # the pool, opened lazily
            output = await asyncio.to_thread(server.stop, signal.SIGTERM)
        assert server.process.returncode == 0, output
        assert started(output) == 1, output
        assert "Tortoise ORM connections closed" in output, output
        assert await admin.fetchval(sessions, name) == 0  # closed, not dropped by the exit
    finally:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


# -- the commands README.md shows, against the demo ---------------------------------


def readme_commands() -> dict[str, str]:
    """The server commands of README.md's "Servers" section, by executable."""
    section = README.read_text().split("## Servers", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    lines = [line for line in block.splitlines() if line and not line.startswith("#")]
    return {line.split()[0]: line for line in lines}


def test_readme_shows_a_command_for_each_server():
    assert list(readme_commands()) == ["uvicorn", "gunicorn", "hypercorn", "daphne"]


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo's environment, its databases made and filled as ``make demo`` does."""
    env = demo_env(tmp_path_factory.mktemp("demo-var"))
    prepare(env)
    return env


def demo_command(line: str, port: int) -> list[str]:
    """README's command for the demo on ``port``, with two workers on this small machine."""
    line = line.replace("mysite.", "demo.").replace("0.0.0.0", "127.0.0.1")
    line = line.replace("8000", str(port)).replace("--workers 4", "--workers 2")
    executable, *args = line.split()
    return [str(need(executable)), *args]


@pytest.mark.sqlite_only  # the demo's own SQLite files, not the test database
@pytest.mark.parametrize("executable", ["uvicorn", "gunicorn", "hypercorn", "daphne"])
async def test_readme_server_command_serves_the_demo(executable, demo_var):
    port = free_port()
    args = demo_command(readme_commands()[executable], port)
    with serving(args, demo_var, DEMO, port) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=20) as client:
            listed = await client.get("/api/posts/")
            assert listed.status_code == 200, listed.text
            assert listed.json()["count"] > 0
            first = listed.json()["results"][0]
            detail = await client.get(f"/api/posts/{first['id']}/")
            assert (detail.status_code, detail.json()["title"]) == (200, first["title"])
            missing = await client.get("/api/posts/999999/")
            assert (missing.status_code, missing.json()) == (
                404,
                {"detail": "No Post matches the given query."},
            )
        output = await asyncio.to_thread(server.stop, signal.SIGTERM)
    assert server.process.returncode == 0, output
    assert "Tortoise ORM connections closed" in output, output
