"""DRF's tests/test_relations.py on Tortoise models: same inputs, same messages.

DRF calls a field's ``to_internal_value`` on a mock queryset with a sync ``get()``.
Here a lookup is a database query awaited by ``ais_valid``, so each field is
validated inside a one-field serializer (:func:`validate`), over real rows; the
choices of a select are loaded with ``await field.aload_choices()``.
"""

import uuid
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.test import override_settings
from django.urls import NoReverseMatch, path
from django.utils.datastructures import MultiValueDict
from rest_framework import relations
from rest_framework.fields import empty

from async_drf import serializers
from tests.relation_models import (
    DisplayValueTargetModel,
    ForeignKeyTarget,
    NestedForeignKeySource,
    NullableForeignKeySource,
    UUIDForeignKeyTarget,
)


class BadType:
    """An input of a type no lookup can use (DRF's tests/utils.BadType, whose ``__eq__``
    raises to make DRF's mock queryset fail; here the type itself is refused)."""


def mock_reverse(view_name, args=None, kwargs=None, request=None, format=None):  # noqa: A002
    args = args or []
    kwargs = kwargs or {}
    value = (args + list(kwargs.values()) + ["-"])[0]
    prefix = "http://example.org" if request else ""
    suffix = ("." + format) if (format is not None) else ""
    return f"{prefix}/{view_name}/{value}{suffix}/"


def fail_reverse(view_name, args=None, kwargs=None, request=None, format=None):  # noqa: A002
    raise NoReverseMatch()


async def validate(field: Any, value: Any, context: Any = None) -> Any:
    """``field.to_internal_value(value)`` as ``ais_valid`` runs it; raises its error."""
    serializer_class = type("OneField", (serializers.Serializer,), {"field": field})
    serializer = serializer_class(data={"field": value}, context=context or {})
    if not await serializer.ais_valid():
        raise serializers.ValidationError(serializer.errors["field"])
    return serializer.validated_data["field"]


def test_string_related_representation() -> None:
    instance = DisplayValueTargetModel(id=1, name="foo")
    field = serializers.StringRelatedField()
    assert field.to_representation(instance) == "foo Color"


class MockApiSettings:
    def __init__(self, cutoff: Any, cutoff_text: Any) -> None:
        self.HTML_SELECT_CUTOFF = cutoff
        self.HTML_SELECT_CUTOFF_TEXT = cutoff_text


@pytest.fixture
async def many_targets(tortoise_db: Any) -> None:
    await ForeignKeyTarget.bulk_create([ForeignKeyTarget(name=str(i)) for i in range(0, 1100)])


async def _options(many: bool, **kwargs: Any) -> list[Any]:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget, many=many, **kwargs)
    await field.aload_choices()
    return list(field.iter_options())


@pytest.mark.parametrize("many", [False, True])
async def test_html_cutoff_no_settings(many_targets: None, many: bool, queries: Any) -> None:
    # The default is 1,000, so sans settings it should be 1,000 plus one.
    options = await _options(many)
    assert len(options) == 1001
    assert options[-1].display_text == "More than 1000 items..."
    assert queries.count == 1 and "LIMIT" in queries.queries[0].upper()


@pytest.mark.parametrize("many", [False, True])
async def test_html_cutoff_settings_cutoff(
    many_targets: None, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relations, "api_settings", MockApiSettings(2, "Cut Off"))
    options = await _options(many)
    assert len(options) == 3  # 2 real items plus the 'Cut Off' item.
    assert options[-1].display_text == "Cut Off"


