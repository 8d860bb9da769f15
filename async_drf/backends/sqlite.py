"""Tortoise's SQLite client with a bounded wait: ``engine = "async_drf.backends.sqlite"``.

Tortoise serves a SQLite database through one connection guarded by an asyncio lock,
and SQLite waits for another process's write lock for the connection's busy timeout
(5 s by default) while holding it: with the database locked elsewhere every request
queued behind that wait, one busy timeout after another.  Here one query waits at
most ``SQLITE_BUSY_TIMEOUT`` seconds in all, for the connection and then for the file
lock; then it fails with SQLite's "database is locked", which the error table answers
with a 503.  :func:`async_drf.orm.init_orm` uses this engine for every SQLite
connection unless the setting is None.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING, Literal, cast

from tortoise.backends.base.client import ConnectionWrapper, TransactionContext
from tortoise.backends.sqlite import client as tortoise_sqlite
from tortoise.connection import get_connections
from tortoise.exceptions import OperationalError

from ..settings import async_settings

if TYPE_CHECKING:
    from typing import TypedDict

    from aiosqlite import Connection
    from tortoise.backends.base.client import TransactionalDBClient

    class DBInfo(TypedDict, total=False):
        """A connection of Tortoise's config, as its get_client_class reads it."""

        engine: str
        credentials: dict[str, object]


__all__ = ["SqliteClient", "SqliteClientWithRegexpSupport", "client_class", "get_client_class"]


class _ConnectionLock(asyncio.Lock):
    """The client's connection lock, acquired within the query's time budget.

    Whatever the wait for the lock took is taken from SQLite's busy timeout for the
    statement that follows: the connection's ``PRAGMA busy_timeout`` is kept between
    ``slack`` below the budget left and a hundredth of the timeout above it, so it is
    set again (one more statement) only when waits for the connection change.
    """

    def __init__(self, client: _BoundedWait, timeout: float) -> None:
        super().__init__()
        self.client = client
        self.timeout = timeout
        self.slack = timeout / 10
        self.busy_timeout = timeout  # what the connection was opened with

    async def acquire(self) -> Literal[True]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        waiters = self._waiters or ()
        if self.locked() or any(not waiter.cancelled() for waiter in waiters):
            try:
                # wait_for, not asyncio.timeout: a lock granted as the timer fires is
                # returned, never left held by a task about to be cancelled.
                await asyncio.wait_for(super().acquire(), self.timeout)
            except TimeoutError:
                raise _locked(f"waited {self.timeout:g} s for the connection") from None
        else:
            await super().acquire()  # free: asyncio.Lock takes it without waiting
        left = max(self.timeout - (loop.time() - started), 0.0)
        over = self.timeout / 100  # what SQLite may wait past the budget
        if not left - self.slack <= self.busy_timeout <= left + over:
            try:
                await self.client.set_busy_timeout(min(left + over, self.timeout))
            except BaseException:
                self.release()
                raise
        return True


class _ConnectionWrapper(ConnectionWrapper["Connection"]):
    """Tortoise's ConnectionWrapper, releasing the lock when entering fails."""

    async def __aenter__(self) -> Connection:
        # Mirrors tortoise.backends.base.client.ConnectionWrapper.__aenter__; differs in
        # releasing the lock if opening the connection fails or the task is cancelled
        # (a client that disconnects): else it stays held and every query waits for it.
        await self._lock.acquire()
        try:
            await self.ensure_connection()
        except BaseException:
            self._lock.release()
            raise
        return self.connection


class _TransactionContext(tortoise_sqlite.SqliteTransactionContext):
    """Tortoise's SqliteTransactionContext, releasing the lock when entering fails."""

    async def __aenter__(self) -> TransactionalDBClient:
        # Mirrors tortoise.backends.sqlite.client.SqliteTransactionContext.__aenter__;
        # differs in undoing what it did if a step fails or the task is cancelled.
        await self._trxlock.acquire()
        token = None
        try:
            await self.ensure_connection()
            token = self.token = get_connections().set(self.connection_name, self.connection)
            await self.connection.begin()
        except BaseException:
            if token is not None:
                get_connections().reset(token)
            self._trxlock.release()
            raise
        connection: TransactionalDBClient = self.connection  # Tortoise's: untyped
        return connection


def _locked(why: str) -> OperationalError:
    # The error SQLite itself gives, wrapped as Tortoise wraps it: one classification.
    return OperationalError(sqlite3.OperationalError(f"database is locked ({why})"))


if TYPE_CHECKING:
    _SqliteClient = tortoise_sqlite.SqliteClient  # the mixin comes before it
else:
    _SqliteClient = object


class _BoundedWait(_SqliteClient):
    """Mixin for Tortoise's SQLite clients: the bounded connection lock, the busy
    timeout as the connection's ``PRAGMA busy_timeout`` (a ``busy_timeout`` given in
    the database URL wins over the setting), and a lock that a cancelled or failed
    query never leaves held."""

    _lock: _ConnectionLock

    def __init__(self, file_path: str, **kwargs: object) -> None:
        super().__init__(file_path, **kwargs)
        timeout = cast("float", async_settings.SQLITE_BUSY_TIMEOUT)  # None: not this client
        milliseconds = int(self.pragmas.setdefault("busy_timeout", round(timeout * 1000)))
        self._lock = _ConnectionLock(self, milliseconds / 1000)

    def acquire_connection(self) -> ConnectionWrapper[Connection]:
        return _ConnectionWrapper(self._lock, self)

    def _in_transaction(self) -> TransactionContext:
        return _TransactionContext(tortoise_sqlite.SqliteTransactionWrapper(self), self._lock)

    async def set_busy_timeout(self, seconds: float) -> None:
        """Set how long SQLite waits for a lock held elsewhere, on the open connection."""
        if self._connection is None:
            return  # it opens with the full busy timeout
        await self._connection.execute_fetchall(f"PRAGMA busy_timeout={int(seconds * 1000)}")
        self._lock.busy_timeout = seconds


class SqliteClient(_BoundedWait, tortoise_sqlite.SqliteClient):
    """Tortoise's SqliteClient; a query waits at most ``SQLITE_BUSY_TIMEOUT``."""


class SqliteClientWithRegexpSupport(_BoundedWait, tortoise_sqlite.SqliteClientWithRegexpSupport):
    """Tortoise's SqliteClientWithRegexpSupport; a query waits at most ``SQLITE_BUSY_TIMEOUT``."""


client_class = SqliteClient


def get_client_class(db_info: DBInfo) -> type[tortoise_sqlite.SqliteClient]:
    # Mirrors tortoise.backends.sqlite.get_client_class; differs in the classes returned.
    if db_info.get("credentials", {}).get("install_regexp_functions"):
        return SqliteClientWithRegexpSupport
    return SqliteClient
