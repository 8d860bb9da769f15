"""The pytest plugin registers itself: pytest runs of a small project of their own.

Each run is a subprocess: the project's conftest.py has no ``pytest_plugins`` line, or
the line as older conftests have it, and the plugin may be switched off.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # the project's own in-memory databases

PLUGIN = "async_drf.pytest_plugin"
README = Path(__file__).resolve().parent.parent / "README.md"

SETTINGS = """
SECRET_KEY = "not-secret"
INSTALLED_APPS = [
    "django.contrib.contenttypes", "django.contrib.auth", "rest_framework", "async_drf"
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
ROOT_URLCONF = "tinyurls"
USE_TZ = True
TORTOISE_ORM = {
    "connections": {"default": "sqlite://:memory:"},
    "apps": {"models": {"models": ["tinymodels"], "default_connection": "default"}},
}
"""

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Note(Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)
"""

URLS = """
from django.urls import path
from rest_framework.response import Response

from async_drf.decorators import api_view
from tinymodels import Note


@api_view(["GET"])
async def notes(request):
    return Response([note.text async for note in Note.all().order_by("id")])


urlpatterns = [path("notes/", notes)]
"""

CONFTEST = """
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinysettings")


def pytest_configure(config):
    django.setup()
"""


def readme_pytest_ini() -> str:
    """The pytest configuration README.md's "Testing with the pytest plugin" shows."""
    section = README.read_text().split("## Testing with the pytest plugin", 1)[1]
    return re.search(r"```ini\n(.*?)```", section, flags=re.S).group(1)


TESTS = """
from tinymodels import Note


async def test_a_fresh_database_and_the_counters(tortoise_db, queries, hops):
    await Note.create(text="first")
    assert [n.text async for n in Note.all()] == ["first"]
    assert queries.count == 2
    assert hops.count == 0


async def test_each_test_starts_empty(tortoise_db):
    assert await Note.all().count() == 0


async def test_regex_search_on_sqlite(tortoise_db):
    await Note.create(text="release 1.2")
    await Note.create(text="notes")
    assert [n.text async for n in Note.filter(text__posix_regex=r"^release [0-9.]+$")] == [
        "release 1.2"
    ]


async def test_the_client(tortoise_db, api_client):
    await Note.create(text="hi")
    response = await api_client.get("/notes/")
    assert (response.status_code, response.json()) == (200, ["hi"])


def test_the_request_factory(api_factory):
    assert api_factory.get("/notes/").method == "GET"
"""


def tiny_project(root: Path, *, plugin_line: bool) -> Path:
    files = {
        "tinysettings.py": SETTINGS,
        "tinymodels.py": MODELS,
        "tinyurls.py": URLS,
        "pytest.ini": readme_pytest_ini() + "filterwarnings = error\n",
        "conftest.py": (f"pytest_plugins = [{PLUGIN!r}]\n" if plugin_line else "") + CONFTEST,
        "test_tiny.py": TESTS,
    }
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def run_pytest(
    project: Path, *args: str, pythonpath: str = "", autoload: bool = True
) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("ASYNC_DRF_TEST_DB_URL", "PYTEST_ADDOPTS", "PYTEST_PLUGINS")
        and not key.startswith("PYTEST_DISABLE")
    }
    env.update(DJANGO_SETTINGS_MODULE="tinysettings", PYTHONPATH=pythonpath or str(project))
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("plugin_line", [False, True], ids=["no line", "pytest_plugins line"])
def test_the_fixtures_are_there_with_or_without_a_pytest_plugins_line(tmp_path, plugin_line):
    result = run_pytest(tiny_project(tmp_path, plugin_line=plugin_line))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_the_plugin_is_registered_once_under_its_module_name(tmp_path):
    # -v cancels run_pytest's -q: the header lists the plugins and their names.
    project = tiny_project(tmp_path, plugin_line=True)
    result = run_pytest(project, "-v", "--trace-config", "--co")
    assert result.returncode == 0, result.stdout + result.stderr
    third_party = result.stdout.split("registered third-party plugins:")[1].split("active")[0]
    assert "/async_drf/pytest_plugin.py" in third_party  # found by its entry point
    active = result.stdout.split("active plugins:")[1]
    names = [
        line.split(":")[0].strip()
        for line in active.splitlines()
        if "/async_drf/pytest_plugin.py" in line
    ]
    assert names == [PLUGIN]


@pytest.mark.parametrize("plugin_line", [False, True], ids=["no line", "pytest_plugins line"])
def test_p_no_switches_the_plugin_off(tmp_path, plugin_line):
    project = tiny_project(tmp_path, plugin_line=plugin_line)
    result = run_pytest(project, "-p", f"no:{PLUGIN}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "fixture 'tortoise_db' not found" in result.stdout
    assert "fixture 'api_factory' not found" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("5 errors in")


@pytest.mark.parametrize(
    "named", [["-p", PLUGIN], []], ids=["-p async_drf.pytest_plugin", "pytest_plugins line"]
)
def test_without_autoload_the_plugin_is_named(tmp_path, named):
    project = tiny_project(tmp_path, plugin_line=not named)
    result = run_pytest(project, "-p", "asyncio", *named, autoload=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_without_pytest_asyncio_pytest_still_runs_and_the_fixture_says_why(tmp_path):
    project = tiny_project(tmp_path, plugin_line=False)
    hidden = tmp_path / "hidden"
    (hidden / "pytest_asyncio").mkdir(parents=True)
    (hidden / "pytest_asyncio" / "__init__.py").write_text("raise ImportError('not installed')\n")
    (project / "pytest.ini").write_text("[pytest]\n")
    (project / "test_tiny.py").write_text(
        "def test_plain():\n    pass\n\n\ndef test_db(tortoise_db):\n    pass\n"
    )
    result = run_pytest(project, "-p", "no:asyncio", pythonpath=f"{hidden}{os.pathsep}{project}")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.rstrip().splitlines()[-1].startswith("1 passed, 1 error in")
    assert "async_drf's tortoise_db fixture needs pytest-asyncio" in result.stdout
