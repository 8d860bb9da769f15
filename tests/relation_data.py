"""Rows DRF's relation tests start from (their ``setUp``), as fixtures for the ports."""

from typing import Any

import pytest

from tests.relation_models import (
    ForeignKeySource,
    ForeignKeyTarget,
    ManyToManySource,
    ManyToManyTarget,
    NullableForeignKeySource,
)


@pytest.fixture
async def m2m(tortoise_db: Any) -> None:
    """Sources 1..3, source N linked to targets 1..N."""
    for idx in range(1, 4):
        await ManyToManyTarget.create(name=f"target-{idx}")
        source = await ManyToManySource.create(name=f"source-{idx}")
        await source.targets.add(*await ManyToManyTarget.all())


@pytest.fixture
async def fk(tortoise_db: Any) -> None:
    """Targets 1 and 2; sources 1..3 all on target 1."""
    target = await ForeignKeyTarget.create(name="target-1")
    await ForeignKeyTarget.create(name="target-2")
    for idx in range(1, 4):
        await ForeignKeySource.create(name=f"source-{idx}", target=target)


@pytest.fixture
async def nullable_fk(tortoise_db: Any) -> None:
    """Target 1; nullable sources 1 and 2 on it, source 3 on none."""
    target = await ForeignKeyTarget.create(name="target-1")
    for idx in range(1, 4):
        if idx == 3:
            target = None
        await NullableForeignKeySource.create(name=f"source-{idx}", target=target)
