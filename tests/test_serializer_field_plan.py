"""ModelSerializer.get_fields works out its field list once per class and Meta.

Each serializer instance still gets its own, freshly built field objects (and its own
validator objects), exactly the fields the uncached path builds; a class that
overrides a field-building hook, or whose Meta changes, is not served from the plan.
"""

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
    monkeypatch.setattr(s, "_plan_cacheable", lambda cls: False)
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
