"""Django's default middleware, run on the event loop.

Each class has the name and the behaviour of the Django middleware it subclasses;
swap the module path in ``MIDDLEWARE`` and nothing else::

    MIDDLEWARE = [
        "async_drf.middleware.SecurityMiddleware",
        "async_drf.middleware.SessionMiddleware",
        "async_drf.middleware.CommonMiddleware",
        "async_drf.middleware.CsrfViewMiddleware",
        "async_drf.middleware.AuthenticationMiddleware",
        "async_drf.middleware.MessageMiddleware",
        "async_drf.middleware.XFrameOptionsMiddleware",
    ]

Django's ``MiddlewareMixin`` runs every ``process_*`` method through ``sync_to_async``
under ASGI: a thread hop each, and a thread started for every request.  Most of those
methods are pure CPU (headers, redirects, cookies, a lazy ``request.user``); these
classes call Django's own methods inline, on the loop, and hop only for a call that
reads or writes session or message storage, or runs the CSRF failure view (a sync
view).  A session whose store does no I/O (signed cookies), or a cache session whose
cache has native async methods, is saved without a hop.  Under WSGI they are Django's
classes unchanged.
"""

from __future__ import annotations

import contextvars
import time
import weakref
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar, cast

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage.base import BaseStorage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions import middleware as sessions_middleware
from django.contrib.sessions.backends import cache as cache_sessions
from django.contrib.sessions.backends import signed_cookies
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.cache.backends.base import BaseCache
from django.middleware import clickjacking, common, csrf, security
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.http import http_date

from . import compat
from ._twins import TWINS  # noqa: F401 - Django's dotted path -> twin's name
from .concurrency import mark_inline, run_sync

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase
    from django.http import HttpRequest, HttpResponse, HttpResponseBase

R = TypeVar("R")

__all__ = [
    "AuthenticationMiddleware",
    "CommonMiddleware",
    "CsrfViewMiddleware",
    "MessageMiddleware",
    "SecurityMiddleware",
    "SessionMiddleware",
    "XFrameOptionsMiddleware",
]

# Cache methods a cache session's save and load await; BaseCache's are sync_to_async.
_SESSION_CACHE_METHODS = ("aget", "aset", "aadd", "ahas_key")

# The reasons CsrfViewMiddleware._reject was given while aprocess_view runs Django's
# process_view inline (the failure view then runs in a hop).
_csrf_rejections: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "async_drf_csrf_rejections", default=None
)


# -- what does I/O ---------------------------------------------------------------------


def store_is_pure(session: SessionBase) -> bool:
    """True for a session store whose load and save are pure CPU (signed cookies)."""
    store = signed_cookies.SessionStore
    kind = type(session)
    return isinstance(session, store) and kind.load is store.load and kind.save is store.save


def store_is_async_native(session: SessionBase) -> bool:
    """True for a cache session whose cache implements Django's async API natively.

    Django's own cache backends (locmem, Redis, memcached, database, file) inherit
    ``BaseCache``'s async methods, which are ``sync_to_async`` wrappers; a backend that
    overrides them lets the session's async API (``aload``, ``asave``) run on the loop.
    """
    if not isinstance(session, cache_sessions.SessionStore):
        return False
    cache_class = type(compat.session_cache(session))
    return all(
        getattr(cache_class, name) is not getattr(BaseCache, name)
        for name in _SESSION_CACHE_METHODS
    )


def session_read_does_io(request: HttpRequest) -> bool:
    """True when reading ``request.session``'s data now would load it from its store."""
    session = getattr(request, "session", None)
    if session is None or compat.session_loaded(session) or store_is_pure(session):
        return False
    return True


async def _inline_or_hop(method: Callable[..., R], hop: bool, *args: object) -> R:
    if hop:
        return await run_sync(method, *args)
    return method(*args)


