"""DRF's tests/test_relations_hyperlink.py on Tortoise models: same inputs, same bodies.

``is_valid``/``save``/``data`` are awaited; query counts are ours (fixed per page).
"""

from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.test import APIRequestFactory

from async_drf import serializers
from tests import relation_data
from tests.relation_models import (
    ForeignKeySource,
    ForeignKeyTarget,
    ManyToManySource,
    ManyToManyTarget,
    NullableForeignKeySource,
    NullableOneToOneSource,
    OneToOneTarget,
)

factory = APIRequestFactory()
request = factory.get("/")  # Just to ensure we have a request in the serializer context

# DRF's setUp rows, shared with the other ports of its relation tests.
fk, m2m, nullable_fk = relation_data.fk, relation_data.m2m, relation_data.nullable_fk


def dummy_view(request: Any, pk: int) -> None:
    pass


urlpatterns = [
    path("dummyurl/<int:pk>/", dummy_view, name="dummy-url"),
    path("manytomanysource/<int:pk>/", dummy_view, name="manytomanysource-detail"),
    path("manytomanytarget/<int:pk>/", dummy_view, name="manytomanytarget-detail"),
    path("foreignkeysource/<int:pk>/", dummy_view, name="foreignkeysource-detail"),
    path("foreignkeytarget/<int:pk>/", dummy_view, name="foreignkeytarget-detail"),
    path(
        "nullableforeignkeysource/<int:pk>/",
        dummy_view,
        name="nullableforeignkeysource-detail",
    ),
    path("onetoonetarget/<int:pk>/", dummy_view, name="onetoonetarget-detail"),
    path("nullableonetoonesource/<int:pk>/", dummy_view, name="nullableonetoonesource-detail"),
]


# ManyToMany
class ManyToManyTargetSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = ManyToManyTarget
        fields = ("url", "name", "sources")


class ManyToManySourceSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = ManyToManySource
        fields = ("url", "name", "targets")


# ForeignKey
class ForeignKeyTargetSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = ForeignKeyTarget
        fields = ("url", "name", "sources")


class ForeignKeySourceSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = ForeignKeySource
        fields = ("url", "name", "target")


# Nullable ForeignKey
class NullableForeignKeySourceSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = NullableForeignKeySource
        fields = ("url", "name", "target")


# Nullable OneToOne
class NullableOneToOneTargetSerializer(serializers.HyperlinkedModelSerializer):
    class Meta:
        model = OneToOneTarget
        fields = ("url", "name", "nullable_source")


@pytest.fixture(autouse=True)
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


async def _data(serializer_class: Any, queryset: Any, context: Any = None) -> Any:
    context = {"request": request} if context is None else context
    return await serializer_class(queryset, many=True, context=context).adata


T = "http://testserver"


async def test_relative_hyperlinks(m2m: None, queries: Any) -> None:
    queryset = await ManyToManySource.all()
    expected = [
        {"url": "/manytomanysource/1/", "name": "source-1", "targets": ["/manytomanytarget/1/"]},
        {
            "url": "/manytomanysource/2/",
            "name": "source-2",
            "targets": ["/manytomanytarget/1/", "/manytomanytarget/2/"],
        },
        {
            "url": "/manytomanysource/3/",
            "name": "source-3",
            "targets": [
                "/manytomanytarget/1/",
                "/manytomanytarget/2/",
                "/manytomanytarget/3/",
            ],
        },
    ]
    queries.reset()
    assert await _data(ManyToManySourceSerializer, queryset, {"request": None}) == expected
    assert queries.count == 2  # DRF: 4 (one per row)


