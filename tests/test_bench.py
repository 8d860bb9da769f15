"""Smoke test of the benchmark harness (bench/run.py): answers only, never timings.

Starts the async_drf stack and the floor stack (bare Django + Tortoise) under a
short-lived uvicorn on a free loopback port, each over a freshly seeded SQLite file,
and runs the harness's correctness check against them.
"""

from __future__ import annotations

import importlib.util

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


@pytest.mark.parametrize("name", ["asyncdrf", "asyncdrf-stock", "bare"])
def test_stack_answers_correctly(bench, master_db, tmp_path, name):
    stack = bench.STACKS[name]
    if bench.missing_packages(stack):
        pytest.skip(f"{name} needs {bench.missing_packages(stack)}")
    db = tmp_path / f"{name}.sqlite3"
    bench.copy_database(master_db, db)
    with bench.serve(stack, db, log_path=tmp_path / "server.log") as base_url:
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
            run("asyncdrf", [100, 200, 300, 400]),
            run("asyncdrf-stock", [50, 100, 150, 200]),
            run("bare", [100, 100, 100, 100]),
            run("bare-fast", [200, 200, 200, 200]),
            run("drf-gunicorn", [120, 100, 100, 20]),
        ]
    )
    assert "- MISSED: list vs drf-gunicorn: 0.83x (want >= 1.0x)" in lines
    assert "- met: slow vs drf-gunicorn: 20.00x (want >= 15.0x)" in lines
    assert not any("list vs floor" in line and "MISSED" in line for line in lines)
    assert (
        "- for reference, async_drf on Django's own handler vs floor: "
        "list 0.50x, detail 1.00x, create 1.50x, slow 2.00x"
    ) in lines


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
