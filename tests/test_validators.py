"""Async uniqueness validators (async_drf.validators) over Tortoise querysets."""

import datetime
import re
import sqlite3
from unittest.mock import ANY

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework import serializers as drf
from tortoise import exceptions as orm

from async_drf.serializers import ListSerializer, ModelSerializer, Serializer
from async_drf.validators import UniqueTogetherValidator, UniqueValidator, qs_exists
from tests.models import Author, Post, Profile, Tag
from tests.parity_models import (
    AnotherUniquenessModel,
    Choice,
    IntegerFieldModel,
    NullUniquenessTogetherModel,
    RelatedModel,
    UniqueChoiceModel,
    UniquenessModel,
    UniquenessTogetherModel,
    UniqueTogetherOverrideModel,
)


def dedent(blocktext):
    return "\n".join([line[12:] for line in blocktext.splitlines()[1:-1]])


class AuthorSerializer(ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class PostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "author"]


class ProfileSerializer(ModelSerializer):
    class Meta:
        model = Profile
        fields = ["id", "author", "bio"]


async def test_unique_fields_get_unique_validator(tortoise_db):
    validators = AuthorSerializer().fields["name"].validators
    message = "author with this name already exists."  # DRF's wording for a model field
    assert UniqueValidator(queryset=Author, message=message) in validators
    assert repr(AuthorSerializer().fields["name"]).endswith(
        "validators=[<UniqueValidator(queryset=Author)>])"
    )


async def test_unique_together_validator_is_mapped(tortoise_db):
    (validator,) = PostSerializer().validators
    assert isinstance(validator, UniqueTogetherValidator)
    assert validator.fields == ("author", "title") and validator.queryset is Post


