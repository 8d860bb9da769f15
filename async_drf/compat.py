"""Version shims for Django 5.2/6.x, DRF 3.15+ and Tortoise ORM 1.x; nothing else."""

from __future__ import annotations

from typing import Any

from tortoise import exceptions as tortoise_exceptions

try:  # Tortoise 1.x
    from tortoise.context import get_current_context
except ImportError:  # pragma: no cover - Tortoise < 1.0 is not supported
    get_current_context = None  # type: ignore[assignment]

# Present in every Tortoise 1.x release, but keep the table importable if one goes.
DBConnectionError = getattr(tortoise_exceptions, "DBConnectionError", ConnectionError)
ObjectDoesNotExistError = getattr(
    tortoise_exceptions, "ObjectDoesNotExistError", tortoise_exceptions.DoesNotExist
)


# Tortoise's Model.save and Model.delete send their signals through these private
# coroutines; a conditional write (async_drf.conditional) sends the same signals.
async def send_pre_save(instance: Any, using_db: Any, update_fields: Any) -> None:
    await instance._pre_save(using_db, update_fields)


async def send_post_save(instance: Any, using_db: Any, update_fields: Any) -> None:
    await instance._post_save(using_db, False, update_fields)


async def send_pre_delete(instance: Any, using_db: Any) -> None:
    await instance._pre_delete(using_db)


async def send_post_delete(instance: Any, using_db: Any) -> None:
    await instance._post_delete(using_db)


def write_db(instance: Any, using_db: Any = None) -> Any:
    """The connection Model.save would write ``instance`` with."""
    return using_db or instance._choose_db(True)


__all__ = [
    "DBConnectionError",
    "ObjectDoesNotExistError",
    "get_current_context",
    "send_post_delete",
    "send_post_save",
    "send_pre_delete",
    "send_pre_save",
    "write_db",
]