class AsyncMiddlewareMixin:
    """Runs a Django ``MiddlewareMixin`` middleware's methods inline under ASGI.

    ``request_needs_thread`` / ``response_needs_thread`` answer, before the call,
    whether this call of ``process_request`` / ``process_response`` may do I/O; only
    then does it run in a thread hop, as Django runs every call.
    """

    sync_capable = True
    async_capable = True

    def release_request(self, request: HttpRequest) -> None:
        """Called when the response is closed: drop what ties ``request`` to itself."""

    def request_needs_thread(self, request: HttpRequest) -> bool:
        return False

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return False

    async def aprocess_request(self, request: HttpRequest) -> HttpResponseBase | None:
        needs_thread = self.request_needs_thread(request)
        response: HttpResponseBase | None = await _inline_or_hop(
            self.process_request,  # type: ignore[attr-defined]
            needs_thread,
            request,
        )
        return response

    async def aprocess_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        needs_thread = self.response_needs_thread(request, response)
        processed: HttpResponseBase = await _inline_or_hop(
            self.process_response,  # type: ignore[attr-defined]
            needs_thread,
            request,
            response,
        )
        return processed

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        # Mirrors django.utils.deprecation.MiddlewareMixin.__acall__ (Django 5.2): differs
        # in awaiting aprocess_request / aprocess_response, which call process_request /
        # process_response inline unless the call may do I/O (then through
        # sync_to_async(thread_sensitive=True), as Django always does), and in calling
        # release_request when the response is closed.
        response = None
        if hasattr(self, "process_request"):
            response = await self.aprocess_request(request)
        response = response or await self.get_response(request)  # type: ignore[attr-defined]
        if hasattr(self, "process_response"):
            response = await self.aprocess_response(request, response)
        if type(self).release_request is not AsyncMiddlewareMixin.release_request:
            compat.resource_closers(response).append(partial(self.release_request, request))
        return response


# -- the twins -------------------------------------------------------------------------


class SecurityMiddleware(AsyncMiddlewareMixin, security.SecurityMiddleware):
    """Django's SecurityMiddleware (HTTPS redirect, HSTS, nosniff, referrer and COOP
    headers); every call inline."""


class CommonMiddleware(AsyncMiddlewareMixin, common.CommonMiddleware):
    """Django's CommonMiddleware (DISALLOWED_USER_AGENTS, PREPEND_WWW, APPEND_SLASH,
    Content-Length); every call inline (URL resolution is pure CPU)."""


class XFrameOptionsMiddleware(AsyncMiddlewareMixin, clickjacking.XFrameOptionsMiddleware):
    """Django's XFrameOptionsMiddleware; every call inline."""


