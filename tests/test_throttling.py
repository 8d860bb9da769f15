"""Async throttles: DRF's own throttling tests, on the memory store and on Redis.

Ported from encode/django-rest-framework tests/test_throttling.py with the same
inputs and expected statuses, waits and Retry-After headers; the views are
AsyncAPIViews and the throttles async_drf's.  Every test runs once per store.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import override_settings
from rest_framework import throttling as drf
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import force_authenticate
from rest_framework.throttling import BaseThrottle

from async_drf.test import AsyncAPIRequestFactory
from async_drf.throttle_stores import ThrottleWindow
from async_drf.throttling import (
    AsyncAnonRateThrottle,
    AsyncScopedRateThrottle,
    AsyncSimpleRateThrottle,
    AsyncUserRateThrottle,
)
from async_drf.views import AsyncAPIView

from .throttle_helpers import User


class User3SecRateThrottle(AsyncUserRateThrottle):
    rate = "3/sec"
    scope = "seconds"


class User3MinRateThrottle(AsyncUserRateThrottle):
    rate = "3/min"
    scope = "minutes"


class User6MinRateThrottle(AsyncUserRateThrottle):
    rate = "6/min"
    scope = "minutes"


class NonTimeThrottle(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        if not hasattr(self.__class__, "called"):
            self.__class__.called = True
            return True
        return False


def mock_view(*throttle_classes: type, scope: str | None = None, body: str = "foo") -> Any:
    """DRF's test views: ``get`` answers ``body`` behind ``throttle_classes``."""

    class View(AsyncAPIView):
        async def get(self, request: Any) -> Response:
            return Response(body)

    View.throttle_classes, View.throttle_scope = throttle_classes, scope
    return View


MockView_DoubleThrottling = mock_view(User3SecRateThrottle, User6MinRateThrottle)
MockView = mock_view(User3SecRateThrottle)
MockView_MinuteThrottling = mock_view(User3MinRateThrottle)
MockView_NonTimeThrottling = mock_view(NonTimeThrottle)


factory = AsyncAPIRequestFactory()


