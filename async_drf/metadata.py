"""AsyncSimpleMetadata: DRF's OPTIONS metadata with the permission checks awaited.

DRF's SimpleMetadata calls ``view.check_permissions()`` and ``view.get_object()``
synchronously; on an async view those return coroutines, so the checks would be
skipped.  Here they are awaited before DRF's code builds the description.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request

from ._serializer_adapter import aview_serializer
from .concurrency import maybe_await

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

    # Per method (PUT, POST): the serializer's fields, each field's description.
    _Actions = dict[str, dict[str, dict[str, object]]]

__all__ = ["AsyncSimpleMetadata"]


class AsyncSimpleMetadata(SimpleMetadata):
    async def determine_metadata(self, request: Request, view: APIView) -> dict[str, object]:
        self._actions = (
            await self.adetermine_actions(request, view) if hasattr(view, "get_serializer") else {}
        )
        metadata: dict[str, object] = super().determine_metadata(request, view)
        return metadata

    def determine_actions(self, request: Request, view: APIView) -> _Actions:
        # Computed (with awaits) by adetermine_actions before DRF's code asks for it.
        return self._actions

    async def adetermine_actions(self, request: Request, view: APIView) -> _Actions:
        # Mirrors SimpleMetadata.determine_actions; differs only in awaits.
        actions: _Actions = {}
        for method in {"PUT", "POST"} & set(view.allowed_methods):
            view.request = clone_request(request, method)
            try:
                if hasattr(view, "check_permissions"):
                    await maybe_await(view.check_permissions, view.request)
                if method == "PUT" and hasattr(view, "get_object"):
                    await maybe_await(view.get_object)
            except (exceptions.APIException, PermissionDenied, Http404):
                pass
            else:
                # Serializer hooks may be async on generic views.
                serializer = await aview_serializer(view)
                actions[method] = self.get_serializer_info(serializer)
            finally:
                view.request = request
        return actions
