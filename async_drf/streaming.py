"""Streaming list responses: a filtered, ordered queryset sent while it is read.

``AsyncStreamingListAPIView`` answers GET with every row of the filtered queryset, as
a JSON array, as NDJSON (``application/x-ndjson`` or ``application/ndjson``: one
object per line) or as CSV (``text/csv``), chosen by DRF's content negotiation
(``Accept``, or ``?format=json|ndjson|csv``) among the view's ``renderer_classes``.
Rows are read ``stream_chunk_size`` at a time with keyset conditions, never OFFSET
(see ``_keyset``), in the queryset's ordering (``OrderingFilter``'s, else the view's
``ordering``, else the model's) with the primary key as the tiebreaker.  Each chunk
is rendered by the view's serializer, which fetches the relations it shows for the
whole chunk (a fixed number of queries per chunk), and is sent before the next one is
read: memory holds one chunk, whatever the number of rows.

The first chunk is read and rendered in the view, so anything that fails before the
first byte (permissions, a bad filter, the database) is DRF's usual error response,
rendered as JSON.  Once bytes have left, the status cannot change: an error is
logged and re-raised, and the server aborts the response (an HTTP/1.1 chunked body
then lacks its final chunk, which clients report as an incomplete or truncated body).
A client that disconnects cancels the stream and the query in flight.
"""

from __future__ import annotations

import asyncio
import builtins
import csv
import io
import json
import logging
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBase, StreamingHttpResponse
from rest_framework.pagination import BasePagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from . import compat, generics
from ._keyset import Keyset
from ._plans import release_cycles
from ._serializer_adapter import adapter_for
from .concurrency import call_hook
from .db import is_django_queryset
from .orm import ensure_orm, get_model, isolate_connections, release_connections
from .settings import async_settings

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Mapping

    from rest_framework.serializers import Serializer
    from tortoise.models import Model

    from ._types import AnyQuerySet, AnySerializer

    # The mixin is only ever used on AsyncGenericAPIView, whose hooks it calls.
    _GenericView = generics.AsyncGenericAPIView
else:
    _GenericView = object

# The rows a stream renders, a chunk at a time (a list serializer's data), and the
# view's renderer context.
_Rows: TypeAlias = "Sequence[Mapping[str, object]]"
_Context: TypeAlias = "Mapping[str, object] | None"

__all__ = [
    "ApplicationNDJSONRenderer",
    "AsyncStreamingListAPIView",
    "AsyncStreamingListModelMixin",
    "CSVRenderer",
    "JSONArrayRenderer",
    "NDJSONRenderer",
    "StreamingListResponse",
]

logger = logging.getLogger("async_drf.streaming")


# -- renderers ------------------------------------------------------------------------


class StreamRenderer(BaseRenderer):
    """A renderer that writes a list a chunk at a time: ``stream_open``, then
    ``render_chunk`` for each chunk of rows, then ``stream_close``."""

    def stream_open(self, fields: list[str]) -> bytes:
        """What comes before the first row; ``fields`` are the serializer's names."""
        return b""

    def render_chunk(
        self, rows: _Rows, first: bool, accepted_media_type: str | None, context: _Context
    ) -> bytes:
        raise NotImplementedError(".render_chunk() must be overridden")

    def stream_close(self) -> bytes:
        return b""


class JSONArrayRenderer(StreamRenderer, JSONRenderer):
    """A JSON array, as DRF's JSONRenderer writes it (``; indent=`` included)."""

    def stream_open(self, fields: list[str]) -> bytes:
        return b"["

    def render_chunk(
        self, rows: _Rows, first: bool, accepted_media_type: str | None, context: _Context
    ) -> bytes:
        items = self.render(rows, accepted_media_type, context)[1:-1]  # drop "[" and "]"
        return items if first else b"," + items

    def stream_close(self) -> bytes:
        return b"]"


class NDJSONRenderer(StreamRenderer, JSONRenderer):
    """Newline-delimited JSON: each row a compact JSON object followed by ``\\n``."""

    media_type = "application/x-ndjson"
    format = "ndjson"

    def render(
        self,
        data: object,
        accepted_media_type: str | None = None,
        renderer_context: _Context = None,
    ) -> bytes:
        if data is None:
            return b""
        rows = cast("_Rows", data if isinstance(data, list) else [data])  # JSON values
        return self.render_chunk(rows, True, None, None)

    def render_chunk(
        self, rows: _Rows, first: bool, accepted_media_type: str | None, context: _Context
    ) -> bytes:
        # Never indented: a newline inside a row would split it.
        encode = self.encoder_class(
            ensure_ascii=self.ensure_ascii, allow_nan=not self.strict, separators=(",", ":")
        ).encode
        text = "".join(encode(row) + "\n" for row in rows)
        return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


