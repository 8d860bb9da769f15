"""Smoke test of the benchmark harness (bench/run.py): answers only, never timings.

Starts the async_drf stack and the floor stack (bare Django + Tortoise) under a
short-lived uvicorn on a free loopback port, each over a freshly seeded SQLite file,
and runs the harness's correctness check against them.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("uvicorn") is None, reason="uvicorn is not installed"
)


@pytest.fixture(scope="module")
def bench():
    from bench import run

    return run


@pytest.fixture(scope="module")
def master_db(bench, tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "master.sqlite3"
    bench.make_database(path)
    return path


def test_seed_database_is_wal_with_the_benchmark_rows(bench, master_db):
    import sqlite3

    conn = sqlite3.connect(master_db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM author").fetchone() == (bench.N_AUTHORS,)
        assert conn.execute("SELECT count(*) FROM post").fetchone() == (bench.N_POSTS,)
        longest = conn.execute("SELECT max(length(title)) FROM post").fetchone()[0]
        assert longest <= 200
    finally:
        conn.close()


@pytest.mark.parametrize(
    "name", ["asyncdrf", "asyncdrf-stock", "bare", "bare-orjson", "asyncdrf+mw", "bare-orjson+mw"]
)
def test_stack_answers_correctly(bench, master_db, tmp_path, name):
    stack = bench.STACKS[name]
    if bench.missing_packages(stack):
        pytest.skip(f"{name} needs {bench.missing_packages(stack)}")
    db = tmp_path / f"{name}.sqlite3"
    bench.copy_database(master_db, db)
    with bench.serve(stack, db, log_path=tmp_path / "server.log") as base_url:
        assert bench.check_stack(base_url) == []


@pytest.fixture(scope="module")
def pg_url(bench):
    """A PostgreSQL database of this run's own, made as the benchmark makes its own, or
    a skip.  (Two test runs at once would otherwise reseed each other's tables.)"""
    name = f"async_drf_bench_test_{os.getpid()}"
    try:
        url = bench.pg_database(name=name)
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield url
    import psycopg

    with psycopg.connect(bench.PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("name", ["asyncdrf", "bare-orjson", "drf-uvicorn"])
def test_stack_answers_correctly_on_postgresql(bench, pg_url, tmp_path, name):
    """Tortoise over asyncpg, Django's ORM over psycopg's pool: the same answers."""
    stack = bench.STACKS[name]
    if bench.missing_packages(stack):
        pytest.skip(f"{name} needs {bench.missing_packages(stack)}")
    bench.pg_reset(pg_url)
    with bench.serve(stack, pg_url, log_path=tmp_path / "server.log") as base_url:
        assert bench.check_stack(base_url) == []


def test_two_workers_answer_correctly(bench, master_db, tmp_path):
    """uvicorn with two workers, through the launcher that sets TCP_NODELAY."""
    stack = bench.STACKS["bare-orjson"]
    if bench.missing_packages(stack):
        pytest.skip(f"bare-orjson needs {bench.missing_packages(stack)}")
    db = tmp_path / "two.sqlite3"
    bench.copy_database(master_db, db)
    with bench.serve(stack, db, workers=2, log_path=tmp_path / "server.log") as base_url:
        assert bench.check_stack(base_url) == []


def test_check_reports_a_wrong_stack(bench, master_db, tmp_path):
    """The check is not vacuous: a stack answering with the wrong data is reported."""
    stack = bench.STACKS["bare"]
    db = tmp_path / "wrong.sqlite3"
    bench.copy_database(master_db, db)
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("UPDATE post SET title = 'changed' WHERE id = 1")
    conn.execute("DELETE FROM author WHERE id = 7")  # so the valid create fails
    conn.commit()
    conn.close()
    with bench.serve(stack, db, log_path=tmp_path / "server.log") as base_url:
        problems = bench.check_stack(base_url)
    assert any("wrong content for post 1" in p for p in problems), problems
    assert any("POST /posts/: status 400 (want 201)" in p for p in problems), problems


def test_options(bench):
    args = bench.parse_args(["--quick", "--stacks", "asyncdrf,bare", "--endpoints", "detail"])
    assert (args.duration, args.stacks, args.endpoints) == (2.0, ["asyncdrf", "bare"], ["detail"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--stacks", "nope"])
    with pytest.raises(SystemExit):
        bench.parse_args(["--rounds", "0"])
    assert bench.parse_args(["--rounds", "3"]).rounds == 3
    default = bench.parse_args([])
    assert (default.databases, default.workers) == (["sqlite", "postgres"], [1])
    args = bench.parse_args(["--databases", "postgres", "--workers", "2,1", "--pg-url", "pg://x"])
    assert (args.databases, args.workers, args.pg_url) == (["postgres"], [1, 2], "pg://x")
    for bad in (["--databases", "mysql"], ["--workers", "0"], ["--workers", "two"]):
        with pytest.raises(SystemExit):
            bench.parse_args(bad)


def test_every_django_stack_has_a_middleware_variant(bench):
    from bench.stacks import base_settings

    django_stacks = [s for s in bench.STACKS.values() if s.django and s.middleware == "none"]
    for stack in django_stacks:
        variant = bench.STACKS[f"{stack.name}+mw"]
        assert (variant.middleware, variant.target, variant.settings) == (
            "django",
            stack.target,
            stack.settings,
        )
    assert "fastapi+mw" not in bench.STACKS
    amw = bench.STACKS["asyncdrf+amw"]
    assert amw.middleware == "async" and bench.ASYNC_MIDDLEWARE_MODULE in amw.requires
    # startproject's list, and the same class names from the async module.
    assert base_settings.middleware("none") == []
    assert base_settings.middleware("django") == base_settings.STARTPROJECT_MIDDLEWARE
    assert len(base_settings.STARTPROJECT_MIDDLEWARE) == 7
    assert base_settings.middleware("async", "pkg.mw") == [
        "pkg.mw.SecurityMiddleware",
        "pkg.mw.SessionMiddleware",
        "pkg.mw.CommonMiddleware",
        "pkg.mw.CsrfViewMiddleware",
        "pkg.mw.AuthenticationMiddleware",
        "pkg.mw.MessageMiddleware",
        "pkg.mw.XFrameOptionsMiddleware",
    ]
    with pytest.raises(ValueError):
        base_settings.middleware("some")


def test_async_middleware_stack_is_skipped_while_its_module_is_missing(
    bench, master_db, tmp_path, monkeypatch
):
    """The +amw stack is reported skipped (not failed) while the module does not import."""
    from dataclasses import replace

    monkeypatch.setattr(bench, "ASYNC_MIDDLEWARE_MODULE", "async_drf.no_such_middleware")
    stack = replace(
        bench.STACKS["asyncdrf+amw"], requires=("async_drf", "async_drf.no_such_middleware")
    )
    run, _ = bench._prepare(stack, master_db, tmp_path)
    assert (run.skipped, run.failed) == ("async_drf.no_such_middleware is not importable", None)
    args = bench.parse_args(["--rounds", "2"])
    merged = bench.merge_rounds([[run], [run]])
    report = bench.render(merged, args, True, 1.0)
    assert "| asyncdrf+amw | skipped: async_drf.no_such_middleware is not importable |" in report


def test_unreachable_postgresql_is_skipped_with_a_message(bench, capsys):
    port = bench.free_port()  # nothing listens there
    args = bench.parse_args(["--pg-url", f"postgres://postgres@127.0.0.1:{port}/test"])
    assert bench.resolve_databases(args) == ["sqlite"]
    assert args.skipped_dbs["postgres"].startswith(
        f"PostgreSQL not reachable at postgres://postgres@127.0.0.1:{port}/test"
    )
    assert "note: PostgreSQL skipped: " in capsys.readouterr().err
    run = bench.StackRun(bench.STACKS["asyncdrf"])
    run.results = {e: bench.Result(100, 1, 2, 1, 0, 0) for e in bench.ENDPOINTS}
    report = bench.render([run], args, True, 1.0)
    assert "- PostgreSQL: skipped: PostgreSQL not reachable at " in report
    assert "## PostgreSQL" not in report


def test_server_commands(bench):
    uvicorn = bench.STACKS["asyncdrf"]
    one = bench.server_command(uvicorn, 8000, "py")
    assert one[:3] == ["py", "-m", "uvicorn"] and "--workers" not in one
    two = bench.server_command(uvicorn, 8000, "py", workers=2)
    assert two[1].endswith("uvicorn_nodelay.py")
    assert two[-2:] == ["--workers", "2"]
    gunicorn = bench.server_command(bench.STACKS["drf-gunicorn+mw"], 8000, "py", workers=2)
    assert gunicorn[gunicorn.index("--workers") + 1] == "2"


def test_uvicorn_launcher_sets_tcp_nodelay_on_the_socket_it_binds(bench):
    """Sockets accepted from it inherit TCP_NODELAY (Linux), which uvicorn's
    multi-worker mode leaves off."""
    import socket

    import uvicorn

    from bench import uvicorn_nodelay

    config = uvicorn.Config("bench.stacks.fastapi_tortoise.app:app", host="127.0.0.1", port=0)
    sock = uvicorn_nodelay.bind_socket(config)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
    assert uvicorn.config.Config.bind_socket is not uvicorn_nodelay.bind_socket  # not patched


def test_postgresql_url_keeps_the_password_out_of_messages(bench):
    assert bench._safe_url("postgres://u:secret@h:5432/db") == "postgres://u:***@h:5432/db"
    assert bench._safe_url("postgres://u@h/db") == "postgres://u@h/db"


def test_rounds_report_the_median_round(bench):
    def run(name, rps, failed=None):
        out = bench.StackRun(bench.STACKS[name], failed=failed)
        if failed is None:
            out.results["detail"] = bench.Result(rps, rps / 10, rps / 5, 100, 0, 0)
        return out

    merged = bench.merge_rounds(
        [
            [run("asyncdrf", 900), run("bare", 500)],
            [run("asyncdrf", 700), run("bare", 100, failed="status 500")],
            [run("asyncdrf", 800), run("bare", 600)],
        ]
    )
    mine, floor = merged
    assert mine.results["detail"].rps == 800
    assert mine.results["detail"].p50_ms == 80  # latencies come from the same round
    assert mine.rounds["detail"] == [900, 700, 800]
    assert floor.failed == "status 500"
    # An even number of rounds takes the lower middle, never an average.
    two = bench.merge_rounds([[run("asyncdrf", 900)], [run("asyncdrf", 700)]])
    assert two[0].results["detail"].rps == 700


def test_targets_and_reference_ratios(bench):
    def run(name, rps):
        out = bench.StackRun(bench.STACKS[name])
        pairs = zip(bench.ENDPOINTS, rps, strict=True)
        out.results = {e: bench.Result(v, 1, 1, 1, 0, 0) for e, v in pairs}
        return out

    lines = bench.target_lines(
        [
            run("asyncdrf", [150, 200, 300, 400]),
            run("asyncdrf+amw", [120, 100, 300, 400]),
            run("asyncdrf-stock", [50, 100, 150, 200]),
            run("bare-orjson", [100, 100, 100, 100]),
            run("bare-orjson-fast", [200, 200, 200, 200]),
            run("drf-gunicorn", [120, 100, 100, 20]),
            run("fastapi", [150, 300, 300, 300]),
        ]
    )
    assert "- met: list vs floor: 1.50x (want >= 1.0x)" in lines
    assert "- MISSED: list vs the floor's views on async_drf's handler (bare-orjson-fast): " in (
        "\n".join(lines)
    )
    assert "- met: list vs fastapi: 1.00x (want >= 0.8x)" in lines
    assert "- MISSED: detail vs fastapi: 0.67x (want >= 0.8x)" in lines
    assert "- met: list vs drf-gunicorn: 1.25x (want >= 1.5x)" not in lines
    assert "- MISSED: list vs drf-gunicorn: 1.25x (want >= 1.5x)" in lines
    assert "- met: slow vs drf-gunicorn: 20.00x (want >= 15.0x)" in lines
    assert "- met: list: asyncdrf+amw vs asyncdrf (no middleware): 0.80x (want >= 0.8x)" in lines
    assert "- MISSED: detail: asyncdrf+amw vs asyncdrf (no middleware): 0.50x (want >= 0.8x)" in (
        lines
    )
    assert (
        "- for reference, async_drf on Django's own handler vs floor: "
        "list 0.50x, detail 1.00x, create 1.50x, slow 2.00x"
    ) in lines


def test_report_has_a_section_per_database_and_worker_count(bench):
    def run(name, db, workers, rps):
        out = bench.StackRun(bench.STACKS[name], db=db, workers=workers)
        out.results = {e: bench.Result(rps, 1, 2, 1, 0, 0) for e in bench.ENDPOINTS}
        return out

    runs = [
        run("asyncdrf", "sqlite", 1, 300),
        run("bare-orjson", "sqlite", 1, 200),
        run("asyncdrf", "postgres", 1, 100),
        run("bare-orjson", "postgres", 1, 200),
        run("asyncdrf", "postgres", 2, 400),
        run("bare-orjson", "postgres", 2, 400),
    ]
    report = bench.render(runs, bench.parse_args(["--workers", "1,2"]), True, 1.0)
    titles = [line for line in report.splitlines() if "requests/s (ratio" in line]
    assert titles == [
        "## SQLite, 1 worker: requests/s (ratio to the floor)",
        "## PostgreSQL, 1 worker: requests/s (ratio to the floor)",
        "## PostgreSQL, 2 workers: requests/s (ratio to the floor)",
    ]
    # Each section's ratios are to its own floor.
    assert "| asyncdrf | 300 (1.50x) | 300 (1.50x) | 300 (1.50x) | 300 (1.50x) |" in report
    assert "| asyncdrf | 100 (0.50x) | 100 (0.50x) | 100 (0.50x) | 100 (0.50x) |" in report
    assert "| asyncdrf | 400 (1.00x) | 400 (1.00x) | 400 (1.00x) | 400 (1.00x) |" in report
    assert "### PostgreSQL, 2 workers: targets" in report
    assert "load average " in report


def test_report_shows_every_round(bench):
    run = bench.StackRun(bench.STACKS["asyncdrf"])
    for endpoint in bench.ENDPOINTS:
        run.results[endpoint] = bench.Result(100, 1, 2, 1, 0, 0)
        run.rounds[endpoint] = [90, 100, 110]
    report = bench.render([run], bench.parse_args(["--rounds", "3"]), True, 1.0)
    assert "- 3 rounds of every stack in turn; each cell is the median round" in report
    assert "| asyncdrf | 90 / 100 / 110 | 90 / 100 / 110 |" in report
    single = bench.render([run], bench.parse_args([]), True, 1.0)
    assert "each round" not in single


def test_report_renders_on_a_machine_without_wrk(bench, monkeypatch, tmp_path):
    """The report's header names wrk's version; without wrk it says so instead of failing."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no wrk on PATH
    assert bench.wrk_version() == "wrk (not installed)"
    run = bench.StackRun(bench.STACKS["asyncdrf"])
    for endpoint in bench.ENDPOINTS:
        run.results[endpoint] = bench.Result(100, 1, 2, 1, 0, 0)
    assert "- load: wrk (not installed), " in bench.render([run], bench.parse_args([]), True, 1.0)


def test_throttle_bench_runs_and_prints_both_rates():
    """bench/throttle.py (make bench-throttle) answers with its table; timings unchecked."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "bench" / "throttle.py"
    done = subprocess.run(
        [sys.executable, str(script), "-n", "30", "--rounds", "1", "--no-redis"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "| store | 10/min | 1000000/min |" in done.stdout
    assert "| memory | " in done.stdout
    assert "(memory store only: --no-redis)" in done.stdout


def _profile_stack(*args):
    return _bench_script("profile_stack.py", *args)


def _bench_script(name, *args):
    """Run bench/<name> with the harness's environment variables unset."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, str(root / "bench" / name), *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=root,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return root, done.stdout


@pytest.mark.parametrize("stack", ["asyncdrf", "bare-orjson-fast"])
def test_profile_stack_serves_the_seeded_database(stack):
    """bench/profile_stack.py answers from its own seeded SQLite file; timings unchecked."""
    root, out = _profile_stack(stack, "detail", "-n", "20")
    assert f"{stack} detail: " in out
    assert "us/request" in out
    assert not (root / "bench.sqlite3").exists()


def test_profile_stack_runs_a_stack_with_its_middleware():
    """The +amw stack runs async_drf.middleware in-process, as its server does."""
    _, out = _profile_stack(
        "asyncdrf+amw",
        "detail",
        "-n",
        "20",
        "--cprofile",
        "--callers",
        r"middleware\.py.*__acall__",
    )
    assert "async_drf/middleware.py" in out


def test_profile_stack_on_postgresql(pg_url):
    _, out = _profile_stack(
        "asyncdrf", "create", "-n", "20", "--database", "postgres", "--pg-url", pg_url
    )
    assert "asyncdrf create: " in out


def test_profile_stack_budget_times_every_async_drf_layer():
    """--budget wraps the layers' entry points by name: a moved one would fail here."""
    _, out = _profile_stack("asyncdrf", "list", "--budget", "-n", "20")
    for layer in ("DRF request", "negotiation", "view", "pagination", "query", "serialization"):
        assert f"| {layer} | " in out
    assert "| Tortoise models built from rows | 20 |" in out


def test_drf_minimum_times_every_view():
    """bench/drf_minimum.py answers each view correctly before timing it; timings unchecked."""
    _, out = _bench_script("drf_minimum.py", "-n", "3", "--rounds", "1")
    rows = [line.split(" | ")[0].strip("| ") for line in out.splitlines()[2:]]
    assert rows == [
        "plain",
        "APIView",
        "APIView + Serializer",
        "AsyncAPIView",
        "AsyncAPIView + Serializer",
    ]