async def test_unique_is_400(tortoise_db):
    await Author.create(name="ann")
    s = AuthorSerializer(data={"name": "ann"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["author with this name already exists."]}
    assert s.errors["name"][0].code == "unique"
    with pytest.raises(drf.ValidationError):
        await AuthorSerializer(data={"name": "ann"}).ais_valid(raise_exception=True)


async def test_unique_update_excludes_self(tortoise_db):
    ann = await Author.create(name="ann")
    await Author.create(name="bob")
    s = AuthorSerializer(ann, data={"name": "ann", "email": "a@x.org"})
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert (await Author.get(pk=ann.pk)).email == "a@x.org"
    s = AuthorSerializer(ann, data={"name": "bob"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["author with this name already exists."]}


async def test_unique_together_is_400(tortoise_db):
    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)
    s = PostSerializer(data={"title": "t", "body": "other", "author": ann.pk})
    assert not await s.ais_valid()
    assert s.errors == {"non_field_errors": ["The fields author, title must make a unique set."]}
    bob = await Author.create(name="bob")
    s = PostSerializer(data={"title": "t", "body": "other", "author": bob.pk})
    assert await s.ais_valid(), s.errors


async def test_unique_together_update_excludes_self_and_partial(tortoise_db):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    await Post.create(title="u", body="b", author=ann)
    s = PostSerializer(post, data={"body": "new"}, partial=True)
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert (await Post.get(pk=post.pk)).body == "new"
    s = PostSerializer(post, data={"title": "u"}, partial=True)  # author comes from the instance
    assert not await s.ais_valid()
    assert s.errors == {"non_field_errors": ["The fields author, title must make a unique set."]}


async def test_unique_together_missing_field_on_create(tortoise_db):
    s = PostSerializer(data={"body": "b"})
    assert not await s.ais_valid()
    assert s.errors["title"] == ["This field is required."]


async def test_o2o_is_unique(tortoise_db):
    ann = await Author.create(name="ann")
    await Profile.create(author=ann)
    s = ProfileSerializer(data={"author": ann.pk})
    assert not await s.ais_valid()
    assert s.errors == {"author": ["profile with this author already exists."]}


async def test_sync_is_valid_defers_and_save_refuses(tortoise_db):
    await Author.create(name="ann")
    s = AuthorSerializer(data={"name": "ann"})
    assert s.is_valid()  # field validation only: the uniqueness query cannot run here
    assert s.is_valid()  # DRF's cached second call must not clear the guard
    with pytest.raises(AssertionError, match="ais_valid"):
        s.save()
    with pytest.raises(AssertionError, match="ais_valid"):
        await s.asave()
    assert not await s.ais_valid()  # the async pass redoes validation with the checks
    assert s.errors == {"name": ["author with this name already exists."]}
    assert await Author.all().count() == 1


async def test_sync_is_valid_reports_field_errors(tortoise_db):
    s = AuthorSerializer(data={"name": ""})
    assert not s.is_valid()
    assert s.errors == {"name": ["This field may not be blank."]}


async def test_explicit_validators_on_plain_serializer(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag.filter(id__gt=0))])

    s = TagInput(data={"name": "a"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["This field must be unique."]}
    s = TagInput(data={"name": "b"})
    assert await s.ais_valid(), s.errors


async def test_async_validator_inside_a_plain_drf_serializer_fails_loudly(tortoise_db):
    class Plain(drf.Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    with pytest.raises(TypeError, match="ais_valid"):
        Plain(data={"name": "a"}).is_valid()


async def test_custom_message(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag, message="taken")])

    s = TagInput(data={"name": "a"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["taken"]}


async def test_nested_list_errors_are_indexed(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    s = TagInput(data=[{"name": "b"}, {"name": "a"}], many=True)
    assert not await s.ais_valid()
    assert s.errors == {1: {"name": ["This field must be unique."]}}


async def test_a_shared_queryset_is_never_changed_by_a_check(tortoise_db):
    """TRAPS 17: a QuerySet made at import time is shared by every request; checks
    filter a clone of it."""
    from async_drf.validators import get_queryset

    shared = Author.filter(name__startswith="a")
    await Author.create(name="ann")
    await Author.create(name="amy")
    assert await get_queryset(shared, name="ann").count() == 1
    assert await get_queryset(shared).count() == 2
    assert await shared.count() == 2
    assert await get_queryset(Author, name="amy").exists()


# -- uniqueness, as DRF 3.18 checks it ------------------------------------------------


async def test_unique_error_is_worded_as_drfs_model_serializer(tortoise_db):
    """DRF words a unique model field's error "<model> with this <field> already exists."
    (the verbose names: a camel-case model name is split into lower-case words)."""
    await UniqueChoiceModel.create(name=Choice.CHOICE1)

    class TestUniqueChoiceSerializer(ModelSerializer):
        class Meta:
            model = UniqueChoiceModel
            fields = "__all__"

    serializer = TestUniqueChoiceSerializer(data={"name": "choice1"})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"name": ["unique choice model with this name already exists."]}
    assert serializer.errors["name"][0].code == "unique"


async def test_unique_update_with_unchanged_value_runs_no_query(tortoise_db, queries):
    ann = await Author.create(name="ann")
    s = AuthorSerializer(ann, data={"name": "ann", "email": "a@x.org"})
    queries.reset()
    assert await s.ais_valid(), s.errors
    assert queries.count == 0
    s = AuthorSerializer(ann, data={"name": "bob"})
    assert await s.ais_valid(), s.errors
    assert queries.count == 1  # a changed value is checked


async def test_unique_together_update_with_unchanged_values_runs_no_query(tortoise_db, queries):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    s = PostSerializer(post, data={"title": "t", "body": "new", "author": ann.pk})
    queries.reset()
    assert await s.ais_valid(), s.errors
    # The author exists (one query); the unchanged (author, title) set is not checked.
    assert [q for q in queries.queries if '"post"' in q] == []


async def test_many_update_without_child_instance_is_drfs_runtime_error(tortoise_db):
    await Author.create(name="ann")
    serializer = AuthorSerializer(await Author.all(), data=[{"name": "bob"}], many=True)
    message = (
        "`UniqueValidator` cannot determine the current instance during a multiple update. "
        "Override `ListSerializer.run_child_validation()` to set `child.instance` before "
        "validation."
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        await serializer.ais_valid()


async def test_many_errors_are_keyed_by_index_with_item_root_errors(tortoise_db):
    """DRF 3.18: {index: errors} for the failing items only; an item's own validators
    (here unique_together) report under its non_field_errors."""
    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)
    data = [
        {"title": "new", "body": "b", "author": ann.pk},
        {"title": "t", "body": "b", "author": ann.pk},  # taken
        {"title": "x", "body": "", "author": ann.pk},  # a field error, from DRF's pass
    ]
    s = PostSerializer(data=data, many=True)
    assert not await s.ais_valid()
    assert s.errors == {
        1: {"non_field_errors": ["The fields author, title must make a unique set."]},
        2: {"body": ["This field may not be blank."]},
    }
    assert list(s.errors) == [1, 2]
    assert s.validated_data == []


@pytest.mark.filterwarnings("ignore::rest_framework.deprecation.RemovedInDRF320Warning")
async def test_many_errors_list_form_when_the_setting_is_off(tortoise_db):
    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)
    data = [
        {"title": "new", "body": "b", "author": ann.pk},
        {"title": "t", "body": "b", "author": ann.pk},
    ]
    rest_framework = {**settings.REST_FRAMEWORK, "LIST_SERIALIZER_ERRORS_AS_DICT": False}
    with override_settings(REST_FRAMEWORK=rest_framework):
        s = PostSerializer(data=data, many=True)
        assert not await s.ais_valid()
    assert s.errors == [
        {},
        {"non_field_errors": ["The fields author, title must make a unique set."]},
    ]