@pytest.mark.parametrize("many", [False, True])
async def test_html_cutoff_settings_cutoff_none(
    many_targets: None, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Setting it to None should mean no limit; the default limit is 1,000.
    monkeypatch.setattr(relations, "api_settings", MockApiSettings(None, "Cut Off"))
    options = await _options(many)
    assert len(options) == 1100


@pytest.mark.parametrize("many", [False, True])
async def test_html_cutoff_settings_kwargs_cutoff(
    many_targets: None, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The explicit argument should override the settings.
    monkeypatch.setattr(relations, "api_settings", MockApiSettings(2, "Cut Off"))
    options = await _options(many, html_cutoff=100)
    assert len(options) == 101
    assert options[-1].display_text == "Cut Off"


@pytest.fixture
async def pk_targets(tortoise_db: Any) -> list[ForeignKeyTarget]:
    return [await ForeignKeyTarget.create(name=name) for name in ("foo", "bar", "baz")]


async def test_pk_related_lookup_exists(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget)
    instance = await validate(field, pk_targets[2].pk)
    assert instance == pk_targets[2] and instance.name == "baz"


async def test_pk_related_lookup_does_not_exist(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, 4)
    msg = excinfo.value.detail[0]
    assert msg == 'Invalid pk "4" - object does not exist.'


@pytest.mark.parametrize(("value", "name"), [(BadType(), "BadType"), (True, "bool")])
async def test_pk_related_lookup_invalid_type(
    pk_targets: list[ForeignKeyTarget], value: Any, name: str
) -> None:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, value)
    msg = excinfo.value.detail[0]
    assert msg == f"Incorrect type. Expected pk value, received {name}."


async def test_pk_representation(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget)
    assert field.to_representation(pk_targets[2]) == pk_targets[2].pk


async def test_explicit_many_false(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.PrimaryKeyRelatedField(queryset=ForeignKeyTarget, many=False)
    assert await validate(field, pk_targets[2].pk) == pk_targets[2]


@pytest.fixture
async def uuid_targets(tortoise_db: Any) -> list[UUIDForeignKeyTarget]:
    return [
        await UUIDForeignKeyTarget.create(uuid=uuid.UUID(int=i), name=name)
        for i, name in enumerate(("foo", "bar", "baz"))
    ]


def _proxied() -> Any:
    return serializers.PrimaryKeyRelatedField(
        queryset=UUIDForeignKeyTarget, pk_field=serializers.UUIDField(format="int")
    )


async def test_proxied_pk_related_lookup_exists(uuid_targets: list[Any]) -> None:
    assert await validate(_proxied(), uuid_targets[2].pk.int) == uuid_targets[2]


async def test_proxied_pk_related_lookup_does_not_exist(uuid_targets: list[Any]) -> None:
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(_proxied(), 4)
    msg = excinfo.value.detail[0]
    assert msg == 'Invalid pk "00000000-0000-0000-0000-000000000004" - object does not exist.'


async def test_proxied_pk_representation(uuid_targets: list[Any]) -> None:
    assert _proxied().to_representation(uuid_targets[2]) == uuid_targets[2].pk.int


urlpatterns = [
    path("example/<path:name>/", lambda: None, name="example"),
]


@pytest.fixture
async def named_targets(tortoise_db: Any) -> list[ForeignKeyTarget]:
    with override_settings(ROOT_URLCONF=__name__):
        yield [
            await ForeignKeyTarget.create(name=name)
            for name in ("foobar", "bazABCqux", "bazABC qux")
        ]


def _hyperlinked(**kwargs: Any) -> Any:
    field = serializers.HyperlinkedRelatedField(
        view_name="example",
        lookup_field="name",
        lookup_url_kwarg="name",
        queryset=ForeignKeyTarget,
        **kwargs,
    )
    field.reverse = mock_reverse
    return field


async def test_representation_unsaved_object_with_non_nullable_pk(named_targets: Any) -> None:
    field = _hyperlinked()
    field._context = {"request": True}
    assert field.to_representation(ForeignKeyTarget(name="")) is None


def test_serialize_empty_relationship_attribute() -> None:
    class TestSerializer(serializers.Serializer):
        via_unreachable = serializers.HyperlinkedRelatedField(
            source="does_not_exist.unreachable", view_name="example", read_only=True
        )

    class TestSerializable:
        @property
        def does_not_exist(self) -> Any:
            raise ObjectDoesNotExist

    serializer = TestSerializer(TestSerializable())
    assert serializer.data == {"via_unreachable": None}


@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("http://example.org/example/foobar/", 0),
        ("http://example.org/example/baz%41%42%43qux/", 1),  # url encoded
        ("http://example.org/example/bazABC%20qux/", 2),  # space encoded
    ],
)
async def test_hyperlinked_related_lookup_exists(named_targets: Any, url: str, index: int) -> None:
    assert await validate(_hyperlinked(), url) == named_targets[index]


async def test_hyperlinked_related_lookup_does_not_exist(named_targets: Any) -> None:
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(_hyperlinked(), "http://example.org/example/doesnotexist/")
    msg = excinfo.value.detail[0]
    assert msg == "Invalid hyperlink - Object does not exist."


async def test_hyperlinked_related_internal_type_error(named_targets: Any) -> None:
    class Field(serializers.HyperlinkedRelatedField):
        def get_object(self, incorrect, signature):  # type: ignore[override]
            raise NotImplementedError()

    field = Field(view_name="example", queryset=ForeignKeyTarget)
    with pytest.raises(TypeError):
        await validate(field, "http://example.org/example/doesnotexist/")


@pytest.mark.parametrize("exc_type", [TypeError, ValueError])
async def test_hyperlinked_related_queryset_error(
    named_targets: Any, exc_type: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DRF's queryset.get() raising: here the lookup value cannot take the field's type.
    def to_python_value(value: Any) -> Any:
        raise exc_type

    name = ForeignKeyTarget._meta.fields_map["name"]
    monkeypatch.setattr(name, "to_python_value", to_python_value)
    field = serializers.HyperlinkedRelatedField(
        view_name="example", lookup_field="name", queryset=ForeignKeyTarget
    )
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, "http://example.org/example/doesnotexist/")
    msg = excinfo.value.detail[0]
    assert msg == "Invalid hyperlink - Object does not exist."


