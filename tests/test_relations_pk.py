"""DRF's tests/test_relations_pk.py on Tortoise models: same inputs, same bodies.

Differences, each for a Tortoise reason: ``is_valid``/``save``/``data`` are awaited
(``ais_valid``/``asave``/``adata``); query counts are ours (relations are fetched in
a fixed number of queries, where DRF's counts grow with the rows); a reverse
one-to-one is read-only.
"""

from typing import Any

import pytest

from async_drf import serializers
from tests import relation_data
from tests.relation_models import (
    ForeignKeySource,
    ForeignKeyTarget,
    ManyToManySource,
    ManyToManyTarget,
    NullableForeignKeySource,
    NullableOneToOneSource,
    NullableUUIDForeignKeySource,
    OneToOneTarget,
    UUIDForeignKeyTarget,
)

# DRF's setUp rows, shared with the other ports of its relation tests.
fk, m2m, nullable_fk = relation_data.fk, relation_data.m2m, relation_data.nullable_fk


# ManyToMany
class ManyToManyTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ManyToManyTarget
        fields = ("id", "name", "sources")


class ManyToManySourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ManyToManySource
        fields = ("id", "name", "targets")


# ForeignKey
class ForeignKeyTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForeignKeyTarget
        fields = ("id", "name", "sources")


class ForeignKeySourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForeignKeySource
        fields = ("id", "name", "target")


# Nullable ForeignKey
class NullableForeignKeySourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = NullableForeignKeySource
        fields = ("id", "name", "target")


# Nullable UUIDForeignKey
class NullableUUIDForeignKeySourceSerializer(serializers.ModelSerializer):
    target = serializers.PrimaryKeyRelatedField(
        pk_field=serializers.UUIDField(), queryset=UUIDForeignKeyTarget, allow_null=True
    )

    class Meta:
        model = NullableUUIDForeignKeySource
        fields = ("id", "name", "target")


# Nullable OneToOne
class NullableOneToOneTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = OneToOneTarget
        fields = ("id", "name", "nullable_source")


async def _data(serializer_class: Any, queryset: Any = None, **kwargs: Any) -> Any:
    return await serializer_class(queryset, many=True, **kwargs).adata


async def test_many_to_many_retrieve(m2m: None, queries: Any) -> None:
    queryset = await ManyToManySource.all()
    expected = [
        {"id": 1, "name": "source-1", "targets": [1]},
        {"id": 2, "name": "source-2", "targets": [1, 2]},
        {"id": 3, "name": "source-3", "targets": [1, 2, 3]},
    ]
    queries.reset()
    assert await _data(ManyToManySourceSerializer, queryset) == expected
    assert queries.count == 2  # DRF: 4 (one per row); here the links and the targets


async def test_many_to_many_retrieve_prefetch_related(m2m: None, queries: Any) -> None:
    queryset = ManyToManySource.all().prefetch_related("targets")
    await _data(ManyToManySourceSerializer, queryset)
    assert queries.count == 3  # DRF: 2 (Django joins the links into the targets' query)


async def test_reverse_many_to_many_retrieve(m2m: None, queries: Any) -> None:
    queryset = await ManyToManyTarget.all()
    expected = [
        {"id": 1, "name": "target-1", "sources": [1, 2, 3]},
        {"id": 2, "name": "target-2", "sources": [2, 3]},
        {"id": 3, "name": "target-3", "sources": [3]},
    ]
    queries.reset()
    assert await _data(ManyToManyTargetSerializer, queryset) == expected
    assert queries.count == 2


async def test_many_to_many_update(m2m: None) -> None:
    data = {"id": 1, "name": "source-1", "targets": [1, 2, 3]}
    instance = await ManyToManySource.get(pk=1)
    serializer = ManyToManySourceSerializer(instance, data=data)
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "targets": [1, 2, 3]},
        {"id": 2, "name": "source-2", "targets": [1, 2]},
        {"id": 3, "name": "source-3", "targets": [1, 2, 3]},
    ]
    assert await _data(ManyToManySourceSerializer, ManyToManySource.all()) == expected


async def test_reverse_many_to_many_update(m2m: None) -> None:
    data = {"id": 1, "name": "target-1", "sources": [1]}
    instance = await ManyToManyTarget.get(pk=1)
    serializer = ManyToManyTargetSerializer(instance, data=data)
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure target 1 is updated, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": [1]},
        {"id": 2, "name": "target-2", "sources": [2, 3]},
        {"id": 3, "name": "target-3", "sources": [3]},
    ]
    assert await _data(ManyToManyTargetSerializer, ManyToManyTarget.all()) == expected


