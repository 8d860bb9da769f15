"""Test tools: AsyncAPIRequestFactory, AsyncAPIClient and force_authenticate.

They take DRF's arguments (``format="json"``, ``HTTP_AUTHORIZATION=...``,
``credentials()``, ``force_authenticate()``) and build ASGI requests, which is what
an async view receives in production.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.test.client import AsyncClient, AsyncClientHandler, AsyncRequestFactory
from rest_framework.test import APIRequestFactory, force_authenticate

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.core.handlers.asgi import ASGIRequest
    from django.http import HttpRequest, HttpResponseBase
    from rest_framework.authtoken.models import Token

__all__ = ["AsyncAPIClient", "AsyncAPIRequestFactory", "force_authenticate"]

# Carries REMOTE_ADDR from `generic` to the ASGI scope's "client" entry.
_REMOTE_ADDR_HEADER = b"x-async-drf-test-remote-addr"


def _environ_to_headers(extra: dict[str, object], has_body: bool) -> dict[str, str]:
    """Move WSGI-style keys (``HTTP_X_Y``, ``CONTENT_TYPE``) out of ``extra`` as headers.

    Django's async factory sends every ``extra`` key as a raw ASGI header name, so
    ``HTTP_AUTHORIZATION`` would arrive as ``Http-Authorization``, and DRF's
    ``CONTENT_TYPE`` would duplicate the content type Django already sets for a body
    (two values joined by a comma: a 415).
    """
    headers = {}
    for key in list(extra):
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = str(extra.pop(key))
        elif key == "CONTENT_TYPE":
            value = extra.pop(key)
            if not has_body:
                headers["Content-Type"] = str(value)
        elif key == "REMOTE_ADDR":
            headers[_REMOTE_ADDR_HEADER.decode()] = str(extra.pop(key))
    return headers


def _apply_remote_addr(scope: dict[str, object]) -> None:
    headers = cast("list[tuple[bytes, bytes]]", scope.get("headers", []))
    for index, (name, value) in enumerate(headers):
        # Django 5.2.0 sends the name with underscores (x_async_drf_...); later 5.2
        # releases (the fix for CVE-2026-3902) with dashes.
        if name.replace(b"_", b"-") == _REMOTE_ADDR_HEADER:
            del headers[index]
            scope["client"] = [value.decode("latin1"), 0]
            return


class AsyncAPIRequestFactory(APIRequestFactory, AsyncRequestFactory):
    """DRF's APIRequestFactory building ASGIRequests (Django's AsyncRequestFactory)."""

    def generic(  # type: ignore[override]  # DRF's sync factory and Django's async one differ
        self,
        method: str,
        path: str,
        data: object = "",
        content_type: str | None = "application/octet-stream",
        secure: bool = False,
        *,
        headers: dict[str, str] | None = None,
        query_params: Mapping[str, object] | None = None,
        **extra: object,
    ) -> ASGIRequest:
        if content_type is not None:
            # DRF sends the content type even without a body.
            extra["CONTENT_TYPE"] = str(content_type)
        environ_headers = _environ_to_headers(extra, has_body=bool(data))
        return AsyncRequestFactory.generic(
            self,  # type: ignore[arg-type]  # stubs: the factory's own request type
            method,
            path,
            data,
            content_type or "application/octet-stream",
            secure,
            headers={**environ_headers, **(headers or {})},
            query_params=query_params,
            **extra,
        )

    # Left untyped: an ASGIRequest here, the awaitable response in the client; DRF's and
    # Django's stubs (Request, WSGIRequest) leave no other type for both.
    def request(self, **request: object) -> Any:
        _apply_remote_addr(request)
        return super().request(**request)


class ForceAuthAsyncClientHandler(AsyncClientHandler):
    """Django's AsyncClientHandler that can force authentication, as DRF's does."""

    def __init__(self, enforce_csrf_checks: bool = True, *args: object, **kwargs: object) -> None:
        self._force_user: AbstractBaseUser | AnonymousUser | None = None
        self._force_token: Token | None = None
        super().__init__(enforce_csrf_checks, *args, **kwargs)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        force_authenticate(request, self._force_user, self._force_token)
        return await super().get_response_async(request)


class AsyncAPIClient(  # type: ignore[misc]  # DRF's sync factory methods, Django's async ones
    AsyncAPIRequestFactory, AsyncClient
):
    """DRF's APIClient on Django's AsyncClient: ``response = await client.get(...)``."""

    # Left untyped: Django's AsyncClient takes typed keywords (headers, ...) too.
    def __init__(self, enforce_csrf_checks: bool = False, **defaults: Any) -> None:
        AsyncClient.__init__(self, enforce_csrf_checks, **defaults)
        self.enforce_csrf_checks = enforce_csrf_checks
        self.renderer_classes = {cls.format: cls for cls in self.renderer_classes_list}
        self.handler = self._force_handler = ForceAuthAsyncClientHandler(enforce_csrf_checks)
        self._credentials: dict[str, object] = {}

    def credentials(self, **kwargs: object) -> None:
        """Set headers (WSGI-style names, as in DRF) sent with every request."""
        self._credentials = kwargs

    def force_authenticate(
        self, user: AbstractBaseUser | AnonymousUser | None = None, token: Token | None = None
    ) -> None:
        self._force_handler._force_user = user
        self._force_handler._force_token = token
        if user is None and token is None:
            self._credentials = {}

    # Left untyped: forwarded to the factory's generic() (data, content_type, headers...).
    def generic(  # type: ignore[override]
        self, method: str, path: str, *args: Any, **extra: Any
    ) -> Awaitable[HttpResponseBase]:
        response = super().generic(method, path, *args, **{**self._credentials, **extra})
        return cast("Awaitable[HttpResponseBase]", response)  # what this client's request() gives

    def request(self, **request: object) -> Any:
        _apply_remote_addr(request)
        return AsyncClient.request(self, **request)

    async def alogout(self) -> None:
        self._credentials = {}
        self._force_handler._force_user = None
        self._force_handler._force_token = None
        await super().alogout()
