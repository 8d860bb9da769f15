"""Conditional requests on generic views: ETag, If-None-Match (304), If-Match (412)
enforced by a conditional UPDATE/DELETE, and concurrent writers through the ASGI app."""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path
from django.utils import cache as django_cache
from tortoise.signals import Signals

from async_drf import asgi, compat, generics, serializers, viewsets
from async_drf.conditional import (
    ModelETag,
    PreconditionFailed,
    _if_match_passes,
    _if_none_match_passes,
    check_preconditions,
    delete_instance,
    save_instance,
)
from async_drf.test import AsyncAPIRequestFactory

from .models import Author, Comment, Everything, Post, Tag

factory = AsyncAPIRequestFactory()
ROOT = Path(__file__).resolve().parent.parent


# -- serializers ---------------------------------------------------------------


class PostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author", "tags"]


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class EverythingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Everything
        fields = ["id", "char", "amount", "ratio", "when", "day", "uid", "data", "status"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "text"]


# -- views -------------------------------------------------------------------


class PostDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Post
    serializer_class = PostSerializer
    etag_class = ModelETag  # Post has an auto_now column: the ETag follows it


class PlainPostDetail(PostDetail):
    etag_class = None


class StrictETag(ModelETag):
    require_if_match = True


class StrictPostDetail(PostDetail):
    etag_class = StrictETag


class AuthorDetail(generics.AsyncRetrieveUpdateDestroyAPIView):
    queryset = Author
    serializer_class = AuthorSerializer
    etag_class = ModelETag  # no auto_now column: the ETag covers every column


class AllColumns(ModelETag):
    version_fields = "__all__"


class EverythingDetail(generics.AsyncRetrieveUpdateAPIView):
    queryset = Everything
    serializer_class = EverythingSerializer
    etag_class = AllColumns


class SaveBypassingSerializer(PostSerializer):
    async def aupdate(self, instance: Post, validated_data: dict[str, Any]) -> Post:
        instance.update_from_dict(validated_data)
        await instance.save()  # not conditional
        return instance


class BypassingDetail(PostDetail):
    serializer_class = SaveBypassingSerializer


class SoftDeleteDetail(PostDetail):
    async def perform_destroy(self, instance: Post) -> None:
        instance.published = False
        await save_instance(instance, ["published"])


class ConcurrentWrite(PostDetail):
    """Another request writes the row between this one's read and its write."""

    async def perform_update(self, serializer: Any) -> None:
        await self.write_in_between(serializer.instance)
        await serializer.asave()

    async def perform_destroy(self, instance: Post) -> None:
        await self.write_in_between(instance)
        await delete_instance(instance)

    async def write_in_between(self, instance: Post) -> None:
        other = await Post.get(id=instance.id)
        other.title = "written in between"
        await other.save()


class PostViewSet(viewsets.AsyncModelViewSet):
    queryset = Post
    serializer_class = PostSerializer
    etag_class = ModelETag


urlpatterns = [
    path("posts/<int:pk>/", PostDetail.as_view()),
    path("plain/<int:pk>/", PlainPostDetail.as_view()),
]


# -- fixtures and helpers ---------------------------------------------------------


@pytest.fixture
async def post(tortoise_db: Any) -> Post:
    ann = await Author.create(name="ann")
    return await Post.create(title="first", body="body", author=ann)


async def call(view: Any, method: str, data: Any = None, **kwargs: Any) -> Any:
    headers = {k: kwargs.pop(k) for k in list(kwargs) if k.startswith("HTTP_")}
    request = getattr(factory, method)("/", data, format="json", **headers)
    response = await view(request, **kwargs)
    response.render() if hasattr(response, "render") else None
    return response


async def etag_of(view: Any, pk: int) -> str:
    response = await call(view.as_view(), "get", pk=pk)
    assert response.status_code == 200
    return response["ETag"]


def body(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
        "author": post.author_id,
        "tags": [],
    }


STALE = "The resource has changed: fetch it again to get its current ETag."


def assert_precondition_failed(response: Any) -> None:
    assert response.status_code == 412
    assert response.data == {"detail": STALE}
    assert response.data["detail"].code == "precondition_failed"


# -- retrieve: ETag and If-None-Match ----------------------------------------------


