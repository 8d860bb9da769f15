"""Which responses an operation can give, for :class:`async_drf.schemas.AutoSchema`.

DRF's ``AutoSchema`` documents only the success response.  The rules here read the
view's policies as DRF's request cycle applies them: the first authenticator's
``WWW-Authenticate`` header decides 401 or 403, a parser list means 415, throttles
mean 429 (and 503 when their store is unavailable), a Tortoise model means 503 when its
database is unavailable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rest_framework import authentication, mixins, pagination, permissions

from .concurrency import is_async_callable
from .orm import view_model

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.request import Request
    from rest_framework.views import APIView

    from ._types import OpenAPIObject

__all__ = [
    "ERROR",
    "VALIDATION_ERROR",
    "conditional_responses",
    "error_components",
    "error_response",
    "error_statuses",
    "etag_policy",
    "precondition_parameters",
    "success_status",
]

# Component names of the two error bodies (``components.schemas``).
ERROR = "ErrorResponse"
VALIDATION_ERROR = "ValidationErrorResponse"

_BODY_METHODS = ("PUT", "PATCH", "POST")

RETRY_AFTER = {"description": "Seconds until a request may succeed.", "schema": {"type": "integer"}}

# (description, body component(s), headers) per status.
ERROR_RESPONSES: dict[str, tuple[str, tuple[str, ...], OpenAPIObject]] = {
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
    "412": ("A precondition (If-Match, If-None-Match) failed: fetch the row again.", (ERROR,), {}),
    "428": ("This request must be conditional: send If-Match.", (ERROR,), {}),
    "429": ("Throttled.", (ERROR,), {"Retry-After": RETRY_AFTER}),
    "503": (
        "The database or the throttle store is unavailable; try again later.",
        (ERROR,),
        {"Retry-After": RETRY_AFTER},
    ),
}


def error_components() -> dict[str, OpenAPIObject]:
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


def error_response(status: str, media_types: list[str]) -> OpenAPIObject:
    """The response object for one error status, its body under each media type."""
    description, bodies, headers = ERROR_RESPONSES[status]
    refs = [{"$ref": f"#/components/schemas/{name}"} for name in bodies]
    schema = refs[0] if len(refs) == 1 else {"anyOf": refs}
    response: OpenAPIObject = {
        "description": description,
        "content": {media_type: {"schema": schema} for media_type in media_types},
    }
    if headers:
        response["headers"] = headers
    return response


def success_status(view: APIView, method: str) -> str:
    """201 for a create, 204 for a destroy (DRF's mixins), else 200 (``Response()``)."""
    if method == "POST" and _runs(view, ("create",), mixins.CreateModelMixin):
        return "201"
    if method == "DELETE" and _runs(view, ("destroy",), mixins.DestroyModelMixin):
        return "204"
    return "200"


def _runs(view: APIView, actions: tuple[str, ...], mixin: type) -> bool:
    # A viewset names its action; a generic view's handler calls its mixin's method.
    action = getattr(view, "action", None)
    return action in actions if action is not None else isinstance(view, mixin)


# -- conditional requests (async_drf.conditional) ------------------------------------------

_CONDITIONAL = {
    "GET": (("retrieve",), mixins.RetrieveModelMixin),
    "PUT": (("update", "partial_update"), mixins.UpdateModelMixin),
    "PATCH": (("update", "partial_update"), mixins.UpdateModelMixin),
    "DELETE": (("destroy",), mixins.DestroyModelMixin),
}
ETAG_HEADER = {"description": "The row's version (its ETag).", "schema": {"type": "string"}}


def etag_policy(view: APIView, method: str) -> type | None:
    """The view's ``etag_class`` when this operation honours conditional headers, else None."""
    etag_class: type | None = getattr(view, "etag_class", None)
    conditional = _CONDITIONAL.get(method)
    if etag_class is None or conditional is None or not _runs(view, *conditional):
        return None
    return etag_class


def precondition_parameters(etag_class: type, method: str) -> list[OpenAPIObject]:
    """The ``If-Match`` and ``If-None-Match`` headers of a conditional operation."""
    write = method != "GET"
    return [
        {
            "name": "If-Match",
            "in": "header",
            "required": write and bool(getattr(etag_class, "require_if_match", False)),
            "description": "The ETag the row must still have (else 412); on a write, the "
            "write happens only if it does.",
            "schema": {"type": "string"},
        },
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "ETags the client holds: a match is a 304 on a read, a 412 on a write.",
            "schema": {"type": "string"},
        },
    ]


def conditional_responses(
    etag_class: type, method: str, responses: dict[str, OpenAPIObject]
) -> None:
    """Add the ETag header, the 304 of a read and the 412/428 of a write to ``responses``."""
    success = next(code for code in responses if code.startswith("2"))
    if method == "GET":
        responses[success]["headers"] = {"ETag": {**ETAG_HEADER, "required": True}}
        responses["304"] = {
            "description": "Not modified: the row still has an ETag in If-None-Match.",
            "headers": {"ETag": {**ETAG_HEADER, "required": True}},
        }
    elif success != "204":
        # Sent when the write was compared against the whole ETag.
        responses[success]["headers"] = {"ETag": ETAG_HEADER}


def error_statuses(
    view: APIView, method: str, *, path_has_variables: bool, is_list: bool, has_query_filters: bool
) -> list[str]:
    """The error statuses DRF's request cycle can answer this operation with."""
    has_body = method in _BODY_METHODS
    etag_class = etag_policy(view, method)
    statuses = []
    if has_body or has_query_filters:
        statuses.append("400")
    statuses += _auth_statuses(view, method)
    if path_has_variables or (is_list and _paginator_may_404(view)):
        statuses.append("404")
    statuses.append("406")
    if etag_class is not None:
        statuses.append("412")
    if has_body:
        statuses.append("415")
    if (
        etag_class is not None
        and method != "GET"
        and getattr(etag_class, "require_if_match", False)
    ):
        statuses.append("428")
    throttled = bool(getattr(view, "throttle_classes", None))
    if throttled:
        statuses.append("429")
    if throttled or view_model(view) is not None:  # a throttle store, a Tortoise database
        statuses.append("503")
    return statuses


def _auth_statuses(view: APIView, method: str) -> list[str]:
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


def _authenticate_header(authenticator: BaseAuthentication, view: APIView) -> str | None:
    # An async one, or one that needs a real request: assume it challenges.
    if is_async_callable(authenticator.authenticate_header):
        return "unknown"
    try:
        request = cast("Request", getattr(view, "request", None))  # None: fails below
        header: str | None = authenticator.authenticate_header(request)
        return header
    except (AttributeError, TypeError):
        return "unknown"


def _permissions_may_deny(permission_classes: Iterable[object], method: str) -> bool:
    """False only for permissions known to let this method through (AllowAny, *OrReadOnly)."""
    safe = method in permissions.SAFE_METHODS
    for permission in permission_classes:
        if permission is permissions.AllowAny:
            continue
        if permission is permissions.IsAuthenticatedOrReadOnly and safe:
            continue
        return True
    return False


def _paginator_may_404(view: APIView) -> bool:
    # Page numbers and cursors can be invalid (404); a limit/offset cannot.
    paginator_class = getattr(view, "pagination_class", None)
    return isinstance(paginator_class, type) and issubclass(
        paginator_class, (pagination.PageNumberPagination, pagination.CursorPagination)
    )
