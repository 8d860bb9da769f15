"""Every module that DRF's settings may name imports first, in a fresh process.

DRF resolves ``REST_FRAMEWORK``'s class paths while it defines ``APIView`` (and
``GenericAPIView``), so a module named there that imports ``rest_framework.views``
while it is itself being imported is only half defined when DRF asks it for its
class: ``ImportError: Could not import 'async_drf.throttling.AsyncAnonRateThrottle'``.
Which module is imported first depends on the project (and on the order Django runs
the system checks in), so each is imported first here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Every DRF default pointed at async_drf's classes, as a project (the demo) does.
SCRIPT = textwrap.dedent(
    """
    import importlib, sys
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.contenttypes", "django.contrib.auth", "rest_framework",
            "async_drf",
        ],
        TORTOISE_ORM={"connections": {"default": "sqlite://:memory:"}, "apps": {}},
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "async_drf.authentication.AsyncTokenAuthentication",
                "async_drf.authentication.AsyncSessionAuthentication",
            ],
            "DEFAULT_THROTTLE_CLASSES": [
                "async_drf.throttling.AsyncAnonRateThrottle",
                "async_drf.throttling.AsyncUserRateThrottle",
            ],
            "DEFAULT_PARSER_CLASSES": ["async_drf.parsers.JSONParser"],
            "DEFAULT_RENDERER_CLASSES": ["async_drf.fastjson.ORJSONRenderer"],
            "DEFAULT_METADATA_CLASS": "async_drf.metadata.AsyncSimpleMetadata",
            "DEFAULT_PAGINATION_CLASS": "async_drf.pagination.AsyncPageNumberPagination",
            "DEFAULT_FILTER_BACKENDS": [
                "async_drf.filters.FilterBackend",
                "async_drf.filters.SearchFilter",
            ],
            "EXCEPTION_HANDLER": "async_drf.exceptions.exception_handler",
            "DEFAULT_SCHEMA_CLASS": "async_drf.schemas.AutoSchema",
        },
    )
    django.setup()
    importlib.import_module(sys.argv[1])
    import rest_framework.generics  # resolves every default above
    """
)

MODULES = [
    "async_drf.authentication",
    pytest.param(  # its AutoSchema, for DEFAULT_SCHEMA_CLASS
        "async_drf.contrib.spectacular",
        marks=pytest.mark.skipif(
            find_spec("drf_spectacular") is None and os.environ.get("CI", "") != "true",
            reason="drf-spectacular is not installed",
        ),
    ),
    "async_drf.exceptions",
    "async_drf.fastjson",
    "async_drf.filters",
    "async_drf.metadata",
    "async_drf.pagination",
    "async_drf.parsers",
    "async_drf.permissions",
    "async_drf.renderers",
    "async_drf.schemas",
    "async_drf.throttling",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_before_drf_views(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, module],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
