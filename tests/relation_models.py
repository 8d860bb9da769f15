"""Tortoise twins of the models DRF's relation tests use (DRF's tests/models.py and
the relational models of tests/test_model_serializer.py), same names and fields.

Tortoise has no ``through`` models (a m2m names its table only), so DRF's
``Supplementary``/``ThroughTargetModel`` cases have no twin here.
"""

import uuid

from tortoise import fields
from tortoise.models import Model


class Ordered(Model):
    """Rows come back in creation order, as DRF's tests read them (``order_by('pk')``)."""

    id = fields.IntField(primary_key=True)

    class Meta:
        abstract = True
        ordering = ["id"]


# ManyToMany
class ManyToManyTarget(Ordered):
    name = fields.CharField(max_length=100)

    def __str__(self) -> str:  # what StringRelatedField shows
        return self.name


class ManyToManySource(Ordered):
    name = fields.CharField(max_length=100)
    targets = fields.ManyToManyField("models.ManyToManyTarget", related_name="sources")


# ForeignKey
class ForeignKeyTarget(Ordered):
    name = fields.CharField(max_length=100)


class UUIDForeignKeyTarget(Model):
    uuid = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=100)


class ForeignKeySource(Ordered):
    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "models.ForeignKeyTarget", related_name="sources", description="Target"
    )


# Nullable ForeignKey
class NullableForeignKeySource(Ordered):
    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "models.ForeignKeyTarget", related_name="nullable_sources", null=True
    )


class NullableUUIDForeignKeySource(Ordered):
    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "models.UUIDForeignKeyTarget", related_name="nullable_sources", null=True
    )


class NestedForeignKeySource(Ordered):
    """Used for testing FK chain. A -> B -> C."""

    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "models.NullableForeignKeySource", related_name="nested_sources", null=True
    )


# OneToOne
class OneToOneTarget(Ordered):
    name = fields.CharField(max_length=100)


class NullableOneToOneSource(Ordered):
    name = fields.CharField(max_length=100)
    target = fields.OneToOneField(
        "models.OneToOneTarget", related_name="nullable_source", null=True
    )


# tests/test_model_serializer.py: relational field mappings
class ForeignKeyTargetModel(Ordered):
    name = fields.CharField(max_length=100)


class ManyToManyTargetModel(Ordered):
    name = fields.CharField(max_length=100)


class OneToOneTargetModel(Ordered):
    name = fields.CharField(max_length=100)


class RelationalModel(Ordered):
    foreign_key = fields.ForeignKeyField(
        "models.ForeignKeyTargetModel", related_name="reverse_foreign_key"
    )
    many_to_many = fields.ManyToManyField(
        "models.ManyToManyTargetModel", related_name="reverse_many_to_many"
    )
    one_to_one = fields.OneToOneField(
        "models.OneToOneTargetModel", related_name="reverse_one_to_one"
    )


class UniqueTogetherModel(Ordered):
    foreign_key = fields.ForeignKeyField(
        "models.ForeignKeyTargetModel", related_name="unique_foreign_key"
    )
    one_to_one = fields.OneToOneField(
        "models.OneToOneTargetModel", related_name="unique_one_to_one"
    )

    class Meta:
        unique_together = (("foreign_key", "one_to_one"),)


class DisplayValueTargetModel(Ordered):
    name = fields.CharField(max_length=100)

    def __str__(self) -> str:
        return f"{self.name} Color"


class DisplayValueModel(Ordered):
    color = fields.ForeignKeyField("models.DisplayValueTargetModel", related_name="colored")


class ToFieldTarget(Ordered):
    code = fields.CharField(max_length=10, unique=True)


class ToFieldSource(Ordered):
    """A FK to another unique column than the pk (Django's ``to_field``)."""

    target = fields.ForeignKeyField("models.ToFieldTarget", to_field="code", related_name="sources")


class Issue3674ParentModel(Ordered):
    title = fields.CharField(max_length=64)


class Issue3674ChildModel(Model):
    parent = fields.ForeignKeyField("models.Issue3674ParentModel", related_name="children")
    value = fields.CharField(primary_key=True, max_length=64)
