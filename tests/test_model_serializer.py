"""ModelSerializer over Tortoise models where DRF 3.18's ModelSerializer has rules:
the field mapping, the default ``acreate``'s refusals, nested writes.

Most tests are DRF's own (tests/test_model_serializer.py, tests/test_serializer_nested.py),
ported to Tortoise models with their inputs and expected bodies kept.
"""

import re
import textwrap

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework import serializers as drf
from tortoise.transactions import in_transaction

from async_drf import generics
from async_drf.serializers import ListSerializer, ModelSerializer, raise_errors_on_nested_writes
from tests.models import Author, Post
from tests.parity_models import (
    AbstractModel,
    DecimalFieldModel,
    FieldOptionsModel,
    NestedWritePerson,
    NestedWriteProfile,
    OneFieldModel,
    RegularFieldsModel,
)


def dedent(blocktext):
    return textwrap.dedent(blocktext).strip("\n")


# -- DRF's TestModelSerializer ----------------------------------------------------------


async def test_create_method(tortoise_db):
    """A writable field that is no argument of ``Model.create`` is DRF's explanatory
    TypeError, raised before anything is written (Tortoise would drop the key)."""

    class TestSerializer(ModelSerializer):
        non_model_field = drf.CharField()

        class Meta:
            model = OneFieldModel
            fields = ("char_field", "non_model_field")

    serializer = TestSerializer(data={"char_field": "foo", "non_model_field": "bar"})
    assert await serializer.ais_valid()
    msginitial = "Got a `TypeError` when calling `OneFieldModel.create()`."
    with pytest.raises(TypeError) as info:
        await serializer.asave()
    assert str(info.value).startswith(msginitial)
    assert "override the TestSerializer.acreate() method" in str(info.value)
    assert "OneFieldModel() got unexpected keyword arguments: 'non_model_field'" in str(info.value)
    assert await OneFieldModel.all().count() == 0


async def test_abstract_model(tortoise_db):
    """A ModelSerializer over an abstract model raises DRF's ValueError."""

    class TestSerializer(ModelSerializer):
        class Meta:
            model = AbstractModel
            fields = ("afield",)

    serializer = TestSerializer(data={"afield": "foo"})
    with pytest.raises(ValueError, match="Cannot use ModelSerializer with Abstract Models."):
        await serializer.ais_valid()


# -- DRF's TestRegularFieldMappings ------------------------------------------------------


async def test_field_options(tortoise_db):
    class TestSerializer(ModelSerializer):
        class Meta:
            model = FieldOptionsModel
            fields = "__all__"

    expected = dedent(r"""
        TestSerializer\(\):
            id = IntegerField\(read_only=True\)
            value_limit_field = IntegerField\(max_value=10, min_value=1\)
            length_limit_field = CharField\(max_length=12, min_length=3\)
            null_field = IntegerField\(allow_null=True,.*required=False\)
            default_field = IntegerField\(.*required=False\)
            descriptive_field = IntegerField\(help_text='Some help text'.*\)
            code_field = CharField\(.*max_length=8.*validators=\[<ModelFieldValidator\(RegexValidator\)>\]\)
    """)  # noqa: E501
    assert re.search(expected, repr(TestSerializer())) is not None


