"""Async permissions: DRF's & | ~ over sync and async leaves, short-circuit, message/code."""

from __future__ import annotations

import asyncio
import itertools
import operator
from typing import Any

import pytest
from rest_framework import exceptions
from rest_framework import permissions as drf
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response

from async_drf.permissions import (
    AsyncBasePermission,
    denying_object_permission,
    denying_permission,
    has_object_permission,
    has_permission,
)
from async_drf.test import AsyncAPIRequestFactory, force_authenticate
from async_drf.views import AsyncAPIView

factory = AsyncAPIRequestFactory()
DEFAULT_DENIAL = "You do not have permission to perform this action."


class User:
    is_authenticated = True
    is_active = True
    is_staff = False


class Admin(User):
    is_staff = True


def leaf(
    log: list[str],
    name: str,
    grant: bool,
    *,
    is_async: bool,
    grant_object: bool = True,
    message: str | None = None,
    code: str | None = None,
) -> type:
    """A permission class named ``name`` that records each call in ``log``."""
    if is_async:

        async def check(self: Any, request: Any, view: Any) -> bool:
            log.append(name)
            await asyncio.sleep(0)
            return grant

        async def check_object(self: Any, request: Any, view: Any, obj: Any) -> bool:
            log.append(f"{name}.obj")
            return grant_object

    else:

        def check(self: Any, request: Any, view: Any) -> bool:
            log.append(name)
            return grant

        def check_object(self: Any, request: Any, view: Any, obj: Any) -> bool:
            log.append(f"{name}.obj")
            return grant_object

    base = AsyncBasePermission if is_async else drf.BasePermission
    attrs = {"has_permission": check, "has_object_permission": check_object}
    attrs.update({k: v for k, v in (("message", message), ("code", code)) if v is not None})
    return type(name, (base,), attrs)


@pytest.fixture
def log() -> list[str]:
    return []


class Dummy(AsyncAPIView):
    async def get(self, request: Any) -> Response:
        return Response({"ok": True})


class NoAuth(BaseAuthentication):
    def authenticate(self, request: Any) -> None:
        return None

    def authenticate_header(self, request: Any) -> str:
        return "Test"


async def run_view(permission_classes: list[Any], user: Any = None, **initkwargs: Any) -> Any:
    request = factory.get("/")
    if user is not None:
        force_authenticate(request, user)
    view = Dummy.as_view(permission_classes=permission_classes, **initkwargs)
    return await view(request)


MODES = [False, True]  # is_async


# -- truth tables and short-circuit -----------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "a_async", "b_async"),
    list(itertools.product([True, False], [True, False], MODES, MODES)),
)
@pytest.mark.parametrize(("symbol", "combine"), [("&", operator.and_), ("|", operator.or_)])
async def test_binary_truth_table_and_short_circuit(
    log: list[str], a: bool, b: bool, a_async: bool, b_async: bool, symbol: str, combine: Any
) -> None:
    composed = combine(leaf(log, "A", a, is_async=a_async), leaf(log, "B", b, is_async=b_async))
    granted = await has_permission(composed(), None, None)
    expected = (a and b) if symbol == "&" else (a or b)
    assert granted is expected
    left_decides = (not a) if symbol == "&" else a
    assert log == (["A"] if left_decides else ["A", "B"])


@pytest.mark.parametrize(("a", "a_async"), list(itertools.product([True, False], MODES)))
async def test_not_truth_table(log: list[str], a: bool, a_async: bool) -> None:
    inverted = ~leaf(log, "A", a, is_async=a_async)
    assert await has_permission(inverted(), None, None) is (not a)
    assert await has_object_permission(inverted(), None, None, object()) is False  # not True
    assert log == ["A", "A.obj"]


async def test_nested_composition_evaluates_left_to_right(log: list[str]) -> None:
    A = leaf(log, "A", True, is_async=True)
    B = leaf(log, "B", False, is_async=False)
    C = leaf(log, "C", True, is_async=True)
    D = leaf(log, "D", False, is_async=True)
    composed = (A & ~B) & (D | C) | B
    assert await has_permission(composed(), None, None) is True
    assert log == ["A", "B", "D", "C"]  # the final `| B` is never evaluated


