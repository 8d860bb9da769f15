"""The error table: statuses and bodies, nothing internal leaked; the classification of
real driver errors (asyncpg, psycopg through Django, sqlite3) and connection failures."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest
from asgiref.sync import sync_to_async
from django import db as dj_db
from django.db import connections
from django.test import override_settings
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from tortoise import exceptions as orm
from tortoise.context import TortoiseContext

from async_drf.authentication import AsyncTokenAuthentication
from async_drf.exceptions import (
    DatabaseErrorKind,
    ServiceUnavailable,
    classify_database_error,
    exception_handler,
    translate_exception,
)
from async_drf.test import AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView

from .django_db import django_db  # noqa: F401 - fixture
from .models import Author, Post

factory = AsyncAPIRequestFactory()

UNAVAILABLE = {"detail": "Service temporarily unavailable, try again later."}
DATA_ERROR = {"non_field_errors": ["A value is out of range or of the wrong type."]}


def raising(exc: BaseException):
    class View(AsyncAPIView):
        queryset = Post

        async def get(self, request):
            raise exc

    return View.as_view()


async def respond(exc: BaseException) -> Response:
    return await raising(exc)(factory.get("/"))


async def respond_to(query: Callable[[], Awaitable[Any]]) -> Response:
    """The response of a view whose handler awaits ``query()``."""

    class View(AsyncAPIView):
        queryset = Post

        async def get(self, request):
            await query()
            return Response({})

    return await View.as_view()(factory.get("/"))


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_does_not_exist_is_404_naming_the_model(tortoise_db):
    with pytest.raises(orm.DoesNotExist) as info:
        await Post.get(id=1)
    response = await respond(info.value)
    assert response.status_code == 404
    assert response.data == {"detail": "No Post matches the given query."}


async def test_unique_violation_is_400_on_the_field(tortoise_db):
    await Author.create(name="ann")
    with pytest.raises(orm.IntegrityError) as info:
        await Author.create(name="ann")
    response = await respond(info.value)
    assert response.status_code == 400
    # The view serves Post: its wording would name the wrong model.
    assert response.data == {"name": ["This field must be unique."]}
    assert response.data["name"][0].code == "unique"


async def test_unique_violation_on_the_views_model_words_it_as_drf(tortoise_db):
    """A race past the uniqueness check reads as DRF's ModelSerializer validator."""
    author = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=author)
    with pytest.raises(orm.IntegrityError) as info:
        await Author.create(name="ann")

    class AuthorView(AsyncAPIView):
        queryset = Author

        async def get(self, request):
            raise info.value

    response = await AuthorView.as_view()(factory.get("/"))
    assert response.status_code == 400
    assert response.data == {"name": ["author with this name already exists."]}
    assert response.data["name"][0].code == "unique"


async def test_unique_together_violation_is_400_non_field(tortoise_db):
    author = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=author)
    with pytest.raises(orm.IntegrityError) as info:
        await Post.create(title="t", body="b2", author=author)
    response = await respond(info.value)
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["The fields author, title must make a unique set."]
    }
    assert response.data["non_field_errors"][0].code == "unique"


async def test_missing_foreign_key_is_400_never_500(tortoise_db):
    with pytest.raises(orm.IntegrityError) as info:
        await Post.create(title="t", body="b", author_id=987654)
    response = await respond(info.value)
    assert response.status_code == 400
    body = str(response.data)
    assert "987654" not in body and "FOREIGN" not in body.upper()
    # PostgreSQL names the column; SQLite does not.
    assert response.data in (
        {"author": ["Invalid pk - object does not exist."]},
        {"non_field_errors": ["The data conflicts with a database constraint."]},
    )


async def test_tortoise_validation_error_does_not_echo_the_value(tortoise_db):
    author = await Author.create(name="ann")
    secret = "S" * 300
    with pytest.raises(orm.ValidationError) as info:
        await Post.create(title=secret, body="b", author=author)
    response = await respond(info.value)
    assert response.status_code == 400
    assert response.data == {"title": ["Invalid value."]}
    assert secret not in str(response.data)


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed ('10.0.0.1', 5432)"),
        orm.DBConnectionError("postgres://user:secret@db/prod unreachable"),
        orm.OperationalError("database is locked"),
    ],
)
async def test_database_unavailable_is_503_without_internals(exc):
    response = await respond(exc)
    assert response.status_code == 503
    assert response.data == UNAVAILABLE
    assert response["Retry-After"] == "5"


@override_settings(ASYNC_DRF={"SERVICE_UNAVAILABLE_RETRY_AFTER": 2.5})
async def test_retry_after_is_a_setting_in_whole_seconds():
    response = await respond(ConnectionResetError())
    assert (response.status_code, response["Retry-After"]) == (503, "3")


@override_settings(ASYNC_DRF={"SERVICE_UNAVAILABLE_RETRY_AFTER": None})
async def test_retry_after_none_sends_no_header():
    response = await respond(ConnectionResetError())
    assert response.status_code == 503
    assert not response.has_header("Retry-After")


