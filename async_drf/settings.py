"""async_settings: the keys async_drf adds, read from the ``ASYNC_DRF`` Django setting.

DRF's own keys (PAGE_SIZE, DEFAULT_*_CLASSES, EXCEPTION_HANDLER, ...) stay in DRF's
``api_settings``; Tortoise's configuration stays in ``TORTOISE_ORM``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.signals import setting_changed
from rest_framework.settings import APISettings

if TYPE_CHECKING:
    from .conditional import ModelETag

DEFAULTS: dict[str, object] = {
    # Name of the Django setting that holds Tortoise's config dict.
    "TORTOISE_SETTING": "TORTOISE_ORM",
    # Create missing tables when the ASGI app starts (handy for SQLite demos).
    "GENERATE_SCHEMAS": False,
    # Render responses whose renderer is pure (JSON) inside the view, on the loop,
    # instead of letting Django's handler hop to a thread to render them.
    "RENDER_INLINE": True,
    # Under Django's WSGI handler every request runs on a new event loop: initialise
    # Tortoise lazily and close its connections at the end of each request.
    "WSGI_CLOSE_CONNECTIONS": True,
    # get_asgi_application() serves STATIC_URL itself (asgi.StaticFiles, servestatic),
    # with DEBUG on or off.
    "SERVE_STATIC": False,
    # Path prefixes (of request.path_info) where async_drf.handlers answer Django-level
    # errors with {"detail": ...} JSON instead of Django's HTML pages.
    "API_PATH_PREFIXES": ["/api/"],
    # The etag_class of generic views (async_drf.conditional.ModelETag turns on ETags,
    # If-None-Match and If-Match everywhere); None ignores those headers, as DRF does.
    "DEFAULT_ETAG_CLASS": None,
    # Seconds a client is told to wait (the Retry-After header) when the database is
    # unreachable, out of connections or locked: the 503 of ServiceUnavailable.
    "SERVICE_UNAVAILABLE_RETRY_AFTER": 5,
    # Seconds a query may wait for a SQLite database: for Tortoise's one connection,
    # then for a write lock held elsewhere (PRAGMA busy_timeout); then a 503.
    # None keeps Tortoise's own client (SQLite's 5 s per query, queued without limit).
    "SQLITE_BUSY_TIMEOUT": 1.0,
    # Deepest nesting of arrays and objects accepted in a JSON request body (400 above).
    "JSON_MAX_DEPTH": 64,
    # SearchFilter: most terms in one search, and most characters in one term (400 above).
    "SEARCH_MAX_TERMS": 20,
    "SEARCH_MAX_TERM_LENGTH": 200,
    # Seconds a query waits for a free connection of Tortoise's PostgreSQL (asyncpg)
    # pool before the request is answered with 503; None waits forever, as Tortoise does.
    "TORTOISE_POOL_TIMEOUT": 5.0,
    # Where async throttles keep their windows: None keeps them in this process's
    # memory (a limit per worker process); a Redis URL ("redis://host:6379/0") keeps
    # them in Redis, one round trip per throttle per request, shared by every process.
    "THROTTLE_REDIS_URL": None,
    # Prepended to the throttles' Redis keys (DRF's "throttle_<scope>_<ident>"), for
    # several projects sharing one Redis database.
    "THROTTLE_KEY_PREFIX": "",
    # After-response tasks (async_drf.tasks): most callables running at once per
    # process (None: no limit), and seconds the ASGI shutdown waits for them.
    "AFTER_RESPONSE_MAX_CONCURRENCY": 10,
    "AFTER_RESPONSE_SHUTDOWN_TIMEOUT": 10.0,
    # Rows read per query by streaming list views (async_drf.streaming).
    "STREAM_CHUNK_SIZE": 500,
    # manage.py commands run without Tortoise set up: servers start it themselves (ASGI
    # lifespan, or per request under WSGI), and tests set up their own databases.  Every
    # other command runs with it (async_drf.management); so do `runserver`'s subclasses.
    "COMMANDS_WITHOUT_TORTOISE": [
        "runserver",
        "testserver",
        "runworker",
        "uvicorn",
        "daphne",
        "test",
    ],
}

IMPORT_STRINGS: list[str] = ["DEFAULT_ETAG_CLASS"]


class AsyncDRFSettings(APISettings):
    """DRF's settings machinery, reading ``ASYNC_DRF`` instead of ``REST_FRAMEWORK``."""

    if TYPE_CHECKING:  # the keys of DEFAULTS, as a project may set them
        TORTOISE_SETTING: str
        GENERATE_SCHEMAS: bool
        RENDER_INLINE: bool
        WSGI_CLOSE_CONNECTIONS: bool
        SERVE_STATIC: bool
        API_PATH_PREFIXES: Sequence[str]
        DEFAULT_ETAG_CLASS: type[ModelETag] | None
        SERVICE_UNAVAILABLE_RETRY_AFTER: float | None
        SQLITE_BUSY_TIMEOUT: float | None
        JSON_MAX_DEPTH: int | None
        SEARCH_MAX_TERMS: int | None
        SEARCH_MAX_TERM_LENGTH: int | None
        TORTOISE_POOL_TIMEOUT: float | None
        THROTTLE_REDIS_URL: str | None
        THROTTLE_KEY_PREFIX: str
        AFTER_RESPONSE_MAX_CONCURRENCY: int | None
        AFTER_RESPONSE_SHUTDOWN_TIMEOUT: float
        STREAM_CHUNK_SIZE: int
        COMMANDS_WITHOUT_TORTOISE: Sequence[str]

    @property
    def user_settings(self) -> dict[str, object]:
        if not hasattr(self, "_user_settings"):
            self._user_settings = getattr(settings, "ASYNC_DRF", {})
        return self._user_settings

    def __getattr__(self, attr: str) -> object:
        if attr not in self.defaults:
            raise AttributeError(f"Invalid async_drf setting: '{attr}'")
        return super().__getattr__(attr)


async_settings = AsyncDRFSettings(None, DEFAULTS, IMPORT_STRINGS)  # type: ignore[arg-type]  # stubs: DRF's keys only


def reload_async_settings(*, setting: str, **kwargs: object) -> None:
    if setting == "ASYNC_DRF":
        async_settings.reload()


setting_changed.connect(reload_async_settings)
