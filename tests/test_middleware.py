"""async_drf.middleware behaves as Django's middleware: Django's own tests for the
behaviour the twins run differently (tests/sessions_tests, tests/messages_tests,
tests/middleware, tests/csrf_tests in django/django), run through each twin's async
path.

``acall`` drives a middleware as Django's ASGI handler does: the twin is built in
async mode around the view (a sync view in a thread, as Django runs one) and called
from an event loop.  The tests are sync so that they can read Django's database as
Django's do; the thread hops each call made are counted too.
"""

from __future__ import annotations

import gc
import secrets
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from http import cookies
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages import storage as message_storage
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.models import Session
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory, override_settings
from django.urls import path

from async_drf import middleware as twins

from .django_db import django_db  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("django_db")

factory = RequestFactory()


def acall(twin_class: type, view: Any, request: Any) -> Any:
    """``twin_class(view)(request)`` through the twin's async ``__acall__``."""
    middleware = twin_class(sync_to_async(view))
    assert middleware.async_mode
    return async_to_sync(middleware)(request)


def plain_view(request: Any) -> HttpResponse:
    return HttpResponse("OK")


urlpatterns = [
    path("slash/", plain_view),
    path("noslash", plain_view),
]


# -- the classes ----------------------------------------------------------------------


def test_each_twin_subclasses_djangos_class_under_the_same_name():
    from django.utils.module_loading import import_string

    for dotted, name in twins.TWINS.items():
        twin = getattr(twins, name)
        assert twin.__name__ == dotted.rpartition(".")[2] == name
        assert issubclass(twin, import_string(dotted))
        assert twin.async_capable and twin.sync_capable


def test_sync_mode_is_djangos_own_path(thread_hops):
    """Under WSGI (a sync get_response) the twin is Django's class unchanged."""
    middleware = twins.XFrameOptionsMiddleware(plain_view)
    assert not middleware.async_mode
    assert middleware(factory.get("/"))["X-Frame-Options"] == "DENY"
    csrf = twins.CsrfViewMiddleware(plain_view)
    assert csrf.process_view.__func__ is twins.csrf.CsrfViewMiddleware.process_view


# -- SessionMiddleware (sessions_tests.tests.SessionMiddlewareTests) --------------------


class NativeAsyncLocMemCache(LocMemCache):
    """A cache whose async methods run on the loop (Django's are sync_to_async)."""

    async def aget(self, key, default=None, version=None):
        return self.get(key, default, version)

    async def aset(self, key, value, timeout=None, version=None):
        return self.set(key, value, timeout, version)

    async def aadd(self, key, value, timeout=None, version=None):
        return self.add(key, value, timeout, version)

    async def ahas_key(self, key, version=None):
        return self.has_key(key, version)


CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "native": {"BACKEND": f"{__name__}.NativeAsyncLocMemCache"},
}

# Session engine -> the hops a save makes.
ENGINES = {
    "django.contrib.sessions.backends.db": ["SessionMiddleware.process_response"],
    "django.contrib.sessions.backends.cache": ["SessionMiddleware.process_response"],
    "native-cache": [],
    "django.contrib.sessions.backends.signed_cookies": [],
}


@pytest.fixture(params=list(ENGINES))
def engine(request):
    name = request.param
    options = {"SESSION_ENGINE": name, "CACHES": CACHES}
    if name == "native-cache":
        options.update(
            SESSION_ENGINE="django.contrib.sessions.backends.cache", SESSION_CACHE_ALIAS="native"
        )
    with override_settings(**options):
        yield name


def touching_session(request):
    request.session["hello"] = "world"
    return HttpResponse("Session test")


def test_session_save_hops_only_where_the_store_does_io(engine, thread_hops):
    response = acall(twins.SessionMiddleware, touching_session, factory.get("/"))
    key = response.cookies[settings.SESSION_COOKIE_NAME].value
    assert thread_hops == ["touching_session", *ENGINES[engine]]  # the view, then the save
    engine_module = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    assert engine_module.SessionStore(key).load() == {"hello": "world"}


def test_session_not_touched_is_inline_and_sets_nothing(engine, thread_hops):
    response = acall(twins.SessionMiddleware, plain_view, factory.get("/"))
    assert response.cookies == {} and not response.has_header("Vary")
    assert thread_hops == ["plain_view"]


