"""The relational and hyperlinked parts of DRF's tests/test_model_serializer.py (and
test_serializer.py's TestWarningManyToMany) on Tortoise models.

The field reprs differ from DRF's where Tortoise does: a queryset is the model
class, a FK field reads its ``<fk>_id`` column (``source=``), a forward m2m is
optional (Tortoise has no ``blank``), a reverse one-to-one is read-only, and there are
no ``through`` models.
"""

from textwrap import dedent
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.test import APIRequestFactory

from async_drf import serializers
from tests.relation_models import (
    DisplayValueModel,
    DisplayValueTargetModel,
    ForeignKeyTargetModel,
    Issue3674ChildModel,
    Issue3674ParentModel,
    ManyToManySource,
    ManyToManyTarget,
    ManyToManyTargetModel,
    OneToOneTargetModel,
    RelationalModel,
    ToFieldSource,
    ToFieldTarget,
    UniqueTogetherModel,
)

M = "tests.relation_models"


async def test_pk_relations(tortoise_db: Any) -> None:
    class TestSerializer(serializers.ModelSerializer):
        class Meta:
            model = RelationalModel
            fields = "__all__"

    expected = dedent(f"""\
        TestSerializer():
            id = IntegerField(read_only=True)
            foreign_key = PrimaryKeyRelatedField(queryset=<class '{M}.ForeignKeyTargetModel'>, source='foreign_key_id')
            many_to_many = PrimaryKeyRelatedField(many=True, queryset=<class '{M}.ManyToManyTargetModel'>, required=False)
            one_to_one = PrimaryKeyRelatedField(queryset=<class '{M}.OneToOneTargetModel'>, source='one_to_one_id', validators=[<UniqueValidator(queryset=RelationalModel)>])""")  # noqa: E501
    assert repr(TestSerializer()) == expected


async def test_nested_relations(tortoise_db: Any) -> None:
    class TestSerializer(serializers.ModelSerializer):
        class Meta:
            model = RelationalModel
            depth = 1
            fields = "__all__"

    expected = dedent("""\
        TestSerializer():
            id = IntegerField(read_only=True)
            foreign_key = NestedSerializer(read_only=True):
                id = IntegerField(read_only=True)
                name = CharField(max_length=100)
            many_to_many = NestedSerializer(many=True, read_only=True):
                id = IntegerField(read_only=True)
                name = CharField(max_length=100)
            one_to_one = NestedSerializer(read_only=True):
                id = IntegerField(read_only=True)
                name = CharField(max_length=100)""")
    assert repr(TestSerializer()) == expected


async def test_hyperlinked_relations(tortoise_db: Any) -> None:
    class TestSerializer(serializers.HyperlinkedModelSerializer):
        class Meta:
            model = RelationalModel
            fields = "__all__"

    expected = dedent(f"""\
        TestSerializer():
            url = HyperlinkedIdentityField(view_name='relationalmodel-detail')
            foreign_key = HyperlinkedRelatedField(queryset=<class '{M}.ForeignKeyTargetModel'>, view_name='foreignkeytargetmodel-detail')
            many_to_many = HyperlinkedRelatedField(many=True, queryset=<class '{M}.ManyToManyTargetModel'>, required=False, view_name='manytomanytargetmodel-detail')
            one_to_one = HyperlinkedRelatedField(queryset=<class '{M}.OneToOneTargetModel'>, validators=[<UniqueValidator(queryset=RelationalModel)>], view_name='onetoonetargetmodel-detail')""")  # noqa: E501
    assert repr(TestSerializer()) == expected


_NESTED_HYPERLINKED = """\
    foreign_key = NestedSerializer(read_only=True):
        url = HyperlinkedIdentityField(view_name='foreignkeytargetmodel-detail')
        name = CharField(max_length=100)
    many_to_many = NestedSerializer(many=True, read_only=True):
        url = HyperlinkedIdentityField(view_name='manytomanytargetmodel-detail')
        name = CharField(max_length=100)
    one_to_one = NestedSerializer(read_only=True):
        url = HyperlinkedIdentityField(view_name='onetoonetargetmodel-detail')
        name = CharField(max_length=100)"""


