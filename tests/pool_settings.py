"""Settings for the database-capacity tests: Django and Tortoise both on PostgreSQL, pooled.

Read from the environment the test sets: ASYNC_DRF_POOL_DB_URL (the test's own
database, usually through its TCP proxy), ASYNC_DRF_POOL_SIZE (per process, for each
ORM) and ASYNC_DRF_POOL_TIMEOUT (seconds a request waits for a free connection).
"""

import os
from urllib.parse import urlsplit

from .settings import *  # noqa: F403

_url = urlsplit(os.environ["ASYNC_DRF_POOL_DB_URL"])
_size = int(os.environ.get("ASYNC_DRF_POOL_SIZE", "4"))
_timeout = float(os.environ.get("ASYNC_DRF_POOL_TIMEOUT", "5"))

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
        "CONN_HEALTH_CHECKS": True,  # the pool checks a connection before lending it
        "OPTIONS": {"pool": {"min_size": 1, "max_size": _size, "timeout": _timeout}},
    }
}
TORTOISE_ORM = {
    "connections": {"default": f"{_url.geturl()}?minsize=1&maxsize={_size}"},
    "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    "use_tz": True,
    "timezone": "UTC",
}
ASYNC_DRF = {"TORTOISE_POOL_TIMEOUT": _timeout}
ROOT_URLCONF = "tests.pool_urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_AUTHENTICATION_CLASSES": ["async_drf.authentication.AsyncTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
# Tracebacks of 500s go to the server's output, which a failing test shows.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
