"""Database capacity and faults under a real uvicorn with two workers, on PostgreSQL.

Each test module run creates a database of its own, serves tests/pool_settings.py
(Django and Tortoise both pooled) through a TCP proxy the test controls, and loads it
with token-authenticated creates: 200 at once, then with the proxy cut, then with the
database's backends terminated, then with the pools exhausted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT = "127.0.0.1", 5432
POOL_SIZE = 4  # per worker process, for Django's pool and for Tortoise's
WORKERS = 2


def server_url() -> str:
    return os.environ["ASYNC_DRF_TEST_DB_URL"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proxy:
    """A TCP proxy to PostgreSQL, on a thread and event loop of its own (the test's loop
    is busy sending requests): ``cut()`` makes the server unreachable (open connections
    dropped, new ones refused), ``restore()`` undoes it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _call(self, coroutine: Any) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def close(self) -> None:
        if self.server is not None:
            self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        assert self.server is not None
        self.server.close()
        self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        except OSError:
            writer.transport.abort()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            self.writers.discard(writer)
            writer.transport.abort()


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(url)
    try:
        yield conn
    finally:
        await conn.close()


async def create_database(name: str) -> str:
    """A fresh database with the Tortoise table the tests write and Django's tables."""
    async with connected(server_url()) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{name}"
    async with connected(url) as conn:
        await conn.execute(
            "CREATE TABLE tag (id SERIAL PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE)"
        )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.pool_settings"}
    env["ASYNC_DRF_POOL_DB_URL"] = url
    migrate = [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"]
    result = subprocess.run(migrate, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return url


async def drop_database(name: str) -> None:
    async with connected(server_url()) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def create_token(url: str) -> str:
    key = secrets.token_hex(20)
    async with connected(url) as conn:
        user_id = await conn.fetchval(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " VALUES ('!', false, 'load', '', '', '', false, true, now()) RETURNING id"
        )
        await conn.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES ($1, now(), $2)",
            key,
            user_id,
        )
    return key


@contextlib.contextmanager
def serve(db_url: str, *, workers: int, size: int, timeout: float) -> Iterator[str]:
    """tests/pool_settings.py under uvicorn; yields its base URL."""
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.pool_settings"}
    env.update(
        ASYNC_DRF_POOL_DB_URL=db_url,
        ASYNC_DRF_POOL_SIZE=str(size),
        ASYNC_DRF_POOL_TIMEOUT=str(timeout),
    )
    command = [sys.executable, "-m", "uvicorn", "tests.asgi_app:application"]
    command += ["--port", str(port), "--workers", str(workers), "--lifespan", "on"]
    log = tempfile.TemporaryFile("w+")  # a pipe nobody reads would fill and block the server
    process = subprocess.Popen(
        [*command, "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                # Every worker answers (401) once the lifespan has started Tortoise.
                if all(
                    httpx.get(f"http://127.0.0.1:{port}/held/").status_code == 401 for _ in "1234"
                ):
                    break
            time.sleep(0.2)
        assert process.poll() is None, log.seek(0) or log.read()
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database() -> AsyncIterator[tuple[str, str, str]]:
    """(name, direct URL, token key) of a database made for this module."""
    name = f"async_drf_capacity_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        url = await create_database(name)
        yield name, url, await create_token(url)
    finally:
        await drop_database(name)


@pytest.fixture(scope="module")
def served(database: Any) -> Iterator[tuple[str, str]]:
    """(base URL, token): the app on two workers, pools of POOL_SIZE waiting up to 5 s."""
    _name, url, token = database
    with serve(url, workers=WORKERS, size=POOL_SIZE, timeout=5) as base:
        yield base, token


@pytest.fixture
def proxied(database: Any) -> Iterator[tuple[Proxy, str, str]]:
    """(proxy, base URL, token): the app reaching PostgreSQL through the proxy; its pools
    wait up to 2 s for a connection."""
    name, _url, token = database
    proxy = Proxy()
    try:
        proxy.restore()
        db_url = f"postgres://postgres@127.0.0.1:{proxy.port}/{name}"
        with serve(db_url, workers=WORKERS, size=POOL_SIZE, timeout=2) as base:
            yield proxy, base, token
    finally:
        proxy.close()


def client(base: str, token: str | None = None, connections: int = 200) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    headers = {"Authorization": f"Token {token}"} if token else {}
    return httpx.AsyncClient(base_url=base, headers=headers, timeout=30, limits=limits)


def assert_unavailable(response: httpx.Response) -> None:
    """503 JSON with a Retry-After header: never a 500, never an HTML page."""
    assert response.status_code == 503, (response.status_code, response.text[:200])
    assert response.headers["content-type"] == "application/json", response.text[:200]
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str), body
    assert response.headers.get("Retry-After", "").isdigit(), dict(response.headers)


async def stored_ids(url: str) -> set[int]:
    async with connected(url) as conn:
        return {row["id"] for row in await conn.fetch("SELECT id FROM tag")}


async def backends(name: str) -> int:
    async with connected(server_url()) as admin:
        return await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name
        )


class Load:
    """``clients`` loops of creates until stopped; every response is kept."""

    def __init__(self, http: httpx.AsyncClient, clients: int = 16) -> None:
        self.http = http
        self.clients = clients
        self.responses: list[httpx.Response] = []
        self._stop = asyncio.Event()

    async def _loop(self) -> None:
        while not self._stop.is_set():
            response = await self.http.post("/tags/", json={"name": uuid.uuid4().hex[:20]})
            self.responses.append(response)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        tasks = [asyncio.create_task(self._loop()) for _ in range(self.clients)]
        try:
            yield self
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)

    def acknowledged(self) -> set[int]:
        return {r.json()["id"] for r in self.responses if r.status_code == 201}


