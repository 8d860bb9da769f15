"""System checks: a Tortoise configuration is present and well formed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from .settings import async_settings


@register(Tags.compatibility)
def check_tortoise_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    name = async_settings.TORTOISE_SETTING
    config = getattr(settings, name, None)
    if config is None:
        return [
            Error(
                f"settings.{name} is not set.",
                hint="Set it to Tortoise ORM's config dict (connections and apps).",
                id="async_drf.E001",
            )
        ]
    if not isinstance(config, dict) or "apps" not in config or "connections" not in config:
        return [
            Error(
                f"settings.{name} must be a dict with 'connections' and 'apps' keys.",
                hint="See Tortoise ORM's Tortoise.init(config=...) documentation.",
                id="async_drf.E002",
            )
        ]
    return []