async def test_async_deny_is_not_a_truthy_coroutine(log: list[str]) -> None:
    # DRF's own OR would treat the coroutine as True (TRAPS 3).
    deny = leaf(log, "A", False, is_async=True)
    view_response = await run_view([deny | deny])
    assert view_response.status_code == 403
    assert log == ["A", "A"]


# -- message and code -------------------------------------------------------------


def detail(response: Any) -> tuple[str, str]:
    value = response.data["detail"]
    return str(value), value.code


async def test_leaf_message_and_code_reach_the_response(log: list[str]) -> None:
    deny = leaf(log, "Deny", False, is_async=True, message="Nope.", code="nope")
    response = await run_view([deny], user=User())
    assert response.status_code == 403
    assert detail(response) == ("Nope.", "nope")


@pytest.mark.parametrize("deny_async", MODES)
@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda allow, deny, other: deny & allow, ("Deny.", "deny")),
        (lambda allow, deny, other: allow & deny, ("Deny.", "deny")),
        (lambda allow, deny, other: deny | other, ("Deny.", "deny")),
        (lambda allow, deny, other: other | deny, ("Deny.", "deny")),  # only Deny explains
        (lambda allow, deny, other: allow & (other | deny), ("Deny.", "deny")),
        (lambda allow, deny, other: ~allow, (DEFAULT_DENIAL, "permission_denied")),
        # A NOT denies when its operand grants: the operand's message would say the
        # opposite, so DRF's default speaks (also for a double negation).
        (lambda allow, deny, other: allow & ~~deny, (DEFAULT_DENIAL, "permission_denied")),
        (lambda allow, deny, other: other & deny, (DEFAULT_DENIAL, "permission_denied")),
    ],
)
async def test_composed_denial_uses_the_denying_leaf(
    log: list[str], deny_async: bool, build: Any, expected: tuple[str, str]
) -> None:
    allow = leaf(log, "Allow", True, is_async=not deny_async, message="Allow.", code="allow")
    deny = leaf(log, "Deny", False, is_async=deny_async, message="Deny.", code="deny")
    other = leaf(log, "Other", False, is_async=True)  # denies without a message
    response = await run_view([build(allow, deny, other)], user=User())
    assert response.status_code == 403
    assert detail(response) == expected


async def test_or_prefers_the_left_explanation(log: list[str]) -> None:
    first = leaf(log, "First", False, is_async=False, message="First.", code="first")
    second = leaf(log, "Second", False, is_async=True, message="Second.", code="second")
    response = await run_view([first | second], user=User())
    assert detail(response) == ("First.", "first")


async def test_composite_own_message_wins(log: list[str]) -> None:
    deny = leaf(log, "Deny", False, is_async=True, message="Leaf.", code="leaf")
    composite = deny & deny
    node = composite()
    node.message, node.code = "Composite.", "composite"
    assert await denying_permission(node, None, None) is node
    assert await denying_permission(composite(), None, None) is not None


async def test_unauthenticated_denial_is_401_whatever_the_message(log: list[str]) -> None:
    # DRF: with authenticators and no authenticated user, permission_denied raises
    # NotAuthenticated (401 with the first authenticator's header).
    deny = leaf(log, "Deny", False, is_async=True, message="Deny.", code="deny")
    response = await run_view([deny], authentication_classes=[NoAuth])
    assert response.status_code == 401
    assert response.data == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"] == "Test"


# -- DRF's built-ins next to async permissions; hops ---------------------------------


async def test_drf_builtins_run_inline(log: list[str], hops: Any) -> None:
    allow = leaf(log, "Allow", True, is_async=True)
    composed = [
        drf.IsAuthenticated & allow,
        drf.IsAdminUser | allow,
        drf.IsAuthenticatedOrReadOnly,
        drf.AllowAny,
        ~drf.IsAdminUser,
    ]
    response = await run_view(composed, user=User())
    assert response.status_code == 200
    assert log == ["Allow", "Allow"]
    assert hops.count == 0, hops


