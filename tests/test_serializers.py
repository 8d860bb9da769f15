"""Serializer / ModelSerializer async forms: ais_valid, asave, acreate, aupdate, adata."""

import asyncio
import re

import pytest
from rest_framework import serializers as drf

from async_drf.serializers import (
    ListSerializer,
    ModelSerializer,
    PrimaryKeyRelatedField,
    Serializer,
)
from tests.models import Author, Comment, Post, Profile, Tag


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


# -- SerializerMethodField with an async get_<name> -------------------------------------


class PostWithAuthorName(ModelSerializer):
    author_name = drf.SerializerMethodField()
    shout = drf.SerializerMethodField()

    class Meta:
        model = Post
        fields = ["id", "title", "author_name", "shout"]

    async def get_author_name(self, obj):
        await asyncio.sleep(0)  # a real suspension point, as a query would be
        return obj.author.name

    def get_shout(self, obj):  # a sync one beside it runs inline, as in DRF
        return obj.title.upper()


async def test_async_method_field_is_awaited_for_one_instance(tortoise_db, hops):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    await post.fetch_related("author")
    assert await PostWithAuthorName(post).adata == {
        "id": post.pk,
        "title": "t",
        "author_name": "ann",
        "shout": "T",
    }
    assert hops.count == 0


async def test_async_method_field_in_a_list_view_keeps_zero_hops_and_fixed_queries(
    tortoise_db, api_factory, queries, hops
):
    from async_drf import generics

    class PostList(generics.AsyncListAPIView):
        serializer_class = PostWithAuthorName

        async def get_queryset(self):
            return Post.all().prefetch_related("author")

    ann, bo = await Author.create(name="ann"), await Author.create(name="bo")
    for i in range(6):
        await Post.create(title=f"t{i}", body="b", author=ann if i % 2 else bo)
    queries.reset()
    response = await PostList.as_view()(api_factory.get("/"))
    assert response.status_code == 200
    assert [row["author_name"] for row in response.data] == ["bo", "ann"] * 3
    assert response.data[0] == {"id": 1, "title": "t0", "author_name": "bo", "shout": "T0"}
    assert queries.count == 2  # the posts, their authors: whatever the number of rows
    assert hops.count == 0
    response.render()
    assert b"coroutine" not in response.content


async def test_async_method_field_in_a_nested_serializer(tortoise_db):
    class AuthorWithCount(ModelSerializer):
        posts_count = drf.SerializerMethodField()

        class Meta:
            model = Author
            fields = ["name", "posts_count"]

        async def get_posts_count(self, obj):
            return await Post.filter(author=obj).count()

    class PostWithAuthor(ModelSerializer):
        author = AuthorWithCount(read_only=True)

        class Meta:
            model = Post
            fields = ["title", "author"]

    ann = await Author.create(name="ann")
    await Post.create(title="a", body="b", author=ann)
    await Post.create(title="b", body="b", author=ann)
    data = await PostWithAuthor(await Post.all(), many=True).adata
    assert data == [
        {"title": "a", "author": {"name": "ann", "posts_count": 2}},
        {"title": "b", "author": {"name": "ann", "posts_count": 2}},
    ]


async def test_async_method_field_read_synchronously_on_the_loop_says_what_to_do(tortoise_db):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    with pytest.raises(TypeError, match=re.escape("read `await serializer.adata`")):
        PostWithAuthorName(post).data  # noqa: B018


async def test_async_method_field_read_synchronously_off_the_loop(tortoise_db):
    """Off the event loop (the browsable API renders in a worker thread) the method
    is run to completion through async_to_sync."""
    from asgiref.sync import sync_to_async

    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    await post.fetch_related("author")
    data = await sync_to_async(lambda: PostWithAuthorName(post).data)()
    assert data == {"id": post.pk, "title": "t", "author_name": "ann", "shout": "T"}


async def test_async_method_field_error_propagates_and_leaves_no_coroutine(tortoise_db):
    class Failing(Serializer):
        value = drf.SerializerMethodField()

        async def get_value(self, obj):
            if obj["n"] == 1:
                raise ValueError("boom")
            return obj["n"]

    # filterwarnings=error: a coroutine left unawaited would fail this test.
    with pytest.raises(ValueError, match="boom"):
        await Failing([{"n": 0}, {"n": 1}, {"n": 2}], many=True).adata


# -- a dotted source through a null foreign key -----------------------------------------


