"""AsyncAPIView: the request cycle, sync/async mixes, DRF's error semantics."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions, permissions, throttling
from rest_framework.authentication import BaseAuthentication, BasicAuthentication
from rest_framework.response import Response

from async_drf.permissions import AsyncBasePermission
from async_drf.test import AsyncAPIRequestFactory, force_authenticate
from async_drf.views import AsyncAPIView

from .models import Author

factory = AsyncAPIRequestFactory()


class User:
    """A user object with only what DRF's permission classes read."""

    is_authenticated = True
    is_active = True
    is_staff = False


# -- views ------------------------------------------------------------------


class MixedView(AsyncAPIView):
    def get(self, request):
        return Response({"handler": "sync"})

    async def post(self, request):
        await asyncio.sleep(0)
        return Response({"handler": "async", "data": request.data})


class AllowAsync(AsyncBasePermission):
    async def has_permission(self, request, view):
        await asyncio.sleep(0)
        return True


class DenyAsync(AsyncBasePermission):
    message = "Async says no."
    code = "async_no"

    async def has_permission(self, request, view):
        return False


class AsyncPermissionView(AsyncAPIView):
    permission_classes = [permissions.IsAuthenticated, AllowAsync]

    async def get(self, request):
        return Response({"ok": True})


class DeniedView(AsyncAPIView):
    permission_classes = [DenyAsync]

    async def get(self, request):
        raise AssertionError("the handler must not run when permission is denied")


class AuthorDetail(AsyncAPIView):
    async def get(self, request, pk):
        author = await Author.get(pk=pk)
        return Response({"name": author.name})


class HeaderAuth(BaseAuthentication):
    def authenticate(self, request):
        return None

    def authenticate_header(self, request):
        return 'Custom realm="api"'


class NoHeaderAuth(BaseAuthentication):
    def authenticate(self, request):
        return None


class AsyncHeaderAuth(BaseAuthentication):
    async def authenticate(self, request):
        token = request.META.get("HTTP_X_TOKEN")
        if token == "bad":
            raise exceptions.AuthenticationFailed("Bad token.")
        return (User(), token) if token else None

    def authenticate_header(self, request):
        return "Token"


class AsyncAuthenticateHeader(BaseAuthentication):
    def authenticate(self, request):
        return None

    async def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AsyncNoAuthenticateHeader(BaseAuthentication):
    def authenticate(self, request):
        return None

    async def authenticate_header(self, request):
        return None


# -- tests ------------------------------------------------------------------


def test_as_view_is_a_coroutine_function_and_keeps_cls_and_initkwargs():
    view = MixedView.as_view(permission_classes=[permissions.AllowAny])
    assert iscoroutinefunction(view)
    assert view.cls is MixedView
    assert view.initkwargs == {"permission_classes": [permissions.AllowAny]}
    assert view.csrf_exempt is True


def test_mixed_handlers_do_not_trip_djangos_all_sync_or_all_async_check():
    from django.views import View

    class Plain(View):
        def get(self, request): ...

        async def post(self, request): ...

    with pytest.raises(ImproperlyConfigured):
        Plain.view_is_async  # noqa: B018 - Django's own check fires on a plain View
    assert MixedView.view_is_async is True


async def test_sync_and_async_handler_in_one_view(hops):
    view = MixedView.as_view()
    response = await view(factory.get("/"))
    assert response.status_code == 200
    assert response.data == {"handler": "sync"}
    assert hops.count == 1, hops.calls

    hops.reset()
    response = await view(factory.post("/", {"a": [1, 2]}, format="json"))
    assert response.status_code == 200
    assert response.data == {"handler": "async", "data": {"a": [1, 2]}}
    assert hops.count == 0, hops.calls


async def test_drf_is_authenticated_next_to_an_async_permission_costs_no_hop(hops):
    view = AsyncPermissionView.as_view()
    request = factory.get("/")
    force_authenticate(request, user=User())
    response = await view(request)
    assert response.status_code == 200
    assert response.data == {"ok": True}
    assert hops.count == 0, hops.calls


async def test_drf_is_authenticated_denies_before_the_async_permission_runs():
    ran = []

    class Recording(AsyncBasePermission):
        async def has_permission(self, request, view):
            ran.append(True)
            return True

    class View(AsyncAPIView):
        permission_classes = [permissions.IsAuthenticated, Recording]

        async def get(self, request):
            return Response({})

    response = await View.as_view()(factory.get("/"))
    # No authenticator configured -> PermissionDenied (403), as DRF.
    assert response.status_code == 403
    assert ran == []


async def test_async_permission_denial_uses_its_message_and_code():
    response = await DeniedView.as_view()(factory.get("/"))
    assert response.status_code == 403
    assert response.data == {"detail": "Async says no."}
    assert response.data["detail"].code == "async_no"


