"""Async authentication: DRF's statuses, bodies and headers, sync/async mixes, CSRF."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.urls import path
from rest_framework import authentication as drf_authentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from tortoise import fields
from tortoise.context import TortoiseContext
from tortoise.models import Model

from async_drf.authentication import (
    AsyncBasicAuthentication,
    AsyncSessionAuthentication,
    AsyncTokenAuthentication,
)
from async_drf.concurrency import run_sync
from async_drf.permissions import AsyncBasePermission
from async_drf.test import AsyncAPIClient
from async_drf.throttling import AsyncUserRateThrottle
from async_drf.views import AsyncAPIView

from .django_db import django_db  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("django_db")

ALL_USERS_BACKEND = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]


# -- Tortoise token models (a separate "authkeys" app, initialised by a fixture) --


class ApiKey(Model):
    """A Tortoise token whose ``user_id`` names a Django user."""

    key = fields.CharField(max_length=40, primary_key=True)
    user_id = fields.IntField()

    class Meta:
        app = "authkeys"


class Member(Model):
    """A Tortoise user model with what DRF reads from a user."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    is_active = fields.BooleanField(default=True)

    is_authenticated = True

    class Meta:
        app = "authkeys"


class MemberKey(Model):
    key = fields.CharField(max_length=40, primary_key=True)
    user: fields.ForeignKeyRelation[Member] = fields.ForeignKeyField("authkeys.Member")

    class Meta:
        app = "authkeys"


# -- views ------------------------------------------------------------------------


class WhoAmI(AsyncAPIView):
    permission_classes = [IsAuthenticated]

    async def get(self, request: Any) -> Response:
        user = request.user
        name = getattr(user, "username", None) or getattr(user, "name", None)
        return Response({"user": name, "auth": type(request.auth).__name__})

    async def post(self, request: Any) -> Response:
        return Response({"posted": request.data})


def view(*classes: Any, **initkwargs: Any) -> Any:
    return WhoAmI.as_view(authentication_classes=list(classes), **initkwargs)


class LazyUserView(AsyncAPIView):
    """No authenticators: ``request.user`` must not run the middleware's sync query."""

    async def get(self, request: Any) -> Response:
        return Response({"user": repr(request.user), "django": repr(request._request.user)})


def _holds_connection() -> bool:
    return connection.connection is not None


class HeldView(AsyncAPIView):
    """Reports whether the request's thread still holds a Django connection in the view."""

    permission_classes = [IsAuthenticated]

    async def get(self, request: Any) -> Response:
        held = await run_sync(_holds_connection)
        return Response({"user": str(request.user), "holds_connection": held})


def held_view(*classes: Any) -> Any:
    return HeldView.as_view(authentication_classes=list(classes))


urlpatterns = [
    path("session/", view(AsyncSessionAuthentication)),
    path("drf-session/", view(drf_authentication.SessionAuthentication)),
    path("lazy/", LazyUserView.as_view()),
    path("held-session/", HeldView.as_view(authentication_classes=[AsyncSessionAuthentication])),
]


# -- helpers and fixtures ---------------------------------------------------------


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


async def make_user(username: str = "ann", **extra: Any) -> User:
    return await User.objects.acreate_user(username, password="pw", **extra)


async def call(view_func: Any, api_factory: Any, method: str = "get", **extra: Any) -> Any:
    request = getattr(api_factory, method)("/", **extra)
    return await view_func(request)


@pytest.fixture
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest_asyncio.fixture(loop_scope="session")
async def authkeys() -> AsyncIterator[TortoiseContext]:
    ctx = TortoiseContext()
    async with ctx:
        config = {
            "connections": {"default": "sqlite://:memory:"},
            "apps": {"authkeys": {"models": [__name__], "default_connection": "default"}},
        }
        await ctx.init(config=config, _create_db=True)
        await ctx.generate_schemas(safe=False)
        yield ctx


def assert_denied(response: Any, status: int, detail: str, www: str | None = None) -> None:
    assert response.status_code == status, response.data
    assert response.data == {"detail": detail}
    assert response.headers.get("WWW-Authenticate") == www


