"""Authentication policies whose database work is awaited.

Each class subclasses its DRF counterpart: DRF's ``authenticate`` still parses the
``Authorization`` header (same messages, same 401s) and ends by returning
``self.authenticate_credentials(...)``, which is a coroutine here, awaited on the loop.

When Django's database has a connection pool (``OPTIONS["pool"]``), a lookup in
Django's ORM runs in one thread hop that hands the connection back to the pool
(``db.call_released``): the view never holds a Django connection it does not use.
"""

from __future__ import annotations

import inspect
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Never, Protocol, TypeAlias, cast

from django.conf import settings
from django.contrib.auth import (
    aauthenticate,
    aget_user,
    authenticate,
    get_user,
    get_user_model,
)
from django.core.exceptions import ObjectDoesNotExist
from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import compat
from .concurrency import run_sync
from .db import call_released, pooled
from .orm import is_model_class

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db.models import Manager as DjangoManager
    from django.db.models import Model as DjangoModel
    from django.http import HttpRequest
    from tortoise.models import Model

    class _User(Protocol):
        """The project's user (Django's, or a Tortoise model's row), as read here."""

        @property
        def is_active(self) -> bool: ...

    class _Token(Protocol):
        """The project's token row: ``user`` (a relation) or ``user_id`` (a Django user's
        primary key, on a Tortoise token model without the relation)."""

        user: _User
        user_id: str | int

    # The mixin sits in front of DRF's authentication classes.
    _BaseAuthentication = authentication.BaseAuthentication
else:
    _BaseAuthentication = object


# What DRF's authenticate returns for a match: (user, auth); auth is the scheme's own.
_UserAuth: TypeAlias = "tuple[_User, object]"

__all__ = [
    "AsyncBasicAuthentication",
    "AsyncSessionAuthentication",
    "AsyncTokenAuthentication",
]


async def _session_user(request: Request) -> _User | None:
    """The session's user, with Django's async API (the lazy ``user`` would query on the loop).

    With a pooled database and a session cookie, the session and the user are read in
    one hop that also returns the connection to the pool, before the view runs.
    """
    django_request = compat.django_request(request)
    if _releases(get_user_model()) and settings.SESSION_COOKIE_NAME in django_request.COOKIES:
        return await run_sync(call_released, _sync_session_user, django_request)
    auser: Callable[[], Awaitable[_User]] | None = getattr(django_request, "auser", None)
    if auser is not None:  # AuthenticationMiddleware installed
        return await auser()
    if hasattr(django_request, "session"):  # SessionMiddleware only
        return await aget_user(django_request)
    return None


def _sync_session_user(django_request: HttpRequest) -> _User | None:
    # What DRF's SessionAuthentication reads: the middleware's lazy user.
    user: _User | None = getattr(django_request, "user", None)
    if user is None and hasattr(django_request, "session"):  # SessionMiddleware only
        user = get_user(django_request)
    if user is not None:
        user.is_active  # noqa: B018 - evaluates a lazy user here, not on the loop
    return user


def _releases(model: type[DjangoModel]) -> bool:
    """True when reading ``model`` uses a pooled connection, to be handed back early."""
    return pooled(router.db_for_read(model))


# `model` is the project's token class, a Tortoise or a Django model: its fields (`key`,
# `user` or `user_id`) are read by name (the `_Token` protocol).
async def _tortoise_token(model: type[Model], key: str) -> tuple[object, _User] | None:
    """``(token, user)`` for ``key`` from a Tortoise token model, or None."""
    query = model.get_or_none(key=key)
    token: _Token | None
    if "user" in model._meta.fetch_fields:
        # `user` is a Tortoise relation: one query with a join.
        token = cast("_Token | None", await query.select_related("user"))
        return None if token is None else (token, token.user)
    token = cast("_Token | None", await query)
    if token is None:
        return None
    # `user_id` names a row of Django's user model.
    user_model = get_user_model()
    users = user_model._default_manager.filter(pk=token.user_id)
    if _releases(user_model):
        user = await run_sync(call_released, users.first)
    else:
        user = await users.afirst()
    return None if user is None else (token, user)


async def _django_token(model: type[DjangoModel], key: str) -> tuple[object, _User] | None:
    # DRF reads `model.objects` (not `_default_manager`); the stubs' Model has no `objects`.
    objects = cast("DjangoManager[DjangoModel]", getattr(model, "objects"))  # noqa: B009
    tokens = objects.select_related("user")
    try:
        if _releases(model):
            row = await run_sync(call_released, tokens.get, key=key)
        else:
            row = await tokens.aget(key=key)
    except ObjectDoesNotExist:
        return None
    token = cast("_Token", row)
    return token, token.user


class _AwaitCredentials(_BaseAuthentication):
    """Runs DRF's sync ``authenticate`` (header parsing), then awaits its result."""

    async def authenticate(self, request: Request) -> _UserAuth | None:  # type: ignore[override]
        # DRF's stubs: a tuple; here the coroutine of an async authenticate_credentials.
        result = cast(
            "_UserAuth | None | Coroutine[object, Never, _UserAuth]", super().authenticate(request)
        )
        if inspect.iscoroutine(result):  # our async authenticate_credentials
            user_auth: _UserAuth = await result
            return user_auth
        return cast("_UserAuth | None", result)  # None (another scheme) or a sync override's


class AsyncBasicAuthentication(_AwaitCredentials, authentication.BasicAuthentication):
    """Async twin of DRF's BasicAuthentication: checks the password with ``aauthenticate``
    (with a pooled database, Django's sync ``authenticate`` in one releasing hop)."""

    async def authenticate_credentials(  # type: ignore[override]
        self, userid: str, password: str, request: Request | None = None
    ) -> tuple[AbstractBaseUser, None]:
        user_model = get_user_model()
        credentials = {user_model.USERNAME_FIELD: userid, "password": password}
        if _releases(user_model):
            user = await run_sync(call_released, authenticate, request=request, **credentials)
        else:
            user = await aauthenticate(request=request, **credentials)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid username/password."))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, None)


class AsyncSessionAuthentication(authentication.SessionAuthentication):
    """Async twin of DRF's SessionAuthentication: the user comes from ``request.auser()``.

    DRF reads the middleware's lazy ``request.user``, which queries the session and
    user tables synchronously (SynchronousOnlyOperation on the loop).  The CSRF check
    is pure CPU and runs inline, as in DRF, for authenticated requests only.
    """

    async def authenticate(self, request: Request) -> tuple[_User, None] | None:  # type: ignore[override]
        user = await _session_user(request)
        # Unauthenticated, CSRF validation not required
        if not user or not user.is_active:
            return None
        self.enforce_csrf(request)
        return (user, None)


class AsyncTokenAuthentication(_AwaitCredentials, authentication.TokenAuthentication):
    """Async twin of DRF's TokenAuthentication; ``model`` may be a Tortoise model.

    With DRF's ``authtoken.Token`` (default) or another Django model, the token and its
    user are read with Django's async ORM.  A Tortoise token model needs a ``key``
    field and either a ``user`` relation to a Tortoise user model (which provides
    ``is_active`` and ``is_authenticated``) or a ``user_id`` field holding the primary
    key of a Django user.
    """

    async def authenticate_credentials(self, key: str) -> _UserAuth:  # type: ignore[override]
        model = self.get_model()
        lookup = _tortoise_token if is_model_class(model) else _django_token
        found = await lookup(model, key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)
