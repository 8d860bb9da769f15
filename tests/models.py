"""Tortoise models shared by the test suite (app label "models")."""

import enum

from tortoise import fields
from tortoise.models import Model


class Status(str, enum.Enum):  # noqa: UP042 - the classic form Tortoise documents
    DRAFT = "draft"
    PUBLISHED = "published"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True, description="display name")
    email = fields.CharField(max_length=254, null=True)
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Profile(Model):
    id = fields.IntField(primary_key=True)
    author = fields.OneToOneField("models.Author", related_name="profile")
    bio = fields.TextField(default="")


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["id"]


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    published = fields.BooleanField(default=False)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)
    author = fields.ForeignKeyField("models.Author", related_name="posts")
    editor = fields.ForeignKeyField(
        "models.Author", related_name="edited", null=True, on_delete=fields.SET_NULL
    )
    tags = fields.ManyToManyField("models.Tag", related_name="posts")

    class Meta:
        unique_together = (("author", "title"),)
        ordering = ["id"]


class Comment(Model):
    id = fields.IntField(primary_key=True)
    post = fields.ForeignKeyField("models.Post", related_name="comments")
    text = fields.TextField()
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class Everything(Model):
    """One column of every Tortoise field type (serializer mapping tests)."""

    id = fields.IntField(primary_key=True)
    big = fields.BigIntField(default=0)
    small = fields.SmallIntField(null=True)
    char = fields.CharField(max_length=20, description="a short text")
    text = fields.TextField(null=True)
    flag = fields.BooleanField(default=True)
    amount = fields.DecimalField(max_digits=8, decimal_places=2, default=0)
    ratio = fields.FloatField(null=True)
    when = fields.DatetimeField(null=True)
    day = fields.DateField(null=True)
    clock = fields.TimeField(null=True)
    span = fields.TimeDeltaField(null=True)
    uid = fields.UUIDField(null=True)
    data = fields.JSONField(null=True)
    blob = fields.BinaryField(null=True)
    status = fields.CharEnumField(Status, default=Status.DRAFT)
    priority = fields.IntEnumField(Priority, default=Priority.LOW)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)