async def test_many_to_many_retrieve(m2m: None, queries: Any) -> None:
    queryset = await ManyToManySource.all()
    expected = [
        {
            "url": f"{T}/manytomanysource/1/",
            "name": "source-1",
            "targets": [f"{T}/manytomanytarget/1/"],
        },
        {
            "url": f"{T}/manytomanysource/2/",
            "name": "source-2",
            "targets": [f"{T}/manytomanytarget/1/", f"{T}/manytomanytarget/2/"],
        },
        {
            "url": f"{T}/manytomanysource/3/",
            "name": "source-3",
            "targets": [
                f"{T}/manytomanytarget/1/",
                f"{T}/manytomanytarget/2/",
                f"{T}/manytomanytarget/3/",
            ],
        },
    ]
    queries.reset()
    assert await _data(ManyToManySourceSerializer, queryset) == expected
    assert queries.count == 2


async def test_many_to_many_retrieve_prefetch_related(m2m: None, queries: Any) -> None:
    queryset = ManyToManySource.all().prefetch_related("targets")
    await _data(ManyToManySourceSerializer, queryset)
    assert queries.count == 3  # DRF: 2 (Django joins the links into the targets' query)


async def test_reverse_many_to_many_retrieve(m2m: None, queries: Any) -> None:
    queryset = await ManyToManyTarget.all()
    expected = [
        {
            "url": f"{T}/manytomanytarget/1/",
            "name": "target-1",
            "sources": [
                f"{T}/manytomanysource/1/",
                f"{T}/manytomanysource/2/",
                f"{T}/manytomanysource/3/",
            ],
        },
        {
            "url": f"{T}/manytomanytarget/2/",
            "name": "target-2",
            "sources": [f"{T}/manytomanysource/2/", f"{T}/manytomanysource/3/"],
        },
        {
            "url": f"{T}/manytomanytarget/3/",
            "name": "target-3",
            "sources": [f"{T}/manytomanysource/3/"],
        },
    ]
    queries.reset()
    assert await _data(ManyToManyTargetSerializer, queryset) == expected
    assert queries.count == 2


async def test_many_to_many_update(m2m: None) -> None:
    data = {
        "url": f"{T}/manytomanysource/1/",
        "name": "source-1",
        "targets": [
            f"{T}/manytomanytarget/1/",
            f"{T}/manytomanytarget/2/",
            f"{T}/manytomanytarget/3/",
        ],
    }
    instance = await ManyToManySource.get(pk=1)
    serializer = ManyToManySourceSerializer(instance, data=data, context={"request": request})
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {
            "url": f"{T}/manytomanysource/1/",
            "name": "source-1",
            "targets": [
                f"{T}/manytomanytarget/1/",
                f"{T}/manytomanytarget/2/",
                f"{T}/manytomanytarget/3/",
            ],
        },
        {
            "url": f"{T}/manytomanysource/2/",
            "name": "source-2",
            "targets": [f"{T}/manytomanytarget/1/", f"{T}/manytomanytarget/2/"],
        },
        {
            "url": f"{T}/manytomanysource/3/",
            "name": "source-3",
            "targets": [
                f"{T}/manytomanytarget/1/",
                f"{T}/manytomanytarget/2/",
                f"{T}/manytomanytarget/3/",
            ],
        },
    ]
    assert await _data(ManyToManySourceSerializer, ManyToManySource.all()) == expected


async def test_reverse_many_to_many_update(m2m: None) -> None:
    data = {
        "url": f"{T}/manytomanytarget/1/",
        "name": "target-1",
        "sources": [f"{T}/manytomanysource/1/"],
    }
    instance = await ManyToManyTarget.get(pk=1)
    serializer = ManyToManyTargetSerializer(instance, data=data, context={"request": request})
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data
    # Ensure target 1 is updated, and everything else is as expected
    expected = [
        {
            "url": f"{T}/manytomanytarget/1/",
            "name": "target-1",
            "sources": [f"{T}/manytomanysource/1/"],
        },
        {
            "url": f"{T}/manytomanytarget/2/",
            "name": "target-2",
            "sources": [f"{T}/manytomanysource/2/", f"{T}/manytomanysource/3/"],
        },
        {
            "url": f"{T}/manytomanytarget/3/",
            "name": "target-3",
            "sources": [f"{T}/manytomanysource/3/"],
        },
    ]
    assert await _data(ManyToManyTargetSerializer, ManyToManyTarget.all()) == expected


