"""The demo project (demo/) as a user runs it: manage.py commands, then a real uvicorn
on a free port.  Used by test_demo.py and test_schema_fuzz.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

DEMO = Path(__file__).resolve().parent.parent / "demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=DEMO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = run_manage(env, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def prepare(env: dict[str, str]) -> str:
    """What `make demo` does before serving: Django's migrations, Tortoise's, the
    sample data; setup_demo's output (the demo user's token)."""
    manage(env, "migrate", "--noinput")
    manage(env, "tortoise_migrate", "--fake-initial")
    return manage(env, "setup_demo")


def demo_env(var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment the demo runs in: this one without DEMO_* (a developer's
    DEMO_DEBUG, database URLs...), plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("DEMO_")}
    # DJANGO_SETTINGS_MODULE: the test run exports tests.settings.
    env.update(DJANGO_SETTINGS_MODULE="demo.settings", DEMO_VAR_DIR=str(var_dir), **settings)
    return env


@contextmanager
def uvicorn(env: dict[str, str], output: int | IO[Any] = subprocess.PIPE) -> Iterator[Any]:
    """``demo.asgi:application`` under uvicorn; yields (process, base URL).  ``output``
    takes its log (a pipe by default: read it only once the server has stopped)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "demo.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
        cwd=DEMO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
