"""Async uniqueness validators (async_drf.validators) over Tortoise querysets."""

import pytest
from rest_framework import serializers as drf

from async_drf.serializers import ModelSerializer, Serializer
from async_drf.validators import UniqueTogetherValidator, UniqueValidator
from tests.models import Author, Post, Profile, Tag


class AuthorSerializer(ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class PostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "author"]


class ProfileSerializer(ModelSerializer):
    class Meta:
        model = Profile
        fields = ["id", "author", "bio"]


async def test_unique_fields_get_unique_validator(tortoise_db):
    validators = AuthorSerializer().fields["name"].validators
    message = "author with this name already exists."  # DRF's wording for a model field
    assert UniqueValidator(queryset=Author, message=message) in validators
    assert repr(AuthorSerializer().fields["name"]).endswith(
        "validators=[<UniqueValidator(queryset=Author)>])"
    )


async def test_unique_together_validator_is_mapped(tortoise_db):
    (validator,) = PostSerializer().validators
    assert isinstance(validator, UniqueTogetherValidator)
    assert validator.fields == ("author", "title") and validator.queryset is Post


async def test_unique_is_400(tortoise_db):
    await Author.create(name="ann")
    s = AuthorSerializer(data={"name": "ann"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["author with this name already exists."]}
    assert s.errors["name"][0].code == "unique"
    with pytest.raises(drf.ValidationError):
        await AuthorSerializer(data={"name": "ann"}).ais_valid(raise_exception=True)


async def test_unique_update_excludes_self(tortoise_db):
    ann = await Author.create(name="ann")
    await Author.create(name="bob")
    s = AuthorSerializer(ann, data={"name": "ann", "email": "a@x.org"})
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert (await Author.get(pk=ann.pk)).email == "a@x.org"
    s = AuthorSerializer(ann, data={"name": "bob"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["author with this name already exists."]}


async def test_unique_together_is_400(tortoise_db):
    ann = await Author.create(name="ann")
    await Post.create(title="t", body="b", author=ann)
    s = PostSerializer(data={"title": "t", "body": "other", "author": ann.pk})
    assert not await s.ais_valid()
    assert s.errors == {"non_field_errors": ["The fields author, title must make a unique set."]}
    bob = await Author.create(name="bob")
    s = PostSerializer(data={"title": "t", "body": "other", "author": bob.pk})
    assert await s.ais_valid(), s.errors


async def test_unique_together_update_excludes_self_and_partial(tortoise_db):
    ann = await Author.create(name="ann")
    post = await Post.create(title="t", body="b", author=ann)
    await Post.create(title="u", body="b", author=ann)
    s = PostSerializer(post, data={"body": "new"}, partial=True)
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert (await Post.get(pk=post.pk)).body == "new"
    s = PostSerializer(post, data={"title": "u"}, partial=True)  # author comes from the instance
    assert not await s.ais_valid()
    assert s.errors == {"non_field_errors": ["The fields author, title must make a unique set."]}


async def test_unique_together_missing_field_on_create(tortoise_db):
    s = PostSerializer(data={"body": "b"})
    assert not await s.ais_valid()
    assert s.errors["title"] == ["This field is required."]


async def test_o2o_is_unique(tortoise_db):
    ann = await Author.create(name="ann")
    await Profile.create(author=ann)
    s = ProfileSerializer(data={"author": ann.pk})
    assert not await s.ais_valid()
    assert s.errors == {"author": ["profile with this author already exists."]}


async def test_sync_is_valid_defers_and_save_refuses(tortoise_db):
    await Author.create(name="ann")
    s = AuthorSerializer(data={"name": "ann"})
    assert s.is_valid()  # field validation only: the uniqueness query cannot run here
    assert s.is_valid()  # DRF's cached second call must not clear the guard
    with pytest.raises(AssertionError, match="ais_valid"):
        s.save()
    with pytest.raises(AssertionError, match="ais_valid"):
        await s.asave()
    assert not await s.ais_valid()  # the async pass redoes validation with the checks
    assert s.errors == {"name": ["author with this name already exists."]}
    assert await Author.all().count() == 1


async def test_sync_is_valid_reports_field_errors(tortoise_db):
    s = AuthorSerializer(data={"name": ""})
    assert not s.is_valid()
    assert s.errors == {"name": ["This field may not be blank."]}


async def test_explicit_validators_on_plain_serializer(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag.filter(id__gt=0))])

    s = TagInput(data={"name": "a"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["This field must be unique."]}
    s = TagInput(data={"name": "b"})
    assert await s.ais_valid(), s.errors


async def test_async_validator_inside_a_plain_drf_serializer_fails_loudly(tortoise_db):
    class Plain(drf.Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    with pytest.raises(TypeError, match="ais_valid"):
        Plain(data={"name": "a"}).is_valid()


async def test_custom_message(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag, message="taken")])

    s = TagInput(data={"name": "a"})
    assert not await s.ais_valid()
    assert s.errors == {"name": ["taken"]}


async def test_nested_list_errors_are_indexed(tortoise_db):
    await Tag.create(name="a")

    class TagInput(Serializer):
        name = drf.CharField(validators=[UniqueValidator(queryset=Tag)])

    s = TagInput(data=[{"name": "b"}, {"name": "a"}], many=True)
    assert not await s.ais_valid()
    assert s.errors == {1: {"name": ["This field must be unique."]}}


async def test_a_shared_queryset_is_never_changed_by_a_check(tortoise_db):
    """TRAPS 17: a QuerySet made at import time is shared by every request; checks
    filter a clone of it."""
    from async_drf.validators import get_queryset

    shared = Author.filter(name__startswith="a")
    await Author.create(name="ann")
    await Author.create(name="amy")
    assert await get_queryset(shared, name="ann").count() == 1
    assert await get_queryset(shared).count() == 2
    assert await shared.count() == 2
    assert await get_queryset(Author, name="amy").exists()
