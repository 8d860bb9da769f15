"""Tortoise's migration executor, made safe for SQLite.

SQLite alters most columns by remaking the table (create a new one, copy the rows,
drop the old one, rename).  Tortoise 1.1's SQLite schema editor does that with the
connection's foreign keys on, so dropping the old table deletes, through ``ON DELETE
CASCADE``, every row that references it; and the new table gets neither the old
one's indexes nor its unique constraints.  Here, as Django does, foreign keys are off
while migrations run and checked afterwards, and a remade table gets back the
indexes whose columns it still has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.core.management.base import CommandError
from tortoise.exceptions import OperationalError
from tortoise.migrations.executor import MigrationExecutor as TortoiseMigrationExecutor
from tortoise.migrations.schema_editor import SqliteSchemaEditor as TortoiseSqliteSchemaEditor

if TYPE_CHECKING:
    from tortoise.migrations.executor import MigrationTarget
    from tortoise.migrations.schema_editor.base import BaseSchemaEditor
    from tortoise.models import Model

__all__ = ["MigrationExecutor", "SqliteSchemaEditor"]


class SqliteSchemaEditor(TortoiseSqliteSchemaEditor):
    """Tortoise's SQLite schema editor whose remade tables keep their indexes."""

    async def _remake_table(self, model: type[Model], *args: object, **kwargs: object) -> None:
        # Private hook of Tortoise 1.1 (remove/alter field, check constraints).
        table = model._meta.db_table
        indexes = await self._indexes(table)
        await super()._remake_table(model, *args, **kwargs)
        kept = {(unique, tuple(columns)) for _, unique, columns in await self._indexes(table)}
        for name, unique, columns in indexes:
            if (unique, tuple(columns)) in kept:
                continue  # the remade table has it (a column's own UNIQUE)
            unique_sql = "UNIQUE " if unique else ""
            cols = ", ".join(self.quote(column) for column in columns)
            try:
                await self.client.execute_query(
                    f"CREATE {unique_sql}INDEX IF NOT EXISTS {self.quote(name)} "
                    f"ON {self.quote(table)} ({cols})"
                )
            except OperationalError:
                pass  # a column of the index went with the remake

    async def _indexes(self, table: str) -> list[tuple[str, bool, list[str]]]:
        """(name, unique, columns) of each index of ``table`` but its primary key's; a
        unique constraint's automatic index is named after the table and columns."""
        _, indexes = await self.client.execute_query(f"PRAGMA index_list({self.quote(table)})")
        definitions = []
        for index in indexes:
            if index["origin"] == "pk":
                continue
            _, info = await self.client.execute_query(
                f"PRAGMA index_info({self.quote(index['name'])})"
            )
            columns = [row["name"] for row in info]
            name = index["name"]
            if name.startswith("sqlite_autoindex_"):
                name = f"uid_{table}_{'_'.join(columns)}"
            definitions.append((name, bool(index["unique"]), columns))
        return definitions


class MigrationExecutor(TortoiseMigrationExecutor):
    """Tortoise's migration executor; on SQLite, foreign keys are off while migrations
    run (a remade table must not cascade its drop) and checked once they have run."""

    @property
    def is_sqlite(self) -> bool:
        return self.connection.capabilities.dialect == "sqlite"

    async def migrate(
        self,
        targets: Iterable[MigrationTarget] | None = None,
        *,
        fake: bool = False,
        dry_run: bool = False,
        direction: str = "both",
        progress: Callable[[str, str, str], object] | None = None,
    ) -> None:
        # Tortoise's signature, spelled out for the type checker (a test compares them).
        migrate = functools.partial(
            super().migrate,
            targets,
            fake=fake,
            dry_run=dry_run,
            direction=direction,
            progress=progress,
        )
        if not self.is_sqlite:
            return await migrate()
        # The pragma is a no-op inside a transaction: set it before each migration's.
        await self.connection.execute_script("PRAGMA foreign_keys = OFF")
        try:
            await migrate()
        finally:
            await self.connection.execute_script("PRAGMA foreign_keys = ON")
        _, violations = await self.connection.execute_query("PRAGMA foreign_key_check")
        if violations:
            rows = ", ".join(f"{row['table']} row {row['rowid']}" for row in violations)
            raise CommandError(f"Migrations left rows whose foreign keys point nowhere: {rows}")

    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> BaseSchemaEditor:
        # Private hook of Tortoise 1.1: the executor picks the editor by the client.
        if self.is_sqlite:
            return SqliteSchemaEditor(self.connection, atomic=atomic, collect_sql=collect_sql)
        return super()._schema_editor(atomic=atomic, collect_sql=collect_sql)
