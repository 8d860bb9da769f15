"""Settings for tests that run the project under a real server (uvicorn, WSGI).

The Tortoise database comes from ASYNC_DRF_SERVER_DB_URL (a SQLite file by default)
and its tables are created when the server starts.
"""

import os

from .settings import *  # noqa: F403

TORTOISE_ORM = {
    "connections": {"default": os.environ.get("ASYNC_DRF_SERVER_DB_URL", "sqlite://server.db")},
    "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    "use_tz": True,
    "timezone": "UTC",
}
ASYNC_DRF = {"GENERATE_SCHEMAS": True}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"async_drf": {"handlers": ["console"], "level": "INFO"}},
}
