"""Serializer / ModelSerializer async forms: ais_valid, asave, acreate, aupdate, adata."""

import asyncio
import re

import pytest
from rest_framework import serializers as drf

from async_drf.serializers import ListSerializer, ModelSerializer, Serializer
from tests.models import Author, Comment, Post, Tag


class AuthorSerializer(ModelSerializer):
    class Meta:
        model = Author
        fields = "__all__"


class PostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "author", "tags", "created"]
        read_only_fields = ["published"]
        extra_kwargs = {"body": {"help_text": "the text"}}


class CommentSerializer(ModelSerializer):
    class Meta:
        model = Comment
        exclude = ["created"]


async def test_meta_fields_all_exclude_read_only_extra_kwargs(tortoise_db):
    assert list(AuthorSerializer().fields) == ["id", "name", "email", "created"]
    assert list(CommentSerializer().fields) == ["id", "text", "post"]
    fields = PostSerializer().fields
    assert fields["published"].read_only and fields["created"].read_only
    assert fields["body"].help_text == "the text"


async def test_declared_field_and_property_field(tortoise_db):
    class S(ModelSerializer):
        shout = drf.SerializerMethodField()

        class Meta:
            model = Author
            fields = ["id", "name", "shout", "pk"]

        def get_shout(self, obj):
            return obj.name.upper()

    ann = await Author.create(name="ann")
    assert await S(ann).adata == {"id": ann.pk, "name": "ann", "shout": "ANN", "pk": ann.pk}


async def test_unknown_field_name_is_an_error(tortoise_db):
    class S(ModelSerializer):
        class Meta:
            model = Author
            fields = ["nope"]

    with pytest.raises(Exception, match="Field name `nope` is not valid for model `Author`"):
        S().fields  # noqa: B018


async def test_create_read_update_round_trip(tortoise_db):
    s = AuthorSerializer(data={"name": "ann", "email": "a@x.org", "created": "ignored"})
    assert await s.ais_valid(), s.errors
    ann = await s.asave()
    assert isinstance(ann, Author) and ann.pk is not None
    data = await s.adata
    assert data["name"] == "ann" and data["id"] == ann.pk and data["created"] != "ignored"
    s = AuthorSerializer(ann, data={"name": "ann2"})
    assert await s.ais_valid(), s.errors
    await s.asave(email="b@x.org")  # save kwargs are merged, like DRF
    stored = await Author.get(pk=ann.pk)
    assert (stored.name, stored.email) == ("ann2", "b@x.org")


async def test_partial_update_writes_only_given_fields(tortoise_db):
    ann = await Author.create(name="ann", email="a@x.org")
    s = AuthorSerializer(ann, data={"email": None}, partial=True)
    assert await s.ais_valid(), s.errors
    assert s.validated_data == {"email": None}
    await s.asave()
    stored = await Author.get(pk=ann.pk)
    assert (stored.name, stored.email) == ("ann", None)


async def test_aupdate_writes_only_the_changed_columns(tortoise_db, queries):
    """An UPDATE of the validated columns (a relation by its column), never the rest."""
    ann, bo = await Author.create(name="ann"), await Author.create(name="bo")
    post = await Post.create(title="t", body="b", author=ann)
    s = PostSerializer(post, data={"title": "t2"}, partial=True)
    assert await s.ais_valid(), s.errors
    queries.reset()
    await s.asave(author=bo)  # a related object: its column is written
    assert [_qmarks(q) for q in queries.queries] == [
        'UPDATE "post" SET "title"=?,"author_id"=?,"updated"=? WHERE "id"=?'
    ]
    stored = await Post.get(pk=post.pk)
    assert (stored.title, stored.body, stored.author_id) == ("t2", "b", bo.pk)


async def test_aupdate_changing_no_column_writes_nothing(tortoise_db, queries):
    """Author has no auto_now column: an update that sets no column runs no UPDATE."""
    ann = await Author.create(name="ann")
    s = AuthorSerializer(ann, data={}, partial=True)
    assert await s.ais_valid(), s.errors
    queries.reset()
    assert await s.asave() is ann
    assert queries.queries == []


