"""schemathesis, a client nobody here wrote, against the OpenAPI schema the demo serves:
every check and every phase (examples, coverage, fuzzing, stateful) over the demo
under uvicorn, on SQLite and on PostgreSQL.  Bounded and seeded here; ``make fuzz``
runs it longer (ASYNC_DRF_FUZZ_EXAMPLES, ASYNC_DRF_FUZZ_SEED).  The configuration
is demo/schemathesis.toml."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .demo_server import DEMO, demo_env, prepare, uvicorn

EXAMPLES = int(os.environ.get("ASYNC_DRF_FUZZ_EXAMPLES", "20"))  # per operation and phase
SEED = os.environ.get("ASYNC_DRF_FUZZ_SEED", "1")
PHASES = ["examples", "coverage", "fuzzing", "stateful"]


def _postgres(sql: str) -> None:
    """Run one statement on the test server's maintenance connection."""
    import asyncpg

    async def run() -> None:
        connection = await asyncpg.connect(os.environ["ASYNC_DRF_TEST_DB_URL"])
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, whatever runs on this one
        pool.submit(asyncio.run, run()).result()


@pytest.fixture
def tortoise_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the demo's SQLite file), or a PostgreSQL database of this run's own."""
    if request.param == "sqlite":
        yield None
        return
    name = f"async_drf_schema_fuzz_{os.getpid()}"
    _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _postgres(f'CREATE DATABASE "{name}"')
    try:
        yield f"{os.environ['ASYNC_DRF_TEST_DB_URL'].rsplit('/', 1)[0]}/{name}"
    finally:
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schemathesis(base: str, token: str, report: Path) -> subprocess.CompletedProcess[str]:
    """``schemathesis run`` from demo/ (where it finds its configuration)."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/api/schema/?format=json"]
    command += ["--checks", "all", "--phases", ",".join(PHASES)]
    command += ["--max-examples", str(EXAMPLES), "--seed", SEED, "--workers", "1"]
    command += ["--generation-database", "none", "--no-color"]
    command += ["--report", "json", "--report-json-path", str(report)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEMATHESIS")}
    env["DEMO_TOKEN"] = token
    return subprocess.run(
        command, cwd=DEMO, env=env, capture_output=True, text=True, timeout=300 + 30 * EXAMPLES
    )


@pytest.mark.parametrize(
    "tortoise_url",
    [
        pytest.param("sqlite", marks=pytest.mark.sqlite_only),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ],
    indirect=True,
)
def test_schemathesis_finds_no_failure(tortoise_url: str | None, tmp_path: Path) -> None:
    settings = {"DEMO_PASSWORD": "fuzz-password"}
    # The demo user's requests are not throttled, so that the run reaches the views;
    # the anonymous, scoped and token throttles stay on, so 429s are part of it.
    settings["DEMO_USER_RATE"] = ""
    if tortoise_url:
        settings["DEMO_TORTOISE_URL"] = tortoise_url
    env = demo_env(tmp_path / "var", **settings)
    token = re.search(r"Token for demo: (\w+)", prepare(env)).group(1)
    report_path = tmp_path / "schemathesis.json"
    with open(tmp_path / "uvicorn.log", "w") as log, uvicorn(env, log) as (process, base):
        result = schemathesis(base, token, report_path)
        assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()[-5000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    output = result.stdout[-20000:] + result.stderr[-5000:]
    assert (report["failures"], report["errors"]) == ([], []), output
    assert result.returncode == 0, output
    operations = report["operations"]
    assert operations["tested"] == operations["selected"] == operations["total"] >= 18, operations
    assert report["phases"]["examples"]["status"] in ("success", "skip")  # none in the schema
    for phase in PHASES[1:]:
        assert report["phases"][phase]["status"] == "success", report["phases"]
    assert report["test_cases"]["generated"] > 20 * EXAMPLES
