"""The browsable API for async views: DRF's BrowsableAPIRenderer with a sync-safe path.

DRF's renderer asks the view, synchronously and while rendering, whether to show
each form (``check_permissions``, ``check_object_permissions``) and calls its
serializer and queryset hooks.  On an async view the checks are coroutines: called
synchronously they return a coroutine, which is truthy, so every form would be shown
and the check never run (TRAPS 13).  Here:

* the permission answers are awaited on the event loop by the view, after the
  handler and before rendering (:meth:`AsyncBrowsableAPIMixin.aprepare`, called by
  ``AsyncAPIView.dispatch``); the renderer only reads them;
* without those answers (a renderer used outside ``AsyncAPIView.dispatch``), an async
  check is run through ``async_to_sync`` off the event loop, and on the loop the form
  is denied: a check is never skipped;
* ``async def`` serializer/queryset hooks (``get_serializer_class``, ``get_queryset``,
  ...) are called through ``async_to_sync``: Django renders non-JSON responses in a
  worker thread, off the loop.

``AsyncAPIView.get_renderers`` uses these classes in place of DRF's
``BrowsableAPIRenderer`` (and its subclasses, ``AdminRenderer`` included), so
``DEFAULT_RENDERER_CLASSES`` stays DRF's.  The choices of the related fields in the
POST/PUT forms (DRF lists them with a sync query while rendering) are loaded by
``aprepare`` too, one awaited query per field, up to DRF's ``html_cutoff``.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page
from django.http import Http404
from rest_framework import exceptions, renderers
from rest_framework.request import Request, is_form_media_type, override_method
from rest_framework.response import Response
from rest_framework.serializers import ListSerializer

from ._prefetch import aload_form_choices
from ._serializer_adapter import aview_serializer
from .concurrency import call_sync, is_async_callable, maybe_await

if TYPE_CHECKING:
    from typing import Literal, Protocol

    from django import forms
    from rest_framework.views import APIView

    from ._prefetch import ChoicesKey, FormChoices
    from ._types import AnySerializer

    class _FormChoicesView(Protocol):
        # Read by the related fields' get_choices (async_drf.relations).
        _related_choices: dict[ChoicesKey, FormChoices]


R = TypeVar("R")

__all__ = [
    "AdminRenderer",
    "AsyncBrowsableAPIMixin",
    "BrowsableAPIRenderer",
    "async_renderer_class",
]

# The view hooks DRF's renderer calls synchronously besides the permission checks.
_VIEW_HOOKS = ("get_serializer", "get_serializer_class", "get_serializer_context", "get_queryset")

# The methods whose forms (or buttons) the browsable API may show.
_FORM_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_DENIED = (exceptions.APIException, PermissionDenied, Http404)


def form_instance(data: object) -> object:
    """The object a form edits: the instance behind ``data``, as DRF's renderer finds it."""
    serializer = getattr(data, "serializer", None)
    if serializer is None or getattr(serializer, "many", False):
        return None
    instance = getattr(serializer, "instance", None)
    return None if isinstance(instance, Page) else instance