async def test_aupdate_of_an_attribute_that_is_not_a_column_saves_the_row(tortoise_db, queries):
    """An attribute the serializer does not know as a column (a property, say) may set
    any column: the whole row is written, as before."""
    ann = await Author.create(name="ann")
    s = AuthorSerializer(ann, data={"name": "ann2"}, partial=True)
    assert await s.ais_valid(), s.errors
    queries.reset()
    await s.asave(nickname="an")
    assert [_qmarks(q) for q in queries.queries] == [
        'UPDATE "author" SET "name"=?,"email"=?,"created"=? WHERE "id"=?'
    ]


def _qmarks(sql):
    """``sql`` with PostgreSQL's numbered placeholders written as SQLite's ``?``."""
    return re.sub(r"\$\d+", "?", sql)


async def test_read_only_fields_never_written(tortoise_db):
    ann = await Author.create(name="ann")
    s = PostSerializer(
        data={"title": "t", "body": "b", "author": ann.pk, "published": True, "id": 99}
    )
    assert await s.ais_valid(), s.errors
    post = await s.asave()
    assert post.published is False and post.pk != 99
    assert s.validated_data.keys() == {"title", "body", "author_id"}


async def test_blank_string_is_400(tortoise_db):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    comment = await Comment.create(post=post, text="hi")
    s = CommentSerializer(comment, data={"text": "", "post": post.pk})
    assert not await s.ais_valid()
    assert s.errors == {"text": ["This field may not be blank."]}
    assert (await Comment.get(pk=comment.pk)).text == "hi"


async def test_asave_requires_ais_valid(tortoise_db):
    s = AuthorSerializer(data={"name": "ann"})
    with pytest.raises(AssertionError, match="ais_valid"):
        await s.asave()
    assert await s.ais_valid()
    await s.asave()
    with pytest.raises(NotImplementedError, match="asave"):
        s.create({"name": "x"})


async def test_invalid_data_cannot_be_saved(tortoise_db):
    s = AuthorSerializer(data={})
    assert not await s.ais_valid()
    with pytest.raises(AssertionError, match="invalid data"):
        await s.asave()


async def test_forty_concurrent_creates(tortoise_db):
    async def create(i):
        s = AuthorSerializer(data={"name": f"author{i}"})
        assert await s.ais_valid(), s.errors
        return await s.asave()

    created = await asyncio.gather(*(create(i) for i in range(40)))
    assert len({a.pk for a in created}) == 40
    assert await Author.all().count() == 40


async def test_integrity_race_is_400(tortoise_db):
    first = AuthorSerializer(data={"name": "ann"})
    second = AuthorSerializer(data={"name": "ann"})
    assert await first.ais_valid() and await second.ais_valid()  # both pass the check
    await first.asave()
    with pytest.raises(drf.ValidationError) as info:
        await second.asave()
    assert info.value.status_code == 400
    assert info.value.detail == {"name": ["author with this name already exists."]}
    assert info.value.detail["name"][0].code == "unique"
    assert await Author.all().count() == 1


async def test_unique_together_race_is_400(tortoise_db):
    ann = await Author.create(name="ann")
    data = {"title": "t", "body": "b", "author": ann.pk}
    first, second = PostSerializer(data=data), PostSerializer(data=data)
    assert await first.ais_valid() and await second.ais_valid()
    await first.asave()
    with pytest.raises(drf.ValidationError) as info:
        await second.asave()
    assert info.value.detail == {
        "non_field_errors": ["The fields author, title must make a unique set."]
    }


async def test_zero_thread_hops(tortoise_db, hops):
    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    s = PostSerializer(data={"title": "t", "body": "b", "author": ann.pk, "tags": [tag.pk]})
    assert await s.ais_valid(), s.errors
    await s.asave()
    await s.adata
    await PostSerializer(await Post.all(), many=True).adata
    s = PostSerializer(await Post.first(), data={"title": "u"}, partial=True)
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert hops.count == 0, hops.calls


async def test_many_returns_async_list_serializer(tortoise_db):
    s = AuthorSerializer(data=[{"name": "a"}, {"name": "b"}], many=True)
    assert isinstance(s, ListSerializer)
    assert await s.ais_valid(), s.errors
    created = await s.asave()
    assert [a.name for a in created] == ["a", "b"]
    assert [d["name"] for d in await s.adata] == ["a", "b"]


