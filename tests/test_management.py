"""Management commands see Tortoise (async_drf.management, orm.command_orm): models are
set up when a command starts, a connection opens on an event loop's first query and
closes when that loop ends; server commands are left to the server."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.commands.runserver import Command as RunserverCommand
from django.test import override_settings
from tortoise import Tortoise
from tortoise.context import get_current_context

from async_drf.management import starts_tortoise
from async_drf.orm import command_orm

from .models import Tag
from .settings import TORTOISE_ORM

DEMO = Path(__file__).resolve().parent.parent / "demo"


def sqlite_threads() -> list[threading.Thread]:
    """aiosqlite's connection threads still running (non-daemon: a left-open one hangs
    the exit).  A closed connection's thread ends just after close() returns."""
    threads = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
    for thread in threads:
        thread.join(timeout=5)
    return [thread for thread in threads if thread.is_alive()]


class CountTags(BaseCommand):
    """Adds a tag and counts them, in two event loops one after the other."""

    collect_garbage = False

    async def add_tag(self) -> int:
        await Tortoise.generate_schemas(safe=True)
        await Tag.create(name=f"tag{await Tag.all().count()}")
        if self.collect_garbage:
            gc.collect()  # the task that closes the connection must survive this
        return await Tag.all().count()

    def handle(self, *args: Any, **options: Any) -> None:
        for _ in range(2):
            count = asyncio.run(self.add_tag())
            self.stdout.write(f"{count} tags, {len(sqlite_threads())} connections open")


TWO_RUNS = "1 tags, 0 connections open\n2 tags, 0 connections open\n"


@pytest.fixture
def file_database(tmp_path: Path) -> Any:
    url = f"sqlite://{tmp_path / 'tags.sqlite3'}"
    with override_settings(TORTOISE_ORM={**TORTOISE_ORM, "connections": {"default": url}}):
        yield


def run_command(command: BaseCommand, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``command`` as manage.py does (``run_from_argv``); what it printed."""
    capsys.readouterr()
    command.run_from_argv(["manage.py", "count_tags"])
    return capsys.readouterr().out


@pytest.mark.sqlite_only
def test_a_command_queries_tortoise_with_no_set_up_of_its_own(
    file_database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each asyncio.run gets a connection of its own, closed when it ends (a loop switch
    would warn, and the test suite turns warnings into errors)."""
    assert (
        run_command(CountTags(), capsys)
        == "1 tags, 0 connections open\n2 tags, 0 connections open\n"
    )
    assert sqlite_threads() == []
    assert get_current_context() is None  # configuration forgotten, global fallback cleared


@pytest.mark.sqlite_only
def test_the_connection_closes_even_after_a_garbage_collection(
    file_database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    command = CountTags()
    command.collect_garbage = True
    assert (
        run_command(command, capsys) == "1 tags, 0 connections open\n2 tags, 0 connections open\n"
    )
    assert sqlite_threads() == []


@pytest.mark.sqlite_only
def test_a_transaction_in_a_command(
    file_database: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from tortoise.transactions import in_transaction

    class Transaction(BaseCommand):
        def handle(self, *args: Any, **options: Any) -> None:
            async def work() -> int:
                await Tortoise.generate_schemas(safe=True)
                async with in_transaction():
                    await Tag.create(name="in")
                return await Tag.all().count()

            self.stdout.write(str(asyncio.run(work())))

    assert run_command(Transaction(), capsys) == "1\n"
    assert sqlite_threads() == []


async def test_code_on_an_event_loop_keeps_its_own_tortoise(tortoise_db: Any) -> None:
    with command_orm():
        assert get_current_context() is tortoise_db
        assert await Tag.all().count() == 0


@override_settings(TORTOISE_ORM=None)
def test_without_a_configuration_commands_run_as_before() -> None:
    with command_orm():
        assert get_current_context() is None


def test_call_command_from_code_runs_with_the_callers_set_up() -> None:
    """Django creates a test database with call_command("migrate"): that must not bind
    Tortoise's process-wide models to the settings' databases."""
    seen = []

    class Probe(BaseCommand):
        def handle(self, *args: Any, **options: Any) -> None:
            seen.append(get_current_context())

    call_command(Probe())
    assert seen == [None]


class DaphneRunserver(RunserverCommand):
    """What daphne's runserver is: a subclass of Django's."""


@pytest.mark.parametrize(
    ("command", "starts"),
    [
        (RunserverCommand(), False),
        (DaphneRunserver(), False),
        (CountTags(), True),
    ],
)
def test_servers_start_tortoise_themselves(command: BaseCommand, starts: bool) -> None:
    assert starts_tortoise(command) is starts


def test_commands_without_tortoise_by_name() -> None:
    from django.core.management import load_command_class

    for name in ("testserver", "test"):
        assert not starts_tortoise(load_command_class("django.core", name))
    assert starts_tortoise(load_command_class("django.core", "check"))
    with override_settings(ASYNC_DRF={"COMMANDS_WITHOUT_TORTOISE": ["check"]}):
        assert not starts_tortoise(load_command_class("django.core", "check"))


@pytest.mark.sqlite_only  # the demo's own SQLite files
def test_generateschema_writes_a_valid_schema_without_connecting(tmp_path: Path) -> None:
    from openapi_spec_validator import validate

    env = {"DJANGO_SETTINGS_MODULE": "demo.settings", "DEMO_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "generateschema", "--format", "openapi-json"],
        cwd=DEMO,
        env={**_clean_environ(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    validate(document)
    assert set(document["paths"]["/api/posts/"]) == {"get", "post"}
    post = document["components"]["schemas"]["Post"]
    assert {"id", "title", "body", "author", "tags"} <= set(post["properties"])
    assert post["properties"]["author"]["type"] == "integer"
    assert not (tmp_path / "blog.sqlite3").exists()  # introspection only: no connection


def _clean_environ() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if not key.startswith("DEMO_")}


def test_the_mirrored_tortoise_code_is_unchanged() -> None:
    """orm._CommandContext.connections mirrors TortoiseContext.connections, and the
    SQLite executor overrides two private hooks of Tortoise's migration engine."""
    import inspect

    from tortoise.context import TortoiseContext
    from tortoise.migrations.executor import MigrationExecutor
    from tortoise.migrations.schema_editor import SqliteSchemaEditor

    source = inspect.getsource(TortoiseContext.connections.fget)
    assert "if self._connections is None:" in source
    assert "self._connections = ConnectionHandler()" in source
    assert "def _schema_editor(self, atomic: bool = True, collect_sql: bool = False)" in (
        inspect.getsource(MigrationExecutor)
    )
    assert "await self._remake_table(model, delete_field=field)" in inspect.getsource(
        SqliteSchemaEditor.remove_field
    )
