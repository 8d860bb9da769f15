"""manage.py commands see Tortoise: :func:`install` wraps ``BaseCommand.run_from_argv``
(what ``manage.py`` and ``django-admin`` call) so that a command runs inside
:func:`async_drf.orm.command_orm`.

Left alone: the commands in ``ASYNC_DRF["COMMANDS_WITHOUT_TORTOISE"]`` and
``runserver``'s subclasses (servers start Tortoise themselves: the ASGI lifespan, or
per request under Django's WSGI handler; the test runner's tests set up their own
databases), and ``call_command`` from code (Django calls ``migrate`` that way when it
creates a test database), which runs with whatever Tortoise its caller set up.  The
``tortoise_*`` commands here run Tortoise's own migration engine.
"""

from __future__ import annotations

import functools

from django.core.management.base import BaseCommand

from ..orm import command_orm
from ..settings import async_settings

__all__ = ["install", "starts_tortoise"]


def starts_tortoise(command: BaseCommand) -> bool:
    """Whether ``command``, run from the command line, runs with Tortoise set up."""
    from django.core.management.commands.runserver import Command as RunserverCommand

    name = type(command).__module__.rpartition(".")[2]
    excluded = isinstance(command, RunserverCommand)
    return not excluded and name not in async_settings.COMMANDS_WITHOUT_TORTOISE


def install() -> None:
    """Run commands from the command line with Tortoise (idempotent)."""
    run_from_argv = BaseCommand.run_from_argv
    if getattr(run_from_argv, "_async_drf_orm", False):
        return

    @functools.wraps(run_from_argv)
    def run_from_argv_with_orm(self: BaseCommand, argv: list[str]) -> None:
        if not starts_tortoise(self):
            return run_from_argv(self, argv)
        with command_orm():
            return run_from_argv(self, argv)

    run_from_argv_with_orm._async_drf_orm = True  # type: ignore[attr-defined]
    BaseCommand.run_from_argv = run_from_argv_with_orm  # type: ignore[method-assign]
