"""The models of django-filter's tests (tests/models.py) and of DRF's filter tests
(tests/test_filters.py), as Tortoise models (app "dfilter")."""

import enum

from tortoise import fields
from tortoise.models import Model


class UserStatus(enum.IntEnum):
    REGULAR = 0
    MANAGER = 1
    ADMIN = 2


STATUS_CHOICES = [(member.value, member.name.title()) for member in UserStatus]


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=255)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    status = fields.IntEnumField(UserStatus, default=UserStatus.REGULAR)
    is_active = fields.BooleanField(default=False)
    is_employed = fields.BooleanField(null=True, default=False)
    favorite_books = fields.ManyToManyField("dfilter.Book", related_name="lovers")

    class Meta:
        table = "dfilter_user"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.username


class Comment(Model):
    id = fields.IntField(primary_key=True)
    text = fields.TextField(default="")
    author = fields.ForeignKeyField("dfilter.User", related_name="comments")
    date = fields.DateField()
    time = fields.TimeField(null=True)  # Tortoise cannot store a time on SQLite

    class Meta:
        table = "dfilter_comment"
        ordering = ["id"]


class Article(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200, default="")
    published = fields.DatetimeField()
    author = fields.ForeignKeyField("dfilter.User", null=True, related_name="articles")

    class Meta:
        table = "dfilter_article"
        ordering = ["id"]


class Book(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    price = fields.DecimalField(max_digits=6, decimal_places=2)
    average_rating = fields.FloatField()

    class Meta:
        table = "dfilter_book"
        ordering = ["id"]


class Company(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "dfilter_company"
        ordering = ["name"]


class Location(Model):
    id = fields.IntField(primary_key=True)
    company = fields.ForeignKeyField("dfilter.Company", related_name="locations")
    name = fields.CharField(max_length=100, default="")
    zip_code = fields.CharField(max_length=10)
    open_days = fields.CharField(max_length=7)

    class Meta:
        table = "dfilter_location"
        ordering = ["id"]


class Account(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    in_good_standing = fields.BooleanField(default=False)
    friendly = fields.BooleanField(default=False)

    class Meta:
        table = "dfilter_account"
        ordering = ["id"]


class Profile(Model):
    id = fields.IntField(primary_key=True)
    account = fields.OneToOneField("dfilter.Account", related_name="profile")
    likes_coffee = fields.BooleanField(default=False)
    likes_tea = fields.BooleanField(default=False)

    class Meta:
        table = "dfilter_profile"
        ordering = ["id"]


class BankAccount(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, default="")
    in_good_standing = fields.BooleanField(default=False)
    friendly = fields.BooleanField(default=False)
    amount_saved = fields.IntField(default=0)

    class Meta:
        table = "dfilter_bankaccount"
        ordering = ["id"]


class SpacewalkRecord(Model):
    id = fields.IntField(primary_key=True)
    astronaut = fields.CharField(max_length=100)
    duration = fields.TimeDeltaField()

    class Meta:
        table = "dfilter_spacewalkrecord"
        ordering = ["id"]


# -- DRF's tests/test_filters.py ------------------------------------------------------------


class SearchFilterModel(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=25)
    text = fields.CharField(max_length=100)

    class Meta:
        table = "dfilter_searchfiltermodel"
        ordering = ["id"]


class OrderingFilterModel(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=20, description="verbose title")
    text = fields.CharField(max_length=100)

    class Meta:
        table = "dfilter_orderingfiltermodel"

    @property
    def description(self) -> str:
        return self.title + ": " + self.text


class SensitiveOrderingFilterModel(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=20)
    password = fields.CharField(max_length=100)

    class Meta:
        table = "dfilter_sensitiveorderingfiltermodel"