@pytest.mark.parametrize(
    ("setting", "value", "flag", "expected"),
    [
        ("SESSION_COOKIE_SECURE", True, "secure", True),
        ("SESSION_COOKIE_HTTPONLY", True, "httponly", True),
        ("SESSION_COOKIE_HTTPONLY", False, "httponly", ""),
        ("SESSION_COOKIE_SAMESITE", "Strict", "samesite", "Strict"),
    ],
)
def test_session_cookie_flags(engine, setting, value, flag, expected):
    with override_settings(**{setting: value}):
        response = acall(twins.SessionMiddleware, touching_session, factory.get("/"))
    morsel = response.cookies[settings.SESSION_COOKIE_NAME]
    assert morsel[flag] == expected
    if flag == "httponly":
        assert (cookies.Morsel._reserved["httponly"] in str(morsel)) is value


@pytest.mark.parametrize("status", [500, 503])
def test_session_not_saved_on_5xx(engine, status):
    def failing(request):
        request.session["hello"] = "world"
        return HttpResponse("Horrible error", status=status)

    request = factory.get("/")
    acall(twins.SessionMiddleware, failing, request)
    assert "hello" not in request.session.load()


def test_session_update_error_is_session_interrupted():
    def deleting(request):
        request.session = DatabaseSession()
        request.session.save(must_create=True)
        request.session.delete()
        return HttpResponse()

    message = (
        "The request's session was deleted before the request completed. "
        "The user may have logged out in a concurrent request, for example."
    )
    with pytest.raises(SessionInterrupted, match=message):
        acall(twins.SessionMiddleware, deleting, factory.get("/foo/"))


def test_session_update_error_on_the_async_path(engine):
    """The same through Django's async session API (a native-async cache)."""
    if engine != "native-cache":
        pytest.skip("the async mirror serves native-async cache sessions")

    def deleting(request):
        request.session.save(must_create=True)
        request.session.delete()
        request.session["x"] = 1
        return HttpResponse()

    with pytest.raises(SessionInterrupted):
        acall(twins.SessionMiddleware, deleting, factory.get("/foo/"))


def ending_session(request):
    request.session.flush()
    return HttpResponse("Session test")


def test_session_delete_on_end(engine):
    request = factory.get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    response = acall(twins.SessionMiddleware, ending_session, request)
    assert str(response.cookies[settings.SESSION_COOKIE_NAME]) == (
        f'Set-Cookie: {settings.SESSION_COOKIE_NAME}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; '
        f"Max-Age=0; Path=/; SameSite={settings.SESSION_COOKIE_SAMESITE}"
    )
    assert response.headers["Vary"] == "Cookie"


@override_settings(SESSION_COOKIE_DOMAIN=".example.local", SESSION_COOKIE_PATH="/example/")
def test_session_delete_on_end_with_custom_domain_and_path():
    request = factory.get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "abc"
    response = acall(twins.SessionMiddleware, ending_session, request)
    assert str(response.cookies[settings.SESSION_COOKIE_NAME]) == (
        f'Set-Cookie: {settings.SESSION_COOKIE_NAME}=""; Domain=.example.local; expires=Thu, '
        "01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; "
        f"SameSite={settings.SESSION_COOKIE_SAMESITE}"
    )


def test_flush_empty_without_session_cookie_doesnt_set_cookie(engine):
    response = acall(twins.SessionMiddleware, ending_session, factory.get("/"))
    assert response.cookies == {}
    assert response.headers["Vary"] == "Cookie"


def test_empty_session_saved():
    def setting(request):
        request.session["foo"] = "bar"
        return HttpResponse("Session test")

    request = factory.get("/")
    response = acall(twins.SessionMiddleware, setting, request)
    assert tuple(request.session.items()) == (("foo", "bar"),)
    assert f"Set-Cookie: sessionid={request.session.session_key}" in str(response.cookies)
    assert response.headers["Vary"] == "Cookie"

    def emptying(request):
        del request.session["foo"]
        return HttpResponse("Session test")

    middleware = twins.SessionMiddleware(sync_to_async(emptying))
    response = async_to_sync(middleware.aprocess_response)(request, emptying(request))
    session = Session.objects.get(session_key=request.session.session_key)
    assert session.get_decoded() == {}
    assert f"Set-Cookie: sessionid={request.session.session_key}" in str(response.cookies)
    assert response.headers["Vary"] == "Cookie"


