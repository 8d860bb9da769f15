"""Thread hops per request with startproject's MIDDLEWARE, end to end through
async_drf's ASGI handler, counted at asgiref's level (``thread_hops``: every
``sync_to_async`` call, Django's own included).

With ``async_drf.middleware``'s twins a request hops only where it reads Django's
database (a token or a session), and once more to close its response in the thread
that holds that database connection (async_drf's handler); Django's own middleware
hops on every request.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from django.urls import path
from rest_framework.authtoken.models import Token
from rest_framework.permissions import IsAuthenticatedOrReadOnly

from async_drf import generics
from async_drf import serializers as s
from async_drf.asgi import ASGIHandler
from async_drf.authentication import AsyncSessionAuthentication, AsyncTokenAuthentication
from async_drf.throttling import AsyncAnonRateThrottle, AsyncUserRateThrottle

from .asgi_exchange import Exchange
from .django_db import django_db  # noqa: F401 - fixture
from .models import Author
from .token_models import Subscriber, SubscriberToken

# Django 5.2's `startproject` MIDDLEWARE, and the same list from async_drf.middleware.
STARTPROJECT = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TWINS = ["async_drf.middleware." + dotted.rpartition(".")[2] for dotted in STARTPROJECT]


class AnonThrottle(AsyncAnonRateThrottle):
    rate = "1000/min"


class UserThrottle(AsyncUserRateThrottle):
    rate = "1000/min"


class SubscriberTokenAuthentication(AsyncTokenAuthentication):
    model = SubscriberToken


class AuthorSerializer(s.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class AuthorList(generics.AsyncListCreateAPIView):
    """A list and create as a project writes it: token and session authentication,
    read-only for anonymous clients, both throttles on (the memory store)."""

    queryset = Author
    serializer_class = AuthorSerializer
    authentication_classes = [AsyncTokenAuthentication, AsyncSessionAuthentication]
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_classes = [AnonThrottle, UserThrottle]


class SubscriberAuthorList(AuthorList):
    authentication_classes = [SubscriberTokenAuthentication]


urlpatterns = [
    path("authors/", AuthorList.as_view()),
    path("subscriber-authors/", SubscriberAuthorList.as_view()),
]

pytestmark = pytest.mark.usefixtures("django_db", "tortoise_db")

JSON = [(b"content-type", b"application/json")]


async def request(middleware: list[str], url: str, **kwargs: Any) -> Exchange:
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware):
        return await Exchange(ASGIHandler(), url, **kwargs).run()


async def post(middleware: list[str], url: str, body: bytes, headers: list[Any]) -> Exchange:
    length = [(b"content-length", b"%d" % len(body))]
    return await request(middleware, url, method="POST", body=body, headers=JSON + length + headers)


async def session_cookie() -> bytes:
    """A logged-in session in Django's database: the cookie header a browser sends."""
    user = await User.objects.acreate_user("ann", password="pw")
    session = SessionStore()
    await session.aupdate(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    await session.asave()
    return b"sessionid=" + session.session_key.encode()


# -- anonymous GET: 0 ---------------------------------------------------------------


async def test_anonymous_list_with_throttles_makes_no_hop(store: Any, thread_hops: list[str]):
    """0 hops with the memory throttle store and with Redis (redis.asyncio, awaited)."""
    await Author.create(name="Ada")
    answer = await request(TWINS, "/authors/")
    assert answer.status == 200, answer.body
    assert thread_hops == []
    # Django's headers, as its own middleware sets them.
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["vary"] == "Accept, Cookie"
    assert answer.headers["content-length"] == str(len(answer.body))


async def test_djangos_middleware_hops_for_the_same_request(thread_hops: list[str]):
    """What the twins save: Django's middleware runs every process_* call in a thread."""
    answer = await request(STARTPROJECT, "/authors/")
    assert answer.status == 200
    # Each process_* method Django's middleware defines, then the handler closes the
    # response in the request's thread.
    assert thread_hops == [
        "SecurityMiddleware.process_request",
        "SessionMiddleware.process_request",
        "CommonMiddleware.process_request",
        "CsrfViewMiddleware.process_request",
        "AuthenticationMiddleware.process_request",
        "MessageMiddleware.process_request",
        "CsrfViewMiddleware.process_view",
        "XFrameOptionsMiddleware.process_response",
        "MessageMiddleware.process_response",
        "CsrfViewMiddleware.process_response",
        "CommonMiddleware.process_response",
        "SessionMiddleware.process_response",
        "SecurityMiddleware.process_response",
        "HttpResponseBase.close",
    ]


# -- token POST: the token lookup's hop; 0 with a Tortoise token ----------------------


async def test_token_post_hops_only_for_the_token_lookup(thread_hops: list[str]):
    token = await Token.objects.acreate(user=await User.objects.acreate_user("bob"))
    auth = [(b"authorization", f"Token {token.key}".encode())]
    thread_hops.clear()
    answer = await post(TWINS, "/authors/", b'{"name": "Ada"}', auth)
    assert answer.status == 201, answer.body
    # The lookup (Django's aget), then async_drf's handler closes the response in
    # that thread, where the request's Django connection is.
    assert thread_hops == ["QuerySet.get", "HttpResponseBase.close"]


async def test_tortoise_token_post_makes_no_hop(thread_hops: list[str]):
    await SubscriberToken.create(key="k1", user=await Subscriber.create(name="mo"))
    auth = [(b"authorization", b"Token k1")]
    answer = await post(TWINS, "/subscriber-authors/", b'{"name": "Ada"}', auth)
    assert answer.status == 201, answer.body
    assert thread_hops == []


# -- session: its load and its user's -------------------------------------------------


async def test_session_authenticated_get_hops_for_the_session_and_the_user(
    thread_hops: list[str],
):
    cookie = await session_cookie()
    thread_hops.clear()
    answer = await request(TWINS, "/authors/", headers=[(b"cookie", cookie)])
    assert answer.status == 200, answer.body
    # Django's aget_user: the session row, then the user row (its async ORM, one hop
    # each); the session is not saved (unmodified), nothing else hops.
    assert thread_hops == ["QuerySet.get", "QuerySet.get", "HttpResponseBase.close"]
    assert "set-cookie" not in answer.headers


async def test_session_authenticated_post_with_csrf(thread_hops: list[str]):
    cookie = await session_cookie()
    secret = "a" * 32
    headers = [(b"cookie", cookie + b"; csrftoken=" + secret.encode())]
    answer = await post(TWINS, "/authors/", b'{"name": "Ada"}', headers)
    assert answer.status == 403  # DRF's CSRF check (SessionAuthentication), as with Django's
    assert answer.body == b'{"detail":"CSRF Failed: CSRF token missing."}'
    thread_hops.clear()
    headers.append((b"x-csrftoken", secret.encode()))
    answer = await post(TWINS, "/authors/", b'{"name": "Bea"}', headers)
    assert answer.status == 201, answer.body
    assert thread_hops == ["QuerySet.get", "QuerySet.get", "HttpResponseBase.close"]