async def test_dotted_source_through_a_null_foreign_key_follows_drfs_rules(
    tortoise_db, api_factory, queries, hops
):
    from async_drf import generics

    class PostEditor(ModelSerializer):
        editor_name = drf.CharField(source="editor.name", read_only=True)  # omitted
        editor_or_none = drf.CharField(source="editor.name", read_only=True, allow_null=True)
        editor_or_default = drf.CharField(source="editor.name", read_only=True, default="nobody")
        editor_bio = drf.CharField(source="editor.profile.bio", read_only=True, default="-")

        class Meta:
            model = Post
            fields = ["id", "editor_name", "editor_or_none", "editor_or_default", "editor_bio"]

    class PostList(generics.AsyncListAPIView):
        queryset = Post
        serializer_class = PostEditor

    ann = await Author.create(name="ann")
    await Profile.create(author=ann, bio="hi")
    first = await Post.create(title="a", body="b", author=ann)
    second = await Post.create(title="b", body="b", author=ann, editor=ann)
    queries.reset()
    response = await PostList.as_view()(api_factory.get("/"))
    assert response.status_code == 200
    assert response.data == [
        {
            "id": first.pk,
            "editor_or_none": None,
            "editor_or_default": "nobody",
            "editor_bio": "-",
        },
        {
            "id": second.pk,
            "editor_name": "ann",
            "editor_or_none": "ann",
            "editor_or_default": "ann",
            "editor_bio": "hi",
        },
    ]
    assert queries.count == 3  # the posts, the editors, their profiles
    assert hops.count == 0


async def test_dotted_source_through_a_null_foreign_key_two_levels_deep(tortoise_db):
    # DRF's TestDefaultOutput.test_default_for_multiple_dotted_source, its model half.
    from tests.parity_models import (
        ForeignKeyTarget,
        NestedForeignKeySource,
        NullableForeignKeySource,
    )

    class TargetNameSerializer(ModelSerializer):
        target = drf.CharField(default="x", source="target.target.name")

        class Meta:
            model = NestedForeignKeySource
            fields = ["target"]

    a = await NestedForeignKeySource.create(name="Root Object", target=None)
    assert await TargetNameSerializer(a).adata == {"target": "x"}
    rows = await NestedForeignKeySource.all()  # fetched: the null FK was never loaded
    assert await TargetNameSerializer(rows, many=True).adata == [{"target": "x"}]
    b = await NullableForeignKeySource.create(name="Intermediary Object", target=None)
    a.target = b
    await a.save()
    a = await NestedForeignKeySource.get(pk=a.pk)
    assert await TargetNameSerializer(a).adata == {"target": "x"}
    c = await ForeignKeyTarget.create(name="Target Object")
    b.target = c
    await b.save()
    rows = await NestedForeignKeySource.all()
    assert await TargetNameSerializer(rows, many=True).adata == [{"target": "Target Object"}]


async def test_traverse_nullable_fk(tortoise_db):
    # DRF's TestFieldSource.test_traverse_nullable_fk (tests/test_model_serializer.py).
    from tests.parity_models import NestedForeignKeySource

    class TestSerializer(ModelSerializer):
        target = PrimaryKeyRelatedField(  # async_drf's: DRF's queries with Django's ORM
            source="target.target", read_only=True, allow_null=True, default=None
        )

        class Meta:
            model = NestedForeignKeySource
            fields = ("target",)

    model = await NestedForeignKeySource.create(name="n")
    assert (await TestSerializer(model).adata)["target"] is None


# -- DRF's tests/test_serializer.py, ported ---------------------------------------------


class MockObject:
    def __init__(self, **kwargs):
        self._kwargs = kwargs
        for key, val in kwargs.items():
            setattr(self, key, val)


class ExampleSerializer(Serializer):
    char = drf.CharField()
    integer = drf.IntegerField()


