"""Django settings shared by every Django-based stack (each stack's settings star-imports them).

The SQLite file comes from ``BENCH_DB`` (the harness gives each stack its own copy).
DEBUG is off, no middleware at all (the same empty list for every Django stack) and no
per-request logging.
"""

import os

BENCH_DB = os.environ.get("BENCH_DB", "bench.sqlite3")

SECRET_KEY = "async-drf-bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE: list[str] = []
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Stacks on Tortoise never open a Django database connection; the Django-ORM stacks
# override NAME with BENCH_DB and keep their connection open between requests.
DATABASES: dict = {}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

PAGE_SIZE = 20

# DRF-based stacks: JSON only, no authentication, no permissions (the same for all).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "PAGE_SIZE": PAGE_SIZE,
}

DJANGO_ORM_DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BENCH_DB,
        "CONN_MAX_AGE": None,  # persistent, as Tortoise's single connection is
    }
}

TORTOISE_ORM = {
    "connections": {"default": f"sqlite://{BENCH_DB}"},
    "apps": {
        "models": {"models": ["bench.stacks.tortoise_models"], "default_connection": "default"}
    },
    "use_tz": True,
    "timezone": "UTC",
}