async def test_hyperlinked_lookups_are_one_query(named_targets: Any, queries: Any) -> None:
    field = _hyperlinked(many=True)
    urls = [f"http://example.org/example/{t.name}/" for t in named_targets]
    queries.reset()
    assert await validate(field, urls) == named_targets
    assert queries.count == 1


def _identity(**kwargs: Any) -> Any:
    field = serializers.HyperlinkedIdentityField(view_name="example", **kwargs)
    field.reverse = mock_reverse
    field._context = {"request": True}
    return field


def test_identity_representation() -> None:
    field = _identity()
    assert field.to_representation(ForeignKeyTarget(id=1, name="foo")) == (
        "http://example.org/example/1/"
    )


def test_identity_representation_unsaved_object() -> None:
    assert _identity().to_representation(ForeignKeyTarget(name="foo")) is None


def test_identity_representation_with_format() -> None:
    field = _identity()
    field._context["format"] = "xml"
    representation = field.to_representation(ForeignKeyTarget(id=1, name="foo"))
    assert representation == "http://example.org/example/1.xml/"


def test_identity_improperly_configured() -> None:
    """If a matching view cannot be reversed with the given instance,
    the user has misconfigured something, as the URL conf and the
    hyperlinked field do not match."""
    field = _identity()
    field.reverse = fail_reverse
    with pytest.raises(ImproperlyConfigured):
        field.to_representation(ForeignKeyTarget(id=1, name="foo"))


def test_identity_field_with_format_representation() -> None:
    """A `format` on the field: alternate formats are never linked to."""
    field = _identity(format="json")
    assert field.to_representation(ForeignKeyTarget(id=1, name="foo")) == (
        "http://example.org/example/1/"
    )
    field._context["format"] = "xml"
    assert field.to_representation(ForeignKeyTarget(id=1, name="foo")) == (
        "http://example.org/example/1.json/"
    )


async def test_slug_related_lookup_exists(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)
    assert await validate(field, "baz") == pk_targets[2]


async def test_slug_related_lookup_does_not_exist(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, "doesnotexist")
    msg = excinfo.value.detail[0]
    assert msg == "Object with name=doesnotexist does not exist."


async def test_slug_related_lookup_invalid_type(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, BadType())
    msg = excinfo.value.detail[0]
    assert msg == "Invalid value."


async def test_slug_representation(pk_targets: list[ForeignKeyTarget]) -> None:
    field = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)
    assert field.to_representation(pk_targets[2]) == "baz"


async def test_slug_overriding_get_queryset(pk_targets: list[ForeignKeyTarget]) -> None:
    class NoQuerySetSlugRelatedField(serializers.SlugRelatedField):
        def get_queryset(self) -> Any:
            return ForeignKeyTarget.all()

    field = NoQuerySetSlugRelatedField(slug_field="name")
    assert await validate(field, "baz") == pk_targets[2]


@pytest.fixture
async def chains(tortoise_db: Any) -> list[NestedForeignKeySource]:
    """foo -> bar -> foobar, hello -> world -> helloworld, harry -> potter -> harrypotter."""
    sources = []
    for name, nested, nested_nested in (
        ("foo", "bar", "foobar"),
        ("hello", "world", "helloworld"),
        ("harry", "potter", "harrypotter"),
    ):
        target = await ForeignKeyTarget.create(name=nested_nested)
        middle = await NullableForeignKeySource.create(name=nested, target=target)
        sources.append(await NestedForeignKeySource.create(name=name, target=middle))
    return sources


@pytest.mark.parametrize(
    ("slug_field", "value"),
    [("name", "harry"), ("target__name", "potter"), ("target__target__name", "harrypotter")],
)
async def test_nested_slug_related_lookup_exists(
    chains: list[Any], slug_field: str, value: str, queries: Any
) -> None:
    field = serializers.SlugRelatedField(slug_field=slug_field, queryset=NestedForeignKeySource)
    queries.reset()
    assert await validate(field, value) == chains[2]
    assert queries.count == 1  # the chain is joined into the lookup


@pytest.mark.parametrize("slug_field", ["name", "target__name", "target__target__name"])
async def test_nested_slug_related_lookup_does_not_exist(
    chains: list[Any], slug_field: str
) -> None:
    field = serializers.SlugRelatedField(slug_field=slug_field, queryset=NestedForeignKeySource)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, "doesnotexist")
    msg = excinfo.value.detail[0]
    assert msg == f"Object with {slug_field}=doesnotexist does not exist."