async def assert_fault_answered_and_recovered(
    load: Load, http: httpx.AsyncClient, url: str
) -> None:
    statuses = Counter(r.status_code for r in load.responses)
    assert set(statuses) <= {201, 503} and statuses[503] > 0, statuses
    for response in load.responses:
        if response.status_code == 503:
            assert_unavailable(response)
    # Recovery without a restart: the same processes serve writes again.
    after = [await http.post("/tags/", json={"name": uuid.uuid4().hex[:20]}) for _ in range(10)]
    assert [r.status_code for r in after] == [201] * 10, [r.text[:200] for r in after]
    acknowledged = load.acknowledged() | {r.json()["id"] for r in after}
    assert acknowledged <= await stored_ids(url)  # no acknowledged write lost


async def until_created(load: Load, count: int, deadline: float) -> None:
    start = len(load.responses)
    while time.monotonic() < deadline:
        if sum(r.status_code == 201 for r in load.responses[start:]) >= count:
            return
        await asyncio.sleep(0.1)


async def until_recovered(load: Load, count: int, deadline: float) -> None:
    """Wait until the load's last ``count`` answers are all 201s: the pools have
    replaced every connection the fault broke (each such idle connection answers
    one request with a 503 before it is dropped)."""
    start = len(load.responses)
    while time.monotonic() < deadline:
        recent = load.responses[start:][-count:]
        if len(recent) == count and all(r.status_code == 201 for r in recent):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"no recovery: {Counter(r.status_code for r in load.responses[start:])}")


# -- tests --------------------------------------------------------------------------


async def test_token_lookup_returns_its_connection_before_the_view(served: Any) -> None:
    base, token = served
    async with client(base, token) as http:
        response = await http.get("/held/")
    assert response.status_code == 200, response.text
    assert response.json() == {"holds_connection": False}


async def test_200_concurrent_token_creates(served: Any, database: Any) -> None:
    name, url, _token = database
    base, token = served
    before = await stored_ids(url)
    names = [f"burst-{i}-{uuid.uuid4().hex[:8]}" for i in range(200)]
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, await backends(name))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    async with client(base, token) as http:
        responses = await asyncio.gather(*(http.post("/tags/", json={"name": n}) for n in names))
    done.set()
    await sampler
    assert Counter(r.status_code for r in responses) == {201: 200}
    assert sorted(r.json()["name"] for r in responses) == sorted(names)
    assert len(await stored_ids(url) - before) == 200
    # Each worker holds at most POOL_SIZE connections per ORM.
    assert 0 < peak <= WORKERS * POOL_SIZE * 2, peak


async def test_database_unreachable_mid_load(proxied: Any, database: Any) -> None:
    _name, url, _token = database
    proxy, base, token = proxied
    async with client(base, token) as http:
        load = Load(http)
        async with load.running():
            await until_created(load, 20, time.monotonic() + 5)
            await asyncio.to_thread(proxy.cut)
            await asyncio.sleep(3)  # longer than the pools' 2 s wait
            await asyncio.to_thread(proxy.restore)
            await until_recovered(load, 40, time.monotonic() + 20)
        await assert_fault_answered_and_recovered(load, http, url)


async def test_backends_terminated_mid_load(served: Any, database: Any) -> None:
    name, url, _token = database
    base, token = served
    async with connected(server_url()) as admin, client(base, token) as http:
        load = Load(http)
        async with load.running():
            for _ in range(3):
                await until_created(load, 20, time.monotonic() + 8)
                terminated = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = $1",
                    name,
                )
                assert terminated > 0
            await until_recovered(load, 40, time.monotonic() + 20)
        await assert_fault_answered_and_recovered(load, http, url)


@pytest.mark.parametrize("holder", ["hold-django", "hold-tortoise"])
async def test_pool_exhausted_waits_then_503(database: Any, holder: str) -> None:
    _name, url, token = database
    with serve(url, workers=1, size=1, timeout=0.5) as base:
        async with client(base, token) as http:
            hold = asyncio.create_task(http.get(f"/{holder}/", params={"seconds": 3}))
            try:
                await asyncio.sleep(1)  # the holder has the pool's only connection
                start = time.monotonic()
                response = await http.post("/tags/", json={"name": uuid.uuid4().hex[:20]})
                waited = time.monotonic() - start
                assert_unavailable(response)
                assert 0.4 < waited < 2.5, waited  # the pool's 0.5 s wait, not the holder's 3 s
                assert (await hold).status_code == 200
            finally:
                hold.cancel()
            # Free again: the next create goes through.
            response = await http.post("/tags/", json={"name": uuid.uuid4().hex[:20]})
            assert response.status_code == 201, response.text
