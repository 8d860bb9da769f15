"""Django's error handlers, answering ``{"detail": ...}`` JSON under the API's paths.

Errors that happen before or around DRF's views (an unknown URL, a disallowed
``Host``, too many form fields, an oversized body, a Django-level CSRF failure, an
uncaught exception) are answered by Django's handlers with HTML pages.  These answer
the API's paths (``ASYNC_DRF["API_PATH_PREFIXES"]``) with the body DRF's errors have,
and every other path with Django's own page.  In the root URLconf::

    handler400 = "async_drf.handlers.bad_request"
    handler403 = "async_drf.handlers.permission_denied"
    handler404 = "async_drf.handlers.page_not_found"
    handler500 = "async_drf.handlers.server_error"

and in settings ``CSRF_FAILURE_VIEW = "async_drf.handlers.csrf_failure"``.  With
``DEBUG = True`` Django shows its technical pages instead, as it does for its own
handlers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core import exceptions as django_exceptions
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import csrf, defaults
from rest_framework import exceptions

from .settings import async_settings

__all__ = [
    "bad_request",
    "csrf_failure",
    "is_api_path",
    "page_not_found",
    "permission_denied",
    "server_error",
]

# Django's 400s, most specific first: (exception class, detail, setting with the limit).
_BAD_REQUESTS: list[tuple[type[Exception], object, str | None]] = [
    (django_exceptions.DisallowedHost, _("Invalid Host header."), None),
    (
        django_exceptions.TooManyFieldsSent,
        _("Too many fields: at most {limit} are accepted."),
        "DATA_UPLOAD_MAX_NUMBER_FIELDS",
    ),
    (
        django_exceptions.TooManyFilesSent,
        _("Too many files: at most {limit} are accepted."),
        "DATA_UPLOAD_MAX_NUMBER_FILES",
    ),
    (
        django_exceptions.RequestDataTooBig,
        _("Request body too large: at most {limit} bytes are accepted."),
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
    ),
]


def is_api_path(request: HttpRequest) -> bool:
    """True when ``request.path_info`` is under one of ``API_PATH_PREFIXES``."""
    return request.path_info.startswith(tuple(async_settings.API_PATH_PREFIXES))


def _json_or_page(
    request: HttpRequest,
    status: int,
    detail: object,
    django_view: Callable[..., HttpResponse],
    *args: object,
) -> HttpResponse:
    if is_api_path(request):
        return JsonResponse({"detail": str(detail)}, status=status)
    return django_view(request, *args)


def bad_request_detail(exception: BaseException | None) -> str:
    """The detail of a Django-level 400; never the exception's own message."""
    for cls, detail, limit_setting in _BAD_REQUESTS:
        if isinstance(exception, cls):
            if limit_setting is None:
                return str(detail)
            return str(detail).format(limit=getattr(settings, limit_setting))
    return str(exceptions.ParseError.default_detail)


def bad_request(
    request: HttpRequest,
    exception: Exception,
    template_name: str = defaults.ERROR_400_TEMPLATE_NAME,
) -> HttpResponse:
    """400 handler: JSON under the API's paths, Django's page elsewhere."""
    detail = bad_request_detail(exception)
    return _json_or_page(request, 400, detail, defaults.bad_request, exception, template_name)


def permission_denied(
    request: HttpRequest,
    exception: Exception,
    template_name: str = defaults.ERROR_403_TEMPLATE_NAME,
) -> HttpResponse:
    """403 handler: JSON under the API's paths, Django's page elsewhere."""
    detail = exceptions.PermissionDenied.default_detail
    return _json_or_page(request, 403, detail, defaults.permission_denied, exception, template_name)


def page_not_found(
    request: HttpRequest,
    exception: Exception,
    template_name: str = defaults.ERROR_404_TEMPLATE_NAME,
) -> HttpResponse:
    """404 handler: JSON under the API's paths, Django's page elsewhere."""
    detail = exceptions.NotFound.default_detail
    return _json_or_page(request, 404, detail, defaults.page_not_found, exception, template_name)


def server_error(
    request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME
) -> HttpResponse:
    """500 handler: JSON under the API's paths, Django's page elsewhere."""
    detail = exceptions.APIException.default_detail
    return _json_or_page(request, 500, detail, defaults.server_error, template_name)


def csrf_failure(
    request: HttpRequest, reason: str = "", template_name: str = csrf.CSRF_FAILURE_TEMPLATE_NAME
) -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: DRF's ``CSRF Failed: ...`` 403 under the API's paths."""
    detail = f"CSRF Failed: {reason}"
    return _json_or_page(request, 403, detail, csrf.csrf_failure, reason, template_name)
