"""async_settings reads ASYNC_DRF lazily and reloads when it changes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from async_drf.settings import async_settings


def test_defaults():
    assert async_settings.RENDER_INLINE is True
    assert async_settings.GENERATE_SCHEMAS is False
    assert async_settings.TORTOISE_SETTING == "TORTOISE_ORM"


def test_reloads_on_setting_changed():
    with override_settings(ASYNC_DRF={"GENERATE_SCHEMAS": True}):
        assert async_settings.GENERATE_SCHEMAS is True
    assert async_settings.GENERATE_SCHEMAS is False


def test_unknown_setting_is_an_error():
    with pytest.raises(AttributeError, match="Invalid async_drf setting: 'NOPE'"):
        async_settings.NOPE  # noqa: B018


def test_drf_keys_are_not_copied():
    with pytest.raises(AttributeError):
        async_settings.PAGE_SIZE  # noqa: B018 - lives in DRF's api_settings


def test_system_check_reports_a_missing_tortoise_config():
    from async_drf.checks import check_tortoise_settings

    assert check_tortoise_settings() == []
    with override_settings(TORTOISE_ORM=None):
        assert [e.id for e in check_tortoise_settings()] == ["async_drf.E001"]
    with override_settings(TORTOISE_ORM={"apps": {}}):
        assert [e.id for e in check_tortoise_settings()] == ["async_drf.E002"]
