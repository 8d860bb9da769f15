"""``manage.py tortoise_migrate [app_label] [migration_name]``: apply (or roll back to
``migration_name``, or ``zero``) the Tortoise migrations of the apps in ``TORTOISE_ORM``
with Tortoise's migration engine, as Django's ``migrate`` does for Django models.

The engine records what it applied in a ``tortoise_migrations`` table of each
connection's database (Django's own table is ``django_migrations``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.core.management.base import CommandError
from pypika_tortoise.queries import Table
from pypika_tortoise.terms import ValueWrapper
from tortoise.exceptions import OperationalError
from tortoise.fields.relational import ManyToManyFieldInstance
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget, PlanStep
from tortoise.migrations.operations import CreateModel

from ...management.base import TortoiseMigrationCommand

if TYPE_CHECKING:
    from collections.abc import Mapping

    from django.core.management.base import CommandParser
    from tortoise.migrations.operations import Operation


class Command(TortoiseMigrationCommand):
    help = (
        "Applies the Tortoise migrations of TORTOISE_ORM's apps; with a migration name, "
        "rolls back or forward to it (zero: unapplies them all)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", nargs="?", help="App to migrate (all by default).")
        parser.add_argument(
            "migration_name",
            nargs="?",
            help="Migrate the app to this migration (a unique prefix will do), rolling "
            'back the ones after it. Use "zero" to unapply them all.',
        )
        parser.add_argument(
            "--fake",
            action="store_true",
            help="Mark migrations as run (or unrun) without running them.",
        )
        parser.add_argument(
            "--fake-initial",
            action="store_true",
            help="Mark initial migrations as run if all the tables they create exist "
            "already (a database made by Tortoise.generate_schemas).",
        )
        parser.add_argument(
            "--plan", action="store_true", help="Show the migrations that would run, and stop."
        )

    async def ahandle(self, *args: object, **options: object) -> None:
        label, name = cast(
            "tuple[str | None, str | None]", (options["app_label"], options["migration_name"])
        )
        apps = self.apps_config([label] if label else None)
        if label and "migrations" not in apps[label]:
            raise CommandError(f"App {label!r} does not have migrations.")
        runs = []
        for executor in self.executors(apps):
            await executor.loader.build_graph()
            runs.append((executor, self.targets(executor, label, name)))
        self.stdout.write("Operations to perform:", self.style.MIGRATE_HEADING)
        if name == "zero":
            self.stdout.write(f"  Unapply all migrations: {label}")
        elif name:
            self.stdout.write(f"  Target specific migration: {name}, from {label}")
        else:
            self.stdout.write(f"  Apply all migrations: {', '.join(apps)}")
        for executor, targets in runs:
            if options["plan"]:
                self.show_plan(await executor.plan(targets))
            else:
                await self.migrate(executor, targets, options)

    def targets(
        self, executor: MigrationExecutor, label: str | None, name: str | None
    ) -> list[MigrationTarget] | None:
        if not label:
            return None  # every app to its latest migration
        if not name:
            return [MigrationTarget(label, "__latest__")]
        if name == "zero":
            return [MigrationTarget(label, "__first__")]
        key = self.find_migration(executor.loader.graph, label, name)
        return [MigrationTarget(label, key.name)]

    async def migrate(
        self,
        executor: MigrationExecutor,
        targets: list[MigrationTarget] | None,
        options: Mapping[str, object],
    ) -> None:
        self.stdout.write("Running migrations:", self.style.MIGRATE_HEADING)
        faked = options["fake_initial"] and await self.fake_initial(
            executor, await executor.plan(targets)
        )
        plan = await executor.plan(targets)
        if not plan:
            if not faked:
                self.stdout.write("  No migrations to apply.")
            return
        if options["fake"]:
            await executor.migrate(targets, fake=True)
            for step in plan:
                self.stdout.write(f"  {self.step_name(step)}... " + self.style.SUCCESS("FAKED"))
            return
        await executor.migrate(targets, progress=self.progress)

    def progress(self, event: str, app_label: str, name: str) -> None:
        if event.endswith("_start"):
            verb = "Applying" if event == "apply_start" else "Unapplying"
            self.stdout.write(f"  {verb} {app_label}.{name}...", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(self.style.SUCCESS(" OK"))

    def show_plan(self, plan: list[PlanStep]) -> None:
        self.stdout.write("Planned operations:", self.style.MIGRATE_LABEL)
        if not plan:
            self.stdout.write("  No planned migration operations.")
        for step in plan:
            self.stdout.write(self.step_name(step))
            for operation in step.migration.operations:
                self.stdout.write(f"    {operation.describe()}")

    @staticmethod
    def step_name(step: PlanStep) -> str:
        name = f"{step.migration.app_label}.{step.migration.name}"
        return f"Undo {name}" if step.backward else name

    async def fake_initial(self, executor: MigrationExecutor, plan: list[PlanStep]) -> bool:
        """Record as applied each initial migration whose tables all exist (as Django's
        ``migrate --fake-initial``), when the migrations it depends on are applied.
        True if it recorded one."""
        faked = False
        for step in plan:
            migration = step.migration
            target = [MigrationTarget(migration.app_label, migration.name)]
            tables = [name for op in migration.operations for name in self.table_names(op)]
            if step.backward or not migration.initial or not tables:
                continue
            if [self.step_name(s) for s in await executor.plan(target)] != [self.step_name(step)]:
                continue  # it needs other migrations first: never fake those
            if all([await self.table_exists(executor, table) for table in tables]):
                await executor.migrate(target, fake=True)
                self.stdout.write(
                    f"  Applying {self.step_name(step)}... " + self.style.SUCCESS("FAKED")
                )
                faked = True
        return faked

    @staticmethod
    def table_names(operation: Operation) -> list[str]:
        """The tables a CreateModel creates (its own and its many-to-many ones)."""
        if not isinstance(operation, CreateModel):
            return []
        m2m = [f.through for _, f in operation.fields if isinstance(f, ManyToManyFieldInstance)]
        return [(operation.options or {}).get("table") or operation.name.lower(), *m2m]

    @staticmethod
    async def table_exists(executor: MigrationExecutor, table: str) -> bool:
        connection = executor.connection
        query = connection.query_class.from_(Table(table)).select(ValueWrapper(1)).limit(1)
        try:
            await connection.execute_query(query.get_sql())
        except OperationalError:
            return False
        return True