@override_settings(SESSION_SAVE_EVERY_REQUEST=True)
def test_save_every_request_saves_a_session_it_did_not_modify(thread_hops):
    session = DatabaseSession()
    session["a"] = 1
    session.save()
    request = factory.get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = session.session_key
    response = acall(twins.SessionMiddleware, plain_view, request)
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == session.session_key
    assert thread_hops == ["plain_view", "SessionMiddleware.process_response"]


# -- MessageMiddleware (messages_tests.test_middleware, test_cookie, test_session) -------


def adding_message(request):
    request._messages.add(constants.INFO, "saved")
    return HttpResponse("OK")


def message_call(storage: str, view: Any, request: Any = None) -> tuple[Any, Any]:
    """The request (with a session) through MessageMiddleware's async path."""
    if request is None:
        request = factory.get("/")
        twins.SessionMiddleware(plain_view).process_request(request)
    with override_settings(MESSAGE_STORAGE=storage):
        middleware = twins.MessageMiddleware(sync_to_async(view))
        return request, async_to_sync(middleware)(request)


COOKIE = "django.contrib.messages.storage.cookie.CookieStorage"
SESSION = "django.contrib.messages.storage.session.SessionStorage"
FALLBACK = "django.contrib.messages.storage.fallback.FallbackStorage"


def test_response_without_messages():
    """MessageMiddleware is tolerant of messages not existing on request."""
    middleware = twins.MessageMiddleware(sync_to_async(plain_view))
    response = async_to_sync(middleware.aprocess_response)(factory.get("/"), HttpResponse())
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("storage", "hops"),
    [(COOKIE, []), (FALLBACK, ["process_response"]), (SESSION, ["process_response"])],
)
def test_messages_are_stored_as_django_stores_them(storage, hops, thread_hops):
    request, response = message_call(storage, adding_message)
    assert [hop.rpartition(".")[2] for hop in thread_hops] == ["adding_message", *hops]
    # Where Django puts them: the cookie, or the session (saved by SessionMiddleware).
    later = factory.get("/")
    later.COOKIES = {k: morsel.value for k, morsel in response.cookies.items()}
    later.session = request.session
    with override_settings(MESSAGE_STORAGE=storage):
        assert [m.message for m in message_storage.default_storage(later)] == ["saved"]


def test_no_message_added_or_read_is_inline(thread_hops):
    message_call(SESSION, plain_view)
    assert thread_hops == ["plain_view"]


def test_messages_in_a_read_session_are_stored_inline(thread_hops):
    request = factory.get("/")
    twins.SessionMiddleware(plain_view).process_request(request)
    request.session["loaded"] = True  # read: its data is in memory now
    message_call(SESSION, adding_message, request)
    assert thread_hops == ["adding_message"]
    assert request.session[message_storage.session.SessionStorage.session_key]


@override_settings(DEBUG=True)
def test_unstored_messages_raise_with_debug():
    """Django's ValueError when not every message could be stored, in DEBUG."""

    def many(request):
        for _ in range(40):
            request._messages.add(constants.INFO, secrets.token_hex(150))  # incompressible
        return HttpResponse("OK")

    with pytest.raises(ValueError, match="Not all temporary messages could be stored."):
        message_call(COOKIE, many)


# -- Common, Security, XFrameOptions (middleware.tests, middleware.test_security) -------


@override_settings(ROOT_URLCONF=__name__, PREPEND_WWW=True, APPEND_SLASH=True)
def test_prepend_www_append_slash_skips_the_view(thread_hops):
    """CommonMiddlewareTest.test_prepend_www_append_slash_slashless: process_request's
    response ends the request (the view never runs)."""
    response = acall(twins.CommonMiddleware, plain_view, factory.get("/slash"))
    assert response.status_code == 301 and response.url == "http://www.testserver/slash/"
    assert thread_hops == []