async def test_is_authenticated_denies_before_the_async_permission(log: list[str]) -> None:
    deny = leaf(log, "Deny", False, is_async=True, message="Deny.", code="deny")
    response = await run_view([drf.IsAuthenticated, deny])
    assert response.status_code == 403
    assert detail(response) == (DEFAULT_DENIAL, "permission_denied")
    assert log == []
    response = await run_view([drf.IsAuthenticated, deny], user=User())
    assert detail(response) == ("Deny.", "deny")
    assert log == ["Deny"]


async def test_is_admin_user_or_async(log: list[str]) -> None:
    deny = leaf(log, "Deny", False, is_async=True, message="Deny.", code="deny")
    assert (await run_view([drf.IsAdminUser | deny], user=Admin())).status_code == 200
    assert log == []
    response = await run_view([drf.IsAdminUser | deny], user=User())
    assert detail(response) == ("Deny.", "deny")


async def test_async_permissions_cost_no_hop(log: list[str], hops: Any) -> None:
    allow = leaf(log, "Allow", True, is_async=True)
    response = await run_view([allow, allow & ~leaf(log, "No", False, is_async=True)])
    assert response.status_code == 200
    assert hops.count == 0, hops


async def test_sync_custom_permission_hops(log: list[str], hops: Any) -> None:
    # A user's sync permission may query the database: it runs in Django's worker.
    allow = leaf(log, "Allow", True, is_async=False)
    assert (await run_view([allow])).status_code == 200
    assert hops.count == 1, hops


async def test_permissions_stop_at_first_denial(log: list[str]) -> None:
    first = leaf(log, "First", False, is_async=True, message="First.")
    second = leaf(log, "Second", False, is_async=False, message="Second.")
    response = await run_view([first, second], user=User())
    assert detail(response)[0] == "First."
    assert log == ["First"]


# -- object permissions (AsyncAPIView.check_object_permissions, called directly) -------


def object_view(*permission_classes: Any) -> tuple[AsyncAPIView, Request]:
    view = Dummy(permission_classes=list(permission_classes))
    request = Request(factory.get("/"))
    view.request = request
    return view, request


async def test_object_permission_granted_and_denied(log: list[str]) -> None:
    owner = leaf(log, "Owner", True, is_async=True, grant_object=False, message="Not yours.")
    view, request = object_view(drf.IsAuthenticatedOrReadOnly, owner)
    with pytest.raises(exceptions.PermissionDenied) as denied:
        await view.check_object_permissions(request, object())
    assert str(denied.value.detail) == "Not yours."
    assert log == ["Owner.obj"]

    sync_owner = leaf(log, "SyncOwner", True, is_async=False, grant_object=True)
    view, request = object_view(sync_owner)
    await view.check_object_permissions(request, object())


@pytest.mark.parametrize("is_async", MODES)
async def test_object_or_needs_both_checks_of_one_branch(log: list[str], is_async: bool) -> None:
    # DRF >= 3.14: (A.has_permission and A.has_object_permission) or (B.... and B....).
    a = leaf(log, "A", True, is_async=is_async, grant_object=False, message="A.")
    b = leaf(log, "B", False, is_async=not is_async, grant_object=True, message="B.")
    view, request = object_view(a | b)
    with pytest.raises(exceptions.PermissionDenied) as denied:
        await view.check_object_permissions(request, object())
    assert str(denied.value.detail) == "A."
    assert log == ["A", "A.obj", "B"]  # B's object check is not reached


async def test_object_and_short_circuits(log: list[str]) -> None:
    a = leaf(log, "A", True, is_async=True, grant_object=False, message="A.", code="a")
    b = leaf(log, "B", True, is_async=False)
    assert await denying_object_permission((a & b)(), None, None, object()) is not None
    assert log == ["A.obj"]
    log.clear()
    assert await has_object_permission((b & ~a)(), None, None, object()) is True
    assert log == ["B.obj", "A.obj"]
