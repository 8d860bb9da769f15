"""The tortoise_* commands, end to end in a small project written to a temporary
folder: make -> apply -> change a model -> make -> apply -> roll back, on SQLite and on
a PostgreSQL database the test creates and drops; each command in its own process,
as a user runs them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SETTINGS = """
import os
SECRET_KEY = "notes"
USE_TZ = True
INSTALLED_APPS = ["async_drf", "notes"]
TORTOISE_ORM = {
    "connections": {"default": os.environ["NOTES_DB_URL"]},
    "apps": {"notes": {"models": ["notes.models"], "default_connection": "default"}},
}
"""

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    name = fields.CharField(max_length=100, unique=True)


class Post(Model):
    title = fields.CharField(max_length=200)
    author = fields.ForeignKeyField("notes.Author", related_name="posts")
    owner_id = fields.IntField(db_index=True)

    class Meta:
        unique_together = (("author", "title"),)


class Comment(Model):
    post = fields.ForeignKeyField("notes.Post", related_name="comments")
    text = fields.TextField()
"""

# A new NOT NULL column on a table with rows needs a database default.
NEW_FIELD = '    summary = fields.CharField(max_length=200, db_default="none yet")\n'

LOAD = """
import asyncio
from notes.models import Author, Comment, Post

async def load():
    author = await Author.create(name="ann")
    post = await Post.create(title="first", author=author, owner_id=7)
    await Comment.create(post=post, text="nice")

asyncio.run(load())
"""

# Reads the rows back, then tries a post that breaks the unique (author, title).
READ = """
import asyncio
from tortoise.exceptions import IntegrityError
from notes.models import Author, Comment, Post

async def read():
    post = await Post.get(title="first")
    names = [name for name in ("title", "owner_id", "summary") if name in post._meta.fields_map]
    fields = {name: getattr(post, name) for name in names}
    print(sorted(fields.items()), await Comment.all().count())
    try:
        await Post.create(title="first", author_id=post.author_id, owner_id=1)
    except IntegrityError:
        print("unique kept")

asyncio.run(read())
"""


