"""``manage.py tortoise_makemigrations [app_label ...]``: write the Tortoise migrations
that bring each app's migrations up to its models (Tortoise's autodetector), as
Django's ``makemigrations`` does for Django models."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, cast

from django.core.management.base import CommandError
from tortoise.context import get_current_context
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter, format_migration_name

from ...management.base import TortoiseApp, TortoiseMigrationCommand

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(TortoiseMigrationCommand):
    help = "Creates new Tortoise migrations from changes to the models of TORTOISE_ORM's apps."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", nargs="*", help="Apps to make migrations for (all).")
        parser.add_argument("-n", "--name", help="Use this name for the migration file(s).")
        parser.add_argument(
            "--empty", action="store_true", help="Create an empty migration (for RunPython)."
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with a non-zero status if model changes are missing migrations "
            "and don't actually write them.",
        )

    async def ahandle(self, *args: object, **options: object) -> None:
        if options["empty"] and not options["app_label"]:
            raise CommandError("You must supply at least one app label when using --empty.")
        apps = self.apps_config(
            cast("list[str]", options["app_label"]), create=not options["check"]
        )
        unmigrated = [label for label, app in apps.items() if "migrations" not in app]
        context = get_current_context()
        assert context is not None and context.apps is not None, "Tortoise is not initialised"
        autodetector = MigrationAutodetector(context.apps, apps)
        if options["empty"]:
            writers = await self.empty_writers(autodetector, apps)
        else:
            writers = await autodetector.changes()
        if options["check"]:
            for label in unmigrated:
                self.stdout.write(f"No migrations package for app {label!r} yet.")
            if writers or not unmigrated:
                self.report(writers, write=False)
            if writers or unmigrated:
                sys.exit(1)
            return
        for writer in writers:
            if options["name"]:
                writer.name = format_migration_name(
                    self.number(writer.name), cast("str", options["name"])
                )
        self.report(writers, write=True)

    async def empty_writers(
        self, autodetector: MigrationAutodetector, apps: dict[str, TortoiseApp]
    ) -> list[MigrationWriter]:
        """One migration with no operations per app, after the app's latest."""
        await autodetector.loader.build_graph()
        writers = []
        for label, app in apps.items():
            keys = self.app_migrations(autodetector.loader.graph, label)
            number = max((self.number(key.name) for key in keys), default=0) + 1
            writers.append(
                MigrationWriter(
                    format_migration_name(number, "empty"),
                    label,
                    [],
                    dependencies=[(key.app_label, key.name) for key in keys[-1:]],
                    initial=not keys,
                    migrations_module=cast("str", app["migrations"]),
                )
            )
        return writers

    def report(self, writers: list[MigrationWriter], *, write: bool) -> None:
        if not writers:
            self.stdout.write("No changes detected")
        for writer in writers:
            self.stdout.write(f"Migrations for {writer.app_label!r}:", self.style.MIGRATE_HEADING)
            path = writer.write() if write else writer.path()
            relative = os.path.relpath(path)  # as Django's, when under the current folder
            self.stdout.write(f"  {path if relative.startswith('..') else relative}")
            for operation in writer.operations:
                self.stdout.write(f"    - {operation.describe()}")
