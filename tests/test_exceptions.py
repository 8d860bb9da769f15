"""The Tortoise -> DRF error table: statuses and bodies, nothing internal leaked."""

from __future__ import annotations

import pytest
from rest_framework import exceptions
from rest_framework.response import Response
from tortoise import exceptions as orm

from async_drf.exceptions import ServiceUnavailable, exception_handler, translate_exception
from async_drf.test import AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView

from .models import Author, Post

factory = AsyncAPIRequestFactory()


def raising(exc: BaseException):
    class View(AsyncAPIView):
        queryset = Post

        async def get(self, request):
            raise exc

    return View.as_view()


async def respond(exc: BaseException) -> Response:
    return await raising(exc)(factory.get("/"))


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
    assert response.data == {"name": ["This field must be unique."]}


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
    assert response.data == {"detail": "Service temporarily unavailable, try again later."}


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
