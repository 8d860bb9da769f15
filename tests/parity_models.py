"""Tortoise twins of the Django models DRF's own serializer and validator tests use
(app label "parity"; tables prefixed so they never meet another app's)."""

import enum

from tortoise import fields
from tortoise.models import Model
from tortoise.validators import (
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    RegexValidator,
)


class UniquenessModel(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(unique=True, max_length=100)

    class Meta:
        table = "parity_uniqueness"


class RelatedModel(Model):
    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("parity.UniquenessModel", related_name="related")
    email = fields.CharField(unique=True, max_length=80)

    class Meta:
        table = "parity_related"


class AnotherUniquenessModel(Model):
    id = fields.IntField(primary_key=True)
    code = fields.IntField(unique=True)

    class Meta:
        table = "parity_another_uniqueness"


class IntegerFieldModel(Model):
    id = fields.IntField(primary_key=True)
    integer = fields.IntField()

    class Meta:
        table = "parity_integer_field"


class UniquenessTogetherModel(Model):
    id = fields.IntField(primary_key=True)
    race_name = fields.CharField(max_length=100)
    position = fields.IntField()

    class Meta:
        table = "parity_uniqueness_together"
        unique_together = (("race_name", "position"),)
        ordering = ["id"]


class NullUniquenessTogetherModel(Model):
    """A null position is a non-finisher: many per race, as NULLs never collide."""

    id = fields.IntField(primary_key=True)
    date_of_birth = fields.DateField(null=True)  # not part of the uniqueness constraint
    race_name = fields.CharField(max_length=100)
    position = fields.IntField(null=True)

    class Meta:
        table = "parity_null_uniqueness_together"
        unique_together = (("race_name", "position"),)


class UniqueTogetherOverrideModel(Model):
    id = fields.IntField(primary_key=True)
    field_1 = fields.IntField(null=True)
    field_2 = fields.IntField()

    class Meta:
        table = "parity_unique_together_override"
        unique_together = (("field_1", "field_2"),)


class OneFieldModel(Model):
    id = fields.IntField(primary_key=True)
    char_field = fields.CharField(max_length=100)

    class Meta:
        table = "parity_one_field"


class RegularFieldsModel(Model):
    """Flat fields of the types Tortoise shares with Django."""

    auto_field = fields.IntField(primary_key=True)
    big_integer_field = fields.BigIntField()
    boolean_field = fields.BooleanField(default=False)
    char_field = fields.CharField(max_length=100)
    integer_field = fields.IntField()
    small_integer_field = fields.SmallIntField()
    text_field = fields.TextField()
    json_field = fields.JSONField(null=True)

    class Meta:
        table = "parity_regular_fields"

    def method(self):
        return "method"


class FieldOptionsModel(Model):
    id = fields.IntField(primary_key=True)
    value_limit_field = fields.IntField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    length_limit_field = fields.CharField(validators=[MinLengthValidator(3)], max_length=12)
    null_field = fields.IntField(null=True)
    default_field = fields.IntField(default=0)
    descriptive_field = fields.IntField(description="Some help text")
    code_field = fields.CharField(
        max_length=8, null=True, validators=[RegexValidator(r"^[A-Z]+$", 0)]
    )

    class Meta:
        table = "parity_field_options"


class DecimalFieldModel(Model):
    id = fields.IntField(primary_key=True)
    decimal_field = fields.DecimalField(
        max_digits=3, decimal_places=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )

    class Meta:
        table = "parity_decimal_field"


class AbstractModel(Model):
    afield = fields.CharField(max_length=255)

    class Meta:
        abstract = True


class Choice(str, enum.Enum):  # noqa: UP042 - the classic form Tortoise documents
    CHOICE1 = "choice1"
    CHOICE2 = "choice2"


class UniqueChoiceModel(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharEnumField(Choice, max_length=254, unique=True)

    class Meta:
        table = "parity_unique_choice"


class ForeignKeyTarget(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "parity_fk_target"


class NullableForeignKeySource(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "parity.ForeignKeyTarget", null=True, related_name="nullable_sources"
    )

    class Meta:
        table = "parity_nullable_fk_source"


class NestedForeignKeySource(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    target = fields.ForeignKeyField(
        "parity.NullableForeignKeySource", null=True, related_name="nested_sources"
    )

    class Meta:
        table = "parity_nested_fk_source"
        ordering = ["id"]


class NestedWriteProfile(Model):
    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=100)

    class Meta:
        table = "parity_nested_write_profile"


class NestedWritePerson(Model):
    id = fields.IntField(primary_key=True)
    profile = fields.ForeignKeyField("parity.NestedWriteProfile", related_name="people")

    class Meta:
        table = "parity_nested_write_person"
