"""async_drf.debug.SafeExceptionReporterFilter: credentials inside URLs and
connection strings are masked on the DEBUG page, not only secret-looking names."""

from __future__ import annotations

import sys
from collections import namedtuple

import pytest
from django.test import RequestFactory
from django.test.utils import override_settings
from django.views.debug import ExceptionReporter, technical_500_response

from async_drf.debug import SafeExceptionReporterFilter

SECRET = "s3cr3t-pw"
STARS = SafeExceptionReporterFilter.cleansed_substitute
TORTOISE_URL = f"postgres://blog:{SECRET}@db.internal:5432/blog"
DJANGO_URL = f"postgresql://blog:{SECRET}@db.internal/blog?sslmode=require"
REDIS_URL = f"redis://:{SECRET}@cache.internal:6379/0"

LEAKY_SETTINGS = {
    "TORTOISE_ORM": {
        "connections": {
            "default": TORTOISE_URL,
            "replica": {
                "engine": "tortoise.backends.asyncpg",
                "credentials": {"host": "replica", "user": "blog", "password": SECRET},
            },
        },
        "apps": {"blog": {"models": ["blog.models"], "default_connection": "default"}},
    },
    "DATABASE_URL": DJANGO_URL,
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [REDIS_URL, "redis://replica:6379/0"],
        },
    },
}

reporter_filter = override_settings(
    DEFAULT_EXCEPTION_REPORTER_FILTER="async_drf.debug.SafeExceptionReporterFilter"
)


@pytest.fixture(autouse=True)
def fresh_default_filter():
    # Django caches the default filter instance; settings changes must reach it.
    from django.views.debug import get_default_exception_reporter_filter

    get_default_exception_reporter_filter.cache_clear()
    yield
    get_default_exception_reporter_filter.cache_clear()


def debug_page(**extra_settings):
    """The DEBUG page of an exception raised where locals hold the URLs."""
    request = RequestFactory().get("/api/posts/")
    dsn = TORTOISE_URL  # noqa: F841 - a frame variable the page shows
    config = {"default": DJANGO_URL, "options": [REDIS_URL]}  # noqa: F841
    with override_settings(DEBUG=True, **LEAKY_SETTINGS, **extra_settings):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            return technical_500_response(request, *sys.exc_info()).content.decode()


def test_djangos_own_filter_prints_url_passwords():
    """Why the filter exists: Django masks by name, and a URL's name says nothing."""
    assert SECRET in debug_page()


def test_no_password_in_a_debug_page_with_the_filter():
    with reporter_filter:
        page = debug_page()
    assert SECRET not in page
    assert f"postgres://blog:{STARS}@db.internal:5432/blog" in page  # the URL stays readable
    assert f"redis://:{STARS}@cache.internal:6379/0" in page
    assert "sslmode=require" in page


def test_settings_are_masked_inside_dicts_and_lists():
    with override_settings(**LEAKY_SETTINGS):
        settings = SafeExceptionReporterFilter().get_safe_settings()
    tortoise = settings["TORTOISE_ORM"]["connections"]
    assert tortoise["default"] == f"postgres://blog:{STARS}@db.internal:5432/blog"
    assert tortoise["replica"]["credentials"] == {
        "host": "replica",
        "user": "blog",
        "password": STARS,
    }
    assert settings["DATABASE_URL"] == f"postgresql://blog:{STARS}@db.internal/blog?sslmode=require"
    assert settings["CACHES"]["redis"]["LOCATION"] == [
        f"redis://:{STARS}@cache.internal:6379/0",
        "redis://replica:6379/0",
    ]


@pytest.mark.parametrize(
    ("text", "cleansed"),
    [
        ("postgres://u:p@ss@h/db", f"postgres://u:{STARS}@h/db"),  # "@" in the password
        ("mysql://u:p:w@h", f"mysql://u:{STARS}@h"),
        ("sqlite:///var/db.sqlite3", "sqlite:///var/db.sqlite3"),
        ("https://user@example.com/x", "https://user@example.com/x"),  # no password
        (
            "see http://a:b@h1/ and http://c:d@h2/",
            f"see http://a:{STARS}@h1/ and http://c:{STARS}@h2/",
        ),
        ("redis://h:6379/0?password=x&db=1", f"redis://h:6379/0?password={STARS}&db=1"),
        ("https://h/cb?api_key=abc#top", f"https://h/cb?api_key={STARS}#top"),
        (
            "host=db user=blog password='a b' port=5432",
            f"host=db user=blog password={STARS} port=5432",
        ),
        ("x = 1, page=2", "x = 1, page=2"),
        ("/api/posts/?author=2&token=t", f"/api/posts/?author=2&token={STARS}"),
        ("user@example.com", "user@example.com"),
    ],
)
def test_cleanse_text(text, cleansed):
    assert SafeExceptionReporterFilter().cleanse_text(text) == cleansed


Params = namedtuple("Params", "user password database")


def test_frame_variables_are_searched_and_unchanged_when_clean():
    reporter = SafeExceptionReporterFilter()
    clean = {"rows": [1, 2, (3, "text")], "name": "Ada"}
    assert reporter.cleanse_special_types(None, clean) is clean
    leaky = {"rows": [1, {"url": TORTOISE_URL}], "auth_token": "abc", "author": 1}
    assert reporter.cleanse_special_types(None, leaky) == {
        "rows": [1, {"url": f"postgres://blog:{STARS}@db.internal:5432/blog"}],
        "auth_token": STARS,
        "author": 1,  # Django's settings rule (AUTH) would hide it
    }
    assert leaky["rows"][1]["url"] == TORTOISE_URL  # the program's own value is untouched
    params = Params("blog", SECRET, "blog")
    assert reporter.cleanse_special_types(None, params) == Params("blog", STARS, "blog")
    assert reporter.cleanse_special_types(None, {TORTOISE_URL}) == {
        f"postgres://blog:{STARS}@db.internal:5432/blog"
    }


def test_cyclic_and_deep_frame_variables():
    reporter = SafeExceptionReporterFilter()
    cyclic: dict = {"url": TORTOISE_URL}
    cyclic["self"] = cyclic
    cleansed = reporter.cleanse_special_types(None, cyclic)
    assert cleansed["url"] == f"postgres://blog:{STARS}@db.internal:5432/blog"
    assert cleansed["self"] is cyclic  # the cycle is cut at the value already being cleansed
    deep: list = [TORTOISE_URL]
    for _ in range(50):
        deep = [deep]
    assert reporter.cleanse_special_types(None, deep) is deep  # searched 8 levels only


def test_the_filter_also_cleans_error_reports():
    """Error e-mails (DEBUG off) use the same filter through ExceptionReporter."""
    request = RequestFactory().get("/")
    with reporter_filter, override_settings(**LEAKY_SETTINGS):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            text = ExceptionReporter(request, *sys.exc_info(), is_email=True).get_traceback_text()
    assert "TORTOISE_ORM" in text
    assert SECRET not in text