async def test_many_to_many_create(m2m: None) -> None:
    data = {
        "url": f"{T}/manytomanysource/4/",
        "name": "source-4",
        "targets": [f"{T}/manytomanytarget/1/", f"{T}/manytomanytarget/3/"],
    }
    serializer = ManyToManySourceSerializer(data=data, context={"request": request})
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "source-4"

    # Ensure source 4 is added, and everything else is as expected
    expected = [
        {
            "url": f"{T}/manytomanysource/1/",
            "name": "source-1",
            "targets": [f"{T}/manytomanytarget/1/"],
        },
        {
            "url": f"{T}/manytomanysource/2/",
            "name": "source-2",
            "targets": [f"{T}/manytomanytarget/1/", f"{T}/manytomanytarget/2/"],
        },
        {
            "url": f"{T}/manytomanysource/3/",
            "name": "source-3",
            "targets": [
                f"{T}/manytomanytarget/1/",
                f"{T}/manytomanytarget/2/",
                f"{T}/manytomanytarget/3/",
            ],
        },
        {
            "url": f"{T}/manytomanysource/4/",
            "name": "source-4",
            "targets": [f"{T}/manytomanytarget/1/", f"{T}/manytomanytarget/3/"],
        },
    ]
    assert await _data(ManyToManySourceSerializer, ManyToManySource.all()) == expected


async def test_reverse_many_to_many_create(m2m: None) -> None:
    data = {
        "url": f"{T}/manytomanytarget/4/",
        "name": "target-4",
        "sources": [f"{T}/manytomanysource/1/", f"{T}/manytomanysource/3/"],
    }
    serializer = ManyToManyTargetSerializer(data=data, context={"request": request})
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "target-4"

    # Ensure target 4 is added, and everything else is as expected
    expected = [
        {
            "url": f"{T}/manytomanytarget/1/",
            "name": "target-1",
            "sources": [
                f"{T}/manytomanysource/1/",
                f"{T}/manytomanysource/2/",
                f"{T}/manytomanysource/3/",
            ],
        },
        {
            "url": f"{T}/manytomanytarget/2/",
            "name": "target-2",
            "sources": [f"{T}/manytomanysource/2/", f"{T}/manytomanysource/3/"],
        },
        {
            "url": f"{T}/manytomanytarget/3/",
            "name": "target-3",
            "sources": [f"{T}/manytomanysource/3/"],
        },
        {
            "url": f"{T}/manytomanytarget/4/",
            "name": "target-4",
            "sources": [f"{T}/manytomanysource/1/", f"{T}/manytomanysource/3/"],
        },
    ]
    assert await _data(ManyToManyTargetSerializer, ManyToManyTarget.all()) == expected


async def test_data_cannot_be_accessed_prior_to_is_valid(tortoise_db: Any) -> None:
    """Test that .data cannot be accessed prior to .is_valid for hyperlinked serializers."""
    serializer = ManyToManySourceSerializer(
        data={"name": "test-source", "targets": [f"{T}/manytomanytarget/1/"]},
        context={"request": request},
    )
    with pytest.raises(AssertionError):
        await serializer.adata


async def test_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeySource.all()
    expected = [
        {
            "url": f"{T}/foreignkeysource/1/",
            "name": "source-1",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/3/",
            "name": "source-3",
            "target": f"{T}/foreignkeytarget/1/",
        },
    ]
    queries.reset()
    assert await _data(ForeignKeySourceSerializer, queryset) == expected
    assert queries.count == 0  # read from `target_id`; DRF's 1 is the rows' own query