@override_settings(ROOT_URLCONF=__name__, APPEND_SLASH=True)
def test_append_slash_on_404_response():
    """CommonMiddlewareTest.test_append_slash_redirect_querystring via process_response."""
    request = factory.get("/slash", {"a": "1"})
    response = acall(twins.CommonMiddleware, lambda r: HttpResponseNotFound(), request)
    assert response.status_code == 301 and response.url == "/slash/?a=1"


@override_settings(ROOT_URLCONF=__name__)
def test_content_length_added(thread_hops):
    response = acall(twins.CommonMiddleware, plain_view, factory.get("/slash/"))
    assert response.headers["Content-Length"] == "2"


@override_settings(DISALLOWED_USER_AGENTS=[__import__("re").compile("evil")])
def test_disallowed_user_agent():
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="Forbidden user agent"):
        acall(twins.CommonMiddleware, plain_view, factory.get("/", HTTP_USER_AGENT="evil"))


@override_settings(SECURE_SSL_REDIRECT=True)
def test_ssl_redirect_skips_the_view(thread_hops):
    """SecurityMiddlewareTest.test_ssl_redirect_on."""
    response = acall(twins.SecurityMiddleware, plain_view, factory.get("/some/url?query=string"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/some/url?query=string"
    assert thread_hops == []


@override_settings(SECURE_HSTS_SECONDS=600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_security_headers():
    response = acall(twins.SecurityMiddleware, plain_view, factory.get("/", secure=True))
    assert response.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(("setting", "header"), [("sameorigin", "SAMEORIGIN"), ("DENY", "DENY")])
def test_x_frame_options(setting, header):
    with override_settings(X_FRAME_OPTIONS=setting):
        response = acall(twins.XFrameOptionsMiddleware, plain_view, factory.get("/"))
    assert response.headers["X-Frame-Options"] == header


def test_x_frame_options_exempt_and_already_set():
    def exempt(request):
        response = HttpResponse()
        response.xframe_options_exempt = True
        return response

    response = acall(twins.XFrameOptionsMiddleware, exempt, factory.get("/"))
    assert not response.has_header("X-Frame-Options")

    def own(request):
        response = HttpResponse()
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response

    response = acall(twins.XFrameOptionsMiddleware, own, factory.get("/"))
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_authentication_middleware_sets_lazy_user_and_auser(thread_hops):
    """AuthenticationMiddleware: request.user as Django sets it (lazy) and request.auser."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    request = factory.get("/")
    twins.SessionMiddleware(plain_view).process_request(request)
    acall(twins.AuthenticationMiddleware, plain_view, request)
    assert isinstance(request.user, SimpleLazyObject)
    assert isinstance(async_to_sync(request.auser)(), AnonymousUser)
    assert thread_hops == ["plain_view"]


def test_authentication_middleware_requires_session_middleware():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="requires session middleware"):
        acall(twins.AuthenticationMiddleware, plain_view, factory.get("/"))


# -- no reference cycles once the response is closed -----------------------------------


@contextmanager
def collector_paused() -> Iterator[None]:
    """Only reference counting frees objects in here: what a cycle holds stays."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_authentication_middleware_leaves_no_cycle_once_closed():
    """Django's lazy user and auser hold the request; after close they hold it weakly
    and still answer while the request lives."""
    from django.contrib.auth.models import AnonymousUser

    request = factory.get("/")
    twins.SessionMiddleware(plain_view).process_request(request)
    response = acall(twins.AuthenticationMiddleware, plain_view, request)
    response.close()
    assert isinstance(async_to_sync(request.auser)(), AnonymousUser)
    assert request.user.is_anonymous  # the lazy object evaluates through the proxy
    freed = weakref.ref(request)
    with collector_paused():
        del request, response
        assert freed() is None


@pytest.mark.parametrize("storage", [COOKIE, SESSION, FALLBACK])
def test_message_storage_leaves_no_cycle_once_closed(storage):
    def adds_and_keeps(request):
        request._messages.add(constants.INFO, "kept")
        return HttpResponse("OK")

    request, response = message_call(storage, adds_and_keeps)
    response.close()
    with override_settings(MESSAGE_STORAGE=storage):
        # Read after close, as a test reads response.wsgi_request's messages.
        assert [m.message for m in request._messages] == ["kept"]
    freed = weakref.ref(request)
    with collector_paused():
        del request, response
        assert freed() is None
