"""A Tortoise user and token model (app label "models"): token authentication that
never reads Django's database.  Table names unlike any other test model's: Tortoise caches
its insert SQL by (connection name, table), whatever the database."""

from tortoise import fields
from tortoise.models import Model


class Subscriber(Model):
    """A Tortoise user with what DRF reads from a user."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    is_active = fields.BooleanField(default=True)

    is_authenticated = True


class SubscriberToken(Model):
    key = fields.CharField(max_length=40, primary_key=True)
    user: fields.ForeignKeyRelation[Subscriber] = fields.ForeignKeyField("models.Subscriber")
