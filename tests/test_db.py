"""Database capacity: pooled Django connections released, Tortoise's asyncpg pool bounded.

The server-level tests (200 concurrent creates, faults, exhaustion under uvicorn) are in
test_db_server.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from typing import Any

import asyncpg
import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import override_settings
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import DBConnectionError

from async_drf.backends.asyncpg import AsyncpgDBClient, BoundedPool, PoolTimeout
from async_drf.concurrency import run_sync
from async_drf.db import call_released, release_connections
from async_drf.exceptions import exception_handler
from async_drf.orm import bound_waits

from .django_db import django_db  # noqa: F401 - fixture

APPS = {"models": {"models": ["tests.models"], "default_connection": "default"}}


# -- Tortoise's config: asyncpg connections get the bounded pool (orm.bound_waits) ------


def test_postgres_url_is_served_by_the_bounded_engine() -> None:
    url = "postgres://app:secret@db:5432/blog?minsize=2&maxsize=8"
    mysql = "mysql://app@db:3306/blog"
    config = {"connections": {"default": url, "other": mysql}, "apps": APPS}
    bounded = bound_waits(config)
    expected = {**expand_db_url(url), "engine": "async_drf.backends.asyncpg"}
    assert bounded["connections"] == {"default": expected, "other": mysql}
    assert bounded["connections"]["default"]["credentials"]["maxsize"] == "8"
    assert bounded["apps"] is APPS
    assert config["connections"]["default"] == url  # the settings' dict is left alone


def test_asyncpg_dict_is_served_by_the_bounded_engine() -> None:
    credentials = {"host": "db", "port": 5432, "user": "app", "database": "blog"}
    asyncpg = {"engine": "tortoise.backends.asyncpg", "credentials": credentials}
    other = {"engine": "tortoise.backends.psycopg", "credentials": credentials}
    config = {"connections": {"a": asyncpg, "b": other}, "apps": APPS}
    bounded = bound_waits(config)["connections"]
    assert bounded["a"] == {"engine": "async_drf.backends.asyncpg", "credentials": credentials}
    assert bounded["b"] is other


def test_no_timeout_leaves_the_config_alone() -> None:
    postgres = {"connections": {"default": "postgres://db/blog"}, "apps": APPS}
    with override_settings(ASYNC_DRF={"TORTOISE_POOL_TIMEOUT": None}):
        assert bound_waits(postgres) is postgres


# -- Django: a pooled connection goes back to its pool ----------------------------------


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's Django database (a SQLite file) treated as pooled."""
    monkeypatch.setattr("async_drf.db.pooled", lambda alias: True)


def _open() -> bool:
    return connection.connection is not None


def _count_users_released() -> tuple[int, bool]:
    return call_released(User.objects.count), _open()


def _release_inside_atomic() -> bool:
    with transaction.atomic():
        User.objects.count()
        release_connections()
        return _open()


@pytest.mark.usefixtures("django_db")
async def test_call_released_closes_a_pooled_connection(pooled: None) -> None:
    assert await run_sync(_count_users_released) == (0, False)


@pytest.mark.usefixtures("django_db")
async def test_a_connection_without_pool_stays_open() -> None:
    assert await run_sync(_count_users_released) == (0, True)


@pytest.mark.usefixtures("django_db")
async def test_never_released_inside_an_atomic_block(pooled: None) -> None:
    assert await run_sync(_release_inside_atomic) is True
    assert await run_sync(_open) is True  # atomic() ended normally, nothing rolled back


# -- Tortoise: the asyncpg pool waits only so long --------------------------------------

PG_URL = os.environ.get("ASYNC_DRF_TEST_DB_URL", "")


def pg_credentials() -> dict[str, Any]:
    return expand_db_url(PG_URL)["credentials"]


async def bounded_pool(acquire_timeout: float, size: int = 1) -> BoundedPool:
    c = pg_credentials()
    pool = BoundedPool(
        host=c["host"],
        port=c["port"],
        user=c["user"],
        database=c["database"],
        min_size=size,
        max_size=size,
        max_queries=50000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        acquire_timeout=acquire_timeout,
    )
    return await pool