async def test_reverse_foreign_key_retrieve(fk: None, queries: Any) -> None:
    queryset = await ForeignKeyTarget.all()
    expected = [
        {
            "url": f"{T}/foreignkeytarget/1/",
            "name": "target-1",
            "sources": [
                f"{T}/foreignkeysource/1/",
                f"{T}/foreignkeysource/2/",
                f"{T}/foreignkeysource/3/",
            ],
        },
        {"url": f"{T}/foreignkeytarget/2/", "name": "target-2", "sources": []},
    ]
    queries.reset()
    assert await _data(ForeignKeyTargetSerializer, queryset) == expected
    assert queries.count == 1  # DRF: 3


async def test_foreign_key_update(fk: None) -> None:
    data = {
        "url": f"{T}/foreignkeysource/1/",
        "name": "source-1",
        "target": f"{T}/foreignkeytarget/2/",
    }
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data, context={"request": request})
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {
            "url": f"{T}/foreignkeysource/1/",
            "name": "source-1",
            "target": f"{T}/foreignkeytarget/2/",
        },
        {
            "url": f"{T}/foreignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/3/",
            "name": "source-3",
            "target": f"{T}/foreignkeytarget/1/",
        },
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_foreign_key_update_incorrect_type(fk: None) -> None:
    data = {"url": f"{T}/foreignkeysource/1/", "name": "source-1", "target": 2}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data, context={"request": request})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["Incorrect type. Expected URL string, received int."]}


