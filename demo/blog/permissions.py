"""The blog's object permission: anyone may read a post, only its owner may change it."""

from rest_framework import permissions

from async_drf.permissions import AsyncBasePermission


class IsOwnerOrReadOnly(AsyncBasePermission):
    """Read for everyone; write only for the Django user whose id is ``obj.owner_id``.

    The check is ``async def``: the view awaits it on the event loop, so a rule that
    needs a query (team membership, say) can ``await`` Tortoise or Django's async ORM.
    """

    message = "Only the owner of this object may change it."

    async def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_authenticated and obj.owner_id == request.user.id
