"""Serializer rows render through a plan with a fast path for plain fields.

Whatever the path, a row must come out exactly as DRF's own
``Serializer.to_representation`` renders it: these tests render the same instances
both ways, across field types, timezones, formats, sources and field subclasses.
"""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework import serializers as drf

from async_drf import serializers as s
from tests.models import Author, Everything, Post, Priority, Status

EXCLUDE = ["clock", "blob"]  # TimeField cannot be stored on SQLite; bytes are not JSON


class EverythingSerializer(s.ModelSerializer):
    class Meta:
        model = Everything
        exclude = EXCLUDE


class Shout(drf.CharField):
    def to_representation(self, value):
        return str(value).upper()


class Upper(drf.CharField):
    def get_attribute(self, instance):
        return super().get_attribute(instance).upper()


class PostSerializer(s.ModelSerializer):
    shout = Shout(source="title", read_only=True)
    upper = Upper(source="title", read_only=True)
    yearly = s.DateTimeField(source="created", format="%Y", read_only=True)
    utc = s.DateTimeField(source="created", default_timezone=datetime.UTC, read_only=True)
    taipei = s.DateTimeField(
        source="created", default_timezone=zoneinfo.ZoneInfo("Asia/Taipei"), read_only=True
    )
    author_name = s.CharField(source="author.name", read_only=True)
    text = s.CharField(source="__str__", read_only=True)
    read_only = s.ReadOnlyField(source="published")

    class Meta:
        model = Post
        fields = [
            "id", "title", "published", "created", "author", "editor", "shout", "upper", "yearly",
            "utc", "taipei", "author_name", "text", "read_only",
        ]  # fmt: skip


def drf_row(serializer, instance):
    return drf.Serializer.to_representation(serializer, instance)


@pytest.fixture
async def rows(tortoise_db):
    full = await Everything.create(
        big=2**40,
        small=-3,
        char="x",
        text="long",
        flag=False,
        amount=Decimal("12.50"),
        ratio=0.25,
        when=datetime.datetime(2026, 11, 23, 12, 30, tzinfo=datetime.UTC),
        day=datetime.date(2026, 1, 2),
        span=datetime.timedelta(seconds=90),
        uid=uuid.UUID(int=7),
        data={"a": [1, 2]},
        status=Status.PUBLISHED,
        priority=Priority.HIGH,
    )
    empty = await Everything.create(char="y")
    return [await Everything.get(pk=full.pk), await Everything.get(pk=empty.pk)]


async def test_every_field_type_renders_as_drf_does(rows):
    serializer = EverythingSerializer(rows, many=True)
    assert serializer.data == [drf_row(serializer.child, row) for row in rows]
    assert serializer.data[0]["when"] == "2026-11-23T12:30:00Z"
    assert serializer.data[0]["status"] == "published"
    assert serializer.data[1]["when"] is None


@pytest.mark.parametrize("zone", ["UTC", "Asia/Taipei", "America/New_York"])
async def test_the_active_timezone_is_used_as_in_drf(rows, zone):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        serializer = EverythingSerializer(rows, many=True)
        expected = [drf_row(serializer.child, row) for row in rows]
        assert serializer.data == expected


async def test_without_use_tz_aware_values_are_made_naive_as_in_drf(rows):
    with override_settings(USE_TZ=False):
        serializer = EverythingSerializer(rows[0])
        assert serializer.data == drf_row(serializer, rows[0])
        assert serializer.data["when"] == "2026-11-23T12:30:00"


async def test_sources_formats_and_field_subclasses_render_as_drf_does(tortoise_db):
    ada = await Author.create(name="Ada")
    await Post.create(title="Hello", body="b", author=ada, published=True)
    posts = await Post.all().select_related("author")
    with timezone.override(zoneinfo.ZoneInfo("Europe/Paris")):
        serializer = PostSerializer(posts, many=True)
        data = serializer.data
        assert data == [drf_row(serializer.child, post) for post in posts]
    row = data[0]
    assert row["shout"] == row["upper"] == "HELLO"  # the subclasses' own methods
    assert row["yearly"] == str(posts[0].created.year)
    assert row["utc"].endswith("Z") and row["taipei"].endswith("+08:00")
    assert row["author_name"] == "Ada" and row["text"] == str(posts[0])
    assert row["editor"] is None and row["read_only"] is True