async def test_nested_hyperlinked_relations(tortoise_db: Any) -> None:
    class TestSerializer(serializers.HyperlinkedModelSerializer):
        class Meta:
            model = RelationalModel
            depth = 1
            fields = "__all__"

    expected = (
        "TestSerializer():\n"
        "    url = HyperlinkedIdentityField(view_name='relationalmodel-detail')\n"
        + _NESTED_HYPERLINKED
    )
    assert repr(TestSerializer()) == expected


async def test_nested_hyperlinked_relations_starred_source(tortoise_db: Any) -> None:
    class TestSerializer(serializers.HyperlinkedModelSerializer):
        class Meta:
            model = RelationalModel
            depth = 1
            fields = "__all__"
            extra_kwargs = {"url": {"source": "*"}}

    expected = (
        "TestSerializer():\n"
        "    url = HyperlinkedIdentityField(source='*', view_name='relationalmodel-detail')\n"
        + _NESTED_HYPERLINKED
    )
    assert repr(TestSerializer()) == expected


async def test_nested_unique_together_relations(tortoise_db: Any) -> None:
    class TestSerializer(serializers.HyperlinkedModelSerializer):
        class Meta:
            model = UniqueTogetherModel
            depth = 1
            fields = "__all__"

    expected = dedent("""\
        TestSerializer():
            url = HyperlinkedIdentityField(view_name='uniquetogethermodel-detail')
            foreign_key = NestedSerializer(read_only=True):
                url = HyperlinkedIdentityField(view_name='foreignkeytargetmodel-detail')
                name = CharField(max_length=100)
            one_to_one = NestedSerializer(read_only=True):
                url = HyperlinkedIdentityField(view_name='onetoonetargetmodel-detail')
                name = CharField(max_length=100)""")
    assert repr(TestSerializer()) == expected


@pytest.mark.parametrize(
    ("model", "name", "field"),
    [
        (
            ForeignKeyTargetModel,
            "reverse_foreign_key",
            f"PrimaryKeyRelatedField(many=True, queryset=<class '{M}.RelationalModel'>)",
        ),
        # DRF builds a writable field that Django cannot save; Tortoise: read-only.
        (OneToOneTargetModel, "reverse_one_to_one", "PrimaryKeyRelatedField(read_only=True)"),
        (
            ManyToManyTargetModel,
            "reverse_many_to_many",
            f"PrimaryKeyRelatedField(many=True, queryset=<class '{M}.RelationalModel'>)",
        ),
    ],
)
async def test_pk_reverse_relations(tortoise_db: Any, model: Any, name: str, field: str) -> None:
    class TestSerializer(serializers.ModelSerializer):
        class Meta:
            fields = ("id", "name", name)

    TestSerializer.Meta.model = model
    expected = dedent(f"""\
        TestSerializer():
            id = IntegerField(read_only=True)
            name = CharField(max_length=100)
            {name} = {field}""")
    assert repr(TestSerializer()) == expected


@pytest.fixture
async def colors(tortoise_db: Any) -> None:
    for name in ("Red", "Yellow", "Green"):
        await DisplayValueTargetModel.create(name=name)


async def test_default_display_value(colors: None) -> None:
    class TestSerializer(serializers.ModelSerializer):
        class Meta:
            model = DisplayValueModel
            fields = "__all__"

    serializer = TestSerializer()
    expected = {1: "Red Color", 2: "Yellow Color", 3: "Green Color"}
    await serializer.fields["color"].aload_choices()
    assert serializer.fields["color"].choices == expected


async def test_custom_display_value(colors: None) -> None:
    class TestField(serializers.PrimaryKeyRelatedField):
        def display_value(self, instance: Any) -> str:
            return f"My {instance.name} Color"

    class TestSerializer(serializers.ModelSerializer):
        color = TestField(queryset=DisplayValueTargetModel)

        class Meta:
            model = DisplayValueModel
            fields = "__all__"

    serializer = TestSerializer()
    expected = {1: "My Red Color", 2: "My Yellow Color", 3: "My Green Color"}
    await serializer.fields["color"].aload_choices()
    assert serializer.fields["color"].choices == expected


class RelationalSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationalModel
        fields = "__all__"


@pytest.fixture
async def integration(tortoise_db: Any) -> dict[str, Any]:
    foreign_key_target = await ForeignKeyTargetModel.create(name="foreign_key")
    one_to_one_target = await OneToOneTargetModel.create(name="one_to_one")
    many_to_many_targets = [
        await ManyToManyTargetModel.create(name=f"many_to_many ({idx})") for idx in range(3)
    ]
    instance = await RelationalModel.create(
        foreign_key=foreign_key_target, one_to_one=one_to_one_target
    )
    await instance.many_to_many.add(*many_to_many_targets)
    return {
        "instance": instance,
        "foreign_key_target": foreign_key_target,
        "one_to_one_target": one_to_one_target,
        "many_to_many_targets": many_to_many_targets,
    }


async def test_pk_retrieval(integration: dict[str, Any]) -> None:
    instance = integration["instance"]
    serializer = RelationalSerializer(instance)
    expected = {
        "id": instance.pk,
        "foreign_key": integration["foreign_key_target"].pk,
        "one_to_one": integration["one_to_one_target"].pk,
        "many_to_many": [item.pk for item in integration["many_to_many_targets"]],
    }
    assert await serializer.adata == expected


async def _new_targets() -> tuple[Any, Any, list[Any]]:
    new_foreign_key = await ForeignKeyTargetModel.create(name="foreign_key")
    new_one_to_one = await OneToOneTargetModel.create(name="one_to_one")
    new_many_to_many = [
        await ManyToManyTargetModel.create(name=f"new many_to_many ({idx})") for idx in range(3)
    ]
    return new_foreign_key, new_one_to_one, new_many_to_many


@pytest.mark.parametrize("update", [False, True])
async def test_pk_create_and_update(integration: dict[str, Any], update: bool) -> None:
    new_foreign_key, new_one_to_one, new_many_to_many = await _new_targets()
    data = {
        "foreign_key": new_foreign_key.pk,
        "one_to_one": new_one_to_one.pk,
        "many_to_many": [item.pk for item in new_many_to_many],
    }

    # Serializer should validate okay.
    if update:
        serializer = RelationalSerializer(integration["instance"], data=data)
    else:
        serializer = RelationalSerializer(data=data)
    assert await serializer.ais_valid(), serializer.errors

    # Creating the instance, relationship attributes should be set.
    instance = await serializer.asave()
    instance = await RelationalModel.get(pk=instance.pk).prefetch_related(
        "foreign_key", "one_to_one", "many_to_many"
    )
    assert instance.foreign_key.pk == new_foreign_key.pk
    assert instance.one_to_one.pk == new_one_to_one.pk
    assert [item.pk for item in instance.many_to_many] == [item.pk for item in new_many_to_many]

    # Representation should be correct.
    expected = {
        "id": instance.pk,
        "foreign_key": new_foreign_key.pk,
        "one_to_one": new_one_to_one.pk,
        "many_to_many": [item.pk for item in new_many_to_many],
    }
    assert await serializer.adata == expected
    if update:
        assert instance.pk == integration["instance"].pk


async def test_non_pk_foreign_key_model_serializer(tortoise_db: Any) -> None:
    """DRF's Issue3674Test: a reverse FK to rows whose pk is not an integer."""

    class TestChildModelSerializer(serializers.ModelSerializer):
        class Meta:
            model = Issue3674ChildModel
            fields = ("value", "parent")

    class TestParentModelSerializer(serializers.ModelSerializer):
        class Meta:
            model = Issue3674ParentModel
            fields = ("id", "title", "children")

    parent = await Issue3674ParentModel.create(title="abc")
    child = await Issue3674ChildModel.create(value="def", parent=parent)

    parent_expected = {"children": ["def"], "id": 1, "title": "abc"}
    assert await TestParentModelSerializer(parent).adata == parent_expected

    child_expected = {"parent": 1, "value": "def"}
    assert await TestChildModelSerializer(child).adata == child_expected

    # Writing the reverse FK moves the child, by its string pk.
    other = TestParentModelSerializer(data={"title": "xyz", "children": ["def"]})
    assert await other.ais_valid(), other.errors
    xyz = await other.asave()
    assert (await Issue3674ChildModel.get(value="def")).parent_id == xyz.pk


