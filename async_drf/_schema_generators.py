"""A piece of :mod:`async_drf.schemas`: what DRF's and drf-spectacular's schema generators
need for async_drf views."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions

from .concurrency import call_sync
from .orm import view_model

__all__ = ["GeneratorMixin"]


if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.schemas.generators import BaseSchemaGenerator as _Generator
    from rest_framework.views import APIView
else:
    _Generator = object


class GeneratorMixin(_Generator):
    """What a schema generator (DRF's, drf-spectacular's) needs for async_drf views.

    DRF calls ``view.check_permissions()`` synchronously when the schema is not public:
    on an async view that returns a coroutine (truthy, never awaited), which would list
    every endpoint.  Here it is awaited through ``async_to_sync`` (schema views are
    sync, so this runs off the event loop); where that is impossible the endpoint is
    left out.  ``{pk}`` is named after the Tortoise model's pk.
    """

    def has_view_permissions(self, path: str, method: str, view: APIView) -> bool:
        request: Request | None = view.request  # None without a request (generateschema)
        if request is None:
            return True
        try:
            call_sync(view.check_permissions, request)
        except (exceptions.APIException, Http404, PermissionDenied):
            return False
        except RuntimeError:
            warnings.warn(
                f"{view.__class__.__name__}: its async permissions cannot be checked on "
                f"an event loop thread; {method} {path} is left out of the schema.",
                RuntimeWarning,
                stacklevel=2,
            )
            return False
        return True

    def coerce_path(self, path: str, method: str, view: APIView) -> str:
        # DRF names `{pk}` after Django's `_meta.pk.name`; a Tortoise model has pk_attr.
        model = view_model(view)
        if not self.coerce_path_pk or "{pk}" not in path or model is None:
            return super().coerce_path(path, method, view)
        return path.replace("{pk}", "{" + model._meta.pk_attr + "}")
