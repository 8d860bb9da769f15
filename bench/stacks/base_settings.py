"""Django settings shared by every Django-based stack (each stack's settings star-imports them).

The database comes from the environment the harness sets: ``BENCH_PG_URL`` (a
``postgres://`` URL: asyncpg for Tortoise, psycopg with its pool for Django's ORM) when
set, else the SQLite file ``BENCH_DB`` (the harness gives each stack its own copy).
``BENCH_MIDDLEWARE`` picks the middleware: ``none`` (the default: no middleware at
all, the same empty list for every Django stack), ``django`` (the list
``startproject`` writes) or ``async`` (the same class names from
``ASYNC_MIDDLEWARE_MODULE``).  DEBUG is off and there is no per-request logging.
"""

import os
from urllib.parse import urlsplit

BENCH_DB = os.environ.get("BENCH_DB", "bench.sqlite3")
BENCH_PG_URL = os.environ.get("BENCH_PG_URL") or None
# Connections per server process on PostgreSQL, the same for Tortoise and Django.
POOL_SIZE = 10

# The MIDDLEWARE of a project made by `django-admin startproject` (Django 5.2).
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# Where the async twins of those classes live, under the same class names (the `+amw`
# stacks; bench/run.py skips them while this module is not importable).
ASYNC_MIDDLEWARE_MODULE = "async_drf.middleware"


def middleware(kind, async_module=ASYNC_MIDDLEWARE_MODULE):
    """The MIDDLEWARE list for ``kind``: "none", "django" or "async"."""
    if kind == "none":
        return []
    if kind == "django":
        return list(STARTPROJECT_MIDDLEWARE)
    if kind == "async":
        return [f"{async_module}.{path.rsplit('.', 1)[1]}" for path in STARTPROJECT_MIDDLEWARE]
    raise ValueError(f"BENCH_MIDDLEWARE={kind!r}: want none, django or async")


BENCH_MIDDLEWARE = os.environ.get("BENCH_MIDDLEWARE", "none")

SECRET_KEY = "async-drf-bench"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE: list[str] = middleware(BENCH_MIDDLEWARE)
if MIDDLEWARE:
    # What startproject installs beside its middleware (sessions and messages are
    # only stored when used: the benchmark's anonymous requests never touch them).
    INSTALLED_APPS += ["django.contrib.sessions", "django.contrib.messages"]
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Stacks on Tortoise never open a Django database connection; the Django-ORM stacks
# take DJANGO_ORM_DATABASES (below): a persistent SQLite connection, or a pool.
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

if BENCH_PG_URL:
    _pg = urlsplit(BENCH_PG_URL)
    DJANGO_ORM_DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _pg.path.lstrip("/"),
            "USER": _pg.username or "",
            "PASSWORD": _pg.password or "",
            "HOST": _pg.hostname or "",
            "PORT": _pg.port or "",
            # psycopg's pool, one per process, shared by the requests' threads: under
            # ASGI each request runs its sync ORM calls in a thread of its own, which
            # would otherwise open a connection per request (CONN_MAX_AGE must be 0).
            "CONN_MAX_AGE": 0,
            "OPTIONS": {"pool": {"min_size": POOL_SIZE, "max_size": POOL_SIZE}},
        }
    }
    TORTOISE_URL = f"{BENCH_PG_URL}?minsize={POOL_SIZE}&maxsize={POOL_SIZE}"
else:
    DJANGO_ORM_DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BENCH_DB,
            "CONN_MAX_AGE": None,  # persistent, as Tortoise's single connection is
        }
    }
    TORTOISE_URL = f"sqlite://{BENCH_DB}"

TORTOISE_ORM = {
    "connections": {"default": TORTOISE_URL},
    "apps": {
        "models": {"models": ["bench.stacks.tortoise_models"], "default_connection": "default"}
    },
    "use_tz": True,
    "timezone": "UTC",
}
