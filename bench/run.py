"""Load benchmark: async_drf against its peers, the same data and endpoints for all.

    bench/.venv/bin/python bench/run.py [--quick] [--duration 10] [--connections 32]
                                        [--stacks asyncdrf,bare] [--endpoints list,detail]

For every stack: a fresh copy of the seeded SQLite file (WAL), the server started on a
free loopback port (pinned to core 0 with taskset when there are >= 2 cores), the
answers checked (a wrong stack is reported FAILED and not timed), then each endpoint
loaded by wrk (pinned to core 1) for a fixed time.  The markdown table goes to stdout
and to bench/results/latest.md.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.util
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
WRK_DIR = BENCH_DIR / "wrk"

if str(ROOT) not in sys.path:  # run as a script: bench/ is on the path, not its parent
    sys.path.insert(0, str(ROOT))

# The module of the async twins of startproject's middleware (the `+amw` stacks), and
# the pool size of each server process on PostgreSQL.
from bench.stacks.base_settings import ASYNC_MIDDLEWARE_MODULE, POOL_SIZE  # noqa: E402

N_AUTHORS = 50
N_POSTS = 1000
PAGE_SIZE = 20
POST_KEYS = {"id", "title", "body", "published", "created_at", "author"}
PAGE_KEYS = {"count", "next", "previous", "results"}
FLOOR = "bare-orjson"  # the floor of the ratios: bare views, orjson, Django's handler
DATABASES = ("sqlite", "postgres")
# The server the postgres runs use: asyncpg for Tortoise, psycopg for Django's ORM.
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_DATABASE = "bench"  # created on that server when missing; its tables remade per stack


@dataclass(frozen=True)
class Stack:
    name: str
    label: str
    server: str  # "uvicorn" or "gunicorn"
    target: str  # module:attribute
    settings: str | None  # DJANGO_SETTINGS_MODULE, None for a non-Django stack
    lifespan: bool  # the app answers the ASGI lifespan protocol (starts Tortoise)
    requires: tuple[str, ...] = ()
    django: bool = True
    default: bool = True  # in the default --stacks list
    middleware: str = "none"  # BENCH_MIDDLEWARE: none, django (startproject's) or async


_BASE_STACKS = (
    Stack(
        "asyncdrf",
        "async_drf (generics + ModelSerializer, Tortoise, uvicorn)",
        "uvicorn",
        "bench.stacks.asyncdrf.asgi:application",
        "bench.stacks.asyncdrf.settings",
        True,
        ("async_drf", "uvicorn"),
    ),
    Stack(
        "asyncdrf-orjson",
        "async_drf as above, with async_drf.fastjson.ORJSONRenderer",
        "uvicorn",
        "bench.stacks.asyncdrf.asgi:application",
        "bench.stacks.asyncdrf.settings_orjson",
        True,
        ("async_drf", "uvicorn", "orjson"),
    ),
    Stack(
        "asyncdrf-stock",
        "async_drf as above, on Django's own ASGIHandler (the floor's handler)",
        "uvicorn",
        "bench.stacks.asyncdrf.asgi_stock:application",
        "bench.stacks.asyncdrf.settings",
        True,
        ("async_drf", "uvicorn"),
    ),
    Stack(
        "asyncdrf-nocache",
        "async_drf with its field-plan and is_async_callable caches off (the 'before')",
        "uvicorn",
        "bench.stacks.asyncdrf.asgi_nocache:application",
        "bench.stacks.asyncdrf.settings",
        True,
        ("async_drf", "uvicorn"),
        default=False,
    ),
    Stack(
        "bare-orjson",
        "the floor: bare Django async views + Tortoise, orjson, on Django's ASGIHandler",
        "uvicorn",
        "bench.stacks.bare.asgi:application",
        "bench.stacks.bare.settings_orjson",
        True,
        ("tortoise", "uvicorn", "orjson"),
    ),
    Stack(
        "bare-orjson-fast",
        "the floor's views (orjson) on async_drf.asgi.ASGIHandler (no thread per request)",
        "uvicorn",
        "bench.stacks.bare.asgi_fast:application",
        "bench.stacks.bare.settings_orjson",
        True,
        ("async_drf", "uvicorn", "orjson"),
    ),
    Stack(
        "bare",
        "bare Django async views + Tortoise, JsonResponse (DjangoJSONEncoder); uvicorn",
        "uvicorn",
        "bench.stacks.bare.asgi:application",
        "bench.stacks.bare.settings",
        True,
        ("tortoise", "uvicorn"),
    ),
    Stack(
        "bare-fast",
        "the JsonResponse views on async_drf.asgi.ASGIHandler",
        "uvicorn",
        "bench.stacks.bare.asgi_fast:application",
        "bench.stacks.bare.settings",
        True,
        ("async_drf", "uvicorn"),
        default=False,
    ),
    Stack(
        "drf-gunicorn",
        "DRF sync, Django ORM (gunicorn, sync workers)",
        "gunicorn",
        "bench.stacks.drf.wsgi:application",
        "bench.stacks.drf.settings",
        False,
        ("rest_framework", "gunicorn"),
    ),
    Stack(
        "drf-uvicorn",
        "DRF sync, Django ORM (uvicorn)",
        "uvicorn",
        "bench.stacks.drf.asgi:application",
        "bench.stacks.drf.settings",
        False,
        ("rest_framework", "uvicorn"),
    ),
    Stack(
        "adrf",
        "adrf generics, Django async ORM (uvicorn)",
        "uvicorn",
        "bench.stacks.adrf_orm.asgi:application",
        "bench.stacks.adrf_orm.settings",
        False,
        ("adrf", "uvicorn"),
    ),
    Stack(
        "ninja",
        "django-ninja async, Django async ORM (uvicorn)",
        "uvicorn",
        "bench.stacks.ninja_async.asgi:application",
        "bench.stacks.ninja_async.settings",
        False,
        ("ninja", "uvicorn"),
    ),
    Stack(
        "fastapi",
        "FastAPI + Tortoise (uvicorn; not Django)",
        "uvicorn",
        "bench.stacks.fastapi_tortoise.app:app",
        None,
        True,
        ("fastapi", "uvicorn"),
        django=False,
    ),
)

# The `+mw` variants in the default --stacks list (every Django stack has one).
DEFAULT_MIDDLEWARE_STACKS = (
    "asyncdrf",
    "bare-orjson",
    "drf-gunicorn",
    "drf-uvicorn",
    "adrf",
    "ninja",
)


def _with_middleware(stack: Stack) -> list[Stack]:
    """``stack`` and its variants with startproject's MIDDLEWARE (``+mw``) and, for
    async_drf, with the same list from ASYNC_MIDDLEWARE_MODULE (``+amw``)."""
    if not stack.django:
        return [stack]
    out = [
        stack,
        replace(
            stack,
            name=f"{stack.name}+mw",
            label=f"{stack.label}; startproject's MIDDLEWARE",
            middleware="django",
            default=stack.default and stack.name in DEFAULT_MIDDLEWARE_STACKS,
        ),
    ]
    if stack.name == "asyncdrf":
        out.append(
            replace(
                stack,
                name="asyncdrf+amw",
                label=f"{stack.label}; startproject's MIDDLEWARE as {ASYNC_MIDDLEWARE_MODULE}",
                middleware="async",
                requires=(*stack.requires, ASYNC_MIDDLEWARE_MODULE),
            )
        )
    return out


STACKS: dict[str, Stack] = {s.name: s for base in _BASE_STACKS for s in _with_middleware(base)}

ENDPOINTS = ("list", "detail", "create", "slow")
ENDPOINT_PATHS = {
    "list": "GET /posts/?page=N",
    "detail": "GET /posts/<id>/",
    "create": "POST /posts/",
    "slow": "GET /slow/ (20 ms await)",
}


# --------------------------------------------------------------------------- data


def seed_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The same 50 authors and 1000 posts every run (seeded RNG)."""
    rng = random.Random(20240601)
    words = (
        "async django rest framework tortoise orm query serializer view page json "
        "loop thread worker latency request response field model cache socket"
    ).split()
    authors = [(i, f"Author {i}") for i in range(1, N_AUTHORS + 1)]
    base = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    posts = []
    for i in range(1, N_POSTS + 1):
        title = f"Post {i}: " + " ".join(rng.choices(words, k=6))
        body = " ".join(rng.choices(words, k=60))
        created = (base + dt.timedelta(minutes=i)).isoformat(" ")
        posts.append((i, title, body, i % 3 != 0, created, (i % N_AUTHORS) + 1))
    return authors, posts