@pytest.mark.parametrize(
    ("authenticators", "status", "header"),
    [
        ([HeaderAuth], 401, 'Custom realm="api"'),
        ([NoHeaderAuth, HeaderAuth], 403, None),  # the FIRST authenticator decides
        ([AsyncHeaderAuth], 401, "Token"),
        ([AsyncAuthenticateHeader], 401, 'Bearer realm="api"'),  # awaited
        ([AsyncNoAuthenticateHeader, HeaderAuth], 403, None),
    ],
)
async def test_not_authenticated_is_401_with_www_authenticate_or_403(
    authenticators, status, header, hops
):
    class View(AsyncAPIView):
        authentication_classes = authenticators
        permission_classes = [permissions.IsAuthenticated]

        async def get(self, request):
            return Response({})

    response = await View.as_view()(factory.get("/"))
    assert response.status_code == status
    assert response.get("WWW-Authenticate") == header
    assert response.data == {"detail": "Authentication credentials were not provided."}
    # Only sync `authenticate` methods hop (once); the header never does.
    assert hops.calls == ([] if authenticators == [AsyncHeaderAuth] else ["_first_authenticated"])


async def test_get_authenticate_header_may_be_overridden_sync_or_async():
    class SyncOverride(AsyncAPIView):
        authentication_classes = [NoHeaderAuth]
        permission_classes = [permissions.IsAuthenticated]

        def get_authenticate_header(self, request):
            return "Custom"

        async def get(self, request):
            return Response({})

    class AsyncOverride(SyncOverride):
        async def get_authenticate_header(self, request):
            return "Async"

    for view, header in [(SyncOverride, "Custom"), (AsyncOverride, "Async")]:
        response = await view.as_view()(factory.get("/"))
        assert (response.status_code, response["WWW-Authenticate"]) == (401, header)


async def test_async_authenticator_sets_user_and_auth_and_failure_is_401():
    class View(AsyncAPIView):
        authentication_classes = [AsyncHeaderAuth]
        permission_classes = [permissions.IsAuthenticated]

        async def get(self, request):
            return Response({"auth": request.auth, "user": type(request.user).__name__})

    view = View.as_view()
    response = await view(factory.get("/", HTTP_X_TOKEN="abc"))
    assert response.status_code == 200
    assert response.data == {"auth": "abc", "user": "User"}
    response = await view(factory.get("/", HTTP_X_TOKEN="bad"))
    assert response.status_code == 401
    assert response.data == {"detail": "Bad token."}
    assert response["WWW-Authenticate"] == "Token"


async def test_consecutive_sync_authenticators_share_one_hop(hops):
    calls = []

    class First(BaseAuthentication):
        def authenticate(self, request):
            calls.append("first")
            return None

    class Second(BaseAuthentication):
        def authenticate(self, request):
            calls.append("second")
            return (User(), "t2")

    class View(AsyncAPIView):
        authentication_classes = [First, Second]

        async def get(self, request):
            return Response({"auth": request.auth})

    response = await View.as_view()(factory.get("/"))
    assert response.data == {"auth": "t2"}
    assert calls == ["first", "second"]
    assert hops.count == 1, hops.calls