async def test_nested_many_errors_are_keyed_by_index(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    class Wrapper(Serializer):
        tags = TagInput(many=True)

    s = Wrapper(data={"tags": [{"name": "b"}, {"name": "a"}]})
    assert not await s.ais_valid()
    assert s.errors == {"tags": {1: {"name": ["This field must be unique."]}}}


@pytest.mark.filterwarnings("ignore::rest_framework.deprecation.RemovedInDRF320Warning")
async def test_nested_many_errors_list_form_pads_the_valid_items(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    class Wrapper(Serializer):
        tags = TagInput(many=True)

    rest_framework = {**settings.REST_FRAMEWORK, "LIST_SERIALIZER_ERRORS_AS_DICT": False}
    with override_settings(REST_FRAMEWORK=rest_framework):
        s = Wrapper(data={"tags": [{"name": "a"}, {"name": "b"}, {"name": "c"}]})
        assert not await s.ais_valid()
    assert s.errors == {"tags": [{"name": ["This field must be unique."]}, {}, {}]}


async def test_nested_serializer_root_errors_go_under_its_non_field_errors(tortoise_db):
    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)

    class Wrapper(Serializer):
        post = PostSerializer()

    s = Wrapper(data={"post": {"title": "t", "body": "b", "author": ann.pk}})
    assert not await s.ais_valid()
    assert s.errors == {
        "post": {"non_field_errors": ["The fields author, title must make a unique set."]}
    }


async def test_shared_source_outside_unique_together_stays_allowed(tortoise_db):
    class Twice(ModelSerializer):
        body_copy = drf.CharField(source="body", required=False)

        class Meta:
            model = Post
            fields = ["title", "body", "body_copy", "author"]

    (validator,) = Twice().validators
    assert validator.fields == ("author", "title")


async def test_unique_together_in_a_view_answers_400_with_one_query_per_check(
    tortoise_db, api_factory, queries, hops
):
    from async_drf import generics

    class PostList(generics.AsyncListCreateAPIView):
        queryset = Post
        serializer_class = PostSerializer

    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)
    queries.reset()
    request = api_factory.post("/", {"title": "t", "body": "b", "author": ann.pk})
    response = await PostList.as_view()(request)
    assert response.status_code == 400
    assert response.data == {
        "non_field_errors": ["The fields author, title must make a unique set."]
    }
    assert queries.count == 2  # the author exists, the set is taken
    assert hops.count == 0


# -- DRF's tests/test_validators.py, ported to Tortoise models --------------------------


class UniquenessSerializer(ModelSerializer):
    class Meta:
        model = UniquenessModel
        fields = "__all__"


class RelatedModelSerializer(ModelSerializer):
    username = drf.CharField(
        source="user.username",
        validators=[UniqueValidator(queryset=UniquenessModel, lookup="iexact")],
    )

    class Meta:
        model = RelatedModel
        fields = ("username", "email")


class RelatedModelUserSerializer(ModelSerializer):
    class Meta:
        model = RelatedModel
        fields = ("user",)


class UniquenessIntegerSerializer(Serializer):
    # Deliberately not the model field's type: a value the column cannot hold must not
    # read as "not unique" (nor as a 500).
    integer = drf.CharField(validators=[UniqueValidator(queryset=IntegerFieldModel)])