async def test_warning_many_to_many(tortoise_db: Any) -> None:
    """Tests that using a PrimaryKeyRelatedField for a ManyToMany field breaks with
    default=None."""

    class ManyToManySourceSerializer(serializers.ModelSerializer):
        targets = serializers.PrimaryKeyRelatedField(
            many=True, queryset=ManyToManyTarget, default=None
        )

        class Meta:
            model = ManyToManySource
            fields = "__all__"

    # Instantiates serializer without 'value' field to force using the default=None
    # for the ManyToMany relation
    serializer = ManyToManySourceSerializer(data={"name": "Invalid Example"})

    error_msg = (
        "The field 'targets' on serializer 'ManyToManySourceSerializer' is a ManyToMany "
        "field and cannot have a default value of None."
    )

    # Calls to get_fields() should raise a ValueError
    with pytest.raises(ValueError) as exc_info:
        serializer.get_fields()
    assert str(exc_info.value) == error_msg

    # Calls to is_valid() should behave the same
    with pytest.raises(ValueError) as exc_info:
        serializer.is_valid(raise_exception=True)
    assert str(exc_info.value) == error_msg


# DRF's tests/test_lazy_hyperlinks.py: a hyperlink's name is str(obj), built lazily.


class ExampleSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = DisplayValueTargetModel
        fields = ("url", "id", "name")


def dummy_view(request: Any, pk: int) -> None:
    pass


urlpatterns = [path("example/<int:pk>/", dummy_view, name="displayvaluetargetmodel-detail")]


async def test_lazy_hyperlink_names(tortoise_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from rest_framework.renderers import JSONRenderer
    from rest_framework.templatetags.rest_framework import format_value

    example = await DisplayValueTargetModel.create(name="An example")
    calls = []
    original = DisplayValueTargetModel.__str__
    monkeypatch.setattr(
        DisplayValueTargetModel, "__str__", lambda self: calls.append(1) or original(self)
    )
    with override_settings(ROOT_URLCONF=__name__):
        serializer = ExampleSerializer(example, context={"request": None})
        data = await serializer.adata
        JSONRenderer().render(data)
        assert not calls
        hyperlink_string = format_value(data["url"])
    assert hyperlink_string == "<a href=/example/1/>An example Color</a>"
    assert calls


async def test_hyperlinked_serializer_in_a_request(tortoise_db: Any) -> None:
    request = APIRequestFactory().get("/")
    example = await DisplayValueTargetModel.create(name="x")
    with override_settings(ROOT_URLCONF=__name__):
        data = await ExampleSerializer(example, context={"request": request}).adata
    assert data == {"url": "http://testserver/example/1/", "id": 1, "name": "x"}


async def test_to_field_foreign_key_is_a_slug_field(tortoise_db: Any) -> None:
    """DRF's serializer_related_to_field: a FK to a non-pk column reads and writes it."""

    class TestSerializer(serializers.ModelSerializer):
        class Meta:
            model = ToFieldSource
            fields = ("id", "target")

    expected = dedent(f"""\
        TestSerializer():
            id = IntegerField(read_only=True)
            target = SlugRelatedField(queryset=<class '{M}.ToFieldTarget'>, slug_field='code')""")
    assert repr(TestSerializer()) == expected
    await ToFieldTarget.create(code="x")
    serializer = TestSerializer(data={"target": "x"})
    assert await serializer.ais_valid(), serializer.errors
    source = await serializer.asave()
    assert (await ToFieldSource.get(pk=source.pk)).target_id == "x"
    assert await TestSerializer(await ToFieldSource.get(pk=source.pk)).adata == {
        "id": source.pk,
        "target": "x",
    }
    serializer = TestSerializer(data={"target": "y"})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["Object with code=y does not exist."]}
