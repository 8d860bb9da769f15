"""manage.py commands see Tortoise: :func:`install` wraps ``BaseCommand.execute`` so that
a command runs inside :func:`async_drf.orm.command_orm`.

Server commands (``runserver`` and its subclasses, ``ASYNC_DRF["SERVER_COMMANDS"]``)
are left alone: the server starts Tortoise (the ASGI lifespan, or per request under
Django's WSGI handler).  The ``tortoise_*`` commands here run Tortoise's own migration
engine.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.management.base import BaseCommand

from ..orm import command_orm
from ..settings import async_settings

__all__ = ["install", "is_server_command"]


def is_server_command(command: BaseCommand) -> bool:
    """Whether ``command`` serves requests (Tortoise is then the server's business)."""
    from django.core.management.commands.runserver import Command as RunserverCommand

    name = type(command).__module__.rpartition(".")[2]
    return isinstance(command, RunserverCommand) or name in async_settings.SERVER_COMMANDS


def install() -> None:
    """Run every management command but the server ones with Tortoise (idempotent)."""
    execute = BaseCommand.execute
    if getattr(execute, "_async_drf_orm", False):
        return

    @functools.wraps(execute)
    def execute_with_orm(self: BaseCommand, *args: Any, **options: Any) -> Any:
        if is_server_command(self):
            return execute(self, *args, **options)
        with command_orm():
            return execute(self, *args, **options)

    execute_with_orm._async_drf_orm = True  # type: ignore[attr-defined]
    BaseCommand.execute = execute_with_orm  # type: ignore[method-assign]
