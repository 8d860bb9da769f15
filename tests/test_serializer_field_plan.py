"""ModelSerializer.get_fields works out its field list once per class and Meta.

Each serializer instance still gets its own, freshly built field objects (and its own
validator objects), exactly the fields the uncached path builds; a class that
overrides a field-building hook, or whose Meta changes, is not served from the plan.
"""

import pytest
from rest_framework import serializers as drf

from async_drf import serializers as s
from async_drf.serializers import ModelSerializer
from tests.models import Author, Post


def describe(fields):
    return {
        name: (type(f), f.source, f.read_only, f.required, getattr(f, "max_length", None))
        for name, f in fields.items()
    }


class AuthorPlanSerializer(ModelSerializer):
    shout = drf.CharField(source="name", read_only=True)

    class Meta:
        model = Author
        fields = ["id", "name", "shout"]
        extra_kwargs = {"name": {"help_text": "who"}}


class PostPlanSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags"]


async def test_second_instance_gets_equal_but_new_fields(tortoise_db):
    first = AuthorPlanSerializer().fields
    assert "_field_plan" in AuthorPlanSerializer.__dict__
    second = AuthorPlanSerializer().fields
    assert describe(first) == describe(second)
    assert list(second) == ["id", "name", "shout"]
    assert second["name"].help_text == "who"
    for name in first:
        assert first[name] is not second[name]
        assert second[name].parent is not first[name].parent
    # Validators (the unique check on `name`) are new objects per field, as in DRF.
    v1 = [v for v in first["name"].validators if isinstance(v, s.UniqueValidator)]
    v2 = [v for v in second["name"].validators if isinstance(v, s.UniqueValidator)]
    assert len(v1) == len(v2) == 1 and v1[0] is not v2[0]


async def test_planned_fields_match_the_uncached_path(tortoise_db, monkeypatch):
    planned = (PostPlanSerializer().fields, PostPlanSerializer().fields)[1]
    monkeypatch.setattr(s, "plan_cacheable", lambda cls, bases: False)
    monkeypatch.delattr(PostPlanSerializer, "_field_plan", raising=False)
    built = PostPlanSerializer().fields
    assert describe(planned) == describe(built)
    assert planned["author"].source == "author_id"


async def test_changed_meta_rebuilds(tortoise_db, monkeypatch):
    class Changing(ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name"]

    assert list(Changing().fields) == ["id", "name"]
    monkeypatch.setattr(Changing.Meta, "fields", ["name"])
    assert list(Changing().fields) == ["name"]


async def test_overridden_hook_runs_every_time(tortoise_db):
    calls = []

    class Custom(ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name"]

        def build_field(self, *args, **kwargs):
            calls.append(args[0])
            return super().build_field(*args, **kwargs)

    assert Custom().fields
    assert Custom().fields
    assert calls == ["id", "name", "id", "name"]
    assert Custom.__dict__.get("_field_plan") is None


async def test_rendering_uses_the_plan(tortoise_db):
    author = await Author.create(name="ann")
    assert AuthorPlanSerializer(author).data == {"id": author.id, "name": "ann", "shout": "ann"}
    assert AuthorPlanSerializer(author).data == {"id": author.id, "name": "ann", "shout": "ann"}


async def test_cloned_fields_have_their_own_state(tortoise_db):
    """Fields with immutable kwargs are cloned from a prototype instead of rebuilt:
    the clone's attributes equal a freshly built field's, its containers are its own."""
    first, second = PostPlanSerializer().fields, PostPlanSerializer().fields
    steps = {name: prototype for name, _, _, prototype in PostPlanSerializer._field_plan.steps}
    assert steps["title"] is not None  # CharField(max_length=200): cloned
    title1, title2 = first["title"], second["title"]
    fresh = drf.CharField(max_length=200)
    for attr in ("max_length", "allow_blank", "required", "read_only", "trim_whitespace"):
        assert getattr(title1, attr) == getattr(fresh, attr)
    assert [type(v) for v in title1.validators] == [type(v) for v in fresh.validators]
    assert title1.validators is not title2.validators
    assert title1.error_messages is not title2.error_messages
    assert title1.style is not title2.style
    title1.validators.append(lambda value: None)
    title1.error_messages["blank"] = "changed"
    assert len(title2.validators) == len(fresh.validators)
    assert title2.error_messages["blank"] == fresh.error_messages["blank"]
    assert (title1.parent, title1.field_name) == (first.serializer, "title")
    assert (title2.parent, title2.field_name) == (second.serializer, "title")
    # A cloned field validates like a built one.
    with pytest.raises(drf.ValidationError):
        title2.run_validation("x" * 201)
    # Fields holding a child field or a serializer are never cloned.
    assert steps["tags"] is None


async def test_fields_with_mutable_kwargs_are_built_each_time(tortoise_db):
    class Choosy(ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name"]
            extra_kwargs = {"name": {"validators": [], "style": {"base_template": "x"}}}

    one, two = Choosy().fields, Choosy().fields
    steps = {name: prototype for name, _, _, prototype in Choosy._field_plan.steps}
    assert steps["name"] is None and steps["id"] is not None
    assert one["name"].style is not two["name"].style
    assert one["name"].style == two["name"].style == {"base_template": "x"}
