"""Tortoise field -> DRF field mapping (async_drf.fields) over the Everything model."""

import base64
import datetime
import decimal
import os
import uuid

import pytest
from rest_framework import fields as drf_fields

from async_drf.fields import BinaryField, EnumChoiceField, TimeField, get_model_info
from async_drf.serializers import ModelSerializer
from tests.models import Everything, Post, Priority, Status


class EverythingSerializer(ModelSerializer):
    class Meta:
        model = Everything
        fields = "__all__"


def _fields(tortoise_db):
    return EverythingSerializer().fields


EXPECTED = {
    "id": (drf_fields.IntegerField, {"read_only": True}),
    "big": (drf_fields.BigIntegerField, {"required": False, "min_value": -(2**63)}),
    "small": (drf_fields.IntegerField, {"allow_null": True, "max_value": 32767}),
    "char": (drf_fields.CharField, {"max_length": 20, "allow_blank": False, "required": True}),
    "text": (drf_fields.CharField, {"allow_null": True, "allow_blank": True, "required": False}),
    "flag": (drf_fields.BooleanField, {"required": False}),
    "amount": (drf_fields.DecimalField, {"max_digits": 8, "decimal_places": 2}),
    "ratio": (drf_fields.FloatField, {"allow_null": True}),
    "when": (drf_fields.DateTimeField, {"allow_null": True}),
    "day": (drf_fields.DateField, {"allow_null": True}),
    "clock": (TimeField, {"allow_null": True}),
    "span": (drf_fields.DurationField, {"allow_null": True}),
    "uid": (drf_fields.UUIDField, {"allow_null": True}),
    "data": (drf_fields.JSONField, {"allow_null": True}),
    "blob": (BinaryField, {"allow_null": True}),
    "status": (EnumChoiceField, {"required": False}),
    "priority": (EnumChoiceField, {"required": False}),
    "created": (drf_fields.DateTimeField, {"read_only": True}),
    "updated": (drf_fields.DateTimeField, {"read_only": True}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_every_field_type_maps(tortoise_db, name):
    field = EverythingSerializer().fields[name]
    field_class, attrs = EXPECTED[name]
    assert type(field) is field_class
    for attr, value in attrs.items():
        assert getattr(field, attr) == value, (name, attr)


async def test_field_names_and_order(tortoise_db):
    assert list(EverythingSerializer().fields) == list(EXPECTED)


async def test_description_becomes_help_text(tortoise_db):
    assert EverythingSerializer().fields["char"].help_text == "a short text"


async def test_enum_choices_are_enum_values(tortoise_db):
    fields = EverythingSerializer().fields
    assert list(fields["status"].choices) == ["draft", "published"]
    assert list(fields["priority"].choices) == [1, 2]


async def test_repr_lists_generated_fields(tortoise_db):
    text = repr(EverythingSerializer())
    assert "char = CharField(help_text='a short text', max_length=20)" in text
    assert "amount = DecimalField(decimal_places=2, max_digits=8, required=False)" in text
    assert "id = IntegerField(read_only=True)" in text


async def test_model_info_buckets(tortoise_db):
    info = get_model_info(Post)
    assert info.pk.model_field_name == "id"
    assert "author_id" not in info.fields and "title" in info.fields
    assert set(info.forward_relations) == {"author", "editor", "tags"}
    assert set(info.reverse_relations) == {"comments"}


async def test_fields_are_built_lazily_not_at_class_creation():
    # No tortoise_db here: declaring a ModelSerializer must not read Tortoise's _meta.
    class Lazy(ModelSerializer):
        class Meta:
            model = Post
            fields = "__all__"

    assert "_declared_fields" in vars(Lazy) and Lazy._declared_fields == {}


async def test_round_trip_create_and_read(tortoise_db):
    payload = {
        "big": 2**40,
        "small": -5,
        "char": "hello",
        "text": "",
        "flag": False,
        "amount": "12.34",
        "ratio": 0.5,
        "when": "2024-05-06T07:08:09Z",
        "day": "2024-05-06",
        "span": "1 02:03:04",
        "uid": "12345678-1234-5678-1234-567812345678",
        "data": {"a": [1, 2]},
        "blob": base64.b64encode(b"\x00\xffbytes").decode(),
        "status": "published",
        "priority": 2,
    }
    if os.environ.get("ASYNC_DRF_TEST_DB_URL"):  # Tortoise cannot bind a time on SQLite
        payload["clock"] = "07:08:09+00:00"
    serializer = EverythingSerializer(data=payload)
    assert await serializer.ais_valid(), serializer.errors
    obj = await serializer.asave()
    stored = await Everything.get(pk=obj.pk)
    assert stored.big == 2**40 and stored.small == -5
    assert stored.amount == decimal.Decimal("12.34")
    assert stored.span == datetime.timedelta(days=1, hours=2, minutes=3, seconds=4)
    assert stored.uid == uuid.UUID(payload["uid"])
    assert stored.blob == b"\x00\xffbytes"
    assert stored.status is Status.PUBLISHED and stored.priority is Priority.HIGH
    data = await EverythingSerializer(stored).adata
    expected = {**payload, "id": obj.pk, "when": "2024-05-06T07:08:09Z"}
    assert {k: data[k] for k in expected} == expected
    assert data["created"] and data["updated"]


async def test_defaults_apply_when_omitted(tortoise_db):
    serializer = EverythingSerializer(data={"char": "x"})
    assert await serializer.ais_valid(), serializer.errors
    obj = await serializer.asave()
    data = EverythingSerializer(obj).data  # sync .data on a fetched instance
    assert data["status"] == "draft" and data["priority"] == 1 and data["flag"] is True
    assert data["small"] is None and data["blob"] is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("char", ""),
        ("char", "x" * 21),
        ("small", 40000),
        ("amount", "123456789.00"),
        ("status", "nope"),
        ("priority", 7),
        ("blob", "not base64!"),
        ("uid", "zzz"),
    ],
)
async def test_invalid_values_are_400(tortoise_db, field, value):
    serializer = EverythingSerializer(data={"char": "ok", field: value})
    assert not await serializer.ais_valid()
    assert list(serializer.errors) == [field]
    assert await Everything.all().count() == 0


