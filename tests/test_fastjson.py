"""async_drf.fastjson.ORJSONRenderer renders the same bytes as DRF's JSONRenderer."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

pytest.importorskip("orjson")

from async_drf.fastjson import ORJSONRenderer  # noqa: E402

UTC = datetime.UTC

SAMPLES = [
    {"id": 1, "title": "t", "published": True, "author": None, "score": 1.5},
    [{"a": [1, 2, {"b": "ü ✓ 日本"}]}, [], {}],
    {"when": datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)},
    {"naive": datetime.datetime(2024, 1, 2, 3, 4, 5), "day": datetime.date(2024, 1, 2)},
    {"time": datetime.time(3, 4, 5), "delta": datetime.timedelta(seconds=90)},
    {"uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"), "dec": decimal.Decimal("1.25")},
    {"lazy": gettext_lazy("This field is required."), 1: "int key"},
    {"sep": "line\u2028para\u2029end"},
    ReturnDict({"x": ReturnList([1, 2], serializer=None)}, serializer=None),
    {"big": 2**70},
    "plain string",
    42,
]


@pytest.mark.parametrize("data", SAMPLES)
def test_same_bytes_as_drf(data):
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)


def test_none_renders_empty():
    assert ORJSONRenderer().render(None) == b""


def test_indent_from_accept_header_is_drfs():
    data = {"a": [1, 2]}
    media = "application/json; indent=4"
    assert ORJSONRenderer().render(data, media) == JSONRenderer().render(data, media)
    assert b"\n    " in ORJSONRenderer().render(data, media)


def test_settings_that_change_the_output_fall_back():
    # UNICODE_JSON=False / COMPACT_JSON=False reach the renderer as these attributes.
    renderer, drf = ORJSONRenderer(), JSONRenderer()
    renderer.ensure_ascii = drf.ensure_ascii = True
    assert renderer.render({"a": "ü"}) == drf.render({"a": "ü"}) == b'{"a":"\\u00fc"}'
    renderer.compact = drf.compact = False
    assert renderer.render({"a": 1}) == drf.render({"a": 1}) == b'{"a": 1}'


def test_unserialisable_object_raises_like_drf():
    with pytest.raises(TypeError):
        ORJSONRenderer().render({"x": object()})
    with pytest.raises(TypeError):
        JSONRenderer().render({"x": object()})


def test_media_type_and_format_are_drfs():
    assert (ORJSONRenderer.media_type, ORJSONRenderer.format) == ("application/json", "json")