async def test_drf_basic_authentication_malformed_header_is_401():
    class View(AsyncAPIView):
        authentication_classes = [BasicAuthentication]

        async def get(self, request):
            return Response({})

    response = await View.as_view()(factory.get("/", HTTP_AUTHORIZATION="Basic !!!not-base64"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'


async def test_tortoise_does_not_exist_in_a_handler_is_drf_404(tortoise_db):
    author = await Author.create(name="ann")
    view = AuthorDetail.as_view()
    response = await view(factory.get("/"), pk=author.pk)
    assert response.status_code == 200
    assert response.data == {"name": "ann"}
    response = await view(factory.get("/"), pk=author.pk + 100)
    assert response.status_code == 404
    assert response.data == {"detail": "No Author matches the given query."}


async def test_malformed_json_is_400():
    request = factory.post("/", b'{"a": ', content_type="application/json")
    response = await MixedView.as_view()(request)
    assert response.status_code == 400
    assert str(response.data["detail"]).startswith("JSON parse error")


async def test_unsupported_media_type_is_415():
    request = factory.post("/", b"<a/>", content_type="application/xml")
    response = await MixedView.as_view()(request)
    assert response.status_code == 415
    assert response.data == {"detail": 'Unsupported media type "application/xml" in request.'}


async def test_method_not_allowed_is_405_with_allow():
    response = await MixedView.as_view()(factory.delete("/"))
    assert response.status_code == 405
    assert response.data == {"detail": 'Method "DELETE" not allowed.'}
    assert set(response["Allow"].split(", ")) == {"GET", "POST", "HEAD", "OPTIONS"}


async def test_head_is_answered_by_get():
    response = await MixedView.as_view()(factory.head("/"))
    assert response.status_code == 200
    assert response.data == {"handler": "sync"}


async def test_options_returns_metadata_and_awaits_permission_checks():
    response = await MixedView.as_view()(factory.options("/"))
    assert response.status_code == 200
    assert response.data["name"] == "Mixed"
    assert "application/json" in response.data["renders"]

    response = await DeniedView.as_view()(factory.options("/"))
    assert response.status_code == 403


async def test_sync_handler_returning_an_async_helpers_coroutine_is_awaited():
    class View(AsyncAPIView):
        async def helper(self):
            return Response({"via": "helper"})

        def get(self, request):
            return self.helper()

    response = await View.as_view()(factory.get("/"))
    assert response.data == {"via": "helper"}


async def test_throttles_every_throttle_is_asked_and_the_longest_wait_wins():
    asked = []

    class Short(throttling.BaseThrottle):
        def allow_request(self, request, view):
            asked.append("short")
            return False

        def wait(self):
            return 3

    class Long(throttling.BaseThrottle):
        async def allow_request(self, request, view):
            asked.append("long")
            return False

        def wait(self):
            return 30

    class View(AsyncAPIView):
        throttle_classes = [Short, Long]

        async def get(self, request):
            return Response({})

    response = await View.as_view()(factory.get("/"))
    assert response.status_code == 429
    assert response["Retry-After"] == "30"
    assert asked == ["short", "long"]


@pytest.mark.parametrize("handler_kind", ["sync", "async"])
async def test_custom_exception_handler_may_be_sync_or_async(handler_kind):
    def sync_handler(exc, context):
        return Response({"handled_by": "sync", "view": type(context["view"]).__name__}, 418)

    async def async_handler(exc, context):
        return Response({"handled_by": "async", "view": type(context["view"]).__name__}, 418)

    class View(AsyncAPIView):
        def get_exception_handler(self):
            return sync_handler if handler_kind == "sync" else async_handler

        async def get(self, request):
            raise exceptions.NotFound()

    response = await View.as_view()(factory.get("/"))
    assert response.status_code == 418
    assert response.data == {"handled_by": handler_kind, "view": "View"}


async def test_unhandled_exception_propagates():
    class View(AsyncAPIView):
        async def get(self, request):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await View.as_view()(factory.get("/"))


async def test_through_djangos_handler_async_view_makes_no_hop_and_sync_one(api_client, hops):
    response = await api_client.post("/mixed/", {"x": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"handler": "async", "data": {"x": 1}}
    assert hops.count == 0, hops.calls
    response = await api_client.get("/mixed/")
    assert response.json() == {"handler": "sync"}
    assert hops.count == 1, hops.calls


async def test_json_responses_render_on_the_loop_without_djangos_render_hop(api_client):
    response = await api_client.get("/mixed/")
    # Django's handler awaits `render` when it is a coroutine function instead of
    # hopping to a thread; the method itself stays callable synchronously.
    assert iscoroutinefunction(response.render)
    assert response.render() is response
    assert response.content == b'{"handler":"sync"}'


@pytest.mark.parametrize(
    ("accept", "query", "expected"),
    [
        ("application/json", {}, "application/json"),
        ("text/html", {}, "text/html"),
        ("*/*", {}, "application/json"),
        ("text/html;q=0.5, application/json", {}, "application/json"),
        ("*/*", {"format": "api"}, "text/html"),
        ("", {}, "application/json"),
    ],
)
async def test_negotiation_answers_as_drf_and_is_remembered(accept, query, expected, monkeypatch):
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

    class View(AsyncAPIView):
        renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

        async def get(self, request):
            return Response({"media_type": request.accepted_media_type})

    calls = []
    original = DefaultContentNegotiation.select_renderer

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", counting)
    view = View.as_view()
    for _ in range(3):
        response = await view(factory.get("/", query, HTTP_ACCEPT=accept))
        assert response.status_code == 200
        assert response.accepted_media_type.split(";")[0] == expected
    assert len(calls) <= 1  # asked once, then remembered (or already remembered)


async def test_negotiation_failures_are_not_remembered():
    class View(AsyncAPIView):
        async def get(self, request):
            return Response({})

    view = View.as_view()
    for _ in range(2):
        response = await view(factory.get("/", HTTP_ACCEPT="application/xml"))
        assert response.status_code == 406
    response = await view(factory.get("/", {"format": "nope"}))
    assert response.status_code == 404