async def test_retrieve_sends_a_strong_etag(post: Post, queries: Any, hops: Any) -> None:
    """The ETag is quoted and strong, and costs no query or thread hop."""
    queries.reset()
    response = await call(PostDetail.as_view(), "get", pk=post.id)
    assert response.status_code == 200
    assert response.data == body(post)
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert queries.count == 2  # the row and its tags, as without ETags
    assert hops.count == 0
    assert await etag_of(PostDetail, post.id) == etag  # the same row, the same ETag


@pytest.mark.parametrize("header", ['"{etag}"', 'W/"{etag}"', '"other", "{etag}"', "*"], ids=str)
async def test_if_none_match_current_is_304(
    post: Post, header: str, queries: Any, hops: Any
) -> None:
    """If-None-Match uses weak comparison: the ETag, its weak form, a list or *."""
    etag = (await etag_of(PostDetail, post.id)).strip('"')
    queries.reset()
    response = await call(
        PostDetail.as_view(), "get", pk=post.id, HTTP_IF_NONE_MATCH=header.format(etag=etag)
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{etag}"'
    assert queries.count == 1  # the row's read; its tags are not fetched to render
    assert hops.count == 0


async def test_head_if_none_match_is_304(post: Post) -> None:
    etag = await etag_of(PostDetail, post.id)
    response = await call(PostDetail.as_view(), "head", pk=post.id, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag


async def test_if_none_match_stale_is_200(post: Post) -> None:
    response = await call(PostDetail.as_view(), "get", pk=post.id, HTTP_IF_NONE_MATCH='"old"')
    assert response.status_code == 200
    assert response.data == body(post)
    assert response["ETag"] == await etag_of(PostDetail, post.id)


async def test_etag_changes_when_the_row_does(post: Post) -> None:
    before = await etag_of(PostDetail, post.id)
    post.title = "changed"
    await post.save()
    assert await etag_of(PostDetail, post.id) != before


async def test_if_match_stale_on_get_is_412(post: Post) -> None:
    response = await call(PostDetail.as_view(), "get", pk=post.id, HTTP_IF_MATCH='"old"')
    assert_precondition_failed(response)


async def test_missing_object_is_404_whatever_the_preconditions(post: Post) -> None:
    """Preconditions apply to a resource that exists (RFC 9110, 13.2.1)."""
    for method in ("get", "patch", "delete"):
        response = await call(PostDetail.as_view(), method, pk=999, HTTP_IF_MATCH='"x"')
        assert response.status_code == 404
        assert response.data == {"detail": "No Post matches the given query."}


# -- update: If-Match ----------------------------------------------------------------


async def test_patch_with_current_etag_is_a_conditional_update(
    post: Post, queries: Any, hops: Any
) -> None:
    """The UPDATE compares the column the ETag follows: one statement, no extra query."""
    etag = await etag_of(PostDetail, post.id)
    queries.reset()
    response = await call(
        PostDetail.as_view(), "patch", {"body": "patched"}, pk=post.id, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.data == {**body(post), "body": "patched"}
    # the row, the UPDATE, the tags to render (the body is in no unique set: no check)
    assert queries.count == 3
    assert _where(_update(queries)) == ['"id"', '"updated"']
    assert _set(_update(queries)) == ['"body"', '"updated"']
    assert hops.count == 0
    new_etag = response["ETag"]
    assert new_etag != etag
    assert new_etag == await etag_of(PostDetail, post.id)  # what a read now gives
    assert (await Post.get(id=post.id)).body == "patched"


async def test_patch_with_stale_etag_is_412_and_writes_nothing(post: Post, queries: Any) -> None:
    queries.reset()
    response = await call(
        PostDetail.as_view(), "patch", {"body": "lost"}, pk=post.id, HTTP_IF_MATCH='"stale"'
    )
    assert_precondition_failed(response)
    assert queries.count == 1  # refused before validating or writing
    assert (await Post.get(id=post.id)).body == "body"


async def test_if_match_uses_strong_comparison(post: Post) -> None:
    """A weak tag never matches If-Match, even the current one's weak form."""
    etag = await etag_of(PostDetail, post.id)
    response = await call(
        PostDetail.as_view(), "patch", {"body": "x"}, pk=post.id, HTTP_IF_MATCH=f"W/{etag}"
    )
    assert_precondition_failed(response)
    response = await call(
        PostDetail.as_view(), "patch", {"body": "x"}, pk=post.id, HTTP_IF_MATCH=f'"a", {etag}'
    )
    assert response.status_code == 200


async def test_if_match_star_needs_the_row_only(post: Post, queries: Any) -> None:
    """``If-Match: *``: the UPDATE only checks that the row is still there; the
    response has no ETag (other columns may have changed since the read)."""
    queries.reset()
    response = await call(
        PostDetail.as_view(), "put", {**body(post), "title": "put"}, pk=post.id, HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200
    assert response.data["title"] == "put"
    assert _where(_update(queries)) == ['"id"']
    assert "ETag" not in response


async def test_update_without_if_match_is_unconditional(post: Post, queries: Any) -> None:
    """No If-Match, no condition and no ETag in the response: the client had not
    seen the rest of the row, so it reads it again to get one."""
    queries.reset()
    response = await call(PostDetail.as_view(), "patch", {"title": "free"}, pk=post.id)
    assert response.status_code == 200
    assert response.data == {**body(post), "title": "free"}
    assert _where(_update(queries)) == ['"id"']
    assert "ETag" not in response


async def test_if_none_match_on_update_is_412(post: Post) -> None:
    response = await call(
        PostDetail.as_view(), "patch", {"body": "x"}, pk=post.id, HTTP_IF_NONE_MATCH="*"
    )
    assert response.status_code == 412
    assert response.data == {"detail": "The resource matches the request's If-None-Match header."}
    assert (await Post.get(id=post.id)).body == "body"


async def test_a_refused_write_leaves_no_guard(post: Post) -> None:
    """If-Match passes but If-None-Match refuses: the instance is left unguarded."""
    etag = await etag_of(PostDetail, post.id)
    request = factory.patch("/", {}, format="json", HTTP_IF_MATCH=etag, HTTP_IF_NONE_MATCH=etag)
    with pytest.raises(PreconditionFailed):
        check_preconditions(PostDetail(), request, post)
    assert "_async_drf_guard" not in post.__dict__


async def test_row_changed_between_read_and_write_is_412(post: Post) -> None:
    """The ETag matched when the row was read, but the row changed before the UPDATE:
    the conditional UPDATE touches no row, and the m2m write is rolled back with it."""
    tag = await Tag.create(name="t")
    etag = await etag_of(PostDetail, post.id)
    response = await call(
        ConcurrentWrite.as_view(),
        "patch",
        {"body": "mine", "tags": [tag.id]},
        pk=post.id,
        HTTP_IF_MATCH=etag,
    )
    assert_precondition_failed(response)
    row = await Post.get(id=post.id).prefetch_related("tags")
    assert (row.title, row.body, list(row.tags)) == ("written in between", "body", [])


async def test_conditional_update_with_m2m_is_one_transaction(post: Post) -> None:
    tag = await Tag.create(name="t")
    etag = await etag_of(PostDetail, post.id)
    response = await call(
        PostDetail.as_view(), "patch", {"tags": [tag.id]}, pk=post.id, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.data["tags"] == [tag.id]
    assert response["ETag"] == await etag_of(PostDetail, post.id) != etag


async def test_invalid_data_with_if_match_is_400(post: Post) -> None:
    etag = await etag_of(PostDetail, post.id)
    response = await call(
        PostDetail.as_view(), "patch", {"title": ""}, pk=post.id, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 400
    assert response.data == {"title": ["This field may not be blank."]}
    assert await etag_of(PostDetail, post.id) == etag


async def test_require_if_match_is_428(post: Post) -> None:
    view = StrictPostDetail.as_view()
    for method, data in (("patch", {"body": "x"}), ("put", body(post)), ("delete", None)):
        response = await call(view, method, data, pk=post.id)
        assert response.status_code == 428
        assert response.data == {
            "detail": "This request must be conditional: send If-Match with the resource's ETag."
        }
        assert response.data["detail"].code == "precondition_required"
    assert (await call(view, "get", pk=post.id)).status_code == 200
    etag = await etag_of(PostDetail, post.id)
    response = await call(view, "patch", {"body": "ok"}, pk=post.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 200


async def test_a_write_that_bypasses_the_condition_is_refused(post: Post) -> None:
    etag = await etag_of(PostDetail, post.id)
    with pytest.raises(AssertionError, match="`BypassingDetail` received If-Match"):
        await call(
            BypassingDetail.as_view(), "patch", {"body": "x"}, pk=post.id, HTTP_IF_MATCH=etag
        )


# -- destroy -------------------------------------------------------------------------


async def test_delete_with_stale_etag_is_412_and_keeps_the_row(post: Post) -> None:
    response = await call(PostDetail.as_view(), "delete", pk=post.id, HTTP_IF_MATCH='"stale"')
    assert_precondition_failed(response)
    assert await Post.filter(id=post.id).exists()


async def test_delete_with_current_etag_is_a_conditional_delete(
    post: Post, queries: Any, hops: Any
) -> None:
    etag = await etag_of(PostDetail, post.id)
    queries.reset()
    response = await call(PostDetail.as_view(), "delete", pk=post.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 204
    assert queries.count == 2  # the row, the DELETE: as without If-Match
    assert hops.count == 0
    assert queries.queries[-1].startswith('DELETE FROM "post" WHERE')
    assert _where(queries.queries[-1]) == ['"id"', '"updated"']
    assert not await Post.filter(id=post.id).exists()


async def test_delete_of_a_row_changed_since_read_is_412(post: Post) -> None:
    """The ETag matched when the row was read; the conditional DELETE finds it changed."""
    etag = await etag_of(PostDetail, post.id)
    response = await call(ConcurrentWrite.as_view(), "delete", pk=post.id, HTTP_IF_MATCH=etag)
    assert_precondition_failed(response)
    assert (await Post.get(id=post.id)).title == "written in between"


async def test_custom_perform_destroy_writes_conditionally(post: Post, queries: Any) -> None:
    etag = await etag_of(PostDetail, post.id)
    await (await Post.get(id=post.id)).save()
    response = await call(SoftDeleteDetail.as_view(), "delete", pk=post.id, HTTP_IF_MATCH=etag)
    assert_precondition_failed(response)
    etag = await etag_of(PostDetail, post.id)
    queries.reset()
    response = await call(SoftDeleteDetail.as_view(), "delete", pk=post.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 204
    assert _set(_update(queries)) == ['"published"', '"updated"']
    assert (await Post.get(id=post.id)).published is False


# -- views without etag_class ----------------------------------------------------------


async def test_views_without_etag_class_ignore_the_headers(post: Post) -> None:
    view = PlainPostDetail.as_view()
    response = await call(view, "get", pk=post.id, HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 200
    assert "ETag" not in response
    response = await call(view, "patch", {"body": "x"}, pk=post.id, HTTP_IF_MATCH='"stale"')
    assert response.status_code == 200
    assert "ETag" not in response
    response = await call(view, "delete", pk=post.id, HTTP_IF_MATCH='"stale"')
    assert response.status_code == 204


def test_etag_class_defaults_to_the_setting() -> None:
    """ASYNC_DRF["DEFAULT_ETAG_CLASS"] is every generic view's etag_class (read when
    async_drf.generics is imported, as DRF reads its DEFAULT_* settings)."""
    assert generics.AsyncGenericAPIView.etag_class is None
    code = (
        "import django; from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['rest_framework'], "
        "ASYNC_DRF={'DEFAULT_ETAG_CLASS': 'async_drf.conditional.ModelETag'})\n"
        "django.setup()\n"
        "from async_drf import conditional, generics, viewsets\n"
        "assert generics.AsyncRetrieveAPIView.etag_class is conditional.ModelETag\n"
        "assert viewsets.AsyncModelViewSet.etag_class is conditional.ModelETag\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "ok", result.stderr


async def test_viewsets_get_the_same_behaviour(post: Post) -> None:
    retrieve = PostViewSet.as_view({"get": "retrieve"})
    update = PostViewSet.as_view({"patch": "partial_update"})
    etag = (await call(retrieve, "get", pk=post.id))["ETag"]
    assert (await call(retrieve, "get", pk=post.id, HTTP_IF_NONE_MATCH=etag)).status_code == 304
    response = await call(update, "patch", {"body": "vs"}, pk=post.id, HTTP_IF_MATCH='"old"')
    assert_precondition_failed(response)
    response = await call(update, "patch", {"body": "vs"}, pk=post.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] == (await call(retrieve, "get", pk=post.id))["ETag"]


# -- what the ETag is computed from -----------------------------------------------------


async def test_without_auto_now_the_etag_covers_every_column(
    tortoise_db: Any, queries: Any
) -> None:
    """Author has no auto_now column: the UPDATE compares all its columns, so a change
    made by any writer (here a QuerySet.update, which sets no auto_now) is caught."""
    author = await Author.create(name="ann")
    etag = await etag_of(AuthorDetail, author.id)
    await Author.filter(id=author.id).update(email="a@example.com")
    assert await etag_of(AuthorDetail, author.id) != etag
    response = await call(
        AuthorDetail.as_view(), "patch", {"name": "bo"}, pk=author.id, HTTP_IF_MATCH=etag
    )
    assert_precondition_failed(response)
    etag = await etag_of(AuthorDetail, author.id)
    queries.reset()
    response = await call(
        AuthorDetail.as_view(), "patch", {"name": "bo"}, pk=author.id, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert _set(_update(queries)) == ['"name"']
    assert _where(_update(queries)) == ['"id"', '"name"', '"email"', '"created"']
    assert response["ETag"] == await etag_of(AuthorDetail, author.id)


async def test_null_columns_compare_with_is_null(tortoise_db: Any, queries: Any) -> None:
    author = await Author.create(name="ann")  # email is NULL
    etag = await etag_of(AuthorDetail, author.id)
    queries.reset()
    response = await call(AuthorDetail.as_view(), "delete", pk=author.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 204
    assert '"email" IS NULL' in queries.queries[-1]


async def test_the_etag_of_a_write_is_the_etag_of_a_read_for_every_type(
    tortoise_db: Any,
) -> None:
    """Values as the client sent them (a JSON object's key order, another time zone, a
    Decimal's places) give the ETag a read of the stored row gives."""
    row = await Everything.create(char="c", data={"z": 1, "a": [1, {"y": 2, "b": 3}]})
    etag = await etag_of(EverythingDetail, row.id)
    data = {
        "char": "d",
        "amount": "1.5",
        "ratio": 0.1,
        "when": "2024-05-06T07:08:09.123456+05:30",
        "day": "2024-05-06",
        "uid": "5388acff-4318-4a32-80a3-220c24e9e8fb",
        "data": {"z": [3, {"y": None, "b": "é"}], "a": 1.5},
        "status": "published",
    }
    response = await call(EverythingDetail.as_view(), "patch", data, pk=row.id, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.data
    assert response["ETag"] == await etag_of(EverythingDetail, row.id)
    stored = await Everything.get(id=row.id)
    assert (stored.amount, stored.when) == (
        Decimal("1.50"),
        datetime.datetime(2024, 5, 6, 1, 38, 9, 123456, tzinfo=datetime.UTC),
    )
    # and the next conditional write with it goes through
    response = await call(
        EverythingDetail.as_view(),
        "patch",
        {"char": "e"},
        pk=row.id,
        HTTP_IF_MATCH=response["ETag"],
    )
    assert response.status_code == 200


def test_unknown_version_field_is_a_configuration_error() -> None:
    class Typo(ModelETag):
        version_fields = ["updatd"]

    with pytest.raises(ImproperlyConfigured, match=r"version_fields must name columns of Post"):
        Typo().get_version_fields(Post)


def test_named_version_fields() -> None:
    class TitleOnly(ModelETag):
        version_fields = ["title"]

    assert TitleOnly().get_version_fields(Post) == ("title",)
    assert ModelETag().get_version_fields(Post) == ("updated",)
    assert ModelETag().get_version_fields(Author) == ("name", "email", "created")


def test_auto_now_values_are_the_types_tortoise_sets() -> None:
    from tortoise import fields

    from async_drf.conditional import _now

    assert isinstance(_now(fields.TimeField(auto_now=True)), datetime.time)
    assert isinstance(_now(fields.DatetimeField(auto_now=True)), datetime.datetime)


# -- Tortoise's signals and private hooks (async_drf.compat) ---------------------------


@pytest.fixture
def signals_seen() -> Any:
    seen: list[tuple[str, Any]] = []

    def listener(name: str) -> Any:
        async def receive(sender: Any, instance: Any, *args: Any) -> None:
            seen.append((name, args[-1] if name.endswith("save") else None))

        return receive

    listeners = {signal: listener(signal.name) for signal in Signals}
    for signal, receive in listeners.items():
        Comment.register_listener(signal, receive)
    yield seen
    for signal, receive in listeners.items():
        Comment._listeners[signal][Comment].remove(receive)


async def test_conditional_writes_send_tortoise_signals(post: Post, signals_seen: Any) -> None:
    comment = await Comment.create(post=post, text="hi")
    signals_seen.clear()
    comment.__dict__["_async_drf_guard"] = _guard({"text": "hi"})
    comment.text = "edited"
    await save_instance(comment, ["text"])
    assert signals_seen == [("pre_save", ["text"]), ("post_save", ["text"])]
    signals_seen.clear()
    comment.__dict__["_async_drf_guard"] = _guard({"text": "edited"})
    await delete_instance(comment)
    assert signals_seen == [("pre_delete", None), ("post_delete", None)]
    assert not await Comment.filter(id=comment.id).exists()


async def test_write_db_is_the_connection_save_uses(post: Post) -> None:
    assert compat.write_db(post) is post._choose_db(True)
    assert compat.write_db(post, "given") == "given"


def _guard(condition: dict[str, Any]) -> Any:
    from async_drf.conditional import _Guard

    return _Guard(condition)


# -- the comparisons, against Django's (mirrored, not imported: they are private) -------


@pytest.mark.parametrize(
    "etags",
    [["*"], ['"a"'], ['W/"a"'], ['"b"', '"a"'], ['W/"b"', 'W/"a"'], [], ['"b"']],
    ids=str,
)
@pytest.mark.parametrize("target", ['"a"', 'W/"a"'])
def test_comparisons_match_djangos(target: str, etags: list[str]) -> None:
    assert _if_match_passes(target, etags) is django_cache._if_match_passes(target, etags)
    assert _if_none_match_passes(target, etags) is django_cache._if_none_match_passes(target, etags)


# -- concurrent requests through the ASGI app -------------------------------------------


@pytest.fixture
async def client(post: Post) -> Any:
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[]):
        transport = httpx.ASGITransport(app=asgi.ASGIHandler())
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_concurrent_patches_of_different_fields_keep_both(post: Post, client: Any) -> None:
    """Each PATCH writes only its own column, so neither overwrites the other."""
    for round_ in range(20):
        title, body_ = await asyncio.gather(
            client.patch(f"/plain/{post.id}/", json={"title": f"title {round_}"}),
            client.patch(f"/plain/{post.id}/", json={"body": f"body {round_}"}),
        )
        assert (title.status_code, body_.status_code) == (200, 200)
        row = await Post.get(id=post.id)
        assert (row.title, row.body) == (f"title {round_}", f"body {round_}")


async def test_concurrent_patches_with_the_same_etag_one_wins(post: Post, client: Any) -> None:
    """20 PATCHes carrying the current ETag: one 200, nineteen 412, the winner's value."""
    etag = (await client.get(f"/posts/{post.id}/")).headers["ETag"]
    responses = await asyncio.gather(
        *(
            client.patch(
                f"/posts/{post.id}/", json={"title": f"writer {i}"}, headers={"If-Match": etag}
            )
            for i in range(20)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 19
    winner = next(r for r in responses if r.status_code == 200)
    for loser in (r for r in responses if r.status_code == 412):
        assert loser.json() == {"detail": STALE}
    assert (await Post.get(id=post.id)).title == winner.json()["title"]
    current = await client.get(f"/posts/{post.id}/")
    assert current.headers["ETag"] == winner.headers["ETag"]


# -- SQL helpers ----------------------------------------------------------------------


def _update(queries: Any) -> str:
    """The one UPDATE statement the counter saw."""
    (update,) = [q for q in queries.queries if q.startswith("UPDATE ")]
    return update


def _where(sql: str) -> list[str]:
    """Columns compared in a statement's WHERE clause, in order."""
    where = sql.split(" WHERE ", 1)[1]
    return [part.strip().split("=")[0].split(" IS ")[0] for part in where.split(" AND ")]


def _set(sql: str) -> list[str]:
    """Columns an UPDATE sets, in order."""
    assignments = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    return [part.split("=")[0] for part in assignments.split(",")]