@pytest.mark.postgres
async def test_bounded_pool_acquire_times_out_as_a_connection_error() -> None:
    pool = await bounded_pool(0.3)
    try:
        held = await pool.acquire()
        start = time.monotonic()
        with pytest.raises(PoolTimeout) as info:
            async with asyncio.timeout(5):  # fail, not hang, if the bound is gone
                await pool.acquire()
        assert 0.25 < time.monotonic() - start < 2
        assert isinstance(info.value, DBConnectionError)
        assert isinstance(info.value.__cause__, TimeoutError)
        with pytest.raises(PoolTimeout):
            async with pool.acquire():
                pass
        start = time.monotonic()
        with pytest.raises(PoolTimeout):
            await pool.acquire(timeout=0.05)  # the caller's timeout wins
        assert time.monotonic() - start < 0.25
        await pool.release(held)
        async with pool.acquire() as conn:  # free again
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        pool.terminate()


@pytest.mark.postgres
async def test_bounded_pool_hands_connections_out_in_the_order_asked() -> None:
    """asyncpg's queue lets a caller arriving as a connection is freed take it ahead of
    those waiting (here a waiter was passed over 24-67 times with 3 connections); the
    pool's turns are first come, first served."""
    pool = await bounded_pool(10, size=3)
    tickets = itertools.count()
    granted: list[int] = []

    async def client() -> None:
        for _ in range(10):
            ticket = next(tickets)  # no await between this and the acquire's queueing
            async with pool.acquire() as conn:
                granted.append(ticket)
                await conn.fetchval("SELECT 1")

    try:
        async with asyncio.timeout(30):
            await asyncio.gather(*(client() for _ in range(16)))
    finally:
        pool.terminate()
    overtaken = [sum(later > ticket for later in granted[:i]) for i, ticket in enumerate(granted)]
    assert len(granted) == 160
    assert max(overtaken) < 3  # at most the other connections' holders, never a queue


@pytest.mark.postgres
async def test_bounded_pool_turns_survive_timeouts_cancels_and_double_releases() -> None:
    pool = await bounded_pool(0.2)
    try:
        held = await pool.acquire()
        with pytest.raises(PoolTimeout):
            await pool.acquire()  # timed out while waiting for a turn

        async def wait_for_a_turn() -> object:
            return await pool.acquire()

        waiting = asyncio.create_task(wait_for_a_turn())
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await pool.release(held)
        conn = await pool.acquire()  # the one turn is free again
        await pool.release(conn)
        with contextlib.suppress(asyncpg.InterfaceError, asyncpg.InternalClientError):
            await pool.release(conn)  # a second release gives back no second turn
        first = await pool.acquire()
        with pytest.raises(PoolTimeout):
            await pool.acquire()
        await pool.release(first)
    finally:
        pool.terminate()


@pytest.mark.postgres
async def test_tortoise_query_waits_for_the_pool_then_answers_503() -> None:
    client = AsyncpgDBClient(connection_name="bounded", **pg_credentials(), minsize=1, maxsize=1)
    try:
        with override_settings(ASYNC_DRF={"TORTOISE_POOL_TIMEOUT": 0.3}):
            holder = asyncio.create_task(client.execute_query("SELECT pg_sleep(2)"))
            await asyncio.sleep(0.5)  # the holder has the pool's only connection
            start = time.monotonic()
            with pytest.raises(PoolTimeout) as info:
                async with asyncio.timeout(5):  # fail, not hang, if the bound is gone
                    await client.execute_query("SELECT 1")
            assert 0.25 < time.monotonic() - start < 1.5
            response = exception_handler(info.value, {})
            assert response.status_code == 503
            assert response.data == {"detail": "Service temporarily unavailable, try again later."}
            await holder
        assert await client.execute_query_dict("SELECT 1 AS one") == [{"one": 1}]
    finally:
        await client.close()