# -- real driver errors -----------------------------------------------------------


async def test_unknown_sql_function_is_500_not_503(tortoise_db):
    # SQLite: "no such function"; PostgreSQL: asyncpg's UndefinedFunctionError.
    # Both arrive wrapped in Tortoise's OperationalError: a bug, so re-raised.
    db = tortoise_db.db()
    with pytest.raises(orm.OperationalError) as info:
        await respond_to(lambda: db.execute_query("SELECT nosuchfunc(1)"))
    assert classify_database_error(info.value) is DatabaseErrorKind.PROGRAMMING


async def test_unknown_table_is_500(tortoise_db):
    db = tortoise_db.db()
    with pytest.raises(orm.OperationalError):
        await respond_to(lambda: db.execute_query("SELECT * FROM no_such_table"))


async def test_integer_beyond_64_bits_in_a_query_is_400(tortoise_db):
    # SQLite cannot bind it (OverflowError); asyncpg refuses it for an int4 column.
    response = await respond_to(lambda: Post.filter(id=2**63).first())
    assert response.status_code == 400
    assert response.data == DATA_ERROR


@pytest.mark.postgres
async def test_postgres_int4_overflow_is_400_not_503(tortoise_db):
    response = await respond_to(lambda: Post.filter(author_id=2**31).count())
    assert response.status_code == 400
    assert response.data == DATA_ERROR


@pytest.mark.postgres
async def test_postgres_invalid_text_representation_is_400(tortoise_db):
    db = tortoise_db.db()
    response = await respond_to(lambda: db.execute_query("SELECT 'abc'::int"))
    assert response.status_code == 400
    assert response.data == DATA_ERROR


@pytest.mark.postgres
async def test_postgres_refusing_connections_is_503_with_retry_after():
    # A Tortoise connection to a port nothing listens on: ConnectionRefusedError.
    ctx = TortoiseContext()
    async with ctx:
        url = f"postgres://postgres@127.0.0.1:{closed_port()}/nowhere"
        await ctx.init(
            config={
                "connections": {"default": url},
                "apps": {"models": {"models": ["tests.models"]}},
            }
        )
        response = await respond_to(lambda: Author.all().count())
    assert response.status_code == 503
    assert response.data == UNAVAILABLE
    assert response["Retry-After"] == "5"


@pytest.fixture
async def own_postgres_database() -> Any:
    """A database of this test's own on the server of ASYNC_DRF_TEST_DB_URL."""
    server, _, _name = os.environ["ASYNC_DRF_TEST_DB_URL"].rpartition("/")
    name = f"async_drf_errors_{os.getpid()}"
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin, name, f"{server}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_terminated_postgres_backends_are_503_then_recover(own_postgres_database):
    admin, name, url = own_postgres_database
    ctx = TortoiseContext()
    async with ctx:
        config = {"connections": {"default": url}, "apps": {"models": {"models": ["tests.models"]}}}
        await ctx.init(config=config)
        await ctx.generate_schemas()
        await Author.create(name="ann")
        db = ctx.db()
        # A query in flight when its backend is terminated: asyncpg's
        # ConnectionDoesNotExistError (after the server's AdminShutdownError).
        in_flight = asyncio.create_task(respond_to(lambda: db.execute_query("SELECT pg_sleep(30)")))
        sleeping = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query LIKE $2"
        for _ in range(200):
            if await admin.fetchval(sleeping, name, "%pg_sleep(30)%"):
                break
            await asyncio.sleep(0.05)
        terminated = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
            name,
        )
        assert terminated >= 1
        response = await in_flight
        assert response.status_code == 503
        assert response.data == UNAVAILABLE
        assert response["Retry-After"] == "5"
        # Other pooled connections were cut too: 503s at most, then the pool reconnects.
        statuses = []
        for _ in range(6):
            response = await respond_to(lambda: Author.all().count())
            statuses.append(response.status_code)
            assert response.status_code in (200, 503)
            if response.status_code == 503:
                assert response.data == UNAVAILABLE
        assert statuses[-1] == 200  # recovered without a restart
        assert await Author.all().count() == 1
        await ctx.close_connections()


# -- Django's database errors -------------------------------------------------------


class _ReadFromUnreachable:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return "unreachable" if model is Token else None


@pytest.fixture
def unreachable_django_database() -> Iterator[None]:
    """A Django database alias whose PostgreSQL server refuses connections; Token
    reads are routed to it."""
    pytest.importorskip("psycopg")
    settings = connections.configure_settings(
        {
            "default": connections.settings["default"],
            "unreachable": {
                "ENGINE": "django.db.backends.postgresql",
                "HOST": "127.0.0.1",
                "PORT": str(closed_port()),
                "NAME": "nowhere",
                "USER": "postgres",
            },
        }
    )
    connections.settings["unreachable"] = settings["unreachable"]
    try:
        with override_settings(DATABASE_ROUTERS=[_ReadFromUnreachable()]):
            yield
    finally:
        del connections.settings["unreachable"]