async def test_many_to_many_create(m2m: None) -> None:
    data = {"id": 4, "name": "source-4", "targets": [1, 3]}
    serializer = ManyToManySourceSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "source-4"

    # Ensure source 4 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "targets": [1]},
        {"id": 2, "name": "source-2", "targets": [1, 2]},
        {"id": 3, "name": "source-3", "targets": [1, 2, 3]},
        {"id": 4, "name": "source-4", "targets": [1, 3]},
    ]
    assert await _data(ManyToManySourceSerializer, ManyToManySource.all()) == expected


async def test_many_to_many_unsaved(tortoise_db: Any, queries: Any) -> None:
    source = ManyToManySource(name="source-unsaved")
    serializer = ManyToManySourceSerializer(source)
    expected = {"id": None, "name": "source-unsaved", "targets": []}
    # no query if source hasn't been created yet
    assert await serializer.adata == expected
    assert queries.count == 0


async def test_reverse_many_to_many_create(m2m: None) -> None:
    data = {"id": 4, "name": "target-4", "sources": [1, 3]}
    serializer = ManyToManyTargetSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "target-4"

    # Ensure target 4 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": [1, 2, 3]},
        {"id": 2, "name": "target-2", "sources": [2, 3]},
        {"id": 3, "name": "target-3", "sources": [3]},
        {"id": 4, "name": "target-4", "sources": [1, 3]},
    ]
    assert await _data(ManyToManyTargetSerializer, ManyToManyTarget.all()) == expected


async def test_data_cannot_be_accessed_prior_to_is_valid(tortoise_db: Any) -> None:
    """Test that .data cannot be accessed prior to .is_valid for primary key serializers."""
    serializer = ManyToManySourceSerializer(data={"name": "test-source", "targets": [1]})
    with pytest.raises(AssertionError):
        await serializer.adata


async def test_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeySource.all()
    expected = [
        {"id": 1, "name": "source-1", "target": 1},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": 1},
    ]
    queries.reset()
    assert await _data(ForeignKeySourceSerializer, queryset) == expected
    assert queries.count == 0  # the `target_id` column: DRF's 1 is the rows' own query


async def test_reverse_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeyTarget.all()
    expected = [
        {"id": 1, "name": "target-1", "sources": [1, 2, 3]},
        {"id": 2, "name": "target-2", "sources": []},
    ]
    queries.reset()
    assert await _data(ForeignKeyTargetSerializer, queryset) == expected
    assert queries.count == 1  # DRF: 3


async def test_reverse_foreign_key_retrieve_prefetch_related(fk: None, queries: Any) -> None:
    queryset = ForeignKeyTarget.all().prefetch_related("sources")
    await _data(ForeignKeyTargetSerializer, queryset)
    assert queries.count == 2


