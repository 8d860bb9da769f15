"""Settings for the async_drf demo: a blog API whose data lives in Tortoise ORM and
whose users, sessions and tokens live in Django's ORM.

Everything that differs between a laptop and a server comes from the environment
(see README.md): SQLite files under ``demo/var/`` and throttle windows in process
memory by default; PostgreSQL and Redis when their URLs are given.  The defaults are
safe to copy: DEBUG off, local hosts only, X-Frame-Options DENY, a throttled token endpoint;
``DEMO_PRODUCTION=1`` adds what ``manage.py check --deploy`` asks for (HTTPS only).
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# -- security ----------------------------------------------------------------------
PRODUCTION = os.environ.get("DEMO_PRODUCTION") == "1"
# DEBUG shows settings, local variables and SQL to whoever triggers an error: only
# on request (`make demo DEBUG=1`), never with DEMO_PRODUCTION.
DEBUG = os.environ.get("DEMO_DEBUG") == "1"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEMO_DEBUG=1 and DEMO_PRODUCTION=1 exclude each other.")
SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DEMO_PRODUCTION=1 needs DEMO_SECRET_KEY (50+ random chars).")
    SECRET_KEY = "demo-only-not-a-secret"
# The Host header becomes the host of every absolute link (pagination): accept only
# the names this server is reached by.
ALLOWED_HOSTS = os.environ.get("DEMO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
X_FRAME_OPTIONS = "DENY"  # XFrameOptionsMiddleware: no page may be framed (clickjacking)
# Settings and frame variables on the DEBUG page and in error reports with the
# passwords of database and cache URLs masked (Django masks only secret-looking names).
DEFAULT_EXCEPTION_REPORTER_FILTER = "async_drf.debug.SafeExceptionReporterFilter"
# Django-level errors under /api/ as {"detail": ...} JSON (handler400... in urls.py).
CSRF_FAILURE_VIEW = "async_drf.handlers.csrf_failure"
if PRODUCTION:
    # HTTPS only, behind a TLS proxy: uvicorn trusts X-Forwarded-Proto from
    # --forwarded-allow-ips (127.0.0.1 by default).
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DEMO_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "async_drf",
    "drf_spectacular",  # the OpenAPI schema at /api/spectacular/ (manage.py spectacular)
    "drf_spectacular_sidecar",  # Swagger UI's and Redoc's files, served locally
    # servestatic's system checks; after staticfiles, whose runserver keeps serving
    # static files under `manage.py runserver`.
    "servestatic",
    "blog",
]

# startproject's middleware from async_drf.middleware: Django's classes under the same
# names, their process_* methods run on the event loop.  (Django's own, MiddlewareMixin,
# run each process_* call through sync_to_async under ASGI: a thread per request and a
# hop per call.)  A request still hops where it reads Django's database: a token or a
# session lookup, saving a modified session (see README's "Sync and async").
MIDDLEWARE = [
    "async_drf.middleware.SecurityMiddleware",
    "async_drf.middleware.SessionMiddleware",
    "async_drf.middleware.CommonMiddleware",
    "async_drf.middleware.CsrfViewMiddleware",
    "async_drf.middleware.AuthenticationMiddleware",
    "async_drf.middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"
WSGI_APPLICATION = "demo.wsgi.application"
ASGI_APPLICATION = "demo.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # for `manage.py collectstatic`; not needed to serve
ASYNC_DRF = {
    # get_asgi_application() serves STATIC_URL itself (servestatic, on the loop), with
    # DEBUG on or off: the browsable API's CSS and Swagger UI's JavaScript.
    "SERVE_STATIC": True,
    # Throttles keep their windows in this process's memory by default: with several
    # workers each counts on its own.  With DEMO_REDIS_URL they share them in Redis.
    "THROTTLE_REDIS_URL": os.environ.get("DEMO_REDIS_URL"),
}
SERVESTATIC_USE_FINDERS = True  # straight from the apps' static/ folders

USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# Connections per worker process on PostgreSQL: keep
# workers x (DJANGO_POOL_SIZE + TORTOISE_POOL_SIZE) below the server's max_connections.
DJANGO_POOL_SIZE = 4  # users, sessions, tokens: one short lookup per request
TORTOISE_POOL_SIZE = 10  # the blog's queries


def database_from_url(url):
    """Django's DATABASES entry for ``postgres://user:pass@host:port/name`` or
    ``sqlite:////absolute/path.sqlite3`` (dj-database-url's syntax: four slashes before
    an absolute path), with the demo's OPTIONS."""
    database = dj_database_url.parse(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets several uvicorn workers read while one writes.
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL;",
            "transaction_mode": "IMMEDIATE",
            **database.get("OPTIONS", {}),
        }
    elif database["ENGINE"] == "django.db.backends.postgresql":
        # needs psycopg with its pool: pip install "async_drf[postgres]"
        database["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
        # One pool per worker process, shared by its requests.  Authentication holds
        # a connection only for its lookup; a request that finds none free within
        # `timeout` seconds is answered 503.
        database["OPTIONS"] = {
            "pool": {"min_size": 1, "max_size": DJANGO_POOL_SIZE, "timeout": 5},
            **database.get("OPTIONS", {}),
        }
    return database


def tortoise_url(url):
    """Tortoise's URL, with its asyncpg pool sized for PostgreSQL (minsize/maxsize)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return url
    query = {"minsize": "1", "maxsize": str(TORTOISE_POOL_SIZE), **dict(parse_qsl(parts.query))}
    return parts._replace(query=urlencode(query)).geturl()


# Django's database: users, sessions and tokens.
DATABASES = {
    "default": database_from_url(
        os.environ.get("DEMO_DATABASE_URL", f"sqlite:///{VAR_DIR / 'django.sqlite3'}")
    )
}

# Tortoise's database: the blog.  The same postgres:// URLs (a SQLite file is
# sqlite:///absolute/path here, three slashes); may be the same PostgreSQL database
# (Django's tables are prefixed with their app label, Tortoise's are not).  A query that
# finds every pooled connection busy waits ASYNC_DRF["TORTOISE_POOL_TIMEOUT"] seconds
# (5 by default), then the request is answered 503.
TORTOISE_ORM = {
    "connections": {
        # REGEXP functions: SearchFilter's `$` prefix on SQLite.
        "default": tortoise_url(
            os.environ.get(
                "DEMO_TORTOISE_URL",
                f"sqlite://{VAR_DIR / 'blog.sqlite3'}?install_regexp_functions=True",
            )
        )
    },
    "apps": {
        "blog": {
            "models": ["blog.models"],
            "default_connection": "default",
            # Tortoise's migrations (manage.py tortoise_makemigrations / tortoise_migrate);
            # blog.migrations would be Django's.
            "migrations": "blog.tortoise_migrations",
        }
    },
    "use_tz": True,
    "timezone": "UTC",
}

REST_FRAMEWORK = {
    # drf-spectacular's inspector: async_drf views get its Tortoise-aware subclass, which
    # also answers DRF's generator (/api/schema/, manage.py generateschema).
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous write gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "async_drf.authentication.AsyncTokenAuthentication",
        "async_drf.authentication.AsyncSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "async_drf.pagination.AsyncPageNumberPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_FILTER_BACKENDS": [
        "async_drf.filters.FilterBackend",  # filterset_class / filterset_fields (django-filter's)
        "async_drf.filters.SearchFilter",  # ?search=async (search_fields)
        "async_drf.filters.OrderingFilter",  # ?ordering=-created (ordering_fields)
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "async_drf.throttling.AsyncAnonRateThrottle",
        "async_drf.throttling.AsyncUserRateThrottle",
    ],
    # An empty DEMO_*_RATE turns that throttle off.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("DEMO_ANON_RATE", "100/min") or None,
        "user": os.environ.get("DEMO_USER_RATE", "1000/min") or None,
        "upstream": os.environ.get("DEMO_UPSTREAM_RATE", "30/min") or None,  # /api/upstream/
        # /api/token/: each guess costs a password hash (~0.35 s of CPU).
        "token": os.environ.get("DEMO_TOKEN_RATE", "10/min") or None,
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "async_drf demo blog",
    "VERSION": "1.0.0",
    # Swagger UI and Redoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"async_drf": {"handlers": ["console"], "level": "INFO"}},
}
