"""Permissions whose checks may be ``async def``, composable with DRF's ``& | ~``.

DRF's ``AND``/``OR``/``NOT`` nodes call their operands synchronously, so an async
operand would be a (truthy) coroutine.  The view therefore never calls a node's own
methods: :func:`denying_permission` and :func:`denying_object_permission` walk the node
tree and await each leaf, keeping DRF's left-to-right short-circuit, and report which
permission denied so its ``message`` and ``code`` reach the response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions as drf
from rest_framework.request import Request

from .concurrency import mark_inline, maybe_await

if TYPE_CHECKING:
    from rest_framework.permissions import _SupportsHasPermission as Permission
    from rest_framework.views import APIView

__all__ = [
    "AsyncBasePermission",
    "denying_object_permission",
    "denying_permission",
    "has_object_permission",
    "has_permission",
]


def _operands(node: drf.AND | drf.OR | drf.NOT) -> tuple[Permission, Permission]:
    # DRF's operator nodes keep their operands as op1/op2 (which the stubs leave out);
    # NOT has only op1.
    operands = vars(node)
    return operands["op1"], operands.get("op2", operands["op1"])


def _explains(permission: Permission) -> bool:
    """Whether ``permission`` carries its own ``message`` or ``code``."""
    return getattr(permission, "message", None) is not None or (
        getattr(permission, "code", None) is not None
    )


def _blame(node: Permission, culprit: Permission | None) -> Permission | None:
    # A composite's own message/code win; DRF's AND/OR/NOT have none, so the
    # leaf that caused the denial speaks (DRF would fall back to the default).
    if culprit is not None and _explains(node):
        return node
    return culprit


def _first_explained(first: Permission, second: Permission) -> Permission:
    # Both sides of an OR denied: prefer the left one, unless only the right explains.
    return second if not _explains(first) and _explains(second) else first


class AsyncBasePermission(drf.BasePermission):
    """DRF's BasePermission with ``async def`` checks; override either or both."""

    async def has_permission(self, request: Request, view: APIView) -> bool:  # type: ignore[override]
        return True

    async def has_object_permission(  # type: ignore[override]
        self, request: Request, view: APIView, obj: object
    ) -> bool:
        return True


async def denying_permission(
    permission: Permission, request: Request, view: APIView
) -> Permission | None:
    """None if ``permission`` grants access, else the permission that explains the denial."""
    culprit: Permission | None
    if isinstance(permission, drf.AND):
        op1, op2 = _operands(permission)
        culprit = await denying_permission(op1, request, view)
        if culprit is None:
            culprit = await denying_permission(op2, request, view)
    elif isinstance(permission, drf.OR):
        op1, op2 = _operands(permission)
        culprit = await denying_permission(op1, request, view)
        if culprit is not None:
            second = await denying_permission(op2, request, view)
            culprit = None if second is None else _first_explained(culprit, second)
    elif isinstance(permission, drf.NOT):
        # The operand granted, so its message would say the opposite: the NOT speaks.
        granted = await denying_permission(_operands(permission)[0], request, view) is None
        culprit = permission if granted else None
    else:
        granted = await maybe_await(permission.has_permission, request, view)
        return None if granted else permission
    return _blame(permission, culprit)


async def denying_object_permission(
    permission: Permission, request: Request, view: APIView, obj: object
) -> Permission | None:
    """As :func:`denying_permission`, for ``has_object_permission``."""
    culprit: Permission | None
    if isinstance(permission, drf.AND):
        op1, op2 = _operands(permission)
        culprit = await denying_object_permission(op1, request, view, obj)
        if culprit is None:
            culprit = await denying_object_permission(op2, request, view, obj)
    elif isinstance(permission, drf.OR):
        op1, op2 = _operands(permission)
        culprit = await _or_branch_denial(op1, request, view, obj)
        if culprit is not None:
            second = await _or_branch_denial(op2, request, view, obj)
            culprit = None if second is None else _first_explained(culprit, second)
    elif isinstance(permission, drf.NOT):
        op1 = _operands(permission)[0]
        granted = await denying_object_permission(op1, request, view, obj) is None
        culprit = permission if granted else None
    else:
        granted = await maybe_await(permission.has_object_permission, request, view, obj)
        return None if granted else permission
    return _blame(permission, culprit)


async def _or_branch_denial(
    permission: Permission, request: Request, view: APIView, obj: object
) -> Permission | None:
    # DRF >= 3.14: an OR branch grants object access only if it grants both checks.
    culprit = await denying_permission(permission, request, view)
    if culprit is None:
        culprit = await denying_object_permission(permission, request, view, obj)
    return culprit


async def has_permission(permission: Permission, request: Request, view: APIView) -> bool:
    """``permission.has_permission(request, view)``, awaiting async leaves."""
    return await denying_permission(permission, request, view) is None


async def has_object_permission(
    permission: Permission, request: Request, view: APIView, obj: object
) -> bool:
    """``permission.has_object_permission(request, view, obj)``, awaiting async leaves."""
    return await denying_object_permission(permission, request, view, obj) is None


# DRF's built-in checks only read request.user / request.method, which are resolved
# by then: run them inline instead of paying a thread hop.
mark_inline(
    drf.BasePermission.has_permission,
    drf.BasePermission.has_object_permission,
    drf.AllowAny.has_permission,
    drf.IsAuthenticated.has_permission,
    drf.IsAdminUser.has_permission,
    drf.IsAuthenticatedOrReadOnly.has_permission,
)