class Project:
    """The project on disk and a way to run its commands."""

    def __init__(self, root: Path, db_url: str) -> None:
        self.root = root
        self.db_url = db_url
        (root / "notes").mkdir(parents=True)
        (root / "notes" / "__init__.py").touch()
        (root / "settings.py").write_text(SETTINGS)
        (root / "notes" / "models.py").write_text(MODELS)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings", "NOTES_DB_URL": self.db_url}
        return subprocess.run(
            [sys.executable, "-m", "django", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def manage(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-v", "0", "-c", textwrap.dedent(code))

    def add_field(self) -> None:
        models = self.root / "notes" / "models.py"
        text = models.read_text()
        anchor = "    owner_id = fields.IntField(db_index=True)\n"
        models.write_text(text.replace(anchor, anchor + NEW_FIELD))

    @property
    def migrations(self) -> list[str]:
        folder = self.root / "notes" / "tortoise_migrations"
        return sorted(path.name for path in folder.glob("0*.py"))


def check_life_cycle(project: Project, indexes: Any) -> None:
    """make -> apply -> change -> make -> apply -> roll back -> zero, with rows kept."""
    assert project.manage("tortoise_makemigrations").splitlines() == [
        "Migrations for 'notes':",
        "  notes/tortoise_migrations/0001_initial.py",
        "    - Create model Author",
        "    - Create model Post",
        "    - Create model Comment",
    ]
    assert project.manage("tortoise_makemigrations", "--check") == "No changes detected\n"
    assert "  Applying notes.0001_initial... OK\n" in project.manage("tortoise_migrate")
    assert "No migrations to apply." in project.manage("tortoise_migrate")
    project.shell(LOAD)
    owner_index = indexes()
    assert any(columns == ["owner_id"] for columns in owner_index), owner_index

    project.add_field()
    assert project.run("tortoise_makemigrations", "--check").returncode == 1
    made = project.manage("tortoise_makemigrations", "--name", "post summary")
    assert "    - Add field summary to Post" in made
    assert project.migrations == ["0001_initial.py", "0002_post_summary.py"]
    assert "  Applying notes.0002_post_summary... OK" in project.manage("tortoise_migrate")
    assert project.shell(READ) == (
        "[('owner_id', 7), ('summary', 'none yet'), ('title', 'first')] 1\nunique kept\n"
    )
    assert project.manage("tortoise_showmigrations") == (
        "notes\n [X] 0001_initial\n [X] 0002_post_summary\n"
    )

    rollback = project.manage("tortoise_migrate", "notes", "0001")
    assert "  Unapplying notes.0002_post_summary... OK" in rollback
    (project.root / "notes" / "models.py").write_text(MODELS)
    # The row, its comment (which references the remade table) and the indexes stay.
    assert project.shell(READ) == "[('owner_id', 7), ('title', 'first')] 1\nunique kept\n"
    assert indexes() == owner_index
    assert project.manage("tortoise_showmigrations", "notes") == (
        "notes\n [X] 0001_initial\n [ ] 0002_post_summary\n"
    )
    assert "  Unapplying notes.0001_initial... OK" in project.manage(
        "tortoise_migrate", "notes", "zero"
    )


@pytest.mark.sqlite_only  # one pass is enough: every command runs in its own process
def test_life_cycle_on_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "notes.sqlite3"
    project = Project(tmp_path / "project", f"sqlite://{database}")

    def indexes() -> list[list[str]]:
        with sqlite3.connect(database) as conn:
            names = [row[1] for row in conn.execute("PRAGMA index_list(post)")]
            return sorted(
                [row[2] for row in conn.execute(f"PRAGMA index_info('{name}')")] for name in names
            )

    check_life_cycle(project, indexes)
    with sqlite3.connect(database) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "post" not in tables and "tortoise_migrations" in tables


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of our own on the PostgreSQL server of the test run, dropped after."""
    import asyncio

    import asyncpg

    server = os.environ["ASYNC_DRF_TEST_DB_URL"]
    base = server.rpartition("/")[0]
    name = f"async_drf_migrations_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.mark.postgres
def test_life_cycle_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    import asyncio

    import asyncpg

    project = Project(tmp_path / "project", postgres_database)

    async def fetch_indexes() -> list[list[str]]:
        conn = await asyncpg.connect(postgres_database)
        try:
            rows = await conn.fetch(
                "SELECT array_agg(a.attname ORDER BY k.n) AS columns"
                " FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
                " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                " WHERE i.indrelid = 'post'::regclass AND NOT i.indisprimary"
                " GROUP BY i.indexrelid"
            )
        finally:
            await conn.close()
        return sorted(list(row["columns"]) for row in rows)

    check_life_cycle(project, lambda: asyncio.run(fetch_indexes()))


DEMO = Path(__file__).resolve().parent.parent / "demo"

DEMO_MODEL_CHANGE = (
    "    published = fields.BooleanField(default=True)\n",
    '    summary = fields.CharField(max_length=300, db_default="")\n',
)

COUNT_ROWS = """
import asyncio
from blog.models import Comment, Post

async def count():
    print(await Post.all().count(), await Comment.all().count())

asyncio.run(count())
"""


class DemoCopy(Project):
    """The demo (demo/) copied to a temporary folder, its blog on ``db_url``."""

    def __init__(self, root: Path, db_url: str) -> None:
        import shutil

        shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("var", "__pycache__"))
        self.root = root
        self.db_url = db_url

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("DEMO_")}
        env.update(
            DJANGO_SETTINGS_MODULE="demo.settings",
            DEMO_VAR_DIR=str(self.root / "var"),
            DEMO_TORTOISE_URL=self.db_url,
        )
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def check_demo_model_change(demo: DemoCopy) -> None:
    """The shipped migrations match the models; a change makes one that applies."""
    assert demo.manage("tortoise_makemigrations", "--check") == "No changes detected\n"
    assert "  Applying blog.0001_initial... OK" in demo.manage("tortoise_migrate")
    demo.manage("migrate", "--noinput")
    demo.manage("setup_demo")  # its own queries, with no set-up code
    rows = demo.shell(COUNT_ROWS)
    assert rows.split()[0] == "30"

    models = demo.root / "blog" / "models.py"
    anchor, field = DEMO_MODEL_CHANGE
    assert anchor in models.read_text()
    models.write_text(models.read_text().replace(anchor, anchor + field))
    made = demo.manage("tortoise_makemigrations")
    assert "    - Add field summary to Post" in made
    assert "  Applying blog.0002_auto_" in demo.manage("tortoise_migrate")
    assert demo.shell(COUNT_ROWS) == rows
    assert "  Unapplying blog.0002_auto_" in demo.manage("tortoise_migrate", "blog", "0001")
    models.write_text(models.read_text().replace(field, ""))
    assert demo.shell(COUNT_ROWS) == rows  # no comment lost with the column


@pytest.mark.sqlite_only
def test_demo_model_change_on_sqlite(tmp_path: Path) -> None:
    demo = DemoCopy(tmp_path / "demo", f"sqlite://{tmp_path / 'blog.sqlite3'}")
    check_demo_model_change(demo)


@pytest.mark.postgres
def test_demo_model_change_on_postgresql(tmp_path: Path, postgres_database: str) -> None:
    check_demo_model_change(DemoCopy(tmp_path / "demo", postgres_database))


GENERATE_SCHEMAS = """
import asyncio
from tortoise import Tortoise
asyncio.run(Tortoise.generate_schemas())
"""


@pytest.mark.sqlite_only
def test_fake_initial_adopts_tables_made_by_generate_schemas(tmp_path: Path) -> None:
    demo = DemoCopy(tmp_path / "demo", f"sqlite://{tmp_path / 'blog.sqlite3'}")
    demo.shell(GENERATE_SCHEMAS)
    refused = demo.run("tortoise_migrate")
    assert refused.returncode == 1 and 'table "author" already exists' in refused.stderr
    assert demo.manage("tortoise_migrate", "--fake-initial").splitlines()[-1] == (
        "  Applying blog.0001_initial... FAKED"
    )
    assert demo.manage("tortoise_showmigrations") == "blog\n [X] 0001_initial\n"
    assert "No migrations to apply." in demo.manage("tortoise_migrate", "--fake-initial")


@pytest.mark.sqlite_only
def test_plan_and_errors(tmp_path: Path) -> None:
    demo = DemoCopy(tmp_path / "demo", f"sqlite://{tmp_path / 'blog.sqlite3'}")
    assert demo.manage("tortoise_migrate", "--plan").splitlines() == [
        "Operations to perform:",
        "  Apply all migrations: blog",
        "Planned operations:",
        "blog.0001_initial",
        "    Create model Author",
        "    Create model Tag",
        "    Create model Post",
        "    Create model Comment",
    ]
    with sqlite3.connect(tmp_path / "blog.sqlite3") as conn:  # --plan changed nothing
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    for args, message in [
        (["tortoise_migrate", "nope"], "No Tortoise app with label 'nope' in TORTOISE_ORM"),
        (["tortoise_migrate", "blog", "9"], "Cannot find a migration matching '9' from app"),
        (
            ["tortoise_makemigrations", "--empty"],
            "You must supply at least one app label when using --empty",
        ),
    ]:
        result = demo.run(*args)
        assert (result.returncode, result.stdout) == (1, ""), result.stderr
        assert f"CommandError: {message}" in result.stderr
    made = demo.manage("tortoise_makemigrations", "blog", "--empty", "--name", "backfill")
    assert "blog/tortoise_migrations/0002_backfill.py" in made
    assert "  Applying blog.0002_backfill... OK" in demo.manage("tortoise_migrate")


def test_executor_migrate_has_tortoises_signature() -> None:
    """The SQLite executor restates Tortoise's migrate() parameters to pass them on: a
    parameter Tortoise adds or a default it changes must be restated too."""
    import inspect

    from tortoise.migrations.executor import MigrationExecutor as TortoiseExecutor

    from async_drf.management.executor import MigrationExecutor

    def shape(function: Any) -> list[tuple[str, Any, Any]]:
        parameters = inspect.signature(function).parameters.values()
        return [(p.name, p.kind, p.default) for p in parameters]

    assert shape(MigrationExecutor.migrate) == shape(TortoiseExecutor.migrate)