class TestUniquenessValidation:
    @pytest.fixture(autouse=True)
    async def existing(self, tortoise_db):
        self.instance = await UniquenessModel.create(username="existing")

    async def test_repr(self):
        expected = dedent("""
            UniquenessSerializer():
                id = IntegerField(read_only=True)
                username = CharField(max_length=100, validators=[<UniqueValidator(queryset=UniquenessModel)>])
        """)  # noqa: E501
        assert repr(UniquenessSerializer()) == expected

    async def test_is_not_unique(self):
        serializer = UniquenessSerializer(data={"username": "existing"})
        assert not await serializer.ais_valid()
        assert serializer.errors == {
            "username": ["uniqueness model with this username already exists."]
        }

    async def test_relation_is_not_unique(self):
        await RelatedModel.create(user=self.instance, email="a@x.org")
        serializer = RelatedModelUserSerializer(data={"user": self.instance.pk})
        assert not await serializer.ais_valid()
        assert serializer.errors == {"user": ["related model with this user already exists."]}

    async def test_is_unique(self):
        serializer = UniquenessSerializer(data={"username": "other"})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"username": "other"}

    async def test_updated_instance_excluded(self):
        serializer = UniquenessSerializer(self.instance, data={"username": "existing"})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"username": "existing"}

    async def test_doesnt_pollute_model(self):
        instance = await AnotherUniquenessModel.create(code=100)

        class AnotherUniquenessSerializer(ModelSerializer):
            class Meta:
                model = AnotherUniquenessModel
                fields = "__all__"

        field = AnotherUniquenessModel._meta.fields_map["code"]
        assert all("Unique" not in repr(v) for v in field.validators)
        await AnotherUniquenessSerializer(instance).adata
        assert all("Unique" not in repr(v) for v in field.validators)

    async def test_related_model_is_unique(self):
        data = {"username": "Existing", "email": "new-email@example.com"}
        rs = RelatedModelSerializer(data=data)
        assert not await rs.ais_valid()
        assert rs.errors == {"username": ["This field must be unique."]}
        data = {"username": "new-username", "email": "new-email@example.com"}
        rs = RelatedModelSerializer(data=data)
        assert await rs.ais_valid()

    async def test_value_error_treated_as_not_unique(self):
        serializer = UniquenessIntegerSerializer(data={"integer": "abc"})
        assert await serializer.ais_valid()


class UniquenessTogetherSerializer(ModelSerializer):
    class Meta:
        model = UniquenessTogetherModel
        fields = "__all__"


class NullUniquenessTogetherSerializer(ModelSerializer):
    class Meta:
        model = NullUniquenessTogetherModel
        fields = "__all__"


