"""AsyncAPIView: DRF's APIView with an async request cycle.

``dispatch``, ``initial``, ``perform_authentication``, ``check_permissions``,
``check_object_permissions``, ``check_throttles``, ``handle_exception`` and
``options`` are coroutines.  Handlers, authenticators, permissions, throttles and
the exception handler may each be sync or async; sync ones go through the bridge in
``concurrency.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from asgiref.sync import markcoroutinefunction
from django.core.exceptions import SynchronousOnlyOperation
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import classproperty
from rest_framework import exceptions, status
from rest_framework.metadata import BaseMetadata, SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import ForcedAuthentication, Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import compat, tasks
from . import permissions as _permissions
from ._openapi import AsyncDefaultSchema
from ._plans import release_cycles
from .concurrency import call_or_await, mark_inline, maybe_await, needs_hop, run_handler, run_sync
from .exceptions import translate_exception
from .metadata import AsyncSimpleMetadata
from .orm import ensure_orm, isolate_connections, release_connections
from .parsers import limited_parser_class
from .renderers import async_renderer_class
from .settings import async_settings
from .throttle_stores import release_throttle_connections

if TYPE_CHECKING:
    from rest_framework.authentication import BaseAuthentication
    from rest_framework.parsers import BaseParser
    from rest_framework.renderers import BaseRenderer

    from ._types import ViewHandler

__all__ = ["AsyncAPIView"]

# An authenticator of request.authenticators, and the first one that matched with its
# (user, auth): both the project's own, only handed to the request.
_Authenticator: TypeAlias = "BaseAuthentication | ForcedAuthentication"
_Authenticated: TypeAlias = "tuple[_Authenticator, tuple[object, object]]"


class _InlineRenderedResponse(Response):
    """A Response whose ``render`` Django's ASGI handler may await without a thread hop.

    Django's handler awaits ``response.render()`` when ``render`` is a coroutine
    function and otherwise hops to a thread to call it.  Rendering JSON is pure CPU,
    so ``render`` is marked a coroutine function but stays a plain method that returns
    the response; the response awaits to itself.  Sync callers (WSGI, tests calling
    ``response.render()``) see DRF's usual behaviour.  Data that reads Django's
    database when encoded (a lazy Django QuerySet) is rendered in a thread hop: then
    ``render`` returns a coroutine (``await response.render()`` covers both cases).
    """

    @markcoroutinefunction
    def render(self) -> Any:  # DRF's Response.render is untyped; a coroutine when it hops
        try:
            return super().render()
        except SynchronousOnlyOperation:
            # The data holds a lazy Django QuerySet (``Response(User.objects.values())``):
            # Django refused it before any query ran; encode it in one thread hop instead.
            return run_sync(super().render)

    def __await__(self) -> Generator[None, None, _InlineRenderedResponse]:
        yield from ()  # a generator that finishes at once, with the response
        return self


class AsyncAPIView(APIView):
    """Async twin of DRF's APIView: ``dispatch`` and the policy checks are coroutines."""

    # DEFAULT_SCHEMA_CLASS, with DRF's OpenAPI AutoSchema swapped for the Tortoise-aware one.
    schema: AsyncDefaultSchema | None = AsyncDefaultSchema()
    # Callables run after a 2xx/3xx response is sent, as func(request, response, *args,
    # **kwargs); a handler adds more with request.after_response() (async_drf.tasks).
    after_response: Sequence[Callable[..., object]] = ()

    @classproperty
    def view_is_async(cls) -> bool:
        # Always async, whatever mix of `def` and `async def` handlers the view has:
        # Django then marks the view function a coroutine function for its handler.
        return True

    async def dispatch(  # type: ignore[override]  # a coroutine, as Django expects of async views
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> HttpResponseBase:
        # Mirrors rest_framework.views.APIView.dispatch; differs in awaiting initial, the
        # handler (call_handler) and handle_exception, in the WSGI lifecycle around them
        # (start Tortoise, isolate and then release the connections of this request's
        # event loop), in scheduling the after-response tasks, and in awaiting the
        # accepted renderer's ``aprepare`` (the browsable API's permission answers).
        wsgi = isinstance(request, WSGIRequest) and async_settings.WSGI_CLOSE_CONNECTIONS
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers  # deprecate?
        try:
            if wsgi:
                await ensure_orm()
                isolate_connections()
            await self.initial(request, *args, **kwargs)
            response = await self.call_handler(request, *args, **kwargs)
        except Exception as exc:
            response = await self.handle_exception(exc)
        finally:
            if wsgi:
                # Django's WSGI handler runs each async view on a new event loop:
                # close connections on the loop that opened them.
                await release_connections()
                await release_throttle_connections()
        self.response = self.finalize_response(request, response, *args, **kwargs)
        if self.after_response or getattr(request, "_after_response", None) is not None:
            tasks.schedule(self, request, self.response)
        # The browsable API's renderer runs sync, later: it needs permission answers now.
        prepare = getattr(getattr(self.response, "accepted_renderer", None), "aprepare", None)
        if prepare is not None:
            await prepare(self, request, self.response)
        return self.response

    def initialize_request(self, request: HttpRequest, *args: object, **kwargs: object) -> Request:
        # Mirrors rest_framework.views.APIView.initialize_request; differs only in the
        # class: AfterResponseRequest adds after_response().
        parser_context = self.get_parser_context(request)
        return tasks.AfterResponseRequest(
            request,
            parsers=self.get_parsers(),
            authenticators=self.get_authenticators(),
            negotiator=self.get_content_negotiator(),
            parser_context=parser_context,
        )

    async def call_handler(
        self, request: Request, *args: object, **kwargs: object
    ) -> HttpResponseBase:
        """Run the handler for ``request.method``, sync or async."""
        method = (request.method or "").lower()
        handler: ViewHandler = self.http_method_not_allowed
        if method in self.http_method_names:
            handler = getattr(self, method, self.http_method_not_allowed)
        return await run_handler(handler, request, *args, **kwargs)

    async def initial(self, request: Request, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        # Mirrors rest_framework.views.APIView.initial; differs only in awaits.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        await self.perform_authentication(request)
        await self.check_permissions(request)
        await self.check_throttles(request)

    async def perform_authentication(self, request: Request) -> None:  # type: ignore[override]
        """Authenticate now, awaiting async authenticators.

        DRF authenticates lazily on the first read of ``request.user``, calling each
        authenticator synchronously.  Here the authenticators run in order; each run of
        consecutive sync ones shares a single thread hop.  The first that returns a
        (user, auth) tuple wins, as in DRF.
        """
        for hop, group in groupby(request.authenticators or (), key=_needs_hop):
            run = list(group)
            if hop:
                result = await run_sync(_first_authenticated, run, request)
            else:
                result = await _afirst_authenticated(run, request)
            if result is not None:
                authenticator, (user, auth) = result
                compat.set_authenticated(request, authenticator, user, auth)
                return
        compat.set_not_authenticated(request)

    async def check_permissions(self, request: Request) -> None:  # type: ignore[override]
        for permission in self.get_permissions():
            # The denying leaf of a composed permission supplies message and code.
            denied = await _permissions.denying_permission(permission, request, self)
            if denied is not None:
                self.permission_denied(
                    request,
                    message=getattr(denied, "message", None),
                    code=getattr(denied, "code", None),
                )

    async def check_object_permissions(self, request: Request, obj: object) -> None:  # type: ignore[override]
        for permission in self.get_permissions():
            denied = await _permissions.denying_object_permission(permission, request, self, obj)
            if denied is not None:
                self.permission_denied(
                    request,
                    message=getattr(denied, "message", None),
                    code=getattr(denied, "code", None),
                )

    async def check_throttles(self, request: Request) -> None:  # type: ignore[override]
        # Every throttle is asked (each records the request), then the longest wait wins.
        throttle_durations = []
        for throttle in self.get_throttles():
            if not await maybe_await(throttle.allow_request, request, self):
                throttle_durations.append(await maybe_await(throttle.wait))
        if throttle_durations:
            durations = [d for d in throttle_durations if d is not None]
            self.throttled(request, max(durations, default=None))  # type: ignore[arg-type]

    async def handle_exception(self, exc: Exception) -> Response:  # type: ignore[override]
        # Mirrors rest_framework.views.APIView.handle_exception; Tortoise errors are
        # translated first, and the configured handler may be sync or async.
        context = self.get_exception_handler_context()
        exc = translate_exception(exc, context)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            authenticate_header = await call_or_await(self.get_authenticate_header, self.request)
            if authenticate_header:
                exc.auth_header = authenticate_header  # type: ignore[union-attr]  # as DRF
            else:
                exc.status_code = status.HTTP_403_FORBIDDEN
        response: Response | None = await maybe_await(self.get_exception_handler(), exc, context)
        if response is None:
            self.raise_uncaught_exception(exc)
        response.exception = True
        return response

    async def get_authenticate_header(self, request: Request) -> str | None:  # type: ignore[override]
        # Mirrors rest_framework.views.APIView.get_authenticate_header; differs in
        # awaiting an `async def authenticate_header` (a sync one runs inline, as in DRF).
        authenticators = self.get_authenticators()
        if authenticators:
            return await call_or_await(authenticators[0].authenticate_header, request)
        return None

    async def options(  # type: ignore[override]
        self, request: Request, *args: object, **kwargs: object
    ) -> HttpResponseBase:
        if self.metadata_class is None:
            return self.http_method_not_allowed(request, *args, **kwargs)
        metadata_class = cast("type[BaseMetadata]", self.metadata_class)  # stubs: a str
        if metadata_class is SimpleMetadata:
            metadata_class = AsyncSimpleMetadata
        data = await maybe_await(metadata_class().determine_metadata, request, self)
        return Response(data, status=status.HTTP_200_OK)

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        """DRF's negotiation, remembered: with DRF's DefaultContentNegotiation the
        answer depends only on the renderers, the Accept header and the format
        override, so repeated requests skip parsing and matching media types."""
        if self.content_negotiation_class is not DefaultContentNegotiation:
            return super().perform_content_negotiation(request, force)
        renderers = self.get_renderers()
        key = _negotiation_key(self, request, renderers)
        cached = _negotiated.get(key) if key is not None else None
        if cached is not None:
            index, media_type = cached
            return renderers[index], media_type
        try:
            renderer, media_type = self.get_content_negotiator().select_renderer(
                request, renderers, self.format_kwarg
            )
        except Exception:
            if force:
                return (renderers[0], renderers[0].media_type)
            raise
        if key is not None:
            if len(_negotiated) >= _NEGOTIATED_MAX:
                _negotiated.clear()  # bounded: odd headers cannot grow it without limit
            _negotiated[key] = (renderers.index(renderer), media_type)
        return renderer, media_type

    def get_parsers(self) -> list[BaseParser]:
        # DRF's JSONParser fails with RecursionError (a 500) on deep nesting: use the
        # twin that checks JSON_MAX_DEPTH first.
        return [limited_parser_class(parser)() for parser in self.parser_classes]

    def get_renderers(self) -> list[BaseRenderer]:
        # DRF's BrowsableAPIRenderer checks permissions synchronously: use its async twin.
        return [
            async_renderer_class(renderer)()  # type: ignore[arg-type]  # stubs: unhashable
            for renderer in self.renderer_classes
        ]

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: object, **kwargs: object
    ) -> Response:
        # DRF's stubs: a Response; DRF takes (and returns) any HttpResponseBase.
        response = super().finalize_response(request, cast("Response", response), *args, **kwargs)
        if (
            type(response) is Response
            and async_settings.RENDER_INLINE
            and isinstance(getattr(response, "accepted_renderer", None), JSONRenderer)
        ):
            response.__class__ = _InlineRenderedResponse
        if isinstance(response, HttpResponseBase):
            # Django's handlers (ASGI, WSGI, test client) call it in response.close().
            compat.resource_closers(response).append(self.release_cycles)
        return response

    def release_cycles(self) -> None:
        """Break the reference cycles a finished request leaves behind.

        Django and DRF tie a request's objects into cycles: ``view.head = view.get``
        (and a viewset's ``view.get = view.list``), the Request in its own
        ``parser_context``, the Response in its own ``renderer_context``, fields bound
        to their serializer.  Without this only the cyclic garbage collector frees a
        request, and under load its full passes stall every request in flight.  Runs
        when the response is closed; afterwards the view has no ``response`` and no
        method aliases, and a serializer's ``fields`` are rebuilt if read again.
        """
        # Django's View.setup aliases head = self.get; a viewset maps get = self.list...
        for name, value in list(self.__dict__.items()):
            if getattr(value, "__self__", None) is self:
                del self.__dict__[name]
        parser_context = getattr(self.__dict__.get("request"), "parser_context", None)
        if isinstance(parser_context, dict):
            parser_context.pop("request", None)  # DRF's Request puts itself there
            parser_context.pop("view", None)
        response = self.__dict__.pop("response", None)
        if response is None:
            return
        context = getattr(response, "renderer_context", None)
        if isinstance(context, dict) and context.get("response") is response:
            del context["response"]
        release_cycles(getattr(response, "data", None))


_NegotiationKey: TypeAlias = (
    "tuple[tuple[type[BaseRenderer], ...], str, str | None, str | None, str | None]"
)
# (renderer classes, Accept, format override, format suffix) -> (index, media type)
_negotiated: dict[_NegotiationKey, tuple[int, str]] = {}
_NEGOTIATED_MAX = 512
_NEGOTIATED_ACCEPT_MAX = 256  # longer Accept headers are negotiated every time


def _negotiation_key(
    view: AsyncAPIView, request: Request, renderers: list[BaseRenderer]
) -> _NegotiationKey | None:
    accept = request.META.get("HTTP_ACCEPT", "")
    if len(accept) > _NEGOTIATED_ACCEPT_MAX:
        return None
    param = view.settings.URL_FORMAT_OVERRIDE
    override = request.query_params.get(param) if param else None
    return (tuple(map(type, renderers)), accept, param, override, view.format_kwarg)


def _needs_hop(authenticator: _Authenticator) -> bool:
    return needs_hop(authenticator.authenticate)


async def _afirst_authenticated(
    authenticators: list[_Authenticator], request: Request
) -> _Authenticated | None:
    # Mirrors rest_framework.request.Request._authenticate; differs in awaiting each
    # authenticator and in returning (authenticator, (user, auth)), or None without
    # calling _not_authenticated: perform_authentication sets them on the request.
    for authenticator in authenticators:
        try:
            user_auth = await maybe_await(authenticator.authenticate, request)
        except exceptions.APIException:
            compat.set_not_authenticated(request)
            raise
        if user_auth is not None:
            return authenticator, user_auth
    return None


def _first_authenticated(
    authenticators: list[_Authenticator], request: Request
) -> _Authenticated | None:
    # Mirrors rest_framework.request.Request._authenticate as _afirst_authenticated
    # does, for a run of sync authenticators inside one thread hop.
    for authenticator in authenticators:
        try:
            user_auth = authenticator.authenticate(request)
        except exceptions.APIException:
            compat.set_not_authenticated(request)
            raise
        if user_auth is not None:
            return authenticator, user_auth
    return None


# DRF's exception handler only touches Django's connection objects to mark
# ATOMIC_REQUESTS rollbacks, which does no I/O: like the rest, pure CPU.
mark_inline(
    APIView.http_method_not_allowed,
    ForcedAuthentication.authenticate,
    AsyncAPIView.release_cycles,
    drf_exception_handler,
)