NUMBER = "A valid number is required."
INTEGER = "A valid integer is required."
BIGINTEGER = "A valid biginteger is required."  # DRF's BigIntegerField


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("big", BIGINTEGER),
        ("small", INTEGER),
        ("amount", NUMBER),
        ("ratio", NUMBER),
        ("priority", None),  # a choice: '"inf" is not a valid choice.' and so on
    ],
)
@pytest.mark.parametrize(
    "value",
    [
        float("inf"),  # what JSON's 1e400 parses to
        float("-inf"),
        float("nan"),
        "1e400",  # form input
        "Infinity",
        "NaN",
    ],
)
async def test_non_finite_and_huge_numbers_are_400_with_drfs_message(
    tortoise_db, field, message, value
):
    serializer = EverythingSerializer(data={"char": "ok", field: value})
    assert not await serializer.ais_valid()
    if (field, value) == ("amount", "1e400"):  # a finite Decimal: too many digits
        message = "Ensure that there are no more than 8 digits in total."
    if message is None:
        assert serializer.errors[field][0].code == "invalid_choice"
    else:
        assert serializer.errors == {field: [message]}
    assert await Everything.all().count() == 0


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
async def test_non_finite_numbers_inside_json_fields_are_400(tortoise_db, value):
    # Stored, they would break every later response (STRICT_JSON cannot render them).
    serializer = EverythingSerializer(data={"char": "ok", "data": {"a": [1, value]}})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"data": ["Value must be valid JSON."]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("big", 2**63, "Ensure this value is less than or equal to 9223372036854775807."),
        (
            "big",
            -(2**63) - 1,
            "Ensure this value is greater than or equal to -9223372036854775808.",
        ),
        ("small", 2**70, "Ensure this value is less than or equal to 32767."),
    ],
)
async def test_integers_outside_the_column_are_400(tortoise_db, field, value, message):
    serializer = EverythingSerializer(data={"char": "ok", field: value})
    assert not await serializer.ais_valid()
    assert serializer.errors == {field: [message]}


async def test_required_char_missing(tortoise_db):
    serializer = EverythingSerializer(data={})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"char": ["This field is required."]}