async def test_async_validate_is_awaited(tortoise_db, hops):
    class S(AuthorSerializer):
        async def validate(self, attrs):
            if await Author.filter(email=attrs.get("email")).exists():
                raise drf.ValidationError("email taken")
            return {**attrs, "name": attrs["name"].title()}

        def validate_email(self, value):  # a plain sync hook runs inline
            return value.lower()

    await Author.create(name="x", email="a@x.org")
    s = S(data={"name": "ann", "email": "A@X.ORG"})
    assert not await s.ais_valid()
    assert s.errors == {"non_field_errors": ["email taken"]}
    s = S(data={"name": "ann", "email": "b@x.org"})
    assert await s.ais_valid(), s.errors
    assert (await s.asave()).name == "Ann"
    assert hops.count == 0
    sync = S(data={"name": "bob", "email": "c@x.org"})
    assert sync.is_valid()
    with pytest.raises(AssertionError, match="ais_valid"):
        sync.save()


async def test_plain_serializer_async_create_hook(tortoise_db):
    class TagInput(Serializer):
        name = drf.CharField(max_length=50)

        async def create(self, validated_data):
            return await Tag.create(**validated_data)

    s = TagInput(data={"name": "x"})
    assert await s.ais_valid(), s.errors
    tag = await s.asave()
    assert await Tag.filter(pk=tag.pk, name="x").exists()
    assert await s.adata == {"name": "x"}
    # A sync serializer without database checks keeps DRF's sync flow.
    plain = TagInput(data={"name": "y"})
    assert plain.is_valid() and plain.data == {"name": "y"}


async def test_sync_data_on_fetched_instances(tortoise_db):
    ann = await Author.create(name="ann")
    authors = await Author.all()
    assert AuthorSerializer(authors, many=True).data[0]["id"] == ann.pk


async def test_async_validate_field_hook_is_awaited(tortoise_db, hops):
    class S(AuthorSerializer):
        async def validate_name(self, value):
            if await Tag.filter(name=value).exists():
                raise drf.ValidationError("name is a tag")
            return value.upper()

    await Tag.create(name="red")
    s = S(data={"name": "red"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["name is a tag"]}
    s = S(data={"name": "ann"})
    assert await s.ais_valid(), s.errors
    assert s.validated_data["name"] == "ANN"
    assert (await s.asave()).name == "ANN"
    assert hops.count == 0
    assert "validate_name" not in vars(s)  # the sync-pass stub is gone


def test_field_classes_are_reachable_from_the_serializers_module():
    """`serializers.CharField` works as it does with `rest_framework.serializers`."""
    from rest_framework import fields as drf_fields

    from async_drf import serializers as async_serializers

    assert async_serializers.CharField is drf_fields.CharField
    assert async_serializers.IntegerField is drf_fields.IntegerField
    assert async_serializers.ValidationError is drf.ValidationError
    assert async_serializers.SerializerMethodField is not None


def test_to_representation_matches_drf_for_every_readable_field_kind():
    """Write-only fields are left out, missing optional attributes skipped, None kept."""
    from types import SimpleNamespace

    class Plain(Serializer):
        name = drf.CharField()
        secret = drf.CharField(write_only=True)
        nickname = drf.CharField(required=False)  # missing attribute -> skipped
        note = drf.CharField(allow_null=True)
        upper = drf.SerializerMethodField()

        def get_upper(self, obj):
            return obj.name.upper()

    class Reference(drf.Serializer):
        name = drf.CharField()
        secret = drf.CharField(write_only=True)
        nickname = drf.CharField(required=False)
        note = drf.CharField(allow_null=True)
        upper = drf.SerializerMethodField()

        def get_upper(self, obj):
            return obj.name.upper()

    rows = [
        SimpleNamespace(name="ann", secret="x", note=None),
        SimpleNamespace(name="bo", note="n"),
    ]
    assert Plain(rows, many=True).data == Reference(rows, many=True).data
    assert Plain(rows, many=True).data == [
        {"name": "ann", "note": None, "upper": "ANN"},
        {"name": "bo", "note": "n", "upper": "BO"},
    ]