class ApplicationNDJSONRenderer(NDJSONRenderer):
    """NDJSON under its other name, ``application/ndjson``."""

    media_type = "application/ndjson"


class CSVRenderer(StreamRenderer):
    """CSV (RFC 4180) with a header line of the serializer's field names.

    ``None`` is an empty cell, booleans are ``true``/``false`` as in JSON, nested
    objects and lists are compact JSON.  Cells are written as they are: a spreadsheet
    may read one that starts with ``=`` as a formula.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: object,
        accepted_media_type: str | None = None,
        renderer_context: _Context = None,
    ) -> bytes:
        rows = cast("_Rows", [] if data is None else data if isinstance(data, list) else [data])
        fields = list(rows[0]) if rows else []
        return self.stream_open(fields) + self.render_chunk(rows, True, None, None)

    def stream_open(self, fields: list[str]) -> bytes:
        self.fields = fields
        return self._lines([fields])

    def render_chunk(
        self, rows: _Rows, first: bool, accepted_media_type: str | None, context: _Context
    ) -> bytes:
        return self._lines([[_cell(row.get(name)) for name in self.fields] for row in rows])

    def _lines(self, lines: Sequence[Sequence[object]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(lines)
        return buffer.getvalue().encode(self.charset)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, cls=JSONEncoder, ensure_ascii=False, separators=(",", ":"))
    return value


# -- the response ---------------------------------------------------------------------


class StreamingListResponse(StreamingHttpResponse):
    """A StreamingHttpResponse over an async iterator that WSGI servers can read too.

    Django's ASGI handler iterates it on the loop.  Iterated synchronously (Django's
    WSGI handler), it runs the iterator on an event loop of its own, one chunk per
    step, with Tortoise connections of its own, instead of Django's fallback, which
    reads the whole stream into a list first.
    """

    def __init__(self, stream: AsyncIterator[bytes], **kwargs: object) -> None:
        super().__init__(stream, **kwargs)
        self.stream = stream

    def __iter__(self) -> Iterator[bytes]:
        chunks = _iterate_on_own_loop(self.stream)
        self._resource_closers.append(chunks.close)  # type: ignore[attr-defined]  # Django's
        return chunks


def _iterate_on_own_loop(stream: AsyncIterator[bytes]) -> Generator[bytes, None, None]:
    wsgi = async_settings.WSGI_CLOSE_CONNECTIONS
    with asyncio.Runner() as runner:
        if wsgi:
            runner.run(_open_connections())
        try:
            while True:
                try:
                    chunk = runner.run(_next(stream))
                except StopAsyncIteration:
                    return
                yield chunk
        finally:
            runner.run(_close(stream))
            if wsgi:
                runner.run(release_connections())


async def _open_connections() -> None:
    await ensure_orm()
    isolate_connections()


async def _next(stream: AsyncIterator[bytes]) -> bytes:
    return await anext(stream)


async def _close(stream: AsyncIterator[bytes]) -> None:
    await cast("AsyncGenerator[bytes, None]", stream).aclose()  # _Stream.body or _nothing


# -- the view -------------------------------------------------------------------------


class _Stream:
    """One streamed list: reads, renders and counts the chunks."""

    def __init__(self, view: AsyncStreamingListModelMixin, keyset: Keyset[Model]) -> None:
        self.view = view
        self.keyset = keyset
        # Negotiated among the view's renderer_classes: stream renderers.
        self.renderer = cast("StreamRenderer", view.request.accepted_renderer)
        self.media_type = view.request.accepted_media_type
        self.context = view.get_renderer_context()
        self.rows = 0

    async def open(self) -> bytes:
        """The opening bytes and the first chunk: read and rendered in the view."""
        rows = await self.keyset.fetch()
        serializer = await self.view.aget_serializer(rows, many=True)
        head: bytes = self.renderer.stream_open(_field_names(serializer))
        return head + await self._render(serializer, rows)

    async def next_chunk(self) -> bytes | None:
        """The next chunk's bytes; None once every row was sent."""
        rows = await self.keyset.fetch()
        if not rows:
            return None
        return await self._render(await self.view.aget_serializer(rows, many=True), rows)

    async def _render(self, serializer: AnySerializer, rows: list[Model]) -> bytes:
        data = await adapter_for(serializer).data(serializer)
        chunk = b""
        if data:
            chunk = self.renderer.render_chunk(data, not self.rows, self.media_type, self.context)
        self.rows += len(rows)
        release_cycles(data)  # the serializer is freed now, not by the garbage collector
        return chunk

    async def body(self, head: bytes) -> AsyncIterator[bytes]:
        try:
            yield head
            while (chunk := await self.next_chunk()) is not None:
                yield chunk
            yield self.renderer.stream_close()
        except Exception as exc:
            logger.error(
                "Streaming %s failed after %d rows (%s): the response is cut short",
                type(self.view).__name__,
                self.rows,
                type(exc).__name__,
            )
            raise


