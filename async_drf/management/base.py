"""The base of the ``tortoise_*`` commands: Tortoise's own migration engine
(``tortoise.migrations``) for the apps of ``TORTOISE_ORM``, on the Tortoise the command
runs with (:func:`async_drf.orm.command_orm`).

Each app keeps its migrations in the package its config names (``"migrations"``), by
default ``<models package>.tortoise_migrations``: ``<app>.migrations`` is Django's.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TypeAlias, cast

from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand, CommandError
from tortoise.connection import get_connection
from tortoise.context import get_current_context
from tortoise.migrations.graph import MigrationGraph, MigrationKey

from ..orm import command_orm, get_tortoise_config
from .executor import MigrationExecutor

__all__ = ["TortoiseMigrationCommand", "default_migrations_module", "migrations_path"]


# One app of TORTOISE_ORM["apps"]: {"models": [...], "default_connection": ..., ...}.
TortoiseApp: TypeAlias = dict[str, object]


def default_migrations_module(app: Mapping[str, object]) -> str:
    """``<package of the app's first models module>.tortoise_migrations``."""
    models = cast("str | Iterable[str | ModuleType]", app.get("models") or [])
    first = models if isinstance(models, str) else next(iter(models), "")
    name = cast("str", getattr(first, "__name__", first))
    package = name.rpartition(".")[0] or name
    return f"{package}.tortoise_migrations"


def migrations_path(module: str, *, create: bool = False) -> Path | None:
    """The folder of the migrations package ``module``; made (with an empty
    ``__init__.py``) when ``create``, else None while it does not exist."""
    parent, _, name = module.rpartition(".")
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # the parent package is missing
        raise CommandError(f"Cannot import {parent!r}, the package of {module!r}.") from None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec is not None:
        raise CommandError(f"Migrations module {module!r} is not a package.")
    if not create:
        return None
    base = Path(next(iter(importlib.import_module(parent).__path__))) if parent else Path()
    (base / name).mkdir(parents=True, exist_ok=True)
    (base / name / "__init__.py").touch()
    importlib.invalidate_caches()
    return base / name


class TortoiseMigrationCommand(BaseCommand):
    """A command whose ``ahandle`` coroutine runs Tortoise's migration engine."""

    def handle(self, *args: object, **options: object) -> None:
        with command_orm():  # for call_command too; a no-op under manage.py
            if get_current_context() is None:
                raise CommandError(
                    "Tortoise is not initialised: call this command from synchronous "
                    "code (manage.py, call_command outside an event loop)."
                )
            async_to_sync(self.ahandle)(*args, **options)

    async def ahandle(self, *args: object, **options: object) -> None:
        raise NotImplementedError("subclasses of TortoiseMigrationCommand must provide ahandle()")

    def apps_config(
        self, app_labels: list[str] | None = None, *, create: bool = False
    ) -> dict[str, TortoiseApp]:
        """The config of the given apps (all by default), each with its migrations
        module; the packages are made when ``create``, else an app without one has no
        ``"migrations"`` key (Tortoise's engine then leaves it out)."""
        apps = get_tortoise_config()["apps"]
        unknown = [label for label in app_labels or [] if label not in apps]
        if unknown:
            raise CommandError(
                f"No Tortoise app with label {', '.join(map(repr, unknown))} in "
                f"TORTOISE_ORM (apps: {', '.join(apps)})."
            )
        selected: dict[str, TortoiseApp] = {}
        for label in app_labels or apps:
            app = {**apps[label]}
            module = app.pop("migrations", None) or default_migrations_module(app)
            if migrations_path(module, create=create) is not None:
                app["migrations"] = module
            selected[label] = app
        return selected

    @staticmethod
    def executors(apps: dict[str, TortoiseApp]) -> list[MigrationExecutor]:
        """One migration executor per connection, each for the apps stored there."""
        by_connection: dict[str, dict[str, TortoiseApp]] = {}
        for label, app in apps.items():
            connection = cast("str", app.get("default_connection", "default"))
            by_connection.setdefault(connection, {})[label] = app
        return [
            MigrationExecutor(get_connection(name), subset)
            for name, subset in by_connection.items()
        ]

    @staticmethod
    def number(name: str) -> int:
        """The number a migration's name starts with (``0002_...``), else 0."""
        head = name.partition("_")[0]
        return int(head) if head.isdigit() else 0

    @staticmethod
    def app_migrations(graph: MigrationGraph, app_label: str) -> list[MigrationKey]:
        """The migrations of ``app_label`` in the order they apply."""
        keys: dict[MigrationKey, None] = {}
        for leaf in graph.leaf_nodes(app_label):
            for key in graph.forwards_plan(leaf):
                if key.app_label == app_label:
                    keys[key] = None
        return list(keys)

    def find_migration(self, graph: MigrationGraph, app_label: str, name: str) -> MigrationKey:
        """The migration of ``app_label`` named ``name`` or starting with it (as Django's)."""
        keys = [key for key in self.app_migrations(graph, app_label) if key.name.startswith(name)]
        exact = [key for key in keys if key.name == name]
        if exact or len(keys) == 1:
            return (exact or keys)[0]
        if keys:
            raise CommandError(
                f"More than one migration matches {name!r} in app {app_label!r}. "
                "Please be more specific."
            )
        raise CommandError(f"Cannot find a migration matching {name!r} from app {app_label!r}.")
