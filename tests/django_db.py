"""A Django test database for tests that use Django's auth, authtoken and sessions.

The settings' in-memory SQLite database is private to one connection, and Django
opens one connection per thread: rows written from a ``sync_to_async`` worker would be
invisible to the event loop thread.  ``django_db`` therefore switches the default
database to a temporary SQLite file (Django's ``create_test_db`` with ``TEST.NAME``),
migrated once per session, and deletes the rows a test wrote when it ends.

Use it with ``from tests.django_db import django_db  # noqa: F401`` and
``pytestmark = pytest.mark.usefixtures("django_db")``.  The tables of the Django models
in ``tests.django_models`` are emptied too, with their id sequences reset (as DRF's
tests' ``reset_sequences``).

The ``django_queries`` and ``thread_hops`` fixtures (conftest.py) count what a view
over Django models costs.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import django
import pytest
from django.test import override_settings

__all__ = ["django_db"]

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_created: list[str] = []


def _create_once() -> None:
    if _created:
        return
    from django.db import connection

    from . import django_models  # noqa: F401 - registers the models whose tables it creates

    directory = tempfile.mkdtemp(prefix="async_drf_django_db_")
    connection.settings_dict["TEST"]["NAME"] = os.path.join(directory, "db.sqlite3")
    # Sets NAME for every connection (all threads) and runs the migrations.
    # Django 6.1 deprecates the serialize argument (no serialization is its default).
    serialize = {"serialize": False} if django.VERSION < (6, 1) else {}
    connection.creation.create_test_db(verbosity=0, autoclobber=True, **serialize)
    _created.append(directory)
    atexit.register(shutil.rmtree, directory, ignore_errors=True)


def _delete_rows() -> None:
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.models import Session
    from rest_framework.authtoken.models import Token

    for model in (Token, Session, User, Group):
        model.objects.all().delete()
    _flush_test_models()


def _flush_test_models() -> None:
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    models = apps.get_app_config("tests").get_models(include_auto_created=True)
    tables = [model._meta.db_table for model in models]
    sql = connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    connection.ops.execute_sql_flush(sql)


@pytest.fixture
def django_db() -> Iterator[None]:
    """Django's database, shared by all threads; emptied after the test."""
    _create_once()
    # A fast hasher: the default PBKDF2 costs ~0.2 s per password.
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield
    _delete_rows()