class AuthenticationMiddleware(AsyncMiddlewareMixin, auth_middleware.AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, inline: it sets the lazy ``request.user``
    (queries when read, as in Django) and ``request.auser`` (awaited with Django's
    async API).

    Both hold the request they belong to, a reference cycle that only the garbage
    collector frees (under load its full passes stall every request in flight).  Once
    the response is closed they reach the request through a weak proxy instead: they
    answer as before while anything (a test's ``response.wsgi_request``) holds it.
    """

    def release_request(self, request: HttpRequest) -> None:
        proxy = weakref.proxy(request)
        user = request.__dict__.get("user")
        if isinstance(user, SimpleLazyObject):
            # Django's `lambda: get_user(request)`: point its closure at the proxy.
            for cell in getattr(compat.lazy_setup(user), "__closure__", None) or ():
                if cell.cell_contents is request:
                    cell.cell_contents = proxy
        auser = request.__dict__.get("auser")
        if isinstance(auser, partial) and auser.args == (request,):
            request.auser = partial(auser.func, proxy)


class SessionMiddleware(AsyncMiddlewareMixin, sessions_middleware.SessionMiddleware):
    """Django's SessionMiddleware: the store is created inline (it loads lazily); the
    response is processed inline unless the session is saved.  A save runs in one hop,
    except for signed cookies (pure CPU, inline) and a cache session whose cache has
    native async methods (awaited on the loop)."""

    @staticmethod
    def saves(request: HttpRequest) -> bool:
        """True when Django's ``process_response`` would save ``request.session``."""
        try:
            modified = request.session.modified
            empty = request.session.is_empty()
        except AttributeError:
            return False
        return bool(modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty

    async def aprocess_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # Django's stubs type process_response over HttpResponse; Django passes any response.
        if not self.saves(request) or store_is_pure(request.session):
            return self.process_response(request, cast("HttpResponse", response))
        if store_is_async_native(request.session):
            return await self.asave_response(request, response)
        return await run_sync(self.process_response, request, cast("HttpResponse", response))

    async def asave_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # Mirrors django.contrib.sessions.middleware.SessionMiddleware.process_response
        # (Django 5.2): differs only in awaiting the session's async API
        # (aget_expire_at_browser_close, aget_expiry_age, asave) where Django calls the
        # sync one; called only when the session is saved.
        try:
            accessed = request.session.accessed
            modified = request.session.modified
            empty = request.session.is_empty()
        except AttributeError:
            return response
        if settings.SESSION_COOKIE_NAME in request.COOKIES and empty:
            response.delete_cookie(
                settings.SESSION_COOKIE_NAME,
                path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
            need_vary_cookie = True
        else:
            need_vary_cookie = accessed
            if (modified or settings.SESSION_SAVE_EVERY_REQUEST) and not empty:
                if await request.session.aget_expire_at_browser_close():
                    max_age = None
                    expires = None
                else:
                    max_age = await request.session.aget_expiry_age()
                    expires = http_date(time.time() + max_age)
                if response.status_code < 500:
                    try:
                        await request.session.asave()
                    except UpdateError:
                        raise SessionInterrupted(
                            "The request's session was deleted before the "
                            "request completed. The user may have logged "
                            "out in a concurrent request, for example."
                        ) from None
                    # Django's stubs: a str key (set by asave) and bool flags (None: unset).
                    response.set_cookie(
                        settings.SESSION_COOKIE_NAME,
                        cast("str", request.session.session_key),
                        max_age=max_age,
                        expires=expires,
                        domain=settings.SESSION_COOKIE_DOMAIN,
                        path=settings.SESSION_COOKIE_PATH,
                        secure=cast("bool", settings.SESSION_COOKIE_SECURE or None),
                        httponly=cast("bool", settings.SESSION_COOKIE_HTTPONLY or None),
                        samesite=settings.SESSION_COOKIE_SAMESITE,
                    )
                    need_vary_cookie = True
        if need_vary_cookie:
            patch_vary_headers(response, ("Cookie",))
        return response


class CsrfViewMiddleware(AsyncMiddlewareMixin, csrf.CsrfViewMiddleware):
    """Django's CsrfViewMiddleware, inline, with an async ``process_view`` under ASGI.

    A call hops when it reads the session (``CSRF_USE_SESSIONS`` with a session not
    loaded yet) or parses a multipart body (upload handlers may write files); a
    rejection runs ``CSRF_FAILURE_VIEW`` (a sync view) in a hop, as Django's handler
    runs sync views.
    """

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        super().__init__(get_response)
        if self.async_mode:
            # Django's handler awaits an async process_view as it is.
            self.process_view = self.aprocess_view  # type: ignore[method-assign, assignment]

    def request_needs_thread(self, request: HttpRequest) -> bool:
        return settings.CSRF_USE_SESSIONS and session_read_does_io(request)

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE")) and self.request_needs_thread(
            request
        )

    def view_needs_thread(self, request: HttpRequest) -> bool:
        if self.request_needs_thread(request):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        return (
            request.method == "POST"
            and content_type.startswith("multipart/")
            and not compat.post_parsed(request)
        )

    async def aprocess_view(
        self,
        request: HttpRequest,
        callback: Callable[..., HttpResponseBase],
        callback_args: tuple[object, ...],
        callback_kwargs: dict[str, object],
    ) -> HttpResponseBase | None:
        view = super().process_view
        if self.view_needs_thread(request):
            return await run_sync(view, request, callback, callback_args, callback_kwargs)
        rejections: list[str] = []
        token = _csrf_rejections.set(rejections)
        try:
            response = view(request, callback, callback_args, callback_kwargs)
        finally:
            _csrf_rejections.reset(token)
        if rejections:
            failure: HttpResponseBase = await run_sync(
                super()._reject,  # type: ignore[misc]
                request,
                rejections[0],
            )
            return failure
        return response

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponseBase | None:
        rejections = _csrf_rejections.get()
        if rejections is None:  # sync mode, or Django's requires_csrf_token
            failure: HttpResponseBase = super()._reject(  # type: ignore[misc]  # Django's, unstubbed
                request, reason
            )
            return failure
        rejections.append(reason)
        return None  # process_view returns it; aprocess_view answers with the failure view


class MessageMiddleware(AsyncMiddlewareMixin, messages_middleware.MessageMiddleware):
    """Django's MessageMiddleware: the storage is created inline; messages are stored
    inline when nothing was added or read, or when storing them touches only cookies or
    a session already read (or signed cookies); else in one hop.  Once the response is
    closed the storage reaches the request through a weak proxy (no reference cycle)."""

    def release_request(self, request: HttpRequest) -> None:
        # The storage (and a FallbackStorage's storages) hold the request: a cycle.
        storage = compat.message_storage(request)
        proxy = weakref.proxy(request)
        for each in [storage, *getattr(storage, "storages", ())]:
            if isinstance(each, BaseStorage) and each.request is request:
                each.request = proxy

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        storage = compat.message_storage(request)
        if storage is None or not (storage.used or storage.added_new):
            return False  # update() stores nothing
        if type(storage) is CookieStorage:
            return False
        if type(storage) in (SessionStorage, FallbackStorage):
            return session_read_does_io(request)
        return True  # another storage class: it may do I/O


# Letting go of the request at close is pure CPU: the handler closes such a response on
# the loop.
mark_inline(AuthenticationMiddleware.release_request, MessageMiddleware.release_request)