async def test_reverse_foreign_key_update(fk: None) -> None:
    data = {
        "url": f"{T}/foreignkeytarget/2/",
        "name": "target-2",
        "sources": [f"{T}/foreignkeysource/1/", f"{T}/foreignkeysource/3/"],
    }
    instance = await ForeignKeyTarget.get(pk=2)
    serializer = ForeignKeyTargetSerializer(instance, data=data, context={"request": request})
    assert await serializer.ais_valid()
    # We shouldn't have saved anything to the db yet since save
    # hasn't been called.
    expected = [
        {
            "url": f"{T}/foreignkeytarget/1/",
            "name": "target-1",
            "sources": [
                f"{T}/foreignkeysource/1/",
                f"{T}/foreignkeysource/2/",
                f"{T}/foreignkeysource/3/",
            ],
        },
        {"url": f"{T}/foreignkeytarget/2/", "name": "target-2", "sources": []},
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected

    await serializer.asave()
    assert await serializer.adata == data

    # Ensure target 2 is update, and everything else is as expected
    expected = [
        {
            "url": f"{T}/foreignkeytarget/1/",
            "name": "target-1",
            "sources": [f"{T}/foreignkeysource/2/"],
        },
        {
            "url": f"{T}/foreignkeytarget/2/",
            "name": "target-2",
            "sources": [f"{T}/foreignkeysource/1/", f"{T}/foreignkeysource/3/"],
        },
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_create(fk: None) -> None:
    data = {
        "url": f"{T}/foreignkeysource/4/",
        "name": "source-4",
        "target": f"{T}/foreignkeytarget/2/",
    }
    serializer = ForeignKeySourceSerializer(data=data, context={"request": request})
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "source-4"

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {
            "url": f"{T}/foreignkeysource/1/",
            "name": "source-1",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/3/",
            "name": "source-3",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/foreignkeysource/4/",
            "name": "source-4",
            "target": f"{T}/foreignkeytarget/2/",
        },
    ]
    assert await _data(ForeignKeySourceSerializer, ForeignKeySource.all()) == expected


async def test_reverse_foreign_key_create(fk: None) -> None:
    data = {
        "url": f"{T}/foreignkeytarget/3/",
        "name": "target-3",
        "sources": [f"{T}/foreignkeysource/1/", f"{T}/foreignkeysource/3/"],
    }
    serializer = ForeignKeyTargetSerializer(data=data, context={"request": request})
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == data
    assert obj.name == "target-3"

    # Ensure target 4 is added, and everything else is as expected
    expected = [
        {
            "url": f"{T}/foreignkeytarget/1/",
            "name": "target-1",
            "sources": [f"{T}/foreignkeysource/2/"],
        },
        {"url": f"{T}/foreignkeytarget/2/", "name": "target-2", "sources": []},
        {
            "url": f"{T}/foreignkeytarget/3/",
            "name": "target-3",
            "sources": [f"{T}/foreignkeysource/1/", f"{T}/foreignkeysource/3/"],
        },
    ]
    assert await _data(ForeignKeyTargetSerializer, ForeignKeyTarget.all()) == expected


async def test_foreign_key_update_with_invalid_null(fk: None) -> None:
    data = {"url": f"{T}/foreignkeysource/1/", "name": "source-1", "target": None}
    instance = await ForeignKeySource.get(pk=1)
    serializer = ForeignKeySourceSerializer(instance, data=data, context={"request": request})
    assert not await serializer.ais_valid()
    assert serializer.errors == {"target": ["This field may not be null."]}


async def test_foreign_key_retrieve_with_null(nullable_fk: None) -> None:
    expected = [
        {
            "url": f"{T}/nullableforeignkeysource/1/",
            "name": "source-1",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/nullableforeignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {"url": f"{T}/nullableforeignkeysource/3/", "name": "source-3", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


@pytest.mark.parametrize("target", [None, ""])  # the empty string means null for a relation
async def test_foreign_key_create_with_valid_null(nullable_fk: None, target: Any) -> None:
    data = {"url": f"{T}/nullableforeignkeysource/4/", "name": "source-4", "target": target}
    expected_data = {"url": f"{T}/nullableforeignkeysource/4/", "name": "source-4", "target": None}
    serializer = NullableForeignKeySourceSerializer(data=data, context={"request": request})
    assert await serializer.ais_valid()
    obj = await serializer.asave()
    assert await serializer.adata == expected_data
    assert obj.name == "source-4"

    # Ensure source 4 is created, and everything else is as expected
    expected = [
        {
            "url": f"{T}/nullableforeignkeysource/1/",
            "name": "source-1",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {
            "url": f"{T}/nullableforeignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {"url": f"{T}/nullableforeignkeysource/3/", "name": "source-3", "target": None},
        {"url": f"{T}/nullableforeignkeysource/4/", "name": "source-4", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


@pytest.mark.parametrize("target", [None, ""])
async def test_foreign_key_update_with_valid_null(nullable_fk: None, target: Any) -> None:
    data = {"url": f"{T}/nullableforeignkeysource/1/", "name": "source-1", "target": target}
    expected_data = {"url": f"{T}/nullableforeignkeysource/1/", "name": "source-1", "target": None}
    instance = await NullableForeignKeySource.get(pk=1)
    serializer = NullableForeignKeySourceSerializer(
        instance, data=data, context={"request": request}
    )
    assert await serializer.ais_valid()
    await serializer.asave()
    assert await serializer.adata == expected_data

    # Ensure source 1 is updated, and everything else is as expected
    expected = [
        {"url": f"{T}/nullableforeignkeysource/1/", "name": "source-1", "target": None},
        {
            "url": f"{T}/nullableforeignkeysource/2/",
            "name": "source-2",
            "target": f"{T}/foreignkeytarget/1/",
        },
        {"url": f"{T}/nullableforeignkeysource/3/", "name": "source-3", "target": None},
    ]
    queryset = NullableForeignKeySource.all()
    assert await _data(NullableForeignKeySourceSerializer, queryset) == expected


async def test_reverse_one_to_one_retrieve_with_null(tortoise_db: Any) -> None:
    target = await OneToOneTarget.create(name="target-1")
    await OneToOneTarget.create(name="target-2")
    await NullableOneToOneSource.create(name="source-1", target=target)
    expected = [
        {
            "url": f"{T}/onetoonetarget/1/",
            "name": "target-1",
            "nullable_source": f"{T}/nullableonetoonesource/1/",
        },
        {"url": f"{T}/onetoonetarget/2/", "name": "target-2", "nullable_source": None},
    ]
    assert await _data(NullableOneToOneTargetSerializer, OneToOneTarget.all()) == expected