class TestSerializer:
    async def test_valid_serializer(self):
        serializer = ExampleSerializer(data={"char": "abc", "integer": 123})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"char": "abc", "integer": 123}
        assert await serializer.adata == {"char": "abc", "integer": 123}
        assert serializer.errors == {}

    async def test_invalid_serializer(self):
        serializer = ExampleSerializer(data={"char": "abc"})
        assert not await serializer.ais_valid()
        assert serializer.validated_data == {}
        assert await serializer.adata == {"char": "abc"}
        assert serializer.errors == {"integer": ["This field is required."]}

    async def test_invalid_datatype(self):
        serializer = ExampleSerializer(data=[{"char": "abc"}])
        assert not await serializer.ais_valid()
        assert serializer.validated_data == {}
        assert serializer.data == {}
        assert serializer.errors == {
            "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
        }

    async def test_partial_validation(self):
        serializer = ExampleSerializer(data={"char": "abc"}, partial=True)
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"char": "abc"}
        assert serializer.errors == {}

    async def test_empty_serializer(self):
        assert await ExampleSerializer().adata == {"char": "", "integer": None}

    async def test_missing_attribute_during_serialization(self):
        class MissingAttributes:
            pass

        with pytest.raises(AttributeError):
            await ExampleSerializer(MissingAttributes()).adata

    async def test_data_access_before_save_raises_error(self):
        async def acreate(validated_data):
            return validated_data

        serializer = ExampleSerializer(data={"char": "abc", "integer": 123})
        serializer.acreate = acreate
        assert await serializer.ais_valid()
        assert await serializer.adata == {"char": "abc", "integer": 123}
        with pytest.raises(AssertionError):
            await serializer.asave()

    async def test_validate_none_data(self):
        serializer = ExampleSerializer(data=None)
        assert not await serializer.ais_valid()
        assert serializer.errors == {"non_field_errors": ["No data provided"]}

    async def test_iterable_validators(self):
        data = {"char": "abc", "integer": 123}
        for validators in ([], (), set()):

            class Example(Serializer):
                char = drf.CharField(validators=validators)
                integer = drf.IntegerField()

            serializer = Example(data=data)
            assert await serializer.ais_valid()
            assert serializer.validated_data == data
            assert serializer.errors == {}

        def raise_exception(value):
            raise drf.ValidationError("Raised error")

        for validators in ([raise_exception], (raise_exception,), {raise_exception}):

            class Failing(Serializer):
                char = drf.CharField(validators=validators)
                integer = drf.IntegerField()

            serializer = Failing(data=data)
            assert not await serializer.ais_valid()
            assert await serializer.adata == data
            assert serializer.validated_data == {}
            assert serializer.errors == {
                "char": [drf.ErrorDetail(string="Raised error", code="invalid")]
            }


class TestValidateMethod:
    async def test_non_field_error_validate_method(self):
        class Example(ExampleSerializer):
            async def validate(self, attrs):
                raise drf.ValidationError("Non field error")

        serializer = Example(data={"char": "abc", "integer": 123})
        assert not await serializer.ais_valid()
        assert serializer.errors == {"non_field_errors": ["Non field error"]}

    async def test_field_error_validate_method(self):
        class Example(ExampleSerializer):
            def validate(self, attrs):
                raise drf.ValidationError({"char": "Field error"})

        serializer = Example(data={"char": "abc", "integer": 123})
        assert not await serializer.ais_valid()
        assert serializer.errors == {"char": ["Field error"]}


class NestedSerializer1(Serializer):
    a = drf.IntegerField()
    b = drf.IntegerField()


class NestedSerializer2(Serializer):
    c = drf.IntegerField()
    d = drf.IntegerField()


class TestStarredSource:
    data = {"nested1": {"a": 1, "b": 2}, "nested2": {"c": 3, "d": 4}}

    class NestedBaseSerializer(Serializer):
        nested1 = NestedSerializer1(source="*")
        nested2 = NestedSerializer2(source="*")

    async def test_nested_validate(self):
        serializer = self.NestedBaseSerializer(data=self.data)
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"a": 1, "b": 2, "c": 3, "d": 4}

    async def test_nested_null_validate(self):
        class NullableNestedSerializer(Serializer):
            nested = NestedSerializer1(source="*", allow_null=True)

        serializer = NullableNestedSerializer(data={"nested": None})
        assert not await serializer.ais_valid()

    async def test_nested_serialize(self):
        instance = {"a": 1, "b": 2, "c": 3, "d": 4}
        assert await self.NestedBaseSerializer(instance).adata == self.data


class TestNotRequiredOutput:
    async def test_not_required_output_for_dict(self):
        class Example(Serializer):
            omitted = drf.CharField(required=False)
            included = drf.CharField()

        serializer = Example(data={"included": "abc"})
        await serializer.ais_valid()
        assert await serializer.adata == {"included": "abc"}

    async def test_not_required_output_for_object(self):
        class Example(Serializer):
            omitted = drf.CharField(required=False)
            included = drf.CharField()

            async def create(self, validated_data):
                return MockObject(**validated_data)

        serializer = Example(data={"included": "abc"})
        await serializer.ais_valid()
        await serializer.asave()
        assert await serializer.adata == {"included": "abc"}


class DefaultsSerializer(Serializer):
    has_default = drf.CharField(default="x")
    has_default_callable = drf.CharField(default=lambda: "y")
    no_default = drf.CharField()


class TestDefaultOutput:
    async def test_default_used_for_dict(self):
        assert await DefaultsSerializer({"no_default": "abc"}).adata == {
            "has_default": "x",
            "has_default_callable": "y",
            "no_default": "abc",
        }

    async def test_default_used_for_object(self):
        instance = MockObject(no_default="abc")
        assert await DefaultsSerializer(instance).adata == {
            "has_default": "x",
            "has_default_callable": "y",
            "no_default": "abc",
        }

    async def test_default_not_used_when_in_object(self):
        instance = MockObject(has_default="def", has_default_callable="ghi", no_default="abc")
        assert await DefaultsSerializer(instance).adata == {
            "has_default": "def",
            "has_default_callable": "ghi",
            "no_default": "abc",
        }

    async def test_default_for_dotted_source(self):
        class Traversed(Serializer):
            traversed = drf.CharField(default="x", source="traversed.attr")

        assert await Traversed({}).adata == {"traversed": "x"}
        assert await Traversed({"traversed": {}}).adata == {"traversed": "x"}
        assert await Traversed({"traversed": None}).adata == {"traversed": "x"}
        assert await Traversed({"traversed": {"attr": "abc"}}).adata == {"traversed": "abc"}

    async def test_default_for_multiple_dotted_source(self):
        class Dotted(Serializer):
            c = drf.CharField(default="x", source="a.b.c")

        assert await Dotted({}).adata == {"c": "x"}
        assert await Dotted({"a": {}}).adata == {"c": "x"}
        assert await Dotted({"a": None}).adata == {"c": "x"}
        assert await Dotted({"a": {"b": {}}}).adata == {"c": "x"}
        assert await Dotted({"a": {"b": None}}).adata == {"c": "x"}
        assert await Dotted({"a": {"b": {"c": "abc"}}}).adata == {"c": "abc"}

    async def test_default_for_nested_serializer(self):
        class Nested(Serializer):
            a = drf.CharField(default="1")
            c = drf.CharField(default="2", source="b.c")

        class Outer(Serializer):
            nested = Nested()

        assert await Outer({"nested": None}).adata == {"nested": None}
        assert await Outer({"nested": {}}).adata == {"nested": {"a": "1", "c": "2"}}
        assert await Outer({"nested": {"a": "3", "b": {}}}).adata == {
            "nested": {"a": "3", "c": "2"}
        }
        assert await Outer({"nested": {"a": "3", "b": {"c": "4"}}}).adata == {
            "nested": {"a": "3", "c": "4"}
        }

    async def test_default_for_allow_null(self):
        """Without an explicit default, allow_null implies default=None when serializing."""

        class Example(Serializer):
            foo = drf.CharField()
            bar = drf.CharField(source="foo.bar", allow_null=True)
            optional = drf.CharField(required=False, allow_null=True)

        assert await Example({"foo": None}).adata == {"foo": None, "bar": None, "optional": None}


class TestDefaultInclusions:
    class Example(Serializer):
        char = drf.CharField(default="abc")
        integer = drf.IntegerField()

    async def test_default_should_included_on_create(self):
        serializer = self.Example(data={"integer": 456})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"char": "abc", "integer": 456}
        assert serializer.errors == {}

    async def test_default_should_be_included_on_update(self):
        instance = MockObject(char="def", integer=123)
        serializer = self.Example(instance, data={"integer": 456})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"char": "abc", "integer": 456}
        assert serializer.errors == {}

    async def test_default_should_not_be_included_on_partial_update(self):
        instance = MockObject(char="def", integer=123)
        serializer = self.Example(instance, data={"integer": 456}, partial=True)
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"integer": 456}
        assert serializer.errors == {}


async def test_many_update_is_drfs_not_implemented_error_without_a_thread_hop(hops):
    serializer = ExampleSerializer([MockObject()], data=[{"char": "a", "integer": 1}], many=True)
    assert await serializer.ais_valid()
    with pytest.raises(NotImplementedError, match="do not support multiple update"):
        await serializer.asave()
    assert hops.count == 0