@pytest.mark.parametrize("slug_field", ["name", "target__name", "target__target__name"])
async def test_nested_slug_related_lookup_invalid_type(chains: list[Any], slug_field: str) -> None:
    field = serializers.SlugRelatedField(slug_field=slug_field, queryset=NestedForeignKeySource)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, BadType())
    msg = excinfo.value.detail[0]
    assert msg == "Invalid value."


@pytest.mark.parametrize(
    ("slug_field", "value"),
    [("name", "harry"), ("target__name", "potter"), ("target__target__name", "harrypotter")],
)
async def test_nested_representation(chains: list[Any], slug_field: str, value: str) -> None:
    instance = await NestedForeignKeySource.get(pk=chains[2].pk).prefetch_related("target__target")
    field = serializers.SlugRelatedField(slug_field=slug_field, queryset=NestedForeignKeySource)
    assert field.to_representation(instance) == value


@pytest.mark.parametrize(
    ("slug_field", "value"),
    [("name", "harry"), ("target__name", "potter"), ("target__target__name", "harrypotter")],
)
async def test_nested_overriding_get_queryset(
    chains: list[Any], slug_field: str, value: str
) -> None:
    class NoQuerySetSlugRelatedField(serializers.SlugRelatedField):
        def get_queryset(self) -> Any:
            return NestedForeignKeySource.all()

    field = NoQuerySetSlugRelatedField(slug_field=slug_field)
    assert await validate(field, value) == chains[2]


def _many_field() -> Any:
    field = serializers.StringRelatedField(many=True)
    field.field_name = "foo"
    return field


def test_get_value_regular_dictionary_full() -> None:
    field = _many_field()
    assert "bar" == field.get_value({"foo": "bar"})
    assert empty == field.get_value({"baz": "bar"})


def test_get_value_regular_dictionary_partial() -> None:
    field = _many_field()
    field.root.partial = True
    assert "bar" == field.get_value({"foo": "bar"})
    assert empty == field.get_value({"baz": "bar"})


def test_get_value_multi_dictionary_full() -> None:
    field = _many_field()
    mvd = MultiValueDict({"foo": ["bar1", "bar2"]})
    assert ["bar1", "bar2"] == field.get_value(mvd)

    mvd = MultiValueDict({"baz": ["bar1", "bar2"]})
    assert [] == field.get_value(mvd)


def test_get_value_multi_dictionary_partial() -> None:
    field = _many_field()
    field.root.partial = True
    mvd = MultiValueDict({"foo": ["bar1", "bar2"]})
    assert ["bar1", "bar2"] == field.get_value(mvd)

    mvd = MultiValueDict({"baz": ["bar1", "bar2"]})
    assert empty == field.get_value(mvd)


def test_hyperlink_can_be_pickled() -> None:
    import pickle

    default_hyperlink = serializers.Hyperlink("http://example.com", "test")
    upkled = pickle.loads(pickle.dumps(default_hyperlink))
    assert upkled == default_hyperlink
    assert upkled.name == default_hyperlink.name


async def test_many_nested_slugs_are_one_query(chains: list[Any], queries: Any) -> None:
    """Several values naming their objects through a chain: one lookup for all."""
    field = serializers.SlugRelatedField(
        slug_field="target__target__name", queryset=NestedForeignKeySource, many=True
    )
    queries.reset()
    assert await validate(field, ["foobar", "helloworld", "harrypotter"]) == chains
    assert queries.count == 1


async def test_slug_matching_several_objects_is_400(tortoise_db: Any) -> None:
    """A slug that is not unique names no single object (DRF's get() raises
    MultipleObjectsReturned, a 500): a 400 here, nothing linked at random."""
    for _ in range(2):
        await ForeignKeyTarget.create(name="twin")
    field = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, "twin")
    assert excinfo.value.detail == ["More than one object matches twin."]
    assert excinfo.value.detail[0].code == "not_unique"


async def test_hyperlinked_async_get_object_override(named_targets: Any, queries: Any) -> None:
    """DRF's documented hook for URLs that need more than one kwarg: awaited once per
    distinct URL."""
    calls = []

    class Field(serializers.HyperlinkedRelatedField):
        async def get_object(self, view_name: str, view_args: Any, view_kwargs: Any) -> Any:
            calls.append(view_kwargs)
            return await ForeignKeyTarget.get(name=view_kwargs["name"])

    field = Field(view_name="example", queryset=ForeignKeyTarget, many=True)
    urls = ["http://example.org/example/foobar/"] * 2 + ["/example/bazABCqux/"]
    assert await validate(field, urls) == [named_targets[0], named_targets[0], named_targets[1]]
    assert calls == [{"name": "foobar"}, {"name": "bazABCqux"}]
    with pytest.raises(serializers.ValidationError) as excinfo:
        await validate(field, ["http://example.org/example/nobody/"])
    assert excinfo.value.detail == ["Invalid hyperlink - Object does not exist."]
