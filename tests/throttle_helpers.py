"""Shared by the throttle tests: the stores to run against, and a stand-in user."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from django.test import override_settings

from async_drf.throttle_stores import (
    get_throttle_store,
    memory_store,
    release_throttle_connections,
)

REDIS_URL = os.environ.get("ASYNC_DRF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STORES = ["memory", pytest.param("redis", marks=pytest.mark.redis)]


class User:
    is_authenticated = True
    is_active = True

    def __init__(self, pk: int) -> None:
        self.pk = pk


def unique_prefix() -> str:
    return f"async-drf-test-{uuid.uuid4().hex}:"


async def delete_keys(client: Any, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)


@contextlib.asynccontextmanager
async def settings_store(name: str) -> AsyncIterator[Any]:
    """Name a store in the settings: the memory store, or Redis under a fresh prefix."""
    memory_store.clear()
    if name == "memory":
        yield memory_store
        memory_store.clear()
        return
    prefix = unique_prefix()
    settings = {"THROTTLE_REDIS_URL": REDIS_URL, "THROTTLE_KEY_PREFIX": prefix}
    with override_settings(ASYNC_DRF=settings):
        store = get_throttle_store()
        try:
            yield store
        finally:
            await delete_keys(store.client, prefix)
            await release_throttle_connections()