# -- token ------------------------------------------------------------------------


async def test_token_success_costs_no_hop(api_factory: Any, hops: Any) -> None:
    token = await Token.objects.acreate(user=await make_user())
    response = await call(
        view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    assert response.data == {"user": "ann", "auth": "Token"}
    assert hops.count == 0, hops


async def test_token_keyword_is_case_insensitive(api_factory: Any) -> None:
    token = await Token.objects.acreate(user=await make_user())
    response = await call(
        view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION=f"token {token.key}"
    )
    assert response.status_code == 200


async def test_token_unknown_key(api_factory: Any) -> None:
    response = await call(
        view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION="Token nope"
    )
    assert_denied(response, 401, "Invalid token.", "Token")


async def test_token_inactive_user(api_factory: Any) -> None:
    token = await Token.objects.acreate(user=await make_user(is_active=False))
    response = await call(
        view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert_denied(response, 401, "User inactive or deleted.", "Token")


async def test_token_missing_header(api_factory: Any) -> None:
    response = await call(view(AsyncTokenAuthentication), api_factory)
    assert_denied(response, 401, "Authentication credentials were not provided.", "Token")


async def test_token_other_scheme_is_ignored(api_factory: Any) -> None:
    response = await call(
        view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION="Bearer abc"
    )
    assert_denied(response, 401, "Authentication credentials were not provided.", "Token")


async def test_token_custom_keyword(api_factory: Any) -> None:
    class BearerAuthentication(AsyncTokenAuthentication):
        keyword = "Bearer"

    token = await Token.objects.acreate(user=await make_user())
    auth = f"Bearer {token.key}"
    response = await call(view(BearerAuthentication), api_factory, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    response = await call(view(BearerAuthentication), api_factory, HTTP_AUTHORIZATION="Bearer x")
    assert_denied(response, 401, "Invalid token.", "Bearer")


MALFORMED = [
    (AsyncTokenAuthentication, "Token", "Invalid token header. No credentials provided.", "Token"),
    (
        AsyncTokenAuthentication,
        "Token a b",
        "Invalid token header. Token string should not contain spaces.",
        "Token",
    ),
    (
        AsyncTokenAuthentication,
        "Token \xff\xfe",
        "Invalid token header. Token string should not contain invalid characters.",
        "Token",
    ),
    # Headers travel as latin-1: these are the UTF-8 bytes of "café", a valid key string.
    (AsyncTokenAuthentication, "Token caf\xc3\xa9", "Invalid token.", "Token"),
    (
        AsyncTokenAuthentication,
        "Token caf\xe9",
        "Invalid token header. Token string should not contain invalid characters.",
        "Token",
    ),
    (
        AsyncBasicAuthentication,
        "Basic",
        "Invalid basic header. No credentials provided.",
        'Basic realm="api"',
    ),
    (
        AsyncBasicAuthentication,
        "Basic a b",
        "Invalid basic header. Credentials string should not contain spaces.",
        'Basic realm="api"',
    ),
    (
        AsyncBasicAuthentication,
        "Basic !!!not-base64",
        "Invalid basic header. Credentials not correctly base64 encoded.",
        'Basic realm="api"',
    ),
    (
        AsyncBasicAuthentication,
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Invalid basic header. Credentials not correctly base64 encoded.",
        'Basic realm="api"',
    ),
    (
        AsyncBasicAuthentication,
        "Basic \xe9\xe9\xe9\xe9",
        "Invalid basic header. Credentials not correctly base64 encoded.",
        'Basic realm="api"',
    ),
]


@pytest.mark.parametrize(("auth_class", "header", "detail", "www"), MALFORMED)
async def test_malformed_authorization_is_401(
    api_factory: Any, auth_class: Any, header: str, detail: str, www: str
) -> None:
    response = await call(view(auth_class), api_factory, HTTP_AUTHORIZATION=header)
    assert_denied(response, 401, detail, www)


# -- token: Tortoise models ----------------------------------------------------------


async def test_tortoise_token_with_django_user(api_factory: Any, authkeys: Any, hops: Any) -> None:
    class ApiKeyAuthentication(AsyncTokenAuthentication):
        model = ApiKey

    user = await make_user()
    await ApiKey.create(key="k1", user_id=user.pk)
    response = await call(view(ApiKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token k1")
    assert response.status_code == 200
    assert response.data == {"user": "ann", "auth": "ApiKey"}
    assert hops.count == 0
    response = await call(view(ApiKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token k2")
    assert_denied(response, 401, "Invalid token.", "Token")
    await ApiKey.create(key="orphan", user_id=user.pk + 100)
    response = await call(
        view(ApiKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token orphan"
    )
    assert_denied(response, 401, "Invalid token.", "Token")


async def test_tortoise_token_with_tortoise_user(api_factory: Any, authkeys: Any) -> None:
    class MemberKeyAuthentication(AsyncTokenAuthentication):
        model = MemberKey

    await MemberKey.create(key="live", user=await Member.create(name="mo"))
    await MemberKey.create(key="gone", user=await Member.create(name="ex", is_active=False))
    response = await call(
        view(MemberKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token live"
    )
    assert response.status_code == 200
    assert response.data == {"user": "mo", "auth": "MemberKey"}
    response = await call(
        view(MemberKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token gone"
    )
    assert_denied(response, 401, "User inactive or deleted.", "Token")
    response = await call(view(MemberKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token no")
    assert_denied(response, 401, "Invalid token.", "Token")


# -- basic ------------------------------------------------------------------------


async def test_basic_success_costs_no_hop(api_factory: Any, hops: Any) -> None:
    await make_user()
    response = await call(
        view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "pw")
    )
    assert response.status_code == 200
    assert response.data == {"user": "ann", "auth": "NoneType"}
    assert hops.count == 0, hops


async def test_basic_password_may_contain_colons(api_factory: Any) -> None:
    user = await make_user()
    user.set_password("a:b")
    await user.asave()
    response = await call(
        view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "a:b")
    )
    assert response.status_code == 200


async def test_basic_wrong_password(api_factory: Any) -> None:
    await make_user()
    response = await call(
        view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "no")
    )
    assert_denied(response, 401, "Invalid username/password.", 'Basic realm="api"')


async def test_basic_inactive_user(api_factory: Any) -> None:
    await make_user(is_active=False)
    # Django's default backend refuses inactive users itself (as under DRF).
    response = await call(
        view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "pw")
    )
    assert_denied(response, 401, "Invalid username/password.", 'Basic realm="api"')
    with override_settings(AUTHENTICATION_BACKENDS=ALL_USERS_BACKEND):
        response = await call(
            view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "pw")
        )
    assert_denied(response, 401, "User inactive or deleted.", 'Basic realm="api"')


# -- session and CSRF (through Django's handler and middleware) -----------------------

CSRF_SECRET = "a" * 32


async def test_session_success_costs_no_hop(urls: Any, hops: Any) -> None:
    client = AsyncAPIClient()
    await client.aforce_login(await make_user())
    response = await client.get("/session/")
    assert response.status_code == 200
    assert response.json() == {"user": "ann", "auth": "NoneType"}
    assert hops.count == 0, hops


async def test_session_without_login_is_403(urls: Any) -> None:
    # SessionAuthentication has no authenticate_header: 403, no WWW-Authenticate.
    response = await AsyncAPIClient().get("/session/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert "WWW-Authenticate" not in response.headers


async def test_session_inactive_user_is_anonymous(urls: Any) -> None:
    client = AsyncAPIClient()
    with override_settings(AUTHENTICATION_BACKENDS=ALL_USERS_BACKEND):
        await client.aforce_login(await make_user(is_active=False))
        response = await client.get("/session/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


async def test_session_csrf_enforced_on_unsafe_methods(urls: Any) -> None:
    client = AsyncAPIClient(enforce_csrf_checks=True)
    await client.aforce_login(await make_user())
    assert (await client.get("/session/")).status_code == 200  # safe method: no check
    response = await client.post("/session/", {"a": 1}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    client.cookies["csrftoken"] = CSRF_SECRET
    response = await client.post("/session/", {"a": 1}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF token missing."}
    response = await client.post("/session/", {"a": 1}, format="json", HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 200, response.content
    assert response.json() == {"posted": {"a": 1}}


async def test_session_csrf_not_checked_when_anonymous(urls: Any) -> None:
    # DRF skips CSRF for anonymous requests: the failure is authentication, not CSRF.
    response = await AsyncAPIClient(enforce_csrf_checks=True).post("/session/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}


async def test_drf_sync_session_authentication_hops_once(urls: Any, hops: Any) -> None:
    client = AsyncAPIClient()
    await client.aforce_login(await make_user())
    response = await client.get("/drf-session/")
    assert response.status_code == 200
    assert response.json() == {"user": "ann", "auth": "NoneType"}
    assert hops.count == 1, hops


async def test_lazy_user_never_queries_synchronously(urls: Any, hops: Any) -> None:
    # With a sessionid cookie and AuthenticationMiddleware, reading the middleware's
    # lazy request.user on the loop raises SynchronousOnlyOperation; the view
    # resolves request.user before the handler runs.
    client = AsyncAPIClient()
    await client.aforce_login(await make_user())
    assert "sessionid" in client.cookies
    response = await client.get("/lazy/")
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "None", "django": "None"}
    assert hops.count == 0


# -- sync and async mixes; 401 versus 403 -------------------------------------------


async def test_sync_authenticators_share_one_hop(api_factory: Any, hops: Any) -> None:
    token = await Token.objects.acreate(user=await make_user())
    auth_view = view(
        drf_authentication.BasicAuthentication,
        drf_authentication.TokenAuthentication,
        AsyncBasicAuthentication,
    )
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.data == {"user": "ann", "auth": "Token"}
    assert hops.count == 1, hops


async def test_async_then_sync_authenticator(api_factory: Any, hops: Any) -> None:
    token = await Token.objects.acreate(user=await make_user())
    auth_view = view(AsyncBasicAuthentication, drf_authentication.TokenAuthentication)
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert hops.count == 1, hops
    hops.reset()
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION=basic("ann", "pw"))
    assert response.status_code == 200
    assert hops.count == 0, hops  # the async authenticator answered first


async def test_failure_stops_the_walk(api_factory: Any, hops: Any) -> None:
    # DRF: an authenticator that raises ends authentication; later ones never run.
    token = await Token.objects.acreate(user=await make_user())
    auth_view = view(AsyncTokenAuthentication, drf_authentication.TokenAuthentication)
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION="Token nope")
    assert_denied(response, 401, "Invalid token.", "Token")
    assert hops.count == 0
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("classes", "status", "www"),
    [
        ((AsyncTokenAuthentication, AsyncSessionAuthentication), 401, "Token"),
        ((AsyncSessionAuthentication, AsyncTokenAuthentication), 403, None),
        ((AsyncBasicAuthentication,), 401, 'Basic realm="api"'),
    ],
)
async def test_first_authenticator_decides_401_or_403(
    api_factory: Any, classes: tuple[Any, ...], status: int, www: str | None
) -> None:
    response = await call(view(*classes), api_factory)
    assert_denied(response, status, "Authentication credentials were not provided.", www)


async def test_no_authenticators_is_plain_permission_denied(api_factory: Any) -> None:
    response = await call(view(), api_factory)
    assert_denied(response, 403, "You do not have permission to perform this action.")


async def test_failed_credentials_follow_the_first_authenticator(api_factory: Any) -> None:
    auth_view = view(AsyncSessionAuthentication, AsyncTokenAuthentication)
    response = await call(auth_view, api_factory, HTTP_AUTHORIZATION="Token nope")
    assert_denied(response, 403, "Invalid token.")


class IsAnn(AsyncBasePermission):
    message = "Only ann."

    async def has_permission(self, request: Any, view: Any) -> bool:
        return request.user.username == "ann"


class TenPerMinute(AsyncUserRateThrottle):
    scope, rate = "auth-e2e", "10/min"  # a scope of its own: no window shared with other tests


async def test_async_policies_cost_no_hop_end_to_end(api_factory: Any, hops: Any) -> None:
    ann = await Token.objects.acreate(user=await make_user())
    bob = await Token.objects.acreate(user=await make_user("bob"))
    policy_view = view(
        AsyncSessionAuthentication,
        AsyncTokenAuthentication,
        permission_classes=[IsAuthenticated & IsAnn],
        throttle_classes=[TenPerMinute],
    )
    response = await call(policy_view, api_factory, HTTP_AUTHORIZATION=f"Token {ann.key}")
    assert response.status_code == 200
    response = await call(policy_view, api_factory, HTTP_AUTHORIZATION=f"Token {bob.key}")
    assert_denied(response, 403, "Only ann.")
    assert hops.count == 0, hops


# -- a pooled Django database: the lookup hands its connection back --------------------


@pytest.fixture
def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django's database treated as pooled (the suite's SQLite file has no pool)."""
    monkeypatch.setattr("async_drf.authentication.pooled", lambda alias: True)
    monkeypatch.setattr("async_drf.db.pooled", lambda alias: True)


async def test_pooled_token_lookup_releases_its_connection(
    api_factory: Any, pooled: None, hops: Any
) -> None:
    token = await Token.objects.acreate(user=await make_user())
    response = await call(
        held_view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    assert response.data == {"user": "ann", "holds_connection": False}
    # The lookup is the one hop Django's aget() made too; it also releases the connection.
    assert hops.calls == ["call_released", "_holds_connection"], hops


async def test_pooled_token_unknown_key_releases_its_connection(
    api_factory: Any, pooled: None, hops: Any
) -> None:
    response = await call(
        held_view(AsyncTokenAuthentication), api_factory, HTTP_AUTHORIZATION="Token nope"
    )
    assert_denied(response, 401, "Invalid token.", "Token")
    assert await run_sync(_holds_connection) is False
    assert hops.calls == ["call_released", "_holds_connection"], hops


async def test_pooled_tortoise_token_releases_the_user_lookup(
    api_factory: Any, authkeys: Any, pooled: None, hops: Any
) -> None:
    class ApiKeyAuthentication(AsyncTokenAuthentication):
        model = ApiKey

    user = await make_user()
    await ApiKey.create(key="k1", user_id=user.pk)
    response = await call(
        held_view(ApiKeyAuthentication), api_factory, HTTP_AUTHORIZATION="Token k1"
    )
    assert response.status_code == 200
    assert response.data == {"user": "ann", "holds_connection": False}
    assert hops.calls == ["call_released", "_holds_connection"], hops


async def test_pooled_basic_authentication_releases_its_connection(
    api_factory: Any, pooled: None, hops: Any
) -> None:
    await make_user()
    response = await call(
        held_view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "pw")
    )
    assert response.status_code == 200
    assert response.data == {"user": "ann", "holds_connection": False}
    # The one hop Django's aauthenticate() makes to read the user, now counted.
    assert hops.calls == ["call_released", "_holds_connection"], hops
    response = await call(
        held_view(AsyncBasicAuthentication), api_factory, HTTP_AUTHORIZATION=basic("ann", "no")
    )
    assert_denied(response, 401, "Invalid username/password.", 'Basic realm="api"')


async def test_pooled_session_user_releases_its_connection(
    urls: Any, pooled: None, hops: Any
) -> None:
    client = AsyncAPIClient()
    await client.aforce_login(await make_user())
    hops.reset()
    response = await client.get("/held-session/")
    assert response.status_code == 200, response.content
    assert response.json() == {"user": "ann", "holds_connection": False}
    # One hop reads the session and the user (Django's async API takes two).
    assert hops.calls == ["call_released", "_holds_connection"], hops


async def test_pooled_session_without_cookie_costs_no_hop(
    urls: Any, pooled: None, hops: Any
) -> None:
    response = await AsyncAPIClient().get("/held-session/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert hops.count == 0, hops
