"""Permissions whose checks may be ``async def``, composable with DRF's ``& | ~``.

DRF's ``AND``/``OR``/``NOT`` nodes call their operands synchronously, so an async
operand would be a (truthy) coroutine.  The view therefore never calls a node's own
methods: :func:`has_permission` and :func:`has_object_permission` walk the node tree
and await each leaf, keeping DRF's left-to-right short-circuit.
"""

from __future__ import annotations

from typing import Any

from rest_framework import permissions as drf

from .concurrency import mark_inline, maybe_await

__all__ = [
    "AsyncBasePermission",
    "has_object_permission",
    "has_permission",
]


class AsyncBasePermission(drf.BasePermission):
    """DRF's BasePermission with ``async def`` checks; override either or both."""

    async def has_permission(self, request: Any, view: Any) -> bool:
        return True

    async def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return True


async def has_permission(permission: Any, request: Any, view: Any) -> bool:
    """``permission.has_permission(request, view)``, awaiting async leaves."""
    if isinstance(permission, drf.AND):
        return await has_permission(permission.op1, request, view) and await has_permission(
            permission.op2, request, view
        )
    if isinstance(permission, drf.OR):
        return await has_permission(permission.op1, request, view) or await has_permission(
            permission.op2, request, view
        )
    if isinstance(permission, drf.NOT):
        return not await has_permission(permission.op1, request, view)
    return bool(await maybe_await(permission.has_permission, request, view))


async def has_object_permission(permission: Any, request: Any, view: Any, obj: Any) -> bool:
    """``permission.has_object_permission(request, view, obj)``, awaiting async leaves."""
    if isinstance(permission, drf.AND):
        return await has_object_permission(
            permission.op1, request, view, obj
        ) and await has_object_permission(permission.op2, request, view, obj)
    if isinstance(permission, drf.OR):
        # DRF >= 3.14: an OR branch grants object access only if it grants both checks.
        for op in (permission.op1, permission.op2):
            if await has_permission(op, request, view) and await has_object_permission(
                op, request, view, obj
            ):
                return True
        return False
    if isinstance(permission, drf.NOT):
        return not await has_object_permission(permission.op1, request, view, obj)
    return bool(await maybe_await(permission.has_object_permission, request, view, obj))


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