async def test_rows_that_are_not_instances_take_drfs_path(tortoise_db):
    class Plain(s.Serializer):
        name = s.CharField()
        count = s.IntegerField()

    data = [{"name": "a", "count": 1}, {"name": "b", "count": "2"}]
    assert Plain(data, many=True).data == [{"name": "a", "count": 1}, {"name": "b", "count": 2}]


async def test_a_value_of_another_type_takes_drfs_path(tortoise_db):
    """An IntegerField over a str column, a CharField over an enum: DRF converts."""

    class Loose(s.Serializer):
        char = s.IntegerField()
        status = s.CharField()
        priority = s.IntegerField()

    row = await Everything.create(char="42", status=Status.DRAFT, priority=Priority.HIGH)
    assert Loose(row).data == {"char": 42, "status": str(Status.DRAFT), "priority": 2}


async def test_a_failing_attribute_is_handled_as_drf_does(tortoise_db, monkeypatch):
    """A property raising KeyError: DRF's get_attribute turns it into the field's
    default (or skips a non-required field) instead of letting it escape."""

    def broken(self):
        raise KeyError("broken")

    class WithDefault(s.Serializer):
        char = s.CharField()
        broken = s.CharField(default="fallback")
        skipped = s.CharField(source="broken", required=False)

    row = await Everything.create(char="x")
    monkeypatch.setattr(Everything, "broken", property(broken), raising=False)
    assert WithDefault(row).data == {"char": "x", "broken": "fallback"}


class PlainPostSerializer(s.ModelSerializer):
    """Every field a plain attribute of the row."""

    class Meta:
        model = Post
        fields = ["id", "title", "body", "published", "created", "author", "editor"]


async def test_rows_of_plain_fields_render_as_drf_does_whatever_their_values(tortoise_db):
    ada = await Author.create(name="Ada")
    for n in range(3):
        await Post.create(title=f"p{n}", body="b", author=ada, published=n == 1)
    posts = await Post.all()
    posts[1].title = 7  # an int in a CharField: DRF's to_representation makes it "7"
    posts[2].created = datetime.datetime(2026, 1, 2, 3, 4)  # naive under USE_TZ: DRF's path
    posts[2].editor_id = ada.id
    for zone in ["UTC", "Asia/Taipei"]:
        with timezone.override(zoneinfo.ZoneInfo(zone)):
            serializer = PlainPostSerializer(posts, many=True)
            assert serializer.data == [drf_row(serializer.child, post) for post in posts]
    assert serializer.data[1]["title"] == "7"
    assert serializer.data[2]["editor"] == ada.id


async def test_a_value_that_takes_drfs_path_is_read_twice_only(tortoise_db, monkeypatch):
    reads = []

    def counted(self):
        reads.append(self.pk)
        return 3  # not a str: the CharField below converts it, on DRF's path

    class Counted(s.Serializer):
        id = s.IntegerField()
        counted = s.CharField()

    monkeypatch.setattr(Everything, "counted", property(counted), raising=False)
    row = await Everything.create(char="x")
    assert Counted([row], many=True).data == [{"id": row.pk, "counted": "3"}]
    # Read by the plan, then once more by DRF's get_attribute: never a third time.
    assert reads == [row.pk, row.pk]


async def test_a_single_plain_field_renders_as_drf_does(tortoise_db):
    class Only(s.Serializer):
        char = s.CharField()

    rows = [await Everything.create(char="x"), await Everything.create(char="y")]
    assert Only(rows, many=True).data == [{"char": "x"}, {"char": "y"}]
