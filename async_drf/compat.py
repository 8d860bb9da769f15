"""Version shims for Django 5.2/6.x, DRF 3.15+ and Tortoise ORM 1.x; nothing else."""

from __future__ import annotations

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

__all__ = ["DBConnectionError", "ObjectDoesNotExistError", "get_current_context"]
