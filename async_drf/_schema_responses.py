"""Which responses an operation can give, for :class:`async_drf.schemas.AutoSchema`.

DRF's ``AutoSchema`` documents only the success response.  The rules here read the
view's policies as DRF's request cycle applies them: the first authenticator's
``WWW-Authenticate`` header decides 401 or 403, a parser list means 415, throttles
mean 429, a Tortoise model means 503 when its database is unavailable.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, mixins, pagination, permissions

from .orm import view_model

__all__ = ["ERROR", "VALIDATION_ERROR", "error_components", "error_statuses", "success_status"]

# Component names of the two error bodies (``components.schemas``).
ERROR = "ErrorResponse"
VALIDATION_ERROR = "ValidationErrorResponse"

_BODY_METHODS = ("PUT", "PATCH", "POST")

# (description, body component(s), headers) per status.
ERROR_RESPONSES: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {
    "400": (
        "Invalid input: a field error per field, or a malformed body.",
        (ERROR, VALIDATION_ERROR),
        {},
    ),
    "401": (
        "Missing or invalid credentials.",
        (ERROR,),
        {
            "WWW-Authenticate": {
                "description": "The authentication scheme to use.",
                "required": True,
                "schema": {"type": "string"},
            }
        },
    ),
    "403": ("Not allowed (permissions, or a missing CSRF token with a session).", (ERROR,), {}),
    "404": ("Not found (an unknown id, or an invalid page or cursor).", (ERROR,), {}),
    "406": ("No renderer matches the Accept header.", (ERROR,), {}),
    "415": ("Unsupported request Content-Type.", (ERROR,), {}),
    "429": (
        "Throttled.",
        (ERROR,),
        {
            "Retry-After": {
                "description": "Seconds until a request may succeed.",
                "schema": {"type": "integer"},
            }
        },
    ),
    "503": ("The database is unavailable; try again later.", (ERROR,), {}),
}


def error_components() -> dict[str, dict[str, Any]]:
    """The two error bodies: ``{"detail": ...}`` and DRF's field errors."""
    messages = {"type": "array", "items": {"type": "string"}}
    nested = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
    return {
        ERROR: {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
        VALIDATION_ERROR: {
            "description": (
                "Field name (or non_field_errors) -> its messages; a nested serializer's "
                "errors are an object, a list's are keyed by index."
            ),
            "anyOf": [
                {
                    "type": "object",
                    "additionalProperties": {"anyOf": [nested, {"type": "object"}]},
                },
                messages,
            ],
        },
    }


def error_response(status: str, media_types: list[str]) -> dict[str, Any]:
    """The response object for one error status, its body under each media type."""
    description, bodies, headers = ERROR_RESPONSES[status]
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in bodies]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    response: dict[str, Any] = {
        "description": description,
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }
    if headers:
        response["headers"] = headers
    return response


def success_status(view: Any, method: str) -> str:
    """201 for a create, 204 for a destroy (DRF's mixins), else 200 (``Response()``)."""
    action = getattr(view, "action", None)
    if method == "POST" and _runs(view, action, "create", mixins.CreateModelMixin):
        return "201"
    if method == "DELETE" and _runs(view, action, "destroy", mixins.DestroyModelMixin):
        return "204"
    return "200"


def _runs(view: Any, action: str | None, name: str, mixin: type) -> bool:
    # A viewset names its action; a generic view's handler calls its mixin's method.
    return action == name if action is not None else isinstance(view, mixin)


def error_statuses(
    view: Any, method: str, *, path_has_variables: bool, is_list: bool, has_query_filters: bool
) -> list[str]:
    """The error statuses DRF's request cycle can answer this operation with."""
    has_body = method in _BODY_METHODS
    statuses = []
    if has_body or has_query_filters:
        statuses.append("400")
    statuses += _auth_statuses(view, method)
    if path_has_variables or (is_list and _paginator_may_404(view)):
        statuses.append("404")
    statuses.append("406")
    if has_body:
        statuses.append("415")
    if getattr(view, "throttle_classes", None):
        statuses.append("429")
    if view_model(view) is not None:
        statuses.append("503")
    return statuses


def _auth_statuses(view: Any, method: str) -> list[str]:
    """401 and/or 403: DRF answers 401 only when its first authenticator has a header."""
    authenticators = list(view.get_authenticators()) if hasattr(view, "get_authenticators") else []
    challenge = bool(authenticators) and _authenticate_header(authenticators[0], view) is not None
    # A bad token or password fails whatever the permissions say.
    can_fail = any(not isinstance(a, authentication.SessionAuthentication) for a in authenticators)
    csrf = method not in permissions.SAFE_METHODS and any(
        isinstance(a, authentication.SessionAuthentication) for a in authenticators
    )
    denies = _permissions_may_deny(getattr(view, "permission_classes", ()), method)
    statuses = []
    if challenge and (can_fail or denies):
        statuses.append("401")
    if csrf or denies or (can_fail and not challenge):
        statuses.append("403")
    return statuses


def _authenticate_header(authenticator: Any, view: Any) -> str | None:
    try:
        return authenticator.authenticate_header(getattr(view, "request", None))
    except (AttributeError, TypeError):  # one that needs a real request: assume a challenge
        return "unknown"


def _permissions_may_deny(permission_classes: Any, method: str) -> bool:
    """False only for permissions known to let this method through (AllowAny, *OrReadOnly)."""
    safe = method in permissions.SAFE_METHODS
    for permission in permission_classes:
        if permission is permissions.AllowAny:
            continue
        if permission is permissions.IsAuthenticatedOrReadOnly and safe:
            continue
        return True
    return False


def _paginator_may_404(view: Any) -> bool:
    # Page numbers and cursors can be invalid (404); a limit/offset cannot.
    paginator_class = getattr(view, "pagination_class", None)
    return isinstance(paginator_class, type) and issubclass(
        paginator_class, (pagination.PageNumberPagination, pagination.CursorPagination)
    )