class AsyncBrowsableAPIMixin:
    """Makes a BrowsableAPIRenderer (sub)class safe for async views; see the module doc."""

    _form_permissions: dict[str, bool] | None = None
    format: str  # the renderer's (BaseRenderer.format)

    async def aprepare(self, view: APIView, request: Request, response: Response) -> None:
        """Await, on the loop, the permission checks the forms of this response need."""
        instance = form_instance(getattr(response, "data", None))
        allowed_methods = set(view.allowed_methods)
        decisions = {}
        for method in _FORM_METHODS:
            if method in allowed_methods:
                # DRF checks no object permission for the OPTIONS button.
                obj = None if method == "OPTIONS" else instance
                with override_method(view, request, method) as cloned:
                    decisions[method] = await _apermitted(view, cloned, obj)
        self._form_permissions = decisions
        await self._aload_form_choices(view, request, response, instance)

    async def _aload_form_choices(
        self, view: APIView, request: Request, response: Response, instance: object
    ) -> None:
        """Load the related fields' choices of the HTML forms this page will show.

        The fields find them through their serializer's ``view`` (``get_choices``);
        which serializer each form uses is decided as in DRF's renderer.
        """
        if not any(is_form_media_type(parser.media_type) for parser in view.parser_classes):
            return
        existing = getattr(getattr(response, "data", None), "serializer", None)
        choices: dict[ChoicesKey, FormChoices] = {}
        for method in ("POST", "PUT"):
            if not (self._form_permissions or {}).get(method):
                continue
            with override_method(view, request, method) as cloned:
                if request.method == method and existing is not None:
                    serializer = existing  # DRF re-renders the submitted form
                else:
                    serializer = await self._aform_serializer(view, cloned, method, instance)
            if serializer is not None and not isinstance(serializer, ListSerializer):
                choices.update(await aload_form_choices(serializer))
        cast("_FormChoicesView", view)._related_choices = choices

    async def _aform_serializer(
        self, view: APIView, request: Request, method: str, instance: object
    ) -> AnySerializer | None:
        # Mirrors the serializer choice of DRF's BrowsableAPIRenderer.get_rendered_html_form;
        # differs only in awaiting async serializer hooks.
        kwargs = {"instance": instance} if method in ("PUT", "PATCH") else {}
        serializer: AnySerializer
        if getattr(view, "get_serializer", None) is not None:
            serializer = await aview_serializer(view, **kwargs)
            return serializer
        serializer_class = getattr(view, "serializer_class", None)
        if serializer_class is None:
            return None
        context = {"request": request, "format": self.format, "view": view}
        serializer = serializer_class(context=context, **kwargs)
        return serializer

    def show_form_for_method(
        self, view: APIView, method: str, request: Request, obj: object
    ) -> bool:
        if method not in view.allowed_methods:
            return False
        decided = (self._form_permissions or {}).get(method)
        if decided is not None:
            return decided
        return _permitted_now(view, request, obj)

    def get_context(
        self, data: object, accepted_media_type: str | None, renderer_context: Mapping[str, object]
    ) -> dict[str, object]:
        with sync_view_hooks(renderer_context["view"]):
            context: dict[str, object] = super().get_context(  # type: ignore[misc]
                data, accepted_media_type, renderer_context
            )
            return context

    def get_rendered_html_form(
        self, data: object, view: APIView, method: str, request: Request
    ) -> str | Literal[True] | None:
        if method == "OPTIONS":
            # DRF calls view.check_permissions() itself here: answer from show_form_for_method.
            with override_method(view, request, method) as cloned:
                return True if self.show_form_for_method(view, method, cloned, None) else None
        return self._without_async_hooks_on_loop(
            super().get_rendered_html_form,  # type: ignore[misc]
            data,
            view,
            method,
            request,
        )

    def get_raw_data_form(
        self, data: object, view: APIView, method: str, request: Request
    ) -> forms.Form | None:
        return self._without_async_hooks_on_loop(
            super().get_raw_data_form,  # type: ignore[misc]
            data,
            view,
            method,
            request,
        )

    def get_filter_form(self, data: object, view: APIView, request: Request) -> str | None:
        return self._without_async_hooks_on_loop(
            super().get_filter_form,  # type: ignore[misc]
            data,
            view,
            request,
        )

    @staticmethod
    def _without_async_hooks_on_loop(build: Callable[..., R], *args: object) -> R | None:
        # An async hook reached on the event loop thread cannot be awaited: no form.
        try:
            return build(*args)
        except _AsyncHookOnLoop as exc:
            warnings.warn(f"browsable API: form left out, {exc}", RuntimeWarning, stacklevel=2)
            return None


class _AsyncHookOnLoop(RuntimeError):
    pass


async def _apermitted(view: APIView, request: Request, obj: object) -> bool:
    """Whether ``request`` passes the view's permission (and object permission) checks."""
    try:
        await maybe_await(view.check_permissions, request)
        if obj is not None:
            await maybe_await(view.check_object_permissions, request, obj)
    except _DENIED:
        return False
    return True


def _permitted_now(view: APIView, request: Request, obj: object) -> bool:
    """The same check, from sync code: an async check runs through ``async_to_sync``."""
    try:
        call_sync(view.check_permissions, request)
        if obj is not None:
            call_sync(view.check_object_permissions, request, obj)
    except _DENIED:
        return False
    except RuntimeError:
        # An async check on the event loop thread cannot run here: deny, never skip.
        return False
    return True


def _sync_hook(hook: Callable[..., object], *args: object, **kwargs: object) -> object:
    try:
        return call_sync(hook, *args, **kwargs)
    except RuntimeError as exc:
        if "event loop thread" in str(exc):
            raise _AsyncHookOnLoop(str(exc)) from exc
        raise


@contextlib.contextmanager
def sync_view_hooks(view: object) -> Iterator[None]:
    """Within the block, the view's ``async def`` serializer/queryset hooks are sync.

    Each is shadowed by an instance attribute calling it through ``async_to_sync``;
    the view's class is untouched, and the attributes are removed on exit.
    """
    patched = []
    for name in _VIEW_HOOKS:
        hook = getattr(view, name, None)
        if hook is not None and name not in vars(view) and is_async_callable(hook):
            setattr(view, name, functools.partial(_sync_hook, hook))
            patched.append(name)
    try:
        yield
    finally:
        for name in patched:
            delattr(view, name)


@functools.cache
def async_renderer_class(renderer_class: type) -> type:
    """``renderer_class``, or for a DRF BrowsableAPIRenderer (sub)class its async-safe twin."""
    if not issubclass(renderer_class, renderers.BrowsableAPIRenderer) or issubclass(
        renderer_class, AsyncBrowsableAPIMixin
    ):
        return renderer_class
    if renderer_class in _TWINS:
        return _TWINS[renderer_class]
    return type(
        renderer_class.__name__,
        (AsyncBrowsableAPIMixin, renderer_class),
        {"__module__": renderer_class.__module__, "__doc__": renderer_class.__doc__},
    )


class BrowsableAPIRenderer(AsyncBrowsableAPIMixin, renderers.BrowsableAPIRenderer):
    """DRF's BrowsableAPIRenderer, safe for async views (used for DRF's automatically)."""


class AdminRenderer(AsyncBrowsableAPIMixin, renderers.AdminRenderer):
    """DRF's AdminRenderer, safe for async views (used for DRF's automatically)."""


_TWINS: dict[type, type] = {
    renderers.BrowsableAPIRenderer: BrowsableAPIRenderer,
    renderers.AdminRenderer: AdminRenderer,
}
