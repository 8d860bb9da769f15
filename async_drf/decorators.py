"""api_view for ``async def`` (and ``def``) function views.

DRF's policy decorators (``permission_classes``, ``throttle_classes``,
``throttle_scope``, ``renderer_classes``, ...) and ``action`` only set attributes, so
they are used from ``rest_framework.decorators`` unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from rest_framework.decorators import api_view as drf_api_view

from .concurrency import is_async_callable
from .views import AsyncAPIView

if TYPE_CHECKING:
    from django.http import HttpResponseBase
    from rest_framework.views import AsView, GenericView

    from ._types import ViewHandler

__all__ = ["api_view"]


def api_view(
    http_method_names: list[str] | None = None,
) -> Callable[[ViewHandler], AsView[GenericView]]:
    """Turn a function into an AsyncAPIView, as DRF's ``api_view`` does for APIView."""
    build_drf_view = drf_api_view(http_method_names)

    def decorator(func: ViewHandler) -> AsView[GenericView]:
        # DRF builds the class and copies every policy attribute from the function;
        # rebase that class on AsyncAPIView instead of copying DRF's attribute list
        # (DRF only reads the function's name and attributes: `def` or `async def`).
        drf_class = build_drf_view(cast("Callable[..., HttpResponseBase]", func)).cls
        attrs = {k: v for k, v in vars(drf_class).items() if k not in ("__dict__", "__weakref__")}
        if not hasattr(func, "schema"):  # no @schema: AsyncAPIView's default, not DRF's
            attrs.pop("schema", None)
        if is_async_callable(func):
            afunc = cast("Callable[..., Awaitable[HttpResponseBase]]", func)

            async def handler(
                self: AsyncAPIView, *args: object, **kwargs: object
            ) -> HttpResponseBase:
                return await afunc(*args, **kwargs)

            for method in drf_class.http_method_names:
                if method in attrs:  # the methods DRF bound to `func`
                    attrs[method] = handler
        wrapped: type[AsyncAPIView] = type(drf_class.__name__, (AsyncAPIView,), attrs)
        wrapped.__qualname__ = getattr(func, "__qualname__", drf_class.__name__)
        return wrapped.as_view()

    return decorator
