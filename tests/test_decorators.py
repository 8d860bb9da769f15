"""api_view for async (and sync) function views, with DRF's policy decorators."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction
from rest_framework import permissions
from rest_framework.decorators import permission_classes, throttle_classes, throttle_scope
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from async_drf.decorators import api_view
from async_drf.test import AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView

factory = AsyncAPIRequestFactory()


@api_view(["GET", "POST"])
async def echo(request, pk=None):
    """Echo the method and body."""
    return Response({"method": request.method, "data": request.data, "pk": pk})


@api_view()
def sync_view(request):
    return Response({"sync": True})


@api_view(["GET"])
@permission_classes([permissions.IsAuthenticated])
@throttle_classes([ScopedRateThrottle])
@throttle_scope("uploads")
async def guarded(request):
    return Response({})


def test_builds_an_async_api_view_with_the_functions_name_and_doc():
    assert iscoroutinefunction(echo)
    assert issubclass(echo.cls, AsyncAPIView)
    assert echo.cls.__name__ == "echo"
    assert echo.cls.__doc__ == "Echo the method and body."
    assert set(echo.cls.http_method_names) == {"get", "post", "options"}


def test_policy_attributes_are_copied():
    assert guarded.cls.permission_classes == [permissions.IsAuthenticated]
    assert guarded.cls.throttle_classes == [ScopedRateThrottle]
    assert guarded.cls.throttle_scope == "uploads"


async def test_async_function_view_runs_on_the_loop(hops):
    response = await echo(factory.post("/", {"x": 1}, format="json"), pk=3)
    assert response.status_code == 200
    assert response.data == {"method": "POST", "data": {"x": 1}, "pk": 3}
    assert hops.count == 0


async def test_sync_function_view_hops_once(hops):
    response = await sync_view(factory.get("/"))
    assert response.data == {"sync": True}
    assert hops.count == 1


async def test_method_not_listed_is_405():
    response = await echo(factory.delete("/"))
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "POST", "OPTIONS"}


async def test_policies_apply():
    response = await guarded(factory.get("/"))
    assert response.status_code == 403