async def test_foreign_key_update(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": 2}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": 2},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": 1},
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_foreign_key_update_incorrect_type(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": "foo"}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["Incorrect type. Expected pk value, received str."]}


async def test_reverse_foreign_key_update(fk: None) -> None:
    data = {"id": 2, "name": "target-2", "sources": [1, 3]}
    instance = await ForeignKeyTarget.get(pk=2)
    serializer = ForeignKeyTargetSerializer(instance, data=data)
    assert await serializer.ais_valid()
    # We shouldn't have saved anything to the db yet since save
    # hasn't been called.
    expected = [
        {"id": 1, "name": "target-1", "sources": [1, 2, 3]},
        {"id": 2, "name": "target-2", "sources": []},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected

    await serializer.asave()
    assert await serializer.adata == data

    # Ensure target 2 is update, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": [2]},
        {"id": 2, "name": "target-2", "sources": [1, 3]},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_create(fk: None) -> None:
    data = {"id": 4, "name": "source-4", "target": 2}
    serializer = ForeignKeySourceSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "source-4"

    # Ensure source 4 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": 1},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": 1},
        {"id": 4, "name": "source-4", "target": 2},
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_reverse_foreign_key_create(fk: None) -> None:
    data = {"id": 3, "name": "target-3", "sources": [1, 3]}
    serializer = ForeignKeyTargetSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "target-3"

    # Ensure target 3 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": [2]},
        {"id": 2, "name": "target-2", "sources": []},
        {"id": 3, "name": "target-3", "sources": [1, 3]},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_update_with_invalid_null(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": None}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["This field may not be null."]}


async def test_foreign_key_with_unsaved(tortoise_db: Any, queries: Any) -> None:
    source = ForeignKeySource(name="source-unsaved")
    expected = {"id": None, "name": "source-unsaved", "target": None}
    serializer = ForeignKeySourceSerializer(source)
    # no query if source hasn't been created yet
    assert await serializer.adata == expected
    assert queries.count == 0


async def test_foreign_key_with_empty(tortoise_db: Any) -> None:
    """Regression test for DRF #1072."""
    serializer = NullableForeignKeySourceSerializer()
    assert serializer.data["target"] is None


async def test_foreign_key_not_required(tortoise_db: Any) -> None:
    """Let's say we wanted to fill the non-nullable model field inside
    Model.save(), we would make it empty and not required."""

    class ModelSerializer(ForeignKeySourceSerializer):
        class Meta(ForeignKeySourceSerializer.Meta):
            extra_kwargs = {"target": {"required": False}}

    serializer = ModelSerializer(data={"name": "test"})
    await serializer.ais_valid(raise_exception=True)
    assert "target" not in serializer.validated_data


async def test_foreign_key_retrieve_with_null(nullable_fk: None) -> None:
    expected = [
        {"id": 1, "name": "source-1", "target": 1},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


@pytest.mark.parametrize("target", [None, ""])  # the empty string means null for a relation
async def test_foreign_key_create_with_valid_null(nullable_fk: None, target: Any) -> None:
    data = {"id": 4, "name": "source-4", "target": target}
    expected_data = {"id": 4, "name": "source-4", "target": None}
    serializer = NullableForeignKeySourceSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == expected_data
    assert obj.name == "source-4"

    # Ensure source 4 is created, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": 1},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": None},
        {"id": 4, "name": "source-4", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


@pytest.mark.parametrize("target", [None, ""])
async def test_foreign_key_update_with_valid_null(nullable_fk: None, target: Any) -> None:
    data = {"id": 1, "name": "source-1", "target": target}
    expected_data = {"id": 1, "name": "source-1", "target": None}
    instance = await NullableForeignKeySource.get(pk=1)
    serializer = NullableForeignKeySourceSerializer(instance, data=data)
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == expected_data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": None},
        {"id": 2, "name": "source-2", "target": 1},
        {"id": 3, "name": "source-3", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


async def test_null_uuid_foreign_key_serializes_as_none(tortoise_db: Any) -> None:
    source = NullableUUIDForeignKeySource(name="Source")
    serializer = NullableUUIDForeignKeySourceSerializer(source)
    data = await serializer.adata
    assert data["target"] is None


async def test_nullable_uuid_foreign_key_is_valid_when_none(tortoise_db: Any) -> None:
    data = {"name": "Source", "target": None}
    serializer = NullableUUIDForeignKeySourceSerializer(data=data)
    assert await serializer.ais_valid(), serializer.errors


async def test_uuid_foreign_key_through_pk_field(tortoise_db: Any, queries: Any) -> None:
    """`pk_field` converts both ways: the hex form in, the relation's object saved."""
    target = await UUIDForeignKeyTarget.create(name="t")
    serializer = NullableUUIDForeignKeySourceSerializer(
        data={"name": "Source", "target": str(target.uuid)}
    )
    assert await serializer.ais_valid(), serializer.errors
    assert serializer.validated_data["target"] == target
    source = await serializer.asave()
    assert (await NullableUUIDForeignKeySource.get(pk=source.pk)).target_id == target.uuid
    queries.reset()
    fetched = await NullableUUIDForeignKeySource.get(pk=source.pk)
    assert await NullableUUIDForeignKeySourceSerializer(fetched).adata == {
        "id": source.pk,
        "name": "Source",
        "target": str(target.uuid),
    }
    assert queries.count == 1  # the row only: the target is read from `target_id`


async def test_reverse_one_to_one_retrieve_with_null(tortoise_db: Any) -> None:
    await OneToOneTarget.create(name="target-1")
    new_target = await OneToOneTarget.create(name="target-2")
    await NullableOneToOneSource.create(name="source-1", target=new_target)
    expected = [
        {"id": 1, "name": "target-1", "nullable_source": None},
        {"id": 2, "name": "target-2", "nullable_source": 1},
    ]
    assert await _data(NullableOneToOneTargetSerializer, OneToOneTarget.all()) == expected
