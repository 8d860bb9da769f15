"""Async paginators over Tortoise querysets, with DRF's parameters and response shapes.

DRF's paginators count, slice and ``list()`` Django querysets synchronously (through
Django's ``Paginator``), which a Tortoise queryset cannot do.  The classes here
re-implement only ``paginate_queryset`` as a coroutine that awaits
``queryset.count()`` and ``queryset.offset(o).limit(n)``; everything else (links,
responses, OpenAPI schema, browsable-API controls) is DRF's own code, inherited.
A Django QuerySet is paginated by DRF's own code in one thread hop (its count and
its page's rows); any other sequence (a list, a tuple, a ``range``) by DRF's own
code, as DRF does, with no query and no thread hop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeAlias, cast

from django import db as django_db
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils import urls
from tortoise import exceptions as tortoise_exceptions
from tortoise.queryset import QuerySet

from . import compat
from .concurrency import mark_inline, run_sync
from .db import is_django_queryset
from .orm import as_model_query, get_model, is_model_class, is_queryset

if TYPE_CHECKING:
    from rest_framework.views import APIView
    from tortoise.models import Model
    from typing_extensions import TypeIs

    from ._types import AnyQuerySet, QuerySetLike

    _GetOrdering: TypeAlias = Callable[[Request, AnyQuerySet, APIView | None], tuple[str, ...]]

__all__ = [
    "AsyncCursorPagination",
    "AsyncLimitOffsetPagination",
    "AsyncPageNumberPagination",
]

# Bad lookup values only raise when a Tortoise query is built or awaited (TRAPS 8).
_BAD_VALUE_ERRORS = (
    ValueError,
    TypeError,
    ArithmeticError,  # decimal.InvalidOperation, OverflowError
    tortoise_exceptions.ValidationError,
    tortoise_exceptions.ParamsError,
    tortoise_exceptions.FieldError,
)

_DJANGO_BAD_VALUE_ERRORS = (DjangoValidationError, django_db.DataError)

# LIMIT/OFFSET are 64-bit on SQLite and PostgreSQL; a larger client-chosen page size
# would be a driver error (a 500), so it is clamped.
_SQL_MAX_LIMIT = 2**63 - 1


def _is_tortoise(queryset: object) -> TypeIs[type[Model] | AnyQuerySet]:
    return is_model_class(queryset) or is_queryset(queryset)


async def _drf_paginate(
    paginate: Callable[..., list[object] | None],
    queryset: QuerySetLike,
    request: Request,
    view: APIView | None,
) -> list[object] | None:
    """DRF's own ``paginate_queryset`` for what is not a Tortoise queryset: in one thread
    hop for a Django QuerySet (it counts and reads rows), inline for a list, a tuple or
    a range."""
    if is_django_queryset(queryset):
        return await run_sync(paginate, queryset, request, view)
    return paginate(queryset, request, view)


async def _fetch(queryset: QuerySet[Model], offset: int, limit: int) -> list[object]:
    """Await one page of rows: ``OFFSET offset LIMIT limit`` (no query when empty)."""
    if limit <= 0:
        return []
    return list(await queryset.offset(offset).limit(min(limit, _SQL_MAX_LIMIT)))


# DRF's link helpers are pure functions of strings: a page's next and previous links
# are worked out once per URL (bounded, so odd URLs cannot grow it without limit).
_replace_query_param = functools.lru_cache(maxsize=256)(urls.replace_query_param)
_remove_query_param = functools.lru_cache(maxsize=256)(urls.remove_query_param)


class _Window:
    """What ``django_paginator_class`` paginates: a queryset's awaited row count.

    Django's Paginator (or the view's subclass of it) numbers and validates pages
    from ``len()`` and slices ``object_list[bottom:top]``; the slice is recorded here
    and its rows are fetched afterwards, with one awaited query.
    """

    def __init__(self, count: int) -> None:
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: slice) -> slice:
        return key


class AsyncPageNumberPagination(pagination.PageNumberPagination):
    """Async twin of DRF's PageNumberPagination: ``?page=4&page_size=100``.

    Two queries per page (count, rows); one when the result set is empty.
    ``django_paginator_class`` numbers and validates the pages, as in DRF.
    """

    async def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySetLike, request: Request, view: APIView | None = None
    ) -> list[object] | None:
        """Return one page of rows, or None when pagination is off (no page size)."""
        if not _is_tortoise(queryset):
            return await _drf_paginate(super().paginate_queryset, queryset, request, view)
        # Mirrors rest_framework.pagination.PageNumberPagination.paginate_queryset;
        # differs in awaiting the count (Django's Paginator pages a _Window of that
        # size) and then the page's rows.  Other querysets went to DRF's, above.
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None

        queryset = as_model_query(queryset)
        window = _Window(await queryset.count())
        paginator = self.django_paginator_class(window, page_size)  # type: ignore[arg-type]
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            msg = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise NotFound(msg)

        rows: slice = self.page.object_list  # type: ignore[assignment]  # _Window's slice
        self.page.object_list = await _fetch(queryset, rows.start, rows.stop - rows.start)

        if paginator.num_pages > 1 and self.template is not None:
            # The browsable API should display pagination controls.
            self.display_page_controls = True
        return list(self.page)

    def get_next_link(self) -> str | None:
        # Mirrors rest_framework.pagination.PageNumberPagination.get_next_link; differs
        # in reading the request's URL once for both links and in the cached helper.
        page = self.page
        if page is None or not page.has_next():
            return None
        url = self._absolute_uri()
        page_number = page.next_page_number()
        return _replace_query_param(url, self.page_query_param, page_number)

    def get_previous_link(self) -> str | None:
        # Mirrors rest_framework.pagination.PageNumberPagination.get_previous_link;
        # differs as get_next_link does.
        page = self.page
        if page is None or not page.has_previous():
            return None
        url = self._absolute_uri()
        page_number = page.previous_page_number()
        if page_number == 1:
            return _remove_query_param(url, self.page_query_param)
        return _replace_query_param(url, self.page_query_param, page_number)

    def _absolute_uri(self) -> str:
        request = self.request
        assert request is not None, "paginate_queryset() sets the request"
        cached = self.__dict__.get("_uri")
        if cached is None or cached[0] is not request:
            cached = self._uri = (request, request.build_absolute_uri())
        return cached[1]


class AsyncLimitOffsetPagination(pagination.LimitOffsetPagination):
    """Async twin of DRF's LimitOffsetPagination: ``?limit=100&offset=400``.

    Two queries (count, rows); one when the offset is past the end.
    """

    async def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySetLike, request: Request, view: APIView | None = None
    ) -> list[object] | None:
        """Return the rows in ``[offset, offset + limit)``, or None when there is no limit."""
        if not _is_tortoise(queryset):
            return await _drf_paginate(super().paginate_queryset, queryset, request, view)
        # Mirrors rest_framework.pagination.LimitOffsetPagination.paginate_queryset;
        # differs in handing other querysets to DRF's, in awaiting count() and
        # offset().limit(), and in fetching no more rows than remain after the offset.
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None

        queryset = as_model_query(queryset)
        self.count = await queryset.count()
        self.offset = self.get_offset(request)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True

        if self.count == 0 or self.offset > self.count:
            return []
        return await _fetch(queryset, self.offset, min(self.limit, self.count - self.offset))


class AsyncCursorPagination(pagination.CursorPagination):
    """Async twin of DRF's CursorPagination: opaque ``?cursor=`` links, no count.

    One query per page.  Cursors are DRF's (``decode_cursor``/``encode_cursor`` are
    inherited); a tampered cursor, or one whose position does not fit the ordering
    field, is a 404 "Invalid cursor", never a 500.
    """

    async def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySetLike, request: Request, view: APIView | None = None
    ) -> list[object] | None:
        """Return one page of rows after (or before) the cursor's position."""
        if is_django_queryset(queryset):
            try:
                return await _drf_paginate(super().paginate_queryset, queryset, request, view)
            except _BAD_VALUE_ERRORS + _DJANGO_BAD_VALUE_ERRORS:
                # A position that does not fit the ordering field (DRF answers 500).
                raise NotFound(self.invalid_cursor_message)
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None

        # Not a Django QuerySet: a Tortoise one (a cursor needs an ordered query, as in DRF).
        queryset = as_model_query(cast("type[Model] | AnyQuerySet", queryset))
        self.base_url = request.build_absolute_uri()
        # DRF's stubs: a Django QuerySet and a view; DRF hands both to the ordering filter.
        self.ordering = cast("_GetOrdering", self.get_ordering)(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        # DRF's stubs: an int position; it is the text of the cursor's query parameter.
        decoded = cast("tuple[int, bool, str | None] | None", self.cursor)
        offset, reverse, current_position = decoded or (0, False, None)

        ordering = compat.reverse_ordering(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*ordering)
        if current_position is not None:
            queryset = self._filter_by_position(queryset, current_position)
        try:
            results = await _fetch(queryset, offset, self.page_size + 1)
        except _BAD_VALUE_ERRORS:
            raise NotFound(self.invalid_cursor_message)
        self._set_page(results, offset, reverse, current_position)
        return self.page

    def _filter_by_position(self, queryset: QuerySet[Model], position: str) -> QuerySet[Model]:
        """Keep the rows strictly after the cursor's position in the cursor's direction."""
        order = self.ordering[0]
        is_reversed = order.startswith("-")
        order_attr = order.lstrip("-")
        # Test for: (cursor reversed) XOR (queryset reversed)
        cursor_reversed = self.cursor is not None and self.cursor.reverse
        lookup = "__lt" if cursor_reversed != is_reversed else "__gt"
        try:
            value = self._position_value(get_model(queryset), order_attr, position)
            return queryset.filter(**{order_attr + lookup: value})
        except _BAD_VALUE_ERRORS:
            raise NotFound(self.invalid_cursor_message)

    @staticmethod
    def _position_value(model: type[Model], field_name: str, position: str) -> object:
        """The cursor's text position as the ordering field's Python type.

        asyncpg binds parameters by type, so a timestamp position must be a datetime,
        an integer must fit the column, and text must hold no NUL (else a driver
        error, a 500); a position that does not fit raises ValueError.
        """
        if "\x00" in position:
            raise ValueError(position)
        meta = model._meta
        field = meta.pk if field_name == "pk" else meta.fields_map.get(field_name)
        if field is None or getattr(field, "field_type", None) is None:
            return position  # an annotation or unknown name: leave it to Tortoise
        value = field.to_python_value(position)
        bounds = getattr(field, "constraints", {})
        if value is None or not bounds.get("ge", value) <= value <= bounds.get("le", value):
            raise ValueError(position)
        return value

    def _set_page(
        self, results: list[object], offset: int, reverse: bool, current_position: str | None
    ) -> None:
        # Mirrors the tail of rest_framework.pagination.CursorPagination.paginate_queryset;
        # differs only in taking the rows already fetched.
        self.page = list(results[: self.page_size])
        has_following_position = len(results) > len(self.page)
        following_position = (
            self._get_position_from_instance(results[-1], self.ordering)
            if has_following_position
            else None
        )
        if reverse:
            # The query ran in reverse order: put the rows back in the requested order.
            self.page = list(reversed(self.page))
            self.has_next = (current_position is not None) or (offset > 0)
            self.has_previous = has_following_position
            if self.has_next:
                self.next_position = current_position
            if self.has_previous:
                self.previous_position = following_position
        else:
            self.has_next = has_following_position
            self.has_previous = (current_position is not None) or (offset > 0)
            if self.has_next:
                self.next_position = following_position
            if self.has_previous:
                self.previous_position = current_position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True


# DRF's link, response, schema and HTML builders are pure once a page is fetched:
# the generic view calls them through maybe_await with no thread hop.
mark_inline(
    *(
        getattr(cls, name)
        for cls in (
            AsyncPageNumberPagination,
            AsyncLimitOffsetPagination,
            AsyncCursorPagination,
        )
        for name in (
            "get_paginated_response",
            "get_paginated_response_schema",
            "get_schema_operation_parameters",
            "get_next_link",
            "get_previous_link",
            "get_html_context",
            "to_html",
        )
    )
)