class TestUniquenessTogetherValidation:
    @pytest.fixture(autouse=True)
    async def races(self, tortoise_db):
        self.instance = await UniquenessTogetherModel.create(race_name="example", position=1)
        await UniquenessTogetherModel.create(race_name="example", position=2)
        await UniquenessTogetherModel.create(race_name="other", position=1)

    async def test_repr(self):
        expected = dedent(r"""
            UniquenessTogetherSerializer\(\):
                id = IntegerField\(read_only=True\)
                race_name = CharField\(max_length=100, required=True\)
                position = IntegerField\(.*required=True\)
                class Meta:
                    validators = \[<UniqueTogetherValidator\(queryset=UniquenessTogetherModel, fields=\('race_name', 'position'\)\)>\]
        """)  # noqa: E501
        assert re.search(expected, repr(UniquenessTogetherSerializer())) is not None

    async def test_is_not_unique_together(self):
        """Failing unique together validation should result in non field errors."""
        serializer = UniquenessTogetherSerializer(data={"race_name": "example", "position": 2})
        assert not await serializer.ais_valid()
        assert serializer.errors == {
            "non_field_errors": ["The fields race_name, position must make a unique set."]
        }

    async def test_is_unique_together(self):
        """One field may be non-unique so long as the set as a whole is unique."""
        serializer = UniquenessTogetherSerializer(data={"race_name": "other", "position": 2})
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"race_name": "other", "position": 2}

    async def test_updated_instance_excluded_from_unique_together(self):
        data = {"race_name": "example", "position": 1}
        serializer = UniquenessTogetherSerializer(self.instance, data=data)
        assert await serializer.ais_valid()
        assert serializer.validated_data == {"race_name": "example", "position": 1}

    async def test_many_update_requires_child_instance(self):
        class ListUpdateSerializer(ListSerializer):
            def update(self, instance, validated_data):
                return instance

        class UpdateSerializer(UniquenessTogetherSerializer):
            id = drf.IntegerField()

            class Meta(UniquenessTogetherSerializer.Meta):
                list_serializer_class = ListUpdateSerializer

        serializer = UpdateSerializer(
            instance=await UniquenessTogetherModel.all(),
            data=[
                {
                    "id": self.instance.pk,
                    "race_name": self.instance.race_name,
                    "position": self.instance.position,
                }
            ],
            many=True,
        )
        message = (
            "`UniqueTogetherValidator` cannot determine the current instance "
            "during a multiple update. Override "
            "`ListSerializer.run_child_validation()` to set `child.instance` "
            "before validation."
        )
        with pytest.raises(RuntimeError, match=re.escape(message)):
            await serializer.ais_valid()

    async def test_unique_together_is_required(self):
        serializer = UniquenessTogetherSerializer(data={"position": 2}, partial=True)
        assert not await serializer.ais_valid()
        assert serializer.errors == {"race_name": ["This field is required."]}

    async def test_ignore_excluded_fields(self):
        class ExcludedFieldSerializer(ModelSerializer):
            class Meta:
                model = UniquenessTogetherModel
                fields = ("id", "race_name")

        expected = dedent("""
            ExcludedFieldSerializer():
                id = IntegerField(read_only=True)
                race_name = CharField(max_length=100)
        """)
        assert repr(ExcludedFieldSerializer()) == expected

    async def test_ignore_read_only_fields(self):
        class ReadOnlyFieldSerializer(ModelSerializer):
            class Meta:
                model = UniquenessTogetherModel
                fields = ("id", "race_name", "position")
                read_only_fields = ("race_name",)

        expected = dedent(r"""
            ReadOnlyFieldSerializer\(\):
                id = IntegerField\(read_only=True\)
                race_name = CharField\(read_only=True\)
                position = IntegerField\(.*required=True\)
        """)
        assert re.search(expected, repr(ReadOnlyFieldSerializer())) is not None

    async def test_read_only_fields_with_default(self):
        """Special case of read_only + default DOES validate unique_together."""

        class ReadOnlyFieldWithDefaultSerializer(ModelSerializer):
            race_name = drf.CharField(max_length=100, read_only=True, default="example")

            class Meta:
                model = UniquenessTogetherModel
                fields = ("id", "race_name", "position")

        serializer = ReadOnlyFieldWithDefaultSerializer(data={"position": 2})
        assert len(serializer.validators) == 1
        assert isinstance(serializer.validators[0], UniqueTogetherValidator)
        assert serializer.validators[0].fields == ("race_name", "position")
        assert not await serializer.ais_valid()
        assert serializer.errors == {
            "non_field_errors": ["The fields race_name, position must make a unique set."]
        }

    async def test_read_only_fields_with_default_and_source(self):
        class ReadOnlySerializer(ModelSerializer):
            name = drf.CharField(source="race_name", default="test", read_only=True)

            class Meta:
                model = UniquenessTogetherModel
                fields = ["name", "position"]
                validators = [
                    UniqueTogetherValidator(
                        queryset=UniquenessTogetherModel, fields=["name", "position"]
                    )
                ]

        serializer = ReadOnlySerializer(data={"position": 1})
        assert await serializer.ais_valid(raise_exception=True)

    async def test_writeable_fields_with_source(self):
        class WriteableSerializer(ModelSerializer):
            name = drf.CharField(source="race_name")

            class Meta:
                model = UniquenessTogetherModel
                fields = ["name", "position"]
                validators = [
                    UniqueTogetherValidator(
                        queryset=UniquenessTogetherModel, fields=["name", "position"]
                    )
                ]

        serializer = WriteableSerializer(data={"name": "test", "position": 1})
        assert await serializer.ais_valid(raise_exception=True)
        # The error names the serializer field, not its source.
        serializer = WriteableSerializer(data={"position": 1})
        assert not await serializer.ais_valid()
        assert serializer.errors == {"name": ["This field is required."]}

    async def test_default_validator_with_fields_with_source(self):
        class TestSerializer(ModelSerializer):
            name = drf.CharField(source="race_name")

            class Meta:
                model = UniquenessTogetherModel
                fields = ["name", "position"]

        expected = dedent(r"""
            TestSerializer\(\):
                name = CharField\(source='race_name'\)
                position = IntegerField\(.*\)
                class Meta:
                    validators = \[<UniqueTogetherValidator\(queryset=UniquenessTogetherModel, fields=\('name', 'position'\)\)>\]
        """)  # noqa: E501
        assert re.search(expected, repr(TestSerializer())) is not None

    async def test_default_validator_with_multiple_fields_with_same_source(self):
        class TestSerializer(ModelSerializer):
            name = drf.CharField(source="race_name")
            other_name = drf.CharField(source="race_name")

            class Meta:
                model = UniquenessTogetherModel
                fields = ["name", "other_name", "position"]

        serializer = TestSerializer(data={"name": "foo", "other_name": "foo", "position": 1})
        with pytest.raises(AssertionError) as excinfo:
            await serializer.ais_valid()
        expected = (
            "Unable to create `UniqueTogetherValidator` for "
            "`UniquenessTogetherModel.race_name` as `TestSerializer` has "
            "multiple fields (name, other_name) that map to this model field. "
            "Either remove the extra fields, or override `Meta.validators` "
            "with a `UniqueTogetherValidator` using the desired field names."
        )
        assert str(excinfo.value) == expected

    async def test_allow_explicit_override(self):
        class NoValidatorsSerializer(ModelSerializer):
            class Meta:
                model = UniquenessTogetherModel
                fields = ("id", "race_name", "position")
                validators = []

        expected = dedent(r"""
            NoValidatorsSerializer\(\):
                id = IntegerField\(read_only=True.*\)
                race_name = CharField\(max_length=100\)
                position = IntegerField\(.*\)
        """)
        assert re.search(expected, repr(NoValidatorsSerializer())) is not None

    async def test_ignore_validation_for_null_fields(self):
        # A None in a field of the set skips the check (NULLs never collide).
        await NullUniquenessTogetherModel.create(
            date_of_birth=datetime.date(2000, 1, 1), race_name="Paris Marathon", position=None
        )
        data = {
            "date": datetime.date(2000, 1, 1),
            "race_name": "Paris Marathon",
            "position": None,
        }
        serializer = NullUniquenessTogetherSerializer(data=data)
        assert await serializer.ais_valid()

    async def test_ignore_validation_for_missing_nullable_fields(self):
        data = {"date": datetime.date(2000, 1, 1), "race_name": "Paris Marathon"}
        serializer = NullUniquenessTogetherSerializer(data=data)
        assert await serializer.ais_valid(), serializer.errors

    async def test_do_not_ignore_validation_for_null_fields(self):
        # A None in a field outside the set does not skip the check.
        await NullUniquenessTogetherModel.create(
            date_of_birth=datetime.date(2000, 1, 1), race_name="Paris Marathon", position=1
        )
        data = {"date": None, "race_name": "Paris Marathon", "position": 1}
        serializer = NullUniquenessTogetherSerializer(data=data)
        assert not await serializer.ais_valid()

    async def test_ignore_validation_for_unchanged_fields(self, queries):
        """If all fields in the unique together constraint are unchanged, the instance
        skips uniqueness validation."""
        instance = await UniquenessTogetherModel.create(race_name="Paris Marathon", position=1)
        data = {"race_name": "Paris Marathon", "position": 1}
        serializer = UniquenessTogetherSerializer(data=data, instance=instance)
        queries.reset()
        assert await serializer.ais_valid()
        assert queries.count == 0

    async def test_unique_together_with_source(self, queries):
        class UniqueTogetherWithSourceSerializer(ModelSerializer):
            name = drf.CharField(source="race_name")
            pos = drf.IntegerField(source="position")

            class Meta:
                model = UniquenessTogetherModel
                fields = ["name", "pos"]

        data = {"name": "Paris Marathon", "pos": 1}
        instance = await UniquenessTogetherModel.create(race_name="Paris Marathon", position=1)
        queries.reset()
        serializer = UniqueTogetherWithSourceSerializer(data=data)
        assert not await serializer.ais_valid()
        assert queries.count == 1
        queries.reset()
        serializer = UniqueTogetherWithSourceSerializer(data=data, instance=instance)
        assert await serializer.ais_valid()
        assert queries.count == 0

    async def test_filter_queryset_do_not_skip_existing_attribute(self, queries):
        """An omitted field of the set is taken from the instance."""
        serializer = UniquenessTogetherSerializer(self.instance, data={"race_name": "other"})
        serializer.partial = True
        queries.reset()
        assert not await serializer.ais_valid()  # ("other", 1) exists
        assert serializer.errors == {
            "non_field_errors": ["The fields race_name, position must make a unique set."]
        }
        (sql,) = queries.queries
        assert '"race_name"=' in sql and '"position"=' in sql

    async def test_uniq_together_validation_uses_model_fields_method_field(self):
        class TestSerializer(ModelSerializer):
            position = drf.SerializerMethodField()

            def get_position(self, obj):
                return obj.position or 0

            class Meta:
                model = NullUniquenessTogetherModel
                fields = ["race_name", "position"]

        expected = dedent("""
            TestSerializer():
                race_name = CharField(max_length=100)
                position = SerializerMethodField()
        """)
        assert repr(TestSerializer()) == expected

    async def test_uniq_together_validation_uses_model_fields_with_source_field(self):
        class TestSerializer(ModelSerializer):
            pos = drf.IntegerField(source="position")

            class Meta:
                model = NullUniquenessTogetherModel
                fields = ["race_name", "pos"]

        expected = dedent("""
            TestSerializer():
                race_name = CharField(max_length=100, required=True)
                pos = IntegerField(source='position')
                class Meta:
                    validators = [<UniqueTogetherValidator(queryset=NullUniquenessTogetherModel, fields=('race_name', 'pos'))>]
        """)  # noqa: E501
        assert repr(TestSerializer()) == expected


