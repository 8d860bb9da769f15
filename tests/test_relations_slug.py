"""DRF's tests/test_relations_slug.py on Tortoise models: same inputs, same bodies.

``is_valid``/``save``/``data`` are awaited; query counts are ours (fixed per page).
"""

from typing import Any

import pytest

from async_drf import serializers
from tests import relation_data
from tests.relation_models import ForeignKeySource, ForeignKeyTarget, NullableForeignKeySource

# DRF's setUp rows, shared with the other ports of its relation tests.
fk, nullable_fk = relation_data.fk, relation_data.nullable_fk


class ForeignKeyTargetSerializer(serializers.ModelSerializer):
    sources = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeySource, many=True)

    class Meta:
        model = ForeignKeyTarget
        fields = "__all__"


class ForeignKeySourceSerializer(serializers.ModelSerializer):
    target = serializers.SlugRelatedField(slug_field="name", queryset=ForeignKeyTarget)

    class Meta:
        model = ForeignKeySource
        fields = "__all__"


class NullableForeignKeySourceSerializer(serializers.ModelSerializer):
    target = serializers.SlugRelatedField(
        slug_field="name", queryset=ForeignKeyTarget, allow_null=True
    )

    class Meta:
        model = NullableForeignKeySource
        fields = "__all__"


async def _data(serializer_class: Any, queryset: Any) -> Any:
    return await serializer_class(queryset, many=True).adata


async def test_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeySource.all()
    expected = [
        {"id": 1, "name": "source-1", "target": "target-1"},
        {"id": 2, "name": "source-2", "target": "target-1"},
        {"id": 3, "name": "source-3", "target": "target-1"},
    ]
    queries.reset()
    assert await _data(ForeignKeySourceSerializer, queryset) == expected
    assert queries.count == 1  # DRF: 4 (one per row)


async def test_foreign_key_retrieve_select_related(fk: None, queries: Any) -> None:
    queryset = ForeignKeySource.all().select_related("target")
    await _data(ForeignKeySourceSerializer, queryset)
    assert queries.count == 1


async def test_reverse_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeyTarget.all()
    expected = [
        {"id": 1, "name": "target-1", "sources": ["source-1", "source-2", "source-3"]},
        {"id": 2, "name": "target-2", "sources": []},
    ]
    queries.reset()
    assert await _data(ForeignKeyTargetSerializer, queryset) == expected
    assert queries.count == 1


async def test_reverse_foreign_key_retrieve_prefetch_related(fk: None, queries: Any) -> None:
    queryset = ForeignKeyTarget.all().prefetch_related("sources")
    await _data(ForeignKeyTargetSerializer, queryset)
    assert queries.count == 2


async def test_foreign_key_update(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": "target-2"}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": "target-2"},
        {"id": 2, "name": "source-2", "target": "target-1"},
        {"id": 3, "name": "source-3", "target": "target-1"},
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_foreign_key_update_incorrect_type(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": 123}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["Object with name=123 does not exist."]}


async def test_reverse_foreign_key_update(fk: None) -> None:
    data = {"id": 2, "name": "target-2", "sources": ["source-1", "source-3"]}
    instance = await ForeignKeyTarget.get(pk=2)
    serializer = ForeignKeyTargetSerializer(instance, data=data)
    assert await serializer.ais_valid()
    # We shouldn't have saved anything to the db yet since save
    # hasn't been called.
    expected = [
        {"id": 1, "name": "target-1", "sources": ["source-1", "source-2", "source-3"]},
        {"id": 2, "name": "target-2", "sources": []},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected

    await serializer.asave()
    assert await serializer.adata == data

    # Ensure target 2 is update, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": ["source-2"]},
        {"id": 2, "name": "target-2", "sources": ["source-1", "source-3"]},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_create(fk: None) -> None:
    data = {"id": 4, "name": "source-4", "target": "target-2"}
    serializer = ForeignKeySourceSerializer(data=data)
    await serializer.ais_valid()
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "source-4"

    # Ensure source 4 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "source-1", "target": "target-1"},
        {"id": 2, "name": "source-2", "target": "target-1"},
        {"id": 3, "name": "source-3", "target": "target-1"},
        {"id": 4, "name": "source-4", "target": "target-2"},
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_reverse_foreign_key_create(fk: None) -> None:
    data = {"id": 3, "name": "target-3", "sources": ["source-1", "source-3"]}
    serializer = ForeignKeyTargetSerializer(data=data)
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "target-3"

    # Ensure target 3 is added, and everything else is as expected
    expected = [
        {"id": 1, "name": "target-1", "sources": ["source-2"]},
        {"id": 2, "name": "target-2", "sources": []},
        {"id": 3, "name": "target-3", "sources": ["source-1", "source-3"]},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_update_with_invalid_null(fk: None) -> None:
    data = {"id": 1, "name": "source-1", "target": None}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["This field may not be null."]}


async def test_foreign_key_retrieve_with_null(nullable_fk: None) -> None:
    expected = [
        {"id": 1, "name": "source-1", "target": "target-1"},
        {"id": 2, "name": "source-2", "target": "target-1"},
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
        {"id": 1, "name": "source-1", "target": "target-1"},
        {"id": 2, "name": "source-2", "target": "target-1"},
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
        {"id": 2, "name": "source-2", "target": "target-1"},
        {"id": 3, "name": "source-3", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected
