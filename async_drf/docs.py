"""Interactive API docs (Swagger UI) served entirely from local static files.

The Swagger UI distribution comes from the ``drf-spectacular-sidecar`` package as
Django static files (no CDN, so the page works offline).  Enable it with::

    INSTALLED_APPS += ["django.contrib.staticfiles", "drf_spectacular_sidecar"]

    urlpatterns += [
        path("api/schema/", async_drf.schemas.get_schema_view(title="My API"),
             name="openapi-schema"),
        path("api/docs/", async_drf.docs.SwaggerUIView.as_view(url_name="openapi-schema"),
             name="swagger-ui"),
    ]

The static files are served like any other: ``runserver`` with DEBUG, the web
server after ``collectstatic``, or ``get_asgi_application()`` itself with
``ASYNC_DRF["SERVE_STATIC"]`` (servestatic, DEBUG on or off).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.views import View

__all__ = ["SWAGGER_UI_DIST", "SwaggerUIView"]

# Where drf-spectacular-sidecar ships Swagger UI under STATIC_URL.
SWAGGER_UI_DIST = "drf_spectacular_sidecar/swagger-ui-dist"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>
  <link rel="stylesheet" href="{css}">
  <link rel="icon" type="image/png" href="{favicon}">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script src="{preset}"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: {schema_url},
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      deepLinking: true,
      requestInterceptor: function (request) {{
        // Session-authenticated writes need Django's CSRF token.
        var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
        if (match) {{ request.headers["X-CSRFToken"] = decodeURIComponent(match[1]); }}
        return request;
      }},
    }});
  </script>
</body>
</html>
"""


class SwaggerUIView(View):
    """A Swagger UI page for the OpenAPI document at ``url`` (or the URL named ``url_name``).

    Every asset is a local static file from ``drf-spectacular-sidecar``.
    """

    title = "API documentation"
    url: str | None = None  # the schema's URL, as is
    url_name: str | None = None  # or the name of its URL pattern
    schema_format = "openapi-json"  # DRF's JSONOpenAPIRenderer format (Swagger UI reads JSON)

    def get_schema_url(self, request: HttpRequest) -> str:
        """The schema URL the page loads, asking DRF's schema view for JSON."""
        assert self.url or self.url_name, "SwaggerUIView needs `url` or `url_name`."
        url = self.url or reverse(self.url_name)
        separator = "&" if "?" in url else "?"
        return f"{url}{separator}format={self.schema_format}" if self.schema_format else url

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        page = _PAGE.format(
            title=escape(self.title),
            css=escape(static(f"{SWAGGER_UI_DIST}/swagger-ui.css")),
            favicon=escape(static(f"{SWAGGER_UI_DIST}/favicon-32x32.png")),
            bundle=escape(static(f"{SWAGGER_UI_DIST}/swagger-ui-bundle.js")),
            preset=escape(static(f"{SWAGGER_UI_DIST}/swagger-ui-standalone-preset.js")),
            # JSON inside <script>: escape "<" so the URL cannot close the element.
            schema_url=json.dumps(self.get_schema_url(request)).replace("<", "\\u003c"),
        )
        return HttpResponse(page, content_type="text/html; charset=utf-8")