async def test_required_not_overwritten(tortoise_db):
    # DRF's TestUniquenessOverride (tests/test_model_serializer.py).
    class TestSerializer(ModelSerializer):
        class Meta:
            model = UniqueTogetherOverrideModel
            fields = "__all__"
            extra_kwargs = {"field_1": {"required": False}}

    fields = TestSerializer().fields
    assert not fields["field_1"].required
    assert fields["field_2"].required


async def test_omitted_nullable_field_of_a_unique_set_is_201(tortoise_db, api_factory, hops):
    from async_drf import generics

    class RaceList(generics.AsyncCreateAPIView):
        queryset = NullUniquenessTogetherModel
        serializer_class = NullUniquenessTogetherSerializer

    for _ in range(2):  # two non-finishers of one race: NULL positions never collide
        response = await RaceList.as_view()(api_factory.post("/", {"race_name": "Paris"}))
        assert response.status_code == 201, response.data
        assert response.data == {
            "id": ANY,
            "date_of_birth": None,
            "race_name": "Paris",
            "position": None,
        }
    assert await NullUniquenessTogetherModel.filter(position=None).count() == 2
    assert hops.count == 0


async def test_omitted_nullable_field_of_a_unique_set_defaults_to_none_and_saves(tortoise_db):
    serializer = NullUniquenessTogetherSerializer(data={"race_name": "Paris Marathon"})
    assert await serializer.ais_valid(), serializer.errors
    assert serializer.validated_data == {"race_name": "Paris Marathon", "position": None}
    instance = await serializer.asave()
    assert (await NullUniquenessTogetherModel.get(pk=instance.pk)).position is None


class _RaisingQuerySet:
    def __init__(self, error):
        self.error = error

    async def exists(self):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [TypeError(), ValueError(), orm.OperationalError(sqlite3.DataError("bad value"))],
    ids=["TypeError", "ValueError", "DataError"],
)
async def test_qs_exists_handles_unconvertible_values(error):
    # DRF's ValidatorsTests.test_qs_exists_handles_{type,value,data}_error.
    assert await qs_exists(_RaisingQuerySet(error)) is False


async def test_qs_exists_lets_other_database_errors_through():
    with pytest.raises(orm.OperationalError):
        await qs_exists(_RaisingQuerySet(orm.OperationalError(ConnectionRefusedError())))


async def test_equality_operator():
    assert UniqueTogetherValidator(Post, ["a", "b"]) == UniqueTogetherValidator(Post, ("a", "b"))
    assert UniqueTogetherValidator(Post, ["a", "b"]) != UniqueTogetherValidator(Post, ["a"])
    assert UniqueValidator(Post) == UniqueValidator(Post)
    assert UniqueValidator(Post) != UniqueValidator(Post, lookup="iexact")