@pytest.mark.usefixtures("django_db", "unreachable_django_database")
async def test_token_lookup_with_django_database_down_is_503_json():
    class View(AsyncAPIView):
        authentication_classes = [AsyncTokenAuthentication]
        permission_classes = [IsAuthenticated]

        async def get(self, request):
            return Response({"user": request.user.username})

    request = factory.get("/", HTTP_AUTHORIZATION="Token abc123")
    response = await View.as_view()(request)
    assert response.status_code == 503
    assert response.data == UNAVAILABLE
    assert response["Retry-After"] == "5"


async def test_django_sqlite_programming_error_is_classified_from_its_cause():
    def run() -> BaseException:
        with connections["default"].cursor() as cursor:
            try:
                cursor.execute("SELECT nosuchfunc(1)")
            except dj_db.OperationalError as exc:
                return exc
        raise AssertionError("no error")

    exc = await sync_to_async(run)()
    assert isinstance(exc.__cause__, sqlite3.OperationalError)
    assert classify_database_error(exc) is DatabaseErrorKind.PROGRAMMING
    with pytest.raises(dj_db.OperationalError):
        await respond(exc)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed"), "UNAVAILABLE"),
        (asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients"), "UNAVAILABLE"),
        (asyncpg.exceptions.CannotConnectNowError("shutting down"), "UNAVAILABLE"),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), "UNAVAILABLE"),
        (asyncpg.exceptions.InterfaceError("pool is closing"), "UNAVAILABLE"),
        (asyncpg.exceptions.InternalClientError("unexpected"), "UNAVAILABLE"),
        (asyncpg.exceptions.DeadlockDetectedError("deadlock"), "UNAVAILABLE"),
        (asyncpg.exceptions.NumericValueOutOfRangeError("out of range"), "DATA"),
        (asyncpg.exceptions.InvalidTextRepresentationError("bad"), "DATA"),
        (asyncpg.exceptions.UndefinedFunctionError("no fn"), "PROGRAMMING"),
        (asyncpg.exceptions.PostgresSyntaxError("syntax"), "PROGRAMMING"),
        (dj_db.OperationalError("connection failed"), "UNAVAILABLE"),
        (dj_db.InterfaceError("connection already closed"), "UNAVAILABLE"),
        (dj_db.DataError("value too long"), "DATA"),
        (dj_db.ProgrammingError("relation does not exist"), "PROGRAMMING"),
        (TimeoutError(), "UNAVAILABLE"),
        (OSError(113, "No route to host"), "UNAVAILABLE"),
        (orm.OperationalError("Can't delete unpersisted record"), None),
        (KeyError("x"), None),
        (OSError(2, "No such file"), None),
    ],
)
def test_classification_of_driver_errors(exc, kind):
    # Wrapped as Tortoise wraps them (args[0] and __cause__), the kind is the same.
    expected = DatabaseErrorKind[kind] if kind else None
    assert classify_database_error(exc) is expected
    wrapper = orm.OperationalError(exc)
    wrapper.__cause__ = exc
    if kind is not None:
        assert classify_database_error(wrapper) is expected


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (asyncpg.exceptions.TooManyConnectionsError("too many"), 503),
        (orm.OperationalError(asyncpg.exceptions.NumericValueOutOfRangeError("x")), 400),
    ],
)
async def test_raw_asyncpg_errors_through_a_view(exc, status):
    response = await respond(exc)
    assert response.status_code == status
    assert response.data == (UNAVAILABLE if status == 503 else DATA_ERROR)


async def test_params_error_is_400():
    response = await respond(orm.ParamsError("Limit should be non-negative number"))
    assert response.status_code == 400
    assert response.data == {"detail": "Invalid query parameters."}


@pytest.mark.parametrize(
    "exc",
    [
        orm.MultipleObjectsReturned(Post),
        orm.NoValuesFetched("tags not fetched"),
        orm.FieldError("Unknown field"),
    ],
)
async def test_programming_errors_stay_500(exc):
    with pytest.raises(type(exc)):
        await respond(exc)


def test_translate_keeps_api_exceptions_and_unknown_errors():
    exc = exceptions.NotFound()
    assert translate_exception(exc) is exc
    other = KeyError("x")
    assert translate_exception(other) is other
    # Tortoise's own OperationalErrors with no driver error inside are misuse: a 500.
    bare = orm.OperationalError("Can't delete unpersisted record")
    assert translate_exception(bare) is bare
    translated = translate_exception(orm.OperationalError("database is locked"))
    assert isinstance(translated, ServiceUnavailable)
    assert isinstance(translated.__cause__, orm.OperationalError)


def test_exception_handler_is_drfs_after_translation():
    response = exception_handler(orm.DoesNotExist(Author), {"view": None, "request": None})
    assert response.status_code == 404
    assert response.data == {"detail": "No Author matches the given query."}
    assert exception_handler(KeyError("x"), {"view": None}) is None
