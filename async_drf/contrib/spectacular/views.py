"""drf-spectacular's schema, Swagger UI and Redoc views on async_drf's request cycle.

drf-spectacular's views are DRF ``APIView``s: given async_drf's async authentication,
permission or throttle classes (``REST_FRAMEWORK`` defaults, or ``SERVE_AUTHENTICATION``)
they could not await them (system check ``async_drf.E004``).  These subclasses put
:class:`async_drf.views.AsyncAPIView` first and change nothing else; their ``get``
stays sync, so Django runs it in a worker thread where the generator may await async
permission checks and serializer hooks.  Like DRF's schema view, they are left out of
the schema they serve.

    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="schema")),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema")),

With drf-spectacular-sidecar (``SWAGGER_UI_DIST = REDOC_DIST = "SIDECAR"``) every asset
is a local static file: served by ``get_asgi_application()`` with
``ASYNC_DRF["SERVE_STATIC"]``, DEBUG on or off.
"""

from __future__ import annotations

from drf_spectacular import generators
from drf_spectacular import views as spectacular_views
from drf_spectacular.settings import spectacular_settings

from ...views import AsyncAPIView
from .schema import SchemaGenerator

__all__ = [
    "SpectacularAPIView",
    "SpectacularJSONAPIView",
    "SpectacularRedocView",
    "SpectacularSwaggerView",
    "SpectacularYAMLAPIView",
]


def _generator_class() -> type:
    # SPECTACULAR_SETTINGS["DEFAULT_GENERATOR_CLASS"] unless it is drf-spectacular's own.
    configured = spectacular_settings.DEFAULT_GENERATOR_CLASS
    return SchemaGenerator if configured is generators.SchemaGenerator else configured


class SpectacularAPIView(AsyncAPIView, spectacular_views.SpectacularAPIView):
    """The OpenAPI document (YAML or JSON by content negotiation)."""

    schema = None
    generator_class = _generator_class()


class SpectacularYAMLAPIView(AsyncAPIView, spectacular_views.SpectacularYAMLAPIView):
    schema = None
    generator_class = _generator_class()


class SpectacularJSONAPIView(AsyncAPIView, spectacular_views.SpectacularJSONAPIView):
    schema = None
    generator_class = _generator_class()


class SpectacularSwaggerView(AsyncAPIView, spectacular_views.SpectacularSwaggerView):
    """Swagger UI for the schema at ``url`` or the URL named ``url_name`` (drf-spectacular's
    or async_drf's DRF schema view)."""

    schema = None


class SpectacularRedocView(AsyncAPIView, spectacular_views.SpectacularRedocView):
    """Redoc for the schema at ``url`` or the URL named ``url_name``."""

    schema = None