@pytest.fixture
def set_throttle_timer(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Explicitly set the timer, overriding time.time() (restored after the test)."""

    def set_timer(view: Any, value: float) -> None:
        for cls in view.throttle_classes:
            monkeypatch.setattr(cls, "timer", lambda self: value, raising=False)

    return set_timer


# -- ThrottlingTests ------------------------------------------------------------------


async def test_requests_are_throttled(store: Any) -> None:
    request = factory.get("/")
    for _ in range(4):
        response = await MockView.as_view()(request)
    assert response.status_code == 429


async def test_request_throttling_expires(store: Any, set_throttle_timer: Any) -> None:
    set_throttle_timer(MockView, 0)
    request = factory.get("/")
    for _ in range(4):
        response = await MockView.as_view()(request)
    assert response.status_code == 429
    # Advance the timer by one second
    set_throttle_timer(MockView, 1)
    response = await MockView.as_view()(request)
    assert response.status_code == 200


async def ensure_is_throttled(view: Any, expect: int) -> None:
    request = factory.get("/")
    force_authenticate(request, User(1))  # DRF: request.user = User.objects.create(...)
    for _ in range(3):
        await view.as_view()(request)
    request = factory.get("/")
    force_authenticate(request, User(2))
    response = await view.as_view()(request)
    assert response.status_code == expect


async def test_request_throttling_is_per_user(store: Any) -> None:
    await ensure_is_throttled(MockView, 200)


async def test_request_throttling_multiple_throttles(store: Any, set_throttle_timer: Any) -> None:
    set_throttle_timer(MockView_DoubleThrottling, 0)
    request = factory.get("/")
    for _ in range(4):
        response = await MockView_DoubleThrottling.as_view()(request)
    assert response.status_code == 429
    assert int(response["retry-after"]) == 1

    # 4 requests (one throttled) in a second; one second later two more pass before
    # the 6/min throttle applies.
    set_throttle_timer(MockView_DoubleThrottling, 1)
    for _ in range(2):
        response = await MockView_DoubleThrottling.as_view()(request)
        assert response.status_code == 200

    response = await MockView_DoubleThrottling.as_view()(request)
    assert response.status_code == 429
    assert int(response["retry-after"]) == 59

    set_throttle_timer(MockView_DoubleThrottling, 2)
    response = await MockView_DoubleThrottling.as_view()(request)
    assert response.status_code == 429
    assert int(response["retry-after"]) == 58


async def test_throttle_rate_change_negative(
    store: Any, set_throttle_timer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_throttle_timer(MockView_DoubleThrottling, 0)
    request = factory.get("/")
    for _ in range(24):
        response = await MockView_DoubleThrottling.as_view()(request)
    assert response.status_code == 429
    assert int(response["retry-after"]) == 60

    monkeypatch.setattr(User3SecRateThrottle, "rate", "1/sec")
    for _ in range(24):
        response = await MockView_DoubleThrottling.as_view()(request)
    assert response.status_code == 429
    assert int(response["retry-after"]) == 60


async def ensure_response_header_contains_proper_throttle_field(
    view: Any, expected_headers: Any, set_throttle_timer: Any
) -> None:
    request = factory.get("/")
    for timer, expect in expected_headers:
        set_throttle_timer(view, timer)
        response = await view.as_view()(request)
        if expect is not None:
            assert response["Retry-After"] == expect
        else:
            assert "Retry-After" not in response


async def test_seconds_fields(store: Any, set_throttle_timer: Any) -> None:
    await ensure_response_header_contains_proper_throttle_field(
        MockView, ((0, None), (0, None), (0, None), (0, "1")), set_throttle_timer
    )


async def test_minutes_fields(store: Any, set_throttle_timer: Any) -> None:
    await ensure_response_header_contains_proper_throttle_field(
        MockView_MinuteThrottling, ((0, None), (0, None), (0, None), (0, "60")), set_throttle_timer
    )


async def test_next_rate_remains_constant_if_followed(store: Any, set_throttle_timer: Any) -> None:
    await ensure_response_header_contains_proper_throttle_field(
        MockView_MinuteThrottling,
        ((0, None), (20, None), (40, None), (60, None), (80, None)),
        set_throttle_timer,
    )


async def test_non_time_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    throttle_class = MockView_NonTimeThrottling.throttle_classes[0]
    monkeypatch.delattr(throttle_class, "called", raising=False)
    request = factory.get("/")
    assert not hasattr(throttle_class, "called")
    response = await MockView_NonTimeThrottling.as_view()(request)
    assert "Retry-After" not in response
    assert throttle_class.called
    response = await MockView_NonTimeThrottling.as_view()(request)
    assert response.status_code == 429
    assert "Retry-After" not in response


# -- ScopedRateThrottleTests ----------------------------------------------------------


@pytest.fixture
def scoped(store: Any) -> Any:
    class XYScopedRateThrottle(AsyncScopedRateThrottle):
        TIMER_SECONDS = 0
        THROTTLE_RATES = {"x": "3/min", "y": "1/min"}

        def timer(self) -> float:
            return self.TIMER_SECONDS

    XView = mock_view(XYScopedRateThrottle, scope="x", body="x")
    YView = mock_view(XYScopedRateThrottle, scope="y", body="y")
    UnscopedView = mock_view(XYScopedRateThrottle, body="y")

    class Scoped:
        throttle_class = XYScopedRateThrottle

        def __init__(self) -> None:
            self.x_view, self.y_view = XView.as_view(), YView.as_view()
            self.unscoped_view = UnscopedView.as_view()

        def increment_timer(self, seconds: int = 1) -> None:
            self.throttle_class.TIMER_SECONDS += seconds

    return Scoped()


async def test_scoped_rate_throttle(scoped: Any) -> None:
    request = factory.get("/")
    for minute in range(2):
        if minute:  # Ensure throttles properly reset by advancing the rest of the minute
            scoped.increment_timer(55)
        # Should (still) be able to hit x view 3 times per minute.
        assert (await scoped.x_view(request)).status_code == 200
        for expected in (200, 200, 429):
            scoped.increment_timer()
            assert (await scoped.x_view(request)).status_code == expected
        # Should (still) be able to hit y view 1 time per minute.
        for expected in (200, 429):
            scoped.increment_timer()
            assert (await scoped.y_view(request)).status_code == expected


async def test_unscoped_view_not_throttled(scoped: Any) -> None:
    request = factory.get("/")
    for _ in range(10):
        scoped.increment_timer()
        assert (await scoped.unscoped_view(request)).status_code == 200


async def test_get_cache_key_returns_correct_key_if_user_is_authenticated(store: Any) -> None:
    class DummyView:
        throttle_scope = "user"

    throttle = AsyncScopedRateThrottle()
    request = Request(HttpRequest())
    user = User(7)
    force_authenticate(request, user)
    request.user = user
    await throttle.allow_request(request, DummyView())
    cache_key = throttle.get_cache_key(request, view=DummyView())
    assert cache_key == f"throttle_user_{user.pk}"


# -- XFF tests ------------------------------------------------------------------------


class XffThrottle(AsyncScopedRateThrottle):
    THROTTLE_RATES = {"test_limit": "1/day"}
    TIMER_SECONDS = 0

    def timer(self) -> float:
        return self.TIMER_SECONDS


XffView = mock_view(XffThrottle, scope="test_limit", body="test_limit")


def build_request(xff: str) -> Any:
    request = factory.get("/some_uri", headers={"x-forwarded-for": xff})
    request.META["REMOTE_ADDR"] = "3.3.3.3"
    return request


@pytest.fixture
def xff(store: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    class Xff:
        def __init__(self) -> None:
            self.view = XffView.as_view()
            self.request = build_request("0.0.0.0, 1.1.1.1, 2.2.2.2")

        def config_proxy(self, num_proxies: int | None) -> None:
            monkeypatch.setattr(api_settings, "NUM_PROXIES", num_proxies)

    return Xff()


async def test_accepts_request_under_limit(xff: Any) -> None:
    xff.config_proxy(0)
    assert (await xff.view(xff.request)).status_code == 200


async def test_denies_request_over_limit(xff: Any) -> None:
    xff.config_proxy(0)
    await xff.view(xff.request)
    assert (await xff.view(xff.request)).status_code == 429


@pytest.mark.parametrize(
    ("num_proxies", "second", "expected"),
    [
        (1, "4.4.4.4, 5.5.5.5, 2.2.2.2", 429),
        (2, "4.4.4.4, 1.1.1.1, 2.2.2.2", 429),
        (1, "0.0.0.0, 1.1.1.1, 7.7.7.7", 200),
        (2, "0.0.0.0, 7.7.7.7, 2.2.2.2", 200),
    ],
    ids=[
        "xff_spoofing_doesnt_change_machine_id_with_one_app_proxy",
        "xff_spoofing_doesnt_change_machine_id_with_two_app_proxies",
        "unique_clients_are_counted_independently_with_one_proxy",
        "unique_clients_are_counted_independently_with_two_proxies",
    ],
)
async def test_xff_machine_id(xff: Any, num_proxies: int, second: str, expected: int) -> None:
    xff.config_proxy(num_proxies)
    await xff.view(xff.request)
    assert (await xff.view(build_request(second))).status_code == expected


# -- SimpleRateThrottleTests (DRF sets SimpleRateThrottle.scope = 'anon') -------------


class AnonScoped(AsyncSimpleRateThrottle):
    scope = "anon"  # DRF's default rates: {"anon": None, "user": None}


def test_get_rate_raises_error_if_scope_is_missing() -> None:
    throttle = AnonScoped()
    with pytest.raises(ImproperlyConfigured):
        throttle.scope = None
        throttle.get_rate()


def test_throttle_raises_error_if_rate_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AnonScoped, "scope", "invalid scope")
    with pytest.raises(ImproperlyConfigured):
        AnonScoped()


def test_parse_rate_returns_tuple_with_none_if_rate_not_provided() -> None:
    assert AnonScoped().parse_rate(None) == (None, None)


async def test_allow_request_returns_true_if_rate_is_none() -> None:
    assert await AnonScoped().allow_request(request={}, view={}) is True


def test_get_cache_key_raises_not_implemented_error() -> None:
    with pytest.raises(NotImplementedError):
        AnonScoped().get_cache_key({}, {})


async def test_allow_request_returns_true_if_key_is_none() -> None:
    throttle = AnonScoped()
    throttle.rate = "some rate"
    throttle.get_cache_key = lambda *args: None
    assert await throttle.allow_request(request={}, view={}) is True


def test_wait_returns_correct_waiting_time_without_history() -> None:
    throttle = AnonScoped()
    throttle.num_requests = 1
    throttle.duration = 60
    throttle.window = ThrottleWindow(allowed=False, count=0, oldest=None)  # history = []
    waiting_time = throttle.wait()
    assert isinstance(waiting_time, float)
    assert waiting_time == 30.0


def test_wait_returns_none_if_there_are_no_available_requests() -> None:
    throttle = AnonScoped()
    throttle.num_requests = 1
    throttle.duration = 60
    throttle.now = throttle.timer()
    throttle.window = ThrottleWindow(allowed=False, count=3, oldest=throttle.now)
    assert throttle.wait() is None


# -- AnonRateThrottleTests ------------------------------------------------------------


def test_authenticated_user_not_affected() -> None:
    request = Request(HttpRequest())
    user = User(1)
    force_authenticate(request, user)
    request.user = user
    assert AsyncAnonRateThrottle().get_cache_key(request, view={}) is None


def test_get_cache_key_returns_correct_value() -> None:
    request = Request(HttpRequest())
    assert AsyncAnonRateThrottle().get_cache_key(request, view={}) == "throttle_anon_None"


# -- async_drf: DRF's semantics through async views, on every store -------------------


class Dummy(AsyncAPIView):
    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


class ScopedView(Dummy):
    throttle_classes = [AsyncScopedRateThrottle]
    throttle_scope = "uploads"


def rates(**scopes: str | None) -> Any:
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": scopes}
    )


def get(ip: str = "10.0.0.1", user: Any = None) -> Any:
    request = factory.get("/", REMOTE_ADDR=ip)
    if user is not None:
        force_authenticate(request, user)
    return request


def anon(ip: str = "10.0.0.1") -> Request:
    """A DRF request from an anonymous client at ``ip``, for calling a throttle directly."""
    return Request(get(ip))


async def statuses(view: Any, requests: list[Any]) -> list[int]:
    return [(await view(request)).status_code for request in requests]


def at(throttle_class: type, clock: list[float]) -> type:
    """A subclass of ``throttle_class`` whose timer reads ``clock[0]``."""
    return type(throttle_class.__name__, (throttle_class,), {"timer": lambda self: clock[0]})


async def test_anon_throttle_429_with_retry_after(store: Any, hops: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="2/min"):
        assert await statuses(view, [get(), get()]) == [200, 200]
        response = await view(get())
        assert await statuses(view, [get("10.0.0.2")]) == [200]  # another client
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.data == {"detail": "Request was throttled. Expected available in 60 seconds."}
    assert response.data["detail"].code == "throttled"
    assert hops.count == 0, hops


async def test_anon_throttle_ignores_authenticated_users(store: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="1/min"):
        assert await statuses(view, [get(user=User(1)) for _ in range(3)]) == [200] * 3


async def test_user_throttle_keys_by_user_then_ip(store: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncUserRateThrottle])
    with rates(user="1/min"):
        assert await statuses(view, [get(user=User(1)), get(user=User(1))]) == [200, 429]
        assert await statuses(view, [get(user=User(2)), get(), get()]) == [200, 200, 429]
        assert await statuses(view, [get("10.0.0.9", user=User(2))]) == [429]


async def test_scoped_throttle(store: Any) -> None:
    with rates(uploads="2/hour"):
        view = ScopedView.as_view()
        assert await statuses(view, [get(), get(), get()]) == [200, 200, 429]
        response = await view(get())
        assert response["Retry-After"] == "3600"
        unscoped = Dummy.as_view(throttle_classes=[AsyncScopedRateThrottle])
        assert await statuses(unscoped, [get()] * 3) == [200] * 3


async def test_rate_none_never_throttles(store: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon=None):
        assert await statuses(view, [get()] * 5) == [200] * 5


async def test_several_throttles_longest_wait_wins(store: Any) -> None:
    class PerMinute(AsyncUserRateThrottle):
        scope, rate = "minute", "1/min"

    class PerHour(AsyncUserRateThrottle):
        scope, rate = "hour", "1/hour"

    view = Dummy.as_view(throttle_classes=[PerMinute, PerHour])
    assert await statuses(view, [get()]) == [200]
    response = await view(get())
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"


async def test_window_stands_for_drf_history(store: Any) -> None:
    clock = [1000.0]
    throttle_class = at(AsyncAnonRateThrottle, clock)
    throttle_class.rate = "2/min"
    for now, allowed in [(1000.0, True), (1030.0, True), (1045.0, False)]:
        clock[0] = now
        throttle = throttle_class()
        assert await throttle.allow_request(anon(), None) is allowed
    # DRF's history would be [1030.0, 1000.0]: two requests, the oldest at 1000.
    assert throttle.window == ThrottleWindow(allowed=False, count=2, oldest=1000.0)
    assert throttle.wait() == pytest.approx(15.0)  # the oldest leaves the window at 1060


async def test_window_edges_are_exact_to_the_microsecond(store: Any) -> None:
    # DRF drops a request once it is `duration` old: at exactly +60 s it is out.
    first = 1712345678.123456
    clock = [first]
    throttle_class = at(AsyncAnonRateThrottle, clock)
    throttle_class.rate = "1/min"
    assert await throttle_class().allow_request(anon(), None) is True
    clock[0] = first + 59.999999
    throttle = throttle_class()
    assert await throttle.allow_request(anon(), None) is False
    assert throttle.window.oldest == first
    assert throttle.wait() == pytest.approx(0.000001, abs=1e-6)
    clock[0] = first + 60
    assert await throttle_class().allow_request(anon(), None) is True


async def test_window_slides_on_the_real_clock(store: Any) -> None:
    throttle_class = type("PerSecond", (AsyncAnonRateThrottle,), {"rate": "1/s"})
    assert await throttle_class().allow_request(anon(), None) is True
    assert await throttle_class().allow_request(anon(), None) is False
    await asyncio.sleep(1.05)
    assert await throttle_class().allow_request(anon(), None) is True


async def test_zero_rate_denies_with_the_whole_period(store: Any) -> None:
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle])
    with rates(anon="0/min"):
        response = await view(get())
    assert response.status_code == 429
    assert response["Retry-After"] == "60"


async def test_drf_sync_throttle_beside_async_one(store: Any, hops: Any) -> None:
    # DRF's own throttle reads Django's cache synchronously: it runs in Django's worker.
    view = Dummy.as_view(throttle_classes=[AsyncAnonRateThrottle, drf.UserRateThrottle])
    default_cache.clear()
    with rates(anon="5/min"):
        drf.UserRateThrottle.THROTTLE_RATES = {"user": "1/min"}
        try:
            assert await statuses(view, [get(), get()]) == [200, 429]
        finally:
            drf.UserRateThrottle.THROTTLE_RATES = drf.SimpleRateThrottle.THROTTLE_RATES
            default_cache.clear()
    # One hop per sync allow_request; DRF's wait() is arithmetic and runs inline.
    assert [call.rsplit(".", 1)[1] for call in hops.calls] == ["allow_request"] * 2


# -- concurrency: the limit and the wait hold in a burst ------------------------------


async def test_concurrent_requests_exact_limit_and_real_wait(store: Any, hops: Any) -> None:
    clock = [1000.0]
    view = Dummy.as_view(throttle_classes=[at(AsyncAnonRateThrottle, clock)])
    with rates(anon="10/min"):
        responses = await asyncio.gather(*(view(get()) for _ in range(100)))
        codes = [response.status_code for response in responses]
        assert (codes.count(200), codes.count(429)) == (10, 90)
        # Every refused request waits for the oldest of the 10 to leave: 60 s.
        assert {r["Retry-After"] for r in responses if r.status_code == 429} == {"60"}
        # Half a minute later, a second burst: all refused, each told the real 30 s.
        clock[0] = 1030.0
        responses = await asyncio.gather(*(view(get()) for _ in range(50)))
    assert {response.status_code for response in responses} == {429}
    assert {response["Retry-After"] for response in responses} == {"30"}
    assert responses[0].data["detail"] == "Request was throttled. Expected available in 30 seconds."
    assert hops.count == 0, hops