def _field_names(serializer: AnySerializer) -> list[str]:
    child = cast("Serializer[object]", getattr(serializer, "child", serializer))
    return [name for name, field in child.fields.items() if not field.write_only]


class AsyncStreamingListModelMixin(_GenericView):
    """``list`` that streams the filtered, ordered queryset instead of a page of it.

    ``stream_chunk_size`` (default ``ASYNC_DRF["STREAM_CHUNK_SIZE"]``) rows are read
    per query.  Override ``get_stream_ordering`` to choose the order.
    """

    renderer_classes: Sequence[type[BaseRenderer]] = [
        JSONArrayRenderer,
        NDJSONRenderer,
        ApplicationNDJSONRenderer,
        CSVRenderer,
    ]
    pagination_class: type[BasePagination] | None = None
    stream_chunk_size: int | None = None
    error_renderer_class = JSONRenderer

    async def list(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        queryset = await call_hook(self, "filter_queryset", await self.aget_queryset())
        if is_django_queryset(queryset):
            raise ImproperlyConfigured(
                f"{type(self).__name__} streams Tortoise querysets in keyset chunks; its "
                "queryset is Django's: serve it with a paginated list view instead."
            )
        queryset = cast("AnyQuerySet", queryset)  # Tortoise's: a plain list has no keyset
        ordering = self.get_stream_ordering(queryset)
        stream = _Stream(self, Keyset(queryset, ordering, self.get_stream_chunk_size()))
        head = await stream.open()  # errors up to here are DRF error responses
        renderer = stream.renderer
        content_type = renderer.media_type
        if renderer.charset:
            content_type += f"; charset={renderer.charset}"
        body = stream.body(head) if request.method != "HEAD" else _nothing()
        return StreamingListResponse(body, content_type=content_type)

    def get_stream_ordering(self, queryset: AnyQuerySet) -> builtins.list[str]:
        """The order rows are streamed in (``["-created"]``); the primary key is then
        added as the tiebreaker.  The queryset's own ``order_by`` (``OrderingFilter``
        sets it), else the view's ``ordering``, else the model's ``Meta.ordering``."""
        ordering = compat.queryset_ordering(queryset)
        if not ordering:
            ordering = getattr(self, "ordering", None) or []
            ordering = [ordering] if isinstance(ordering, str) else list(ordering)
        return ordering or compat.model_ordering(get_model(queryset))

    def get_stream_chunk_size(self) -> int:
        return self.stream_chunk_size or async_settings.STREAM_CHUNK_SIZE

    def finalize_response(  # typed as AsyncAPIView's: DRF returns any HttpResponseBase
        self, request: Request, response: HttpResponseBase, *args: object, **kwargs: object
    ) -> Response:
        # Anything but the stream (an error, OPTIONS) is rendered as JSON: a CSV or
        # NDJSON renderer has no shape for {"detail": ...}.
        if isinstance(response, Response):
            request.accepted_renderer = self.error_renderer_class()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield  # pragma: no cover - the yield makes this an async generator


class AsyncStreamingListAPIView(AsyncStreamingListModelMixin, generics.AsyncGenericAPIView):
    """A list view that streams every row: ``get`` awaits ``list``."""

    async def get(self, request: Request, *args: object, **kwargs: object) -> HttpResponseBase:
        return await self.list(request, *args, **kwargs)
