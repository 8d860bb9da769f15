"""Related fields (async_drf.relations): FK / O2O / M2M writes and reads, nesting, prefetch."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers as drf

from async_drf._prefetch import is_fetched
from async_drf.relations import ManyRelatedField, PrimaryKeyRelatedField
from async_drf.serializers import ModelSerializer
from tests.models import Author, Comment, Post, Profile, Tag


class PostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "body", "author", "editor", "tags"]


class AuthorSerializer(ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "posts", "profile"]


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class NestedPostSerializer(ModelSerializer):
    author = AuthorSerializer(read_only=True)
    tags = TagSerializer(many=True, read_only=True)

    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags"]


class DepthPostSerializer(ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title", "author", "tags", "comments"]
        depth = 1


async def _post(author, title="t", tags=()):
    post = await Post.create(title=title, body="b", author=author)
    if tags:
        await post.tags.add(*tags)
    return post


async def test_field_classes(tortoise_db):
    fields = PostSerializer().fields
    assert type(fields["author"]) is PrimaryKeyRelatedField
    assert fields["author"].source == "author_id" and fields["author"].queryset is Author
    assert fields["editor"].allow_null and not fields["editor"].required
    assert type(fields["tags"]) is ManyRelatedField
    reverse = AuthorSerializer().fields
    # A reverse FK is written as in DRF; a reverse one-to-one stays read-only.
    assert isinstance(reverse["posts"], ManyRelatedField) and not reverse["posts"].read_only
    assert reverse["posts"].child_relation.queryset is Post and reverse["posts"].required
    assert reverse["profile"].read_only and isinstance(reverse["profile"], PrimaryKeyRelatedField)


async def test_fk_write_by_pk_and_read(tortoise_db):
    ann = await Author.create(name="ann")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk})
    assert await s.ais_valid(), s.errors
    post = await s.asave()
    assert (await Post.get(pk=post.pk)).author_id == ann.pk
    data = await s.adata
    assert data == {
        "id": post.pk,
        "title": "x",
        "body": "y",
        "author": ann.pk,
        "editor": None,
        "tags": [],
    }


async def test_fk_read_uses_column_without_fetch(tortoise_db, queries):
    ann = await Author.create(name="ann")
    post = await Post.get(pk=(await _post(ann)).pk)
    queries.reset()
    assert PostSerializer(post, context={}).fields["author"].get_attribute(post) == ann.pk
    assert queries.count == 0


async def test_missing_fk_pk_is_400_with_drf_message(tortoise_db):
    s = PostSerializer(data={"title": "x", "body": "y", "author": 999})
    assert not await s.ais_valid()
    assert s.errors == {"author": ['Invalid pk "999" - object does not exist.']}
    assert s.errors["author"][0].code == "does_not_exist"


@pytest.mark.parametrize("value", ["abc", True, [1], {"a": 1}])
async def test_wrong_type_fk_is_400(tortoise_db, value):
    s = PostSerializer(data={"title": "x", "body": "y", "author": value})
    assert not await s.ais_valid()
    assert s.errors["author"][0].code == "incorrect_type"
    assert str(s.errors["author"][0]).startswith("Incorrect type. Expected pk value, received")


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ([2**31], 'Invalid pk "2147483648" - object does not exist.'),
        ([1, 2**63], 'Invalid pk "9223372036854775808" - object does not exist.'),
        ([float("inf")], "Incorrect type. Expected pk value, received float."),
        ([float("nan")], "Incorrect type. Expected pk value, received float."),
    ],
)
async def test_m2m_pk_outside_the_column_is_400_without_a_query(
    tortoise_db, queries, tags, message
):
    author = await Author.create(name="ann")
    await Tag.create(name="py")
    queries.reset()
    s = PostSerializer(data={"title": "x", "body": "y", "author": author.id, "tags": tags})
    assert not await s.ais_valid()
    assert s.errors == {"tags": [message]}
    assert [q for q in queries.queries if '"tag"' in q] == []  # only the author is checked


async def test_nullable_fk_accepts_null(tortoise_db):
    ann = await Author.create(name="ann")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "editor": None})
    assert await s.ais_valid(), s.errors
    assert (await s.asave()).editor_id is None


async def test_m2m_write_and_read(tortoise_db):
    ann = await Author.create(name="ann")
    a, b = await Tag.create(name="a"), await Tag.create(name="b")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": [b.pk, a.pk]})
    assert await s.ais_valid(), s.errors
    post = await s.asave()
    assert sorted(t.pk for t in await post.tags.all()) == sorted([a.pk, b.pk])
    assert sorted((await s.adata)["tags"]) == sorted([a.pk, b.pk])


async def test_m2m_existence_is_one_query(tortoise_db, queries):
    ann = await Author.create(name="ann")
    tags = [await Tag.create(name=f"t{i}") for i in range(5)]
    s = PostSerializer(
        data={"title": "x", "body": "y", "author": ann.pk, "tags": [t.pk for t in tags]}
    )
    queries.reset()
    assert await s.ais_valid(), s.errors
    # author exists + tags exist + unique_together(author, title)
    assert queries.count == 3, queries.queries


async def test_missing_m2m_pk_is_400_and_nothing_written(tortoise_db):
    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": [tag.pk, 999]})
    assert not await s.ais_valid()
    assert s.errors == {"tags": ['Invalid pk "999" - object does not exist.']}
    assert await Post.all().count() == 0


async def test_m2m_not_a_list_is_400(tortoise_db):
    ann = await Author.create(name="ann")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": "1"})
    assert not await s.ais_valid()
    assert s.errors["tags"][0].code == "not_a_list"


async def test_m2m_update_replaces_set(tortoise_db):
    ann = await Author.create(name="ann")
    a, b, c = [await Tag.create(name=n) for n in "abc"]
    post = await _post(ann, tags=[a, b])
    s = PostSerializer(post, data={"tags": [c.pk]}, partial=True)
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert [t.pk for t in await post.tags.all()] == [c.pk]
    assert (await s.adata)["tags"] == [c.pk]


async def test_m2m_failure_rolls_back_the_row(tortoise_db, monkeypatch):
    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": [tag.pk]})
    assert await s.ais_valid(), s.errors

    async def broken_add(self, *instances, using_db=None):
        raise RuntimeError("m2m insert failed")

    monkeypatch.setattr(type(Post().tags), "add", broken_add)
    with pytest.raises(RuntimeError, match="m2m insert failed"):
        await s.asave()
    assert await Post.all().count() == 0


async def test_m2m_pk_deleted_after_validation_rolls_back(tortoise_db):
    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": [tag.pk]})
    assert await s.ais_valid(), s.errors
    await tag.delete()
    with pytest.raises(drf.ValidationError) as info:
        await s.asave()
    assert info.value.detail == {"tags": [f'Invalid pk "{tag.pk}" - object does not exist.']}
    assert await Post.all().count() == 0


async def test_reverse_relations_read_and_write(tortoise_db):
    ann = await Author.create(name="ann")
    p1, p2 = await _post(ann, "a"), await _post(ann, "b")
    profile = await Profile.create(author=ann)
    data = await AuthorSerializer(await Author.get(pk=ann.pk)).adata
    assert data == {"id": ann.pk, "name": "ann", "posts": [p1.pk, p2.pk], "profile": profile.pk}
    s = AuthorSerializer(data={"name": "bob", "posts": [p1.pk], "profile": profile.pk})
    assert await s.ais_valid(), s.errors
    assert s.validated_data == {"name": "bob", "posts": [p1]}  # the reverse O2O is read-only
    bob = await s.asave()
    assert (await s.adata)["posts"] == [p1.pk]
    assert [p.pk for p in await Post.filter(author_id=bob.pk)] == [p1.pk]


async def test_reverse_o2o_missing_is_null(tortoise_db):
    ann = await Author.create(name="ann")
    data = await AuthorSerializer(ann).adata
    assert data["profile"] is None and data["posts"] == []


async def test_sync_data_on_unfetched_relation_fails_clearly(tortoise_db):
    ann = await Author.create(name="ann")
    post = await Post.get(pk=(await _post(ann)).pk)
    with pytest.raises(AssertionError, match="not fetched"):
        NestedPostSerializer(post).data  # noqa: B018


async def test_nested_read(tortoise_db):
    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    post = await _post(ann, tags=[tag])
    data = await NestedPostSerializer(await Post.get(pk=post.pk)).adata
    assert data == {
        "id": post.pk,
        "title": "t",
        "author": {"id": ann.pk, "name": "ann", "posts": [post.pk], "profile": None},
        "tags": [{"id": tag.pk, "name": "a"}],
    }


async def test_prefetch_fields_only_rendered_relations(tortoise_db):
    assert NestedPostSerializer().get_prefetch_fields() == [
        "author",
        "author__posts",
        "author__profile",
        "tags",
    ]
    assert PostSerializer().get_prefetch_fields() == ["tags"]  # FK reads author_id
    assert TagSerializer(many=True).get_prefetch_fields() == []


async def _list_queries(queries, serializer_class, n):
    authors = [await Author.create(name=f"a{i}") for i in range(n)]
    tags = [await Tag.create(name=f"t{i}") for i in range(3)]
    for i in range(n):
        post = await _post(authors[i], f"p{i}", tags=tags[: i % 3 + 1])
        await Comment.create(post=post, text="c")
    posts = await Post.all()
    queries.reset()
    data = await serializer_class(posts, many=True).adata
    assert len(data) == n
    return queries.count, data


@pytest.mark.parametrize("serializer_class", [NestedPostSerializer, DepthPostSerializer])
async def test_list_query_count_is_fixed(tortoise_db, queries, serializer_class):
    small, _ = await _list_queries(queries, serializer_class, 2)
    await Post.all().delete()
    await Author.all().delete()
    await Tag.all().delete()
    large, data = await _list_queries(queries, serializer_class, 20)
    assert small == large
    assert 0 < large <= 5, queries.queries
    assert len(data[19]["tags"]) == 20 % 3


async def test_depth_nests_read_only(tortoise_db):
    ann = await Author.create(name="ann")
    post = await _post(ann)
    await Comment.create(post=post, text="hi")
    s = DepthPostSerializer(await Post.get(pk=post.pk))
    assert s.fields["author"].read_only
    data = await s.adata
    assert data["author"]["name"] == "ann" and "created" in data["author"]
    assert [c["text"] for c in data["comments"]] == ["hi"]


async def test_prefetched_queryset_needs_no_more_queries(tortoise_db, queries):
    ann = await Author.create(name="ann")
    await _post(ann, tags=[await Tag.create(name="a")])
    serializer = NestedPostSerializer(many=True)
    posts = await Post.all().prefetch_related(*serializer.get_prefetch_fields())
    queries.reset()
    data = await NestedPostSerializer(posts, many=True).adata
    assert queries.count == 0 and data[0]["author"]["name"] == "ann"
    assert all(is_fetched(posts[0], name) for name in ("author", "tags"))


async def test_list_adata_awaits_a_queryset(tortoise_db):
    ann = await Author.create(name="ann")
    await _post(ann)
    data = await NestedPostSerializer(Post.all(), many=True).adata
    assert data[0]["author"]["id"] == ann.pk


async def test_fk_existence_is_one_exists_query(tortoise_db, queries):
    ann = await Author.create(name="ann")
    s = PostSerializer(data={"title": "x", "body": "y", "author": ann.pk, "tags": []})
    queries.reset()
    assert await s.ais_valid(), s.errors
    # author exists (no query for the empty tags) + unique_together(author, title)
    assert queries.count == 2, queries.queries
    assert "LIMIT" in queries.queries[0].upper() and "IN (" not in queries.queries[0].upper()


class DrfSlugPostSerializer(ModelSerializer):
    tags = drf.SlugRelatedField(slug_field="name", queryset=Tag, many=True)

    class Meta:
        model = Post
        fields = ["id", "title", "tags"]


async def test_drf_related_fields_are_refused_with_the_fix(tortoise_db):
    ann = await Author.create(name="ann")
    post = await _post(ann, tags=[await Tag.create(name="a")])
    message = r"SlugRelatedField from rest_framework .* use async_drf.serializers.SlugRelatedField"
    with pytest.raises(ImproperlyConfigured, match=message):
        await DrfSlugPostSerializer(post).adata
    with pytest.raises(ImproperlyConfigured, match=message):
        await DrfSlugPostSerializer(data={"title": "x", "tags": ["a"]}).ais_valid()


async def test_reverse_fk_failure_rolls_back_the_row(tortoise_db, monkeypatch):
    ann = await Author.create(name="ann")
    post = await _post(ann)
    s = AuthorSerializer(data={"name": "bob", "posts": [post.pk]})
    assert await s.ais_valid(), s.errors

    async def broken_update(self, **kwargs):
        raise RuntimeError("update failed")

    monkeypatch.setattr(type(Post.filter(pk=post.pk)), "update", broken_update)
    with pytest.raises(RuntimeError, match="update failed"):
        await s.asave()
    assert not await Author.filter(name="bob").exists()
    assert (await Post.get(pk=post.pk)).author_id == ann.pk


async def test_reverse_fk_row_deleted_after_validation_rolls_back(tortoise_db):
    ann = await Author.create(name="ann")
    post = await _post(ann)
    s = AuthorSerializer(data={"name": "bob", "posts": [post.pk]})
    assert await s.ais_valid(), s.errors
    await post.delete()
    with pytest.raises(drf.ValidationError) as info:
        await s.asave()
    assert info.value.detail == {"posts": [f'Invalid pk "{post.pk}" - object does not exist.']}
    assert not await Author.filter(name="bob").exists()


async def test_nullable_reverse_fk_update_detaches_the_rest(tortoise_db):
    """Django's set() on a nullable FK: rows no longer listed lose their link."""

    class EditorSerializer(ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name", "edited"]

    ann = await Author.create(name="ann")
    p1, p2 = await _post(ann, "a"), await _post(ann, "b")
    await Post.filter(pk__in=[p1.pk, p2.pk]).update(editor_id=ann.pk)
    s = EditorSerializer(ann, data={"name": "ann", "edited": [p2.pk]})
    assert await s.ais_valid(), s.errors
    await s.asave()
    assert (await s.adata)["edited"] == [p2.pk]
    assert [p.editor_id for p in await Post.all()] == [None, ann.pk]


async def test_list_of_items_looks_each_field_up_once(tortoise_db, queries):
    authors = [await Author.create(name=f"a{i}") for i in range(3)]
    tags = [await Tag.create(name=f"t{i}") for i in range(3)]
    data = [
        {"title": f"p{i}", "body": "b", "author": authors[i].pk, "tags": [t.pk for t in tags]}
        for i in range(3)
    ]
    s = PostSerializer(data=data, many=True)
    queries.reset()
    assert await s.ais_valid(), s.errors
    lookups = [q for q in queries.queries if '"author"' in q or '"tag"' in q]
    assert len(lookups) == 2, queries.queries  # the authors (EXISTS-style), the tags
    assert [[t.pk for t in item["tags"]] for item in s.validated_data] == [[t.pk for t in tags]] * 3


async def test_values_changed_after_the_lookup_ahead_are_still_checked(tortoise_db):
    """A serializer whose own to_internal_value rewrites the input: values the lookup
    ahead did not see are checked after DRF's pass, the error under the field."""

    class RewritingPostSerializer(PostSerializer):
        def to_internal_value(self, data):
            return super().to_internal_value({**data, "tags": data["tags"] + [999]})

    ann = await Author.create(name="ann")
    tag = await Tag.create(name="a")
    s = RewritingPostSerializer(
        data={"title": "x", "body": "y", "author": ann.pk, "tags": [tag.pk]}
    )
    assert not await s.ais_valid()
    assert s.errors == {"tags": ['Invalid pk "999" - object does not exist.']}