async def test_field_options_report_every_bad_field_at_once(tortoise_db, api_factory):
    """Tortoise's validators are DRF field options: each bad field gets DRF's message,
    all in one 400, and nothing is written (Tortoise alone says "Invalid value." about
    the first one, at save)."""

    class TestSerializer(ModelSerializer):
        class Meta:
            model = FieldOptionsModel
            fields = "__all__"

    class Create(generics.AsyncCreateAPIView):
        queryset = FieldOptionsModel
        serializer_class = TestSerializer

    data = {
        "value_limit_field": 11,
        "length_limit_field": "ab",
        "descriptive_field": 1,
        "code_field": "abc",
    }
    response = await Create.as_view()(api_factory.post("/", data))
    assert response.status_code == 400
    assert response.data == {
        "value_limit_field": ["Ensure this value is less than or equal to 10."],
        "length_limit_field": ["Ensure this field has at least 3 characters."],
        "code_field": ["Invalid value."],  # a RegexValidator: Tortoise's text quotes the value
    }
    data = {**data, "value_limit_field": 0}
    response = await Create.as_view()(api_factory.post("/", data))
    assert response.data["value_limit_field"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert await FieldOptionsModel.all().count() == 0
    data = {"value_limit_field": 5, "length_limit_field": "abc", "descriptive_field": 1}
    response = await Create.as_view()(api_factory.post("/", {**data, "code_field": "ABC"}))
    assert response.status_code == 201, response.data


async def test_big_integer_and_textarea_mapping(tortoise_db):
    """BigIntField maps as DRF maps Django's BigIntegerField; text and JSON get DRF's
    textarea style (the browsable API's form)."""

    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = "__all__"

    fields = TestSerializer().fields
    assert type(fields["big_integer_field"]) is drf.BigIntegerField
    assert fields["big_integer_field"].max_value == 2**63 - 1
    assert type(fields["integer_field"]) is drf.IntegerField
    assert fields["text_field"].style == {"base_template": "textarea.html"}
    assert fields["json_field"].style == {"base_template": "textarea.html"}
    assert fields["char_field"].style == {}
    assert TestSerializer().fields["text_field"].style is not fields["text_field"].style


async def test_big_integer_renders_as_drf_does(tortoise_db):
    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field", "big_integer_field")

    row = await RegularFieldsModel.create(
        big_integer_field=2**62,
        char_field="c",
        integer_field=1,
        small_integer_field=1,
        text_field="t",
    )
    assert await TestSerializer(row).adata == {"auto_field": row.pk, "big_integer_field": 2**62}
    rest_framework = {**settings.REST_FRAMEWORK, "COERCE_BIGINT_TO_STRING": True}
    with override_settings(REST_FRAMEWORK=rest_framework):
        data = await TestSerializer([row], many=True).adata
    assert data == [{"auto_field": row.pk, "big_integer_field": str(2**62)}]


async def test_method_field(tortoise_db):
    """Properties and methods on the model map to ReadOnlyField."""

    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field", "method")

    expected = dedent("""
        TestSerializer():
            auto_field = IntegerField(read_only=True)
            method = ReadOnlyField()
    """)
    assert repr(TestSerializer()) == expected


async def test_extra_field_kwargs(tortoise_db):
    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field", "char_field")
            extra_kwargs = {"char_field": {"default": "extra"}}

    expected = dedent("""
        TestSerializer():
            auto_field = IntegerField(read_only=True)
            char_field = CharField(default='extra', max_length=100)
    """)
    assert repr(TestSerializer()) == expected


async def test_extra_field_kwargs_required(tortoise_db):
    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field", "char_field")
            extra_kwargs = {"auto_field": {"required": False, "read_only": False}}

    expected = dedent("""
        TestSerializer():
            auto_field = IntegerField(read_only=False, required=False)
            char_field = CharField(max_length=100)
    """)
    assert repr(TestSerializer()) == expected


async def test_invalid_field(tortoise_db):
    class TestSerializer(ModelSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field", "invalid")

    expected = (
        "Field name `invalid` is not valid for model `RegularFieldsModel` "
        "in `tests.test_model_serializer.TestSerializer`."
    )
    with pytest.raises(ImproperlyConfigured, match=re.escape(expected)):
        TestSerializer().fields  # noqa: B018


async def test_missing_field(tortoise_db):
    class TestSerializer(ModelSerializer):
        missing = drf.ReadOnlyField()

        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field",)

    expected = (
        "The field 'missing' was declared on serializer TestSerializer, "
        "but has not been included in the 'fields' option."
    )
    with pytest.raises(AssertionError, match=re.escape(expected)):
        TestSerializer().fields  # noqa: B018


async def test_missing_superclass_field(tortoise_db):
    class TestSerializer(ModelSerializer):
        missing = drf.ReadOnlyField()

    class ChildSerializer(TestSerializer):
        class Meta:
            model = RegularFieldsModel
            fields = ("auto_field",)

    assert list(ChildSerializer().fields) == ["auto_field"]


# -- DRF's TestDecimalFieldMappings -----------------------------------------------------


class DecimalSerializer(ModelSerializer):
    class Meta:
        model = DecimalFieldModel
        fields = "__all__"


async def test_decimal_field_has_decimal_validator(tortoise_db):
    # DRF's two: the min and max value validators its DecimalField adds.
    assert len(DecimalSerializer().fields["decimal_field"].validators) == 2


async def test_min_value_is_passed(tortoise_db):
    assert DecimalSerializer().fields["decimal_field"].min_value == 1


async def test_max_value_is_passed(tortoise_db):
    assert DecimalSerializer().fields["decimal_field"].max_value == 3


# -- DRF's TestBulkCreate and TestSerializerMetaClass -----------------------------------


async def test_bulk_create(tortoise_db):
    class BasicModelSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            fields = ("char_field",)

    class BulkCreateSerializer(ListSerializer):
        child = BasicModelSerializer()

    data = [{"char_field": "a"}, {"char_field": "b"}, {"char_field": "c"}]
    serializer = BulkCreateSerializer(data=data)
    assert await serializer.ais_valid()
    instances = await serializer.asave()
    assert [item.char_field for item in instances] == ["a", "b", "c"]
    stored = await OneFieldModel.all().order_by("id").values_list("char_field", flat=True)
    assert stored == ["a", "b", "c"]
    assert await serializer.adata == data


async def test_meta_class_fields_option(tortoise_db):
    class ExampleSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            fields = "char_field"

    with pytest.raises(TypeError, match="The `fields` option must be a list or tuple"):
        ExampleSerializer().fields  # noqa: B018


async def test_meta_class_exclude_option(tortoise_db):
    class ExampleSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            exclude = "char_field"

    with pytest.raises(TypeError, match="The `exclude` option must be a list or tuple"):
        ExampleSerializer().fields  # noqa: B018


async def test_meta_class_fields_and_exclude_options(tortoise_db):
    class ExampleSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            fields = ("char_field",)
            exclude = ("char_field",)

    message = "Cannot set both 'fields' and 'exclude' options on serializer ExampleSerializer."
    with pytest.raises(AssertionError, match=re.escape(message)):
        ExampleSerializer().fields  # noqa: B018


async def test_should_assert_if_writing_readonly_fields(tortoise_db):
    # DRF's Issue4897TestCase.
    class TestSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            fields = ("char_field",)
            readonly_fields = fields

    obj = await OneFieldModel.create(char_field="abc")
    with pytest.raises(AssertionError, match="readonly_fields"):
        TestSerializer(obj).fields  # noqa: B018


# -- writable nested serializers (DRF's tests/test_serializer_nested.py) ----------------


class ProfileSerializer(ModelSerializer):
    class Meta:
        model = NestedWriteProfile
        fields = ["address"]


async def test_nested_serializer_error(tortoise_db):
    class NestedProfileSerializer(ModelSerializer):
        profile = ProfileSerializer()

        class Meta:
            model = NestedWritePerson
            fields = ["profile"]

    serializer = NestedProfileSerializer(data={"profile": {"address": "52 festive road"}})
    assert await serializer.ais_valid()
    assert serializer.validated_data == {"profile": {"address": "52 festive road"}}
    with pytest.raises(AssertionError) as exc_info:
        await serializer.asave()
    assert str(exc_info.value) == (
        "The `.acreate()` method does not support writable nested fields by "
        "default.\nWrite an explicit `.acreate()` method for serializer "
        "`tests.test_model_serializer.NestedProfileSerializer`, or set "
        "`read_only=True` on nested serializer fields."
    )
    assert await NestedWriteProfile.all().count() == 0


async def test_nested_serializer_error_on_update(tortoise_db):
    class NestedProfileSerializer(ModelSerializer):
        profile = ProfileSerializer()

        class Meta:
            model = NestedWritePerson
            fields = ["profile"]

    person = await NestedWritePerson.create(profile=await NestedWriteProfile.create(address="old"))
    serializer = NestedProfileSerializer(person, data={"profile": {"address": "new"}})
    assert await serializer.ais_valid()
    with pytest.raises(AssertionError, match=re.escape("The `.aupdate()` method does not")):
        await serializer.asave()
    assert (await NestedWriteProfile.get()).address == "old"


async def test_dotted_source_field_error(tortoise_db):
    class DottedAddressSerializer(ModelSerializer):
        address = drf.CharField(source="profile.address")

        class Meta:
            model = NestedWritePerson
            fields = ["address"]

    serializer = DottedAddressSerializer(data={"address": "52 festive road"})
    assert await serializer.ais_valid()
    assert serializer.validated_data == {"profile": {"address": "52 festive road"}}
    with pytest.raises(AssertionError) as exc_info:
        await serializer.asave()
    assert str(exc_info.value) == (
        "The `.acreate()` method does not support writable dotted-source "
        "fields by default.\nWrite an explicit `.acreate()` method for "
        "serializer `tests.test_model_serializer.DottedAddressSerializer`, "
        "or set `read_only=True` on dotted-source serializer fields."
    )


async def test_nested_serializer_with_dotted_source_is_a_dotted_source_error(tortoise_db):
    # DRF checks field.source for the nested error: "profile.address" is not a key of
    # validated_data, so the dotted-source check is the one that refuses it.
    class AddressSerializer(drf.Serializer):
        street = drf.CharField()

    class DottedNestedSerializer(ModelSerializer):
        address = AddressSerializer(source="profile.address")

        class Meta:
            model = NestedWritePerson
            fields = ["address"]

    serializer = DottedNestedSerializer(data={"address": {"street": "festive road"}})
    assert await serializer.ais_valid()
    assert serializer.validated_data == {"profile": {"address": {"street": "festive road"}}}
    with pytest.raises(AssertionError, match="does not support writable dotted-source fields"):
        raise_errors_on_nested_writes("acreate", serializer, serializer.validated_data)


async def test_nested_non_relational_field_is_no_nested_write(tortoise_db):
    # DRF's TestNestedNonRelationalFieldWrite: a JSON column is no relation.
    class DataSerializer(drf.Serializer):
        occupation = drf.CharField()

    class TestSerializer(ModelSerializer):
        json_field = DataSerializer()

        class Meta:
            model = RegularFieldsModel
            fields = ["json_field"]

    serializer = TestSerializer(data={"json_field": {"occupation": "developer"}})
    assert await serializer.ais_valid()
    raise_errors_on_nested_writes("acreate", serializer, serializer.validated_data)
    raise_errors_on_nested_writes("aupdate", serializer, serializer.validated_data)


class AuthorInput(ModelSerializer):
    class Meta:
        model = Author
        fields = ["name", "email"]


class PostWithNewAuthorSerializer(ModelSerializer):
    """A writable nested author, created with the post by the serializer's own acreate."""

    author = AuthorInput()

    class Meta:
        model = Post
        fields = ["id", "title", "body", "author"]

    async def acreate(self, validated_data):
        author_data = validated_data.pop("author")
        async with in_transaction():
            author = await Author.create(**author_data)
            return await Post.create(author=author, **validated_data)


class PostWithNewAuthor(generics.AsyncCreateAPIView):
    queryset = Post
    serializer_class = PostWithNewAuthorSerializer


async def test_own_acreate_writes_a_post_and_its_new_author(tortoise_db, api_factory, hops):
    data = {"title": "t", "body": "b", "author": {"name": "ann", "email": "a@x.org"}}
    response = await PostWithNewAuthor.as_view()(api_factory.post("/", data))
    assert response.status_code == 201, response.data
    post = await Post.get().prefetch_related("author")
    assert response.data == {
        "id": post.pk,
        "title": "t",
        "body": "b",
        "author": {"name": "ann", "email": "a@x.org"},
    }
    assert (post.author.name, post.author.email) == ("ann", "a@x.org")
    assert hops.count == 0


async def test_own_acreate_checks_the_nested_data_first(tortoise_db, api_factory):
    """The nested serializer's checks (unique name) run before acreate is called."""
    await Author.create(name="ann")
    data = {"title": "t", "body": "b", "author": {"name": "ann"}}
    response = await PostWithNewAuthor.as_view()(api_factory.post("/", data))
    assert response.status_code == 400
    assert response.data == {"author": {"name": ["author with this name already exists."]}}
    assert await Post.all().count() == 0


async def test_own_acreate_rolls_both_rows_back(tortoise_db, api_factory):
    class Failing(PostWithNewAuthorSerializer):
        async def acreate(self, validated_data):
            async with in_transaction():
                await Author.create(**validated_data.pop("author"))
                raise drf.ValidationError({"title": ["refused"]})

    class View(PostWithNewAuthor):
        serializer_class = Failing

    data = {"title": "t", "body": "b", "author": {"name": "ann"}}
    response = await View.as_view()(api_factory.post("/", data))
    assert response.status_code == 400
    assert response.data == {"title": ["refused"]}
    assert await Author.all().count() == 0 and await Post.all().count() == 0


async def test_drfs_create_and_update_overrides_are_called(tortoise_db, hops):
    """A ported serializer keeps DRF's method names: ``asave`` calls its ``create`` or
    ``update``, and ``super().acreate()``/``aupdate()`` inside them is the default."""

    class PostSerializer(ModelSerializer):
        author = AuthorInput()

        class Meta:
            model = Post
            fields = ["id", "title", "body", "author"]

        async def create(self, validated_data):
            author = await Author.create(**validated_data.pop("author"))
            return await super().acreate({**validated_data, "author_id": author.pk})

        async def update(self, instance, validated_data):
            validated_data.pop("author", None)
            return await super().aupdate(instance, {**validated_data, "body": "edited"})

    serializer = PostSerializer(data={"title": "t", "body": "b", "author": {"name": "ann"}})
    assert await serializer.ais_valid(), serializer.errors
    post = await serializer.asave()
    assert (await Post.get(pk=post.pk).prefetch_related("author")).author.name == "ann"
    serializer = PostSerializer(post, data={"title": "u"}, partial=True)
    assert await serializer.ais_valid(), serializer.errors
    await serializer.asave()
    stored = await Post.get(pk=post.pk)
    assert (stored.title, stored.body) == ("u", "edited")
    assert hops.count == 0


async def test_a_sync_create_override_runs_in_one_thread_hop(tortoise_db, hops):
    class OneFieldSerializer(ModelSerializer):
        class Meta:
            model = OneFieldModel
            fields = ["char_field"]

        def create(self, validated_data):  # e.g. writes through another, sync, library
            return OneFieldModel(id=7, **validated_data)

    serializer = OneFieldSerializer(data={"char_field": "x"})
    assert await serializer.ais_valid()
    instance = await serializer.asave()
    assert (instance.pk, instance.char_field) == (7, "x")
    assert hops.count == 1
    assert await OneFieldModel.all().count() == 0
