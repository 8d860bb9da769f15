"""JSONParser: DRF's parser with a nesting limit checked before parsing; async views
use it in place of DRF's without a settings change."""

from __future__ import annotations

import io
import json as std_json
from typing import Any

import pytest
from django.test import override_settings
from rest_framework import parsers as drf_parsers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from async_drf import generics, parsers, serializers
from async_drf.parsers import JSONParser, nesting_exceeds
from async_drf.test import AsyncAPIRequestFactory
from async_drf.views import AsyncAPIView

from .models import Author

factory = AsyncAPIRequestFactory()

TOO_DEEP = {"detail": "JSON parse error - nested deeper than 64 levels."}


class Echo(AsyncAPIView):
    async def post(self, request: Any) -> Response:
        return Response({"data": request.data})


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class AuthorList(generics.AsyncListCreateAPIView):
    queryset = Author
    serializer_class = AuthorSerializer


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


async def post_raw(view: Any, body: str | bytes) -> Response:
    request = factory.post("/", body, content_type="application/json")
    return await view.as_view()(request)


async def test_100000_levels_is_a_400_on_a_generic_create_view(tortoise_db, queries):
    # DRF's JSONParser raised RecursionError here: a 500 for an anonymous client.
    response = await post_raw(AuthorList, nested(100_000))
    assert response.status_code == 400
    assert response.data == TOO_DEEP
    assert queries.count == 0
    assert await Author.all().count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (nested(64), 200),
        (nested(65), 400),
        ('{"a":' * 63 + "[1]" + "}" * 63, 200),  # 64 levels of objects and an array
        ('{"a":' * 64 + "[1]" + "}" * 64, 400),
        (std_json.dumps({"text": "[" * 1000, "quote": '\\"[[[' * 100}), 200),  # in strings
        ("[" * 100_000, 400),  # never closed
    ],
)
async def test_depth_limit_counts_arrays_and_objects_not_strings(body, status):
    response = await post_raw(Echo, body)
    assert response.status_code == status
    if status == 400:
        assert response.data == TOO_DEEP
    else:
        assert response.data == {"data": std_json.loads(body)}


async def test_the_limit_applies_before_the_body_is_parsed(monkeypatch):
    calls = []

    def loads(text: str, **kwargs: Any) -> Any:
        calls.append(len(text))
        return std_json.loads(text, **kwargs)

    monkeypatch.setattr(parsers.json, "loads", loads)
    assert (await post_raw(Echo, nested(100_000))).data == TOO_DEEP
    assert calls == []  # never parsed
    assert (await post_raw(Echo, nested(3))).data == {"data": [[[1]]]}
    assert calls == [7]


@override_settings(ASYNC_DRF={"JSON_MAX_DEPTH": 3})
async def test_depth_limit_is_a_setting():
    assert (await post_raw(Echo, nested(3))).status_code == 200
    response = await post_raw(Echo, nested(4))
    assert response.status_code == 400
    assert response.data == {"detail": "JSON parse error - nested deeper than 3 levels."}


@override_settings(ASYNC_DRF={"JSON_MAX_DEPTH": None})
async def test_without_a_limit_deep_json_is_still_a_400_never_a_500():
    # Past the interpreter's recursion limit json.loads raises RecursionError.
    response = await post_raw(Echo, nested(100_000))
    assert response.status_code == 400
    assert response.data == {"detail": "JSON parse error - nested too deeply."}


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
async def test_body_larger_than_djangos_limit_is_a_400_json_before_parsing(monkeypatch):
    # DRF reads JSON through request.body, which checks Django's limit: raised in the
    # view, the error was Django's HTML 400 page; the error table answers it in JSON.
    monkeypatch.setattr(parsers.json, "loads", None)  # never reached
    response = await post_raw(Echo, std_json.dumps(["x" * 200]))
    assert response.status_code == 400
    assert response.data == {"detail": "Request body too large: at most 100 bytes are accepted."}


async def test_drfs_errors_and_messages_are_kept():
    response = await post_raw(Echo, "{bad")
    assert response.status_code == 400
    assert str(response.data["detail"]).startswith("JSON parse error - Expecting property name")
    response = await post_raw(Echo, '{"a": NaN}')  # STRICT_JSON, as DRF
    assert response.status_code == 400
    assert str(response.data["detail"]).startswith("JSON parse error - Out of range float")
    response = await post_raw(Echo, b'{"a": "\xff"}')
    assert response.status_code == 400
    assert str(response.data["detail"]).startswith("JSON parse error - 'utf-8' codec")


def test_async_views_swap_drfs_json_parser_only():
    class View(AsyncAPIView):
        parser_classes = [drf_parsers.JSONParser, drf_parsers.FormParser]

    class OwnJSONParser(drf_parsers.JSONParser):
        pass

    class OwnView(AsyncAPIView):
        parser_classes = [OwnJSONParser]

    assert [type(p) for p in View().get_parsers()] == [JSONParser, drf_parsers.FormParser]
    assert [type(p) for p in OwnView().get_parsers()] == [OwnJSONParser]


def test_parser_reads_a_stream_like_drfs():
    parser = JSONParser()
    assert parser.parse(io.BytesIO(b'{"a": [1, 2]}')) == {"a": [1, 2]}
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(nested(65).encode()))


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("", 0, False),
        ("[]", 0, True),
        ("[]", 1, False),
        ("[[], [[]], {}]", 3, False),
        ("[[], [[{}]], {}]", 3, True),
        ('["\\\\", "[[[["]', 1, False),  # an escaped backslash ends before the quote
        ('["\\"[[[["]', 1, False),  # an escaped quote does not end the string
        ("]]]]", 1, False),  # unbalanced: left to the parser
    ],
)
def test_nesting_exceeds(text, limit, exceeds):
    assert nesting_exceeds(text, limit) is exceeds
