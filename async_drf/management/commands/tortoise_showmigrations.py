"""``manage.py tortoise_showmigrations [app_label ...]``: the Tortoise migrations of each
app, ``[X]`` when applied to its database, in the order they apply (as Django's
``showmigrations``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ...management.base import TortoiseMigrationCommand

if TYPE_CHECKING:
    from django.core.management.base import CommandParser


class Command(TortoiseMigrationCommand):
    help = "Shows the Tortoise migrations of the apps in TORTOISE_ORM and whether they are applied."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("app_label", nargs="*", help="Apps to show (all by default).")

    async def ahandle(self, *args: object, **options: object) -> None:
        apps = self.apps_config(cast("list[str]", options["app_label"]))
        for executor in self.executors(apps):
            await executor.loader.build_graph()
            applied = executor.loader.applied_migrations
            for app_label in executor.loader.apps_config:
                self.stdout.write(app_label, self.style.MIGRATE_LABEL)
                keys = self.app_migrations(executor.loader.graph, app_label)
                for key in keys:
                    mark = "X" if key in applied else " "
                    self.stdout.write(f" [{mark}] {key.name}")
                if not keys:
                    self.stdout.write(" (no migrations)", self.style.ERROR)