# The tables of bench/stacks/djmodels and bench/stacks/tortoise_models.
SCHEMA = """
CREATE TABLE author (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(100) NOT NULL
);
CREATE TABLE post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    published BOOL NOT NULL,
    created_at TIMESTAMP NOT NULL,
    author_id INT NOT NULL REFERENCES author (id) ON DELETE CASCADE
);
CREATE INDEX post_author_id ON post (author_id);
"""


def make_database(path: Path) -> None:
    """Create the benchmark SQLite file (WAL) with the seed data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    authors, posts = seed_rows()
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO author (id, name) VALUES (?, ?)", authors)
        conn.executemany(
            "INSERT INTO post (id, title, body, published, created_at, author_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            posts,
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_database(master: Path, dest: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dest}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(master, dest)


# PostgreSQL: the same tables and rows in the database PG_DATABASE, remade for every
# stack (the bench never starts or stops the server; without one it skips postgres).
PG_SCHEMA = """
DROP TABLE IF EXISTS post;
DROP TABLE IF EXISTS author;
CREATE TABLE author (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL);
CREATE TABLE post (
    id SERIAL PRIMARY KEY,
    title VARCHAR(200) NOT NULL,
    body TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    author_id INT NOT NULL REFERENCES author (id) ON DELETE CASCADE
);
CREATE INDEX post_author_id ON post (author_id);
"""


def pg_database(admin_url: str = PG_ADMIN_URL, name: str = PG_DATABASE) -> str:
    """The URL of the benchmark's PostgreSQL database, created when missing.

    Raises ``RuntimeError`` with the reason when PostgreSQL cannot be used (no psycopg,
    server unreachable).
    """
    try:
        import psycopg
    except ImportError as exc:
        raise RuntimeError("psycopg is not installed (bench/requirements.txt)") from exc
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if found.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuntimeError(f"PostgreSQL not reachable at {_safe_url(admin_url)}: {first}") from exc
    return urlsplit(admin_url)._replace(path=f"/{name}", query="").geturl()


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def pg_reset(url: str) -> None:
    """Remake the benchmark's tables in ``url`` with the seed rows."""
    import psycopg

    authors, posts = seed_rows()
    with psycopg.connect(url, connect_timeout=5) as conn:
        conn.execute(PG_SCHEMA)
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO author (id, name) VALUES (%s, %s)", authors)
            cur.executemany(
                "INSERT INTO post (id, title, body, published, created_at, author_id) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                posts,
            )
        for table in ("author", "post"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        conn.execute("ANALYZE author; ANALYZE post")


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a dotted name whose parent package is missing
        return False


def missing_packages(stack: Stack, python: str = sys.executable) -> list[str]:
    if python == sys.executable:
        return [m for m in stack.requires if not _importable(m)]
    code = (
        "import importlib.util,sys;"
        "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    )
    out = subprocess.run([python, "-c", code, *stack.requires], capture_output=True, text=True)
    return out.stdout.split()


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def server_command(stack: Stack, port: int, python: str, workers: int = 1) -> list[str]:
    if stack.server == "gunicorn":
        return [
            python,
            "-m",
            "gunicorn",
            stack.target,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
    # Several uvicorn workers: through bench/uvicorn_nodelay.py, uvicorn with the
    # TCP_NODELAY its multi-process mode forgets (else ~40 ms per keep-alive request).
    launcher = ["-m", "uvicorn"] if workers == 1 else [str(BENCH_DIR / "uvicorn_nodelay.py")]
    return [
        python,
        *launcher,
        stack.target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "on" if stack.lifespan else "off",
        *(["--workers", str(workers)] if workers > 1 else []),
    ]


class ServerError(RuntimeError):
    pass


@contextlib.contextmanager
def serve(
    stack: Stack,
    db: Path | str,
    *,
    pin: bool = False,
    python: str = sys.executable,
    log_path: Path | None = None,
    timeout: float = 30.0,
    workers: int = 1,
) -> Iterator[str]:
    """Run ``stack`` on a free loopback port over ``db`` (a SQLite file, or a
    ``postgres://`` URL); yield its base URL."""
    port = free_port()
    cmd = server_command(stack, port, python, workers)
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PYTHONUNBUFFERED": "1",
        "BENCH_MIDDLEWARE": stack.middleware,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("BENCH_PG_URL", None)
    env.pop("BENCH_DB", None)
    if str(db).startswith(("postgres://", "postgresql://")):
        env["BENCH_PG_URL"] = str(db)
    else:
        env["BENCH_DB"] = str(db)
    if stack.settings:
        env["DJANGO_SETTINGS_MODULE"] = stack.settings
    log = open(log_path, "w") if log_path else tempfile.TemporaryFile("w+")  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise ServerError(f"server exited with {proc.returncode}: {_tail(log)}")
            try:
                request("127.0.0.1", port, "GET", "/posts/1/", timeout=2)
                break  # any HTTP answer: up (the check reports a wrong one)
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"server not ready after {timeout:.0f} s: {_tail(log)}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(log: Any, n: int = 1500) -> str:
    with contextlib.suppress(Exception):
        log.flush()
        name = getattr(log, "name", None)
        if isinstance(name, str):
            text = Path(name).read_text(errors="replace")
        else:
            log.seek(0)
            text = log.read()
        return text[-n:].strip().replace("\n", " | ")
    return "(no log)"


# --------------------------------------------------------------------------- correctness


def request(
    host: str,
    port: int,
    method: str,
    path: str,
    body: Any = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def check_stack(base_url: str) -> list[str]:
    """Check a running stack's answers; return the problems (empty when correct).

    Runs the requests the load will make plus the error cases, against the freshly
    seeded database (it creates one post).
    """
    host, port = base_url.removeprefix("http://").split(":")
    _, posts = seed_rows()
    problems: list[str] = []

    def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, headers, raw = request(host, int(port), method, path, body)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw[:200]
        if raw and "json" not in headers.get("content-type", ""):
            problems.append(f"{method} {path}: content-type {headers.get('content-type')!r}")
        return status, data

    def expect(cond: bool, what: str) -> bool:
        if not cond:
            problems.append(what)
        return cond

    def check_post(obj: Any, where: str, expected_id: int | None = None) -> None:
        if not expect(isinstance(obj, dict), f"{where}: not an object: {obj!r:.200}"):
            return
        if not expect(set(obj) == POST_KEYS, f"{where}: keys {sorted(obj)}"):
            return
        expect(
            isinstance(obj["id"], int)
            and isinstance(obj["title"], str)
            and isinstance(obj["body"], str)
            and isinstance(obj["published"], bool)
            and isinstance(obj["created_at"], str)
            and isinstance(obj["author"], int),
            f"{where}: field types {obj!r:.300}",
        )
        if expected_id is not None and 1 <= expected_id <= len(posts):
            row = posts[expected_id - 1]
            expect(
                (obj["id"], obj["title"], obj["body"], obj["published"], obj["author"])
                == (row[0], row[1], row[2], row[3], row[5]),
                f"{where}: wrong content for post {expected_id}: {obj!r:.200}",
            )
            expect(
                obj["created_at"].startswith(row[4][:19].replace(" ", "T")),
                f"{where}: created_at {obj['created_at']!r} != {row[4]!r}",
            )

    # List: page 1 and page 2.
    for page in (1, 2):
        path = f"/posts/?page={page}"
        status, data = call("GET", path)
        if not expect(status == 200, f"GET {path}: status {status}: {data!r:.200}"):
            continue
        page_ok = isinstance(data, dict) and set(data) == PAGE_KEYS
        if not expect(page_ok, f"GET {path}: {data!r:.200}"):
            continue
        expect(data["count"] == N_POSTS, f"GET {path}: count {data['count']}")
        results = data["results"]
        if expect(
            isinstance(results, list) and len(results) == PAGE_SIZE,
            f"GET {path}: {len(results) if isinstance(results, list) else results!r} results",
        ):
            first = (page - 1) * PAGE_SIZE + 1
            expect(
                [r.get("id") for r in results if isinstance(r, dict)]
                == list(range(first, first + PAGE_SIZE)),
                f"GET {path}: ids {[r.get('id') for r in results if isinstance(r, dict)]}",
            )
            for offset, obj in enumerate(results):
                check_post(obj, f"GET {path} results[{offset}]", first + offset)
        expect(
            isinstance(data["next"], str) and f"page={page + 1}" in data["next"],
            f"GET {path}: next {data['next']!r}",
        )
        if page == 1:
            expect(data["previous"] is None, f"GET {path}: previous {data['previous']!r}")
        else:
            expect(isinstance(data["previous"], str), f"GET {path}: previous {data['previous']!r}")
    status, data = call("GET", "/posts/?page=50")
    if expect(status == 200, f"GET /posts/?page=50: status {status}") and isinstance(data, dict):
        expect(data.get("next") is None, f"GET /posts/?page=50: next {data.get('next')!r}")

    # Detail, and a missing id.
    for pk in (1, 537):
        status, data = call("GET", f"/posts/{pk}/")
        if expect(status == 200, f"GET /posts/{pk}/: status {status}: {data!r:.200}"):
            check_post(data, f"GET /posts/{pk}/", pk)
    status, data = call("GET", "/posts/999999/")
    expect(status == 404, f"GET /posts/999999/: status {status} (want 404)")

    # Create: valid, then the invalid cases.
    good = {"title": "bench check", "body": "b", "published": True, "author": 7}
    status, data = call("POST", "/posts/", good)
    if expect(status == 201, f"POST /posts/: status {status} (want 201): {data!r:.200}"):
        check_post(data, "POST /posts/")
        if isinstance(data, dict) and set(data) == POST_KEYS:
            expect(
                data["id"] > N_POSTS
                and (data["title"], data["body"], data["published"], data["author"])
                == ("bench check", "b", True, 7),
                f"POST /posts/: echoed {data!r:.200}",
            )
            created = data["id"]
            status, data = call("GET", f"/posts/{created}/")
            expect(status == 200, f"GET /posts/{created}/ after create: status {status}")
    for name, body in (
        ("missing title", {"body": "b", "author": 1}),
        ("title > 200", {"title": "x" * 201, "author": 1}),
        ("non-existent author", {"title": "t", "author": 99999}),
        ("missing author", {"title": "t"}),
    ):
        status, data = call("POST", "/posts/", body)
        expect(status == 400, f"POST /posts/ ({name}): status {status} (want 400): {data!r:.200}")

    # Slow.
    started = time.perf_counter()
    status, data = call("GET", "/slow/")
    elapsed = time.perf_counter() - started
    expect(status == 200, f"GET /slow/: status {status}")
    expect(elapsed >= 0.019, f"GET /slow/: answered in {elapsed * 1000:.1f} ms (< 20 ms)")
    return problems


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    non2xx: int


def wrk_script(endpoint: str, workdir: Path) -> Path:
    script = workdir / f"{endpoint}.lua"
    script.write_text(
        (WRK_DIR / f"{endpoint}.lua").read_text() + "\n" + (WRK_DIR / "report.lua").read_text()
    )
    return script


def run_wrk(
    base_url: str,
    endpoint: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    pin: bool,
    workdir: Path,
) -> Result:
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(wrk_script(endpoint, workdir)),
        base_url + "/",
    ]
    if pin:
        cmd = ["taskset", "-c", "1", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        tail = f"{out.stdout[-500:]} {out.stderr[-500:]}"
        raise RuntimeError(f"wrk failed ({out.returncode}): {tail}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return Result(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        errors=errors,
        non2xx=data["status"],
    )


@dataclass
class StackRun:
    stack: Stack
    failed: str | None = None
    results: dict[str, Result] = field(default_factory=dict)
    rounds: dict[str, list[float]] = field(default_factory=dict)  # requests/s per round
    db: str = "sqlite"  # "sqlite" or "postgres"
    workers: int = 1
    skipped: str | None = None  # not run, and why (not a failure)

    @property
    def section(self) -> tuple[str, int]:
        return self.db, self.workers


def merge_rounds(rounds: list[list[StackRun]]) -> list[StackRun]:
    """One StackRun per stack from several rounds: per endpoint, the round with the
    median requests/s (its latencies with it); a stack failed in any round failed."""
    merged = []
    for runs in zip(*rounds, strict=True):
        first = runs[0]
        out = StackRun(first.stack, db=first.db, workers=first.workers, skipped=first.skipped)
        out.failed = next((run.failed for run in runs if run.failed), None)
        if out.failed is None and out.skipped is None:
            for endpoint in first.results:
                results = sorted((run.results[endpoint] for run in runs), key=lambda r: r.rps)
                out.results[endpoint] = results[(len(results) - 1) // 2]
                out.rounds[endpoint] = [run.results[endpoint].rps for run in runs]
        merged.append(out)
    return merged


_machine_warm = False


def _mark_warm() -> None:
    global _machine_warm
    _machine_warm = True


def _prepare(
    stack: Stack,
    master: Path,
    workdir: Path,
    db: str = "sqlite",
    workers: int = 1,
    pg_url: str | None = None,
) -> tuple[StackRun, Path | str]:
    """A fresh result and the stack's own database: a copy of the SQLite file, or the
    PostgreSQL tables remade (unless the stack cannot run here)."""
    run = StackRun(stack, db=db, workers=workers)
    target: Path | str = workdir / f"{stack.name}.sqlite3"
    missing = missing_packages(stack)
    if ASYNC_MIDDLEWARE_MODULE in missing:
        run.skipped = f"{ASYNC_MIDDLEWARE_MODULE} is not importable"
    elif missing:
        run.failed = f"not installed: {', '.join(missing)}"
    elif db == "postgres":
        assert pg_url, "a postgres run needs the database's URL"
        try:
            pg_reset(pg_url)
        except Exception as exc:  # reported in the table, the other stacks go on
            run.failed = f"PostgreSQL set-up: {type(exc).__name__}: {exc}"[:400]
        target = pg_url
    else:
        copy_database(master, target)
    return run, target


def bench_stack(
    stack: Stack,
    master: Path,
    workdir: Path,
    args: argparse.Namespace,
    pin: bool,
    db: str = "sqlite",
    workers: int = 1,
) -> StackRun:
    run, target = _prepare(stack, master, workdir, db, workers, getattr(args, "pg_url", None))
    if run.failed or run.skipped:
        return run
    pin = pin and workers == 1  # several workers share both cores with wrk
    log_path = RESULTS_DIR / "logs" / f"{stack.name}-{db}-{workers}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with serve(stack, target, pin=pin, log_path=log_path, workers=workers) as base_url:
            problems = check_stack(base_url)
            if problems:
                run.failed = "; ".join(problems[:3]) + (
                    f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
                )
                return run
            for endpoint in args.endpoints:
                common = dict(connections=args.connections, threads=args.threads, pin=pin)
                warmup = args.warmup
                if not _machine_warm:
                    # The first load of a run measured low whichever stack came first:
                    # warm the machine up longer once.
                    warmup = max(warmup, 3 * args.warmup, 5.0)
                    _mark_warm()
                if warmup > 0:
                    run_wrk(base_url, endpoint, duration=warmup, workdir=workdir, **common)
                result = run_wrk(
                    base_url, endpoint, duration=args.duration, workdir=workdir, **common
                )
                run.results[endpoint] = result
                print(
                    f"  {stack.name:16} {endpoint:7} {result.rps:9.1f} req/s  "
                    f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms"
                    + (f"  errors {result.errors}" if result.errors else "")
                    + (f"  non-2xx {result.non2xx}" if result.non2xx else ""),
                    flush=True,
                )
    except (ServerError, RuntimeError, OSError) as exc:
        run.failed = f"{type(exc).__name__}: {exc}"[:400]
    return run


# --------------------------------------------------------------------------- report


def versions() -> str:
    from importlib import metadata

    names = [
        "async_drf",
        "Django",
        "djangorestframework",
        "tortoise-orm",
        "aiosqlite",
        "adrf",
        "django-ninja",
        "fastapi",
        "pydantic",
        "uvicorn",
        "uvloop",
        "httptools",
        "gunicorn",
        "orjson",
    ]
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def wrk_version() -> str:
    if shutil.which("wrk") is None:  # the report renders without it (make bench installs it)
        return "wrk (not installed)"
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


def _table_head(title: str, columns: list[str], names: dict[str, str] | None = None) -> list[str]:
    return [
        "",
        f"## {title}",
        "",
        "| stack | " + " | ".join((names or {}).get(c, c) for c in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) at the end"


DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def section_title(db: str, workers: int) -> str:
    return f"{DB_LABELS.get(db, db)}, {workers} worker{'s' if workers > 1 else ''}"


def _sections(runs: list[StackRun]) -> dict[tuple[str, int], list[StackRun]]:
    out: dict[tuple[str, int], list[StackRun]] = {}
    for run in runs:
        out.setdefault(run.section, []).append(run)
    return out


def render(runs: list[StackRun], args: argparse.Namespace, pin: bool, elapsed: float) -> str:
    endpoints = list(args.endpoints)
    skipped_dbs = getattr(args, "skipped_dbs", {})
    dbs = sorted({run.db for run in runs}, key=DATABASES.index)
    lines = [
        "# async_drf benchmark",
        "",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; run took {elapsed:.0f} s",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {load_average()}",
        f"- load: {wrk_version()}, `-t {args.threads} -c {args.connections} -d "
        f"{round(args.duration)}s --latency` per endpoint after a {args.warmup:g} s warm-up, "
        f"loopback; "
        + (
            "one worker: server pinned to core 0, wrk to core 1 (taskset)"
            if pin
            else "no CPU pinning"
        )
        + ("; several workers: server and wrk share the cores" if max(args.workers) > 1 else ""),
        f"- data: {N_AUTHORS} authors, {N_POSTS} posts, page size {PAGE_SIZE}; "
        + "; ".join(
            {
                "sqlite": "SQLite (WAL) file copied per stack",
                "postgres": f"PostgreSQL database `{PG_DATABASE}`, tables remade per stack "
                f"(asyncpg / psycopg pool, {POOL_SIZE} connections per process)",
            }[db]
            for db in dbs
        ),
        *[f"- {DB_LABELS[db]}: skipped: {why}" for db, why in skipped_dbs.items()],
        f"- versions: {versions()}",
        f"- ratio = requests/s / requests/s of `{FLOOR}` in the same section (bare Django "
        "async views + Tortoise, orjson, on Django's ASGIHandler)",
        "- `+mw`: with the MIDDLEWARE of `startproject`; `+amw`: the same classes from "
        f"`{ASYNC_MIDDLEWARE_MODULE}`",
        *(
            [f"- {args.rounds} rounds of every stack in turn; each cell is the median round"]
            if args.rounds > 1
            else []
        ),
    ]
    for (db, workers), section in _sections(runs).items():
        lines += _render_section(section, section_title(db, workers), endpoints, args.rounds)
    names = list(dict.fromkeys(r.stack.name for r in runs))
    lines += ["", "Stacks:", ""]
    lines += [f"- `{name}`: {STACKS[name].label}" for name in names if name in STACKS]
    return "\n".join(lines) + "\n"


def _render_section(
    runs: list[StackRun], title: str, endpoints: list[str], rounds: int
) -> list[str]:
    floor = next((r for r in runs if r.stack.name == FLOOR and r.results), None)

    def ratio(run: StackRun, endpoint: str) -> str:
        if floor is None or endpoint not in floor.results or endpoint not in run.results:
            return "-"
        return f"{run.results[endpoint].rps / floor.results[endpoint].rps:.2f}x"

    def not_run(run: StackRun) -> str | None:
        if run.skipped:
            return f"skipped: {run.skipped}"
        return f"FAILED: {run.failed}" if run.failed else None

    pad = " |" * (len(endpoints) - 1)
    lines = _table_head(f"{title}: requests/s (ratio to the floor)", endpoints, ENDPOINT_PATHS)
    for run in runs:
        if why := not_run(run):
            lines.append(f"| {run.stack.name} | {why} |" + pad)
            continue
        cells = [
            f"{run.results[e].rps:,.0f} ({ratio(run, e)})" if e in run.results else "-"
            for e in endpoints
        ]
        lines.append(f"| {run.stack.name} | " + " | ".join(cells) + " |")
    if rounds > 1:
        lines += _table_head(f"{title}: requests/s in each round", endpoints)
        for run in runs:
            if not not_run(run):
                cells = [
                    " / ".join(f"{rps:,.0f}" for rps in run.rounds.get(e, [])) for e in endpoints
                ]
                lines.append(f"| {run.stack.name} | " + " | ".join(cells) + " |")
    lines += _table_head(f"{title}: latency p50 / p99 (ms)", endpoints)
    for run in runs:
        if not_run(run):
            lines.append(f"| {run.stack.name} | - |" + pad)
            continue
        cells = []
        for e in endpoints:
            r = run.results.get(e)
            if r is None:
                cells.append("-")
                continue
            cell = f"{r.p50_ms:.1f} / {r.p99_ms:.1f}"
            if r.errors or r.non2xx:
                cell += f" (errors {r.errors}, non-2xx {r.non2xx})"
            cells.append(cell)
        lines.append(f"| {run.stack.name} | " + " | ".join(cells) + " |")
    targets = target_lines(runs)
    if targets:
        lines += ["", f"### {title}: targets", "", *targets]
    return lines


def target_lines(runs: list[StackRun]) -> list[str]:
    """async_drf's targets, evaluated on the ratios of one section of this run."""
    by = {r.stack.name: r for r in runs if r.results}
    if "asyncdrf" not in by:
        return []
    out = []

    def rps(name: str, endpoint: str) -> float | None:
        run = by.get(name)
        result = run.results.get(endpoint) if run else None
        return result.rps if result else None

    def add(desc: str, mine: float | None, theirs: float | None, want: float) -> None:
        if mine is None or theirs is None:
            return
        got = mine / theirs
        out.append(f"- {'met' if got >= want else 'MISSED'}: {desc}: {got:.2f}x (want >= {want}x)")

    for endpoint in ENDPOINTS:
        add(f"{endpoint} vs floor", rps("asyncdrf", endpoint), rps(FLOOR, endpoint), 1.0)
    for endpoint in ENDPOINTS:
        add(
            f"{endpoint} vs the floor's views on async_drf's handler (bare-orjson-fast)",
            rps("asyncdrf", endpoint),
            rps("bare-orjson-fast", endpoint),
            0.9,
        )
    for endpoint in ENDPOINTS:
        add(f"{endpoint} vs fastapi", rps("asyncdrf", endpoint), rps("fastapi", endpoint), 0.8)
    add("list vs drf-gunicorn", rps("asyncdrf", "list"), rps("drf-gunicorn", "list"), 1.5)
    add("slow vs drf-gunicorn", rps("asyncdrf", "slow"), rps("drf-gunicorn", "slow"), 15.0)
    for peer in ("drf-gunicorn", "drf-uvicorn", "adrf", "ninja"):
        for endpoint in ENDPOINTS:
            if peer == "drf-gunicorn" and endpoint in ("list", "slow"):
                continue  # the 1.5x and 15x targets above
            add(f"{endpoint} vs {peer}", rps("asyncdrf", endpoint), rps(peer, endpoint), 1.0)
    for endpoint in ENDPOINTS:
        add(
            f"{endpoint}: asyncdrf+amw vs asyncdrf (no middleware)",
            rps("asyncdrf+amw", endpoint),
            rps("asyncdrf", endpoint),
            0.8,
        )
    for peer in ("drf-gunicorn", "drf-uvicorn", "adrf", "ninja"):
        for endpoint in ENDPOINTS:
            if peer == "drf-gunicorn" and endpoint == "slow":
                continue
            add(
                f"{endpoint}: asyncdrf+mw vs {peer}+mw",
                rps("asyncdrf+mw", endpoint),
                rps(f"{peer}+mw", endpoint),
                1.0,
            )
    for desc, mine_stack, their_stack in (
        ("async_drf on Django's own handler vs floor", "asyncdrf-stock", FLOOR),
        ("startproject's middleware: asyncdrf+mw vs asyncdrf", "asyncdrf+mw", "asyncdrf"),
        ("startproject's middleware: the floor+mw vs the floor", f"{FLOOR}+mw", FLOOR),
    ):
        ratios = [
            f"{endpoint} {mine / theirs:.2f}x"
            for endpoint in ENDPOINTS
            if (mine := rps(mine_stack, endpoint)) and (theirs := rps(their_stack, endpoint))
        ]
        if ratios:
            out.append(f"- for reference, {desc}: " + ", ".join(ratios))
    return out


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--stacks",
        default=",".join(name for name, stack in STACKS.items() if stack.default),
        help=f"comma-separated, from: {', '.join(STACKS)}",
    )
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help="sqlite,postgres (postgres is skipped with a message when unreachable)",
    )
    parser.add_argument(
        "--pg-url",
        default=PG_ADMIN_URL,
        help=f"a PostgreSQL server's URL; the bench uses (and creates) its database "
        f"`{PG_DATABASE}` (default {PG_ADMIN_URL}, or $BENCH_PG_ADMIN_URL)",
    )
    parser.add_argument(
        "--workers", default="1", help="server processes, e.g. 1,2 (a section for each)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat every stack N times and report each endpoint's median round",
    )
    parser.add_argument("--quick", action="store_true", help="2 s per endpoint, 1 s warm-up")
    parser.add_argument(
        "--check-only", action="store_true", help="only check the stacks' answers (no wrk)"
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 2.0, 1.0
    args.stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    unknown = [s for s in args.stacks if s not in STACKS]
    if unknown:
        parser.error(f"unknown stacks {unknown}; choose from {', '.join(STACKS)}")
    if FLOOR not in args.stacks and not args.check_only:
        print(f"note: the floor stack `{FLOOR}` is not selected: no ratios", file=sys.stderr)
    args.endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = [e for e in args.endpoints if e not in ENDPOINTS]
    if unknown:
        parser.error(f"unknown endpoints {unknown}; choose from {', '.join(ENDPOINTS)}")
    args.databases = list(dict.fromkeys(d.strip() for d in args.databases.split(",") if d.strip()))
    unknown = [d for d in args.databases if d not in DATABASES]
    if unknown or not args.databases:
        parser.error(f"unknown databases {unknown}; choose from {', '.join(DATABASES)}")
    try:
        args.workers = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    except ValueError:
        parser.error(f"--workers {args.workers!r}: want numbers, e.g. 1,2")
    if not args.workers or args.workers[0] < 1:
        parser.error("--workers must be at least 1")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    args.skipped_dbs = {}
    return args


def resolve_databases(args: argparse.Namespace) -> list[str]:
    """The databases this run can use; sets ``args.pg_url`` to the benchmark database
    and records in ``args.skipped_dbs`` why one is left out."""
    usable = []
    for db in args.databases:
        if db == "postgres":
            try:
                args.pg_url = pg_database(args.pg_url)
            except RuntimeError as exc:
                args.skipped_dbs[db] = str(exc)
                print(f"note: PostgreSQL skipped: {exc}", file=sys.stderr)
                continue
        usable.append(db)
    return usable


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.check_only and shutil.which("wrk") is None:
        print(
            "wrk is not installed. Install it (`apt-get install -y wrk`, or run `make bench`, "
            "which does so when apt-get is available) and run again.",
            file=sys.stderr,
        )
        return 2
    pin = can_pin() and not args.no_pin
    if not pin and not args.no_pin:
        print("note: taskset or a second core missing: server and wrk share the CPUs")
    if not _importable(ASYNC_MIDDLEWARE_MODULE) and any(
        STACKS[name].middleware == "async" for name in args.stacks
    ):
        print(
            f"note: {ASYNC_MIDDLEWARE_MODULE} is not importable: the +amw stacks are skipped",
            file=sys.stderr,
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    databases = resolve_databases(args)
    sections = [(db, workers) for db in databases for workers in args.workers]
    with tempfile.TemporaryDirectory(prefix="async-drf-bench-") as tmp:
        workdir = Path(tmp)
        master = workdir / "master.sqlite3"
        make_database(master)
        rounds = []
        for round_number in range(1, (1 if args.check_only else args.rounds) + 1):
            if args.rounds > 1 and not args.check_only:
                print(f"# round {round_number} of {args.rounds}", flush=True)
            runs = []
            for db, workers in sections:
                for name in args.stacks:
                    stack = STACKS[name]
                    print(f"== {name} [{section_title(db, workers)}]: {stack.label}", flush=True)
                    if args.check_only:
                        run = check_only(stack, master, workdir, db, workers, args)
                    else:
                        run = bench_stack(stack, master, workdir, args, pin, db, workers)
                    if run.failed:
                        print(f"  FAILED: {run.failed}", flush=True)
                    elif run.skipped:
                        print(f"  skipped: {run.skipped}", flush=True)
                    runs.append(run)
            rounds.append(runs)
        runs = merge_rounds(rounds)
    if args.check_only:
        return 1 if any(r.failed for r in runs) else 0
    report = render(runs, args, pin, time.monotonic() - started)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report)
    print()
    print(report)
    print(f"(written to {args.output})")
    return 0


def check_only(
    stack: Stack,
    master: Path,
    workdir: Path,
    db: str = "sqlite",
    workers: int = 1,
    args: argparse.Namespace | None = None,
) -> StackRun:
    run, target = _prepare(stack, master, workdir, db, workers, getattr(args, "pg_url", None))
    if run.failed or run.skipped:
        return run
    try:
        with serve(stack, target, workers=workers) as base_url:
            problems = check_stack(base_url)
    except ServerError as exc:
        problems = [str(exc)]
    run.failed = "; ".join(problems) or None
    if not run.failed:
        print("  answers OK")
    return run


if __name__ == "__main__":
    sys.exit(main())
