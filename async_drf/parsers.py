"""DRF's JSONParser with a nesting limit, checked before the body is parsed.

DRF's parser hands the body to ``json.load``, whose recursion on 100,000 nested
``[`` ends in ``RecursionError``: not a ``ValueError``, so a 500 on every JSON
endpoint.  :class:`JSONParser` refuses a body nested deeper than ``JSON_MAX_DEPTH``
with DRF's 400 "JSON parse error" before parsing it.  Async views use it in place of
DRF's ``JSONParser`` without a settings change (``AsyncAPIView.get_parsers``).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import accumulate
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

from .compat import get_encoding
from .settings import async_settings

__all__ = ["JSONParser", "limited_parser_class", "nesting_exceeds"]

TOO_DEEP_MESSAGE = _("JSON parse error - nested deeper than {max_depth} levels.")
RECURSION_MESSAGE = _("JSON parse error - nested too deeply.")

# Every byte but brackets and quotes, to delete; then a step of +1 for an opening
# bracket and -1 (0xFF as a signed byte) for a closing one.
_OTHER_BYTES = bytes(set(range(256)) - set(b'[]{}"'))
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` nests arrays and objects more than ``limit`` deep.

    Linear in the size of ``text`` and done in C (``bytes`` methods and
    ``itertools.accumulate``), never in a Python loop over characters: less than
    half of what ``json.loads`` takes on the same text.  Most bodies have no more opening
    brackets than ``limit`` and cost two ``count`` calls.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    data = text.encode("utf-8", "surrogatepass")
    # Escaped backslashes, then escaped quotes: every quote left opens or closes a string.
    data = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _OTHER_BYTES)
    outside_strings = b"".join(data.split(b'"')[::2])
    steps = outside_strings.translate(_STEPS)
    if b"\x01" * (limit + 1) in steps:  # the usual attack: brackets opened in a row
        return True
    return max(accumulate(memoryview(steps).cast("b")), default=0) > limit


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser; a body nested deeper than ``JSON_MAX_DEPTH`` is a 400."""

    def parse(  # json.loads's value: any JSON document (DRF's stubs: a dict)
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: Mapping[str, object] | None = None,
    ) -> Any:
        # Mirrors rest_framework.parsers.JSONParser.parse; differs in reading the body
        # whole, checking its depth before json.loads, and RecursionError as ValueError.
        parser_context = parser_context or {}
        encoding = get_encoding(parser_context)
        try:
            text = stream.read().decode(encoding)
            max_depth = async_settings.JSON_MAX_DEPTH
            if max_depth is not None and nesting_exceeds(text, max_depth):
                raise ParseError(TOO_DEEP_MESSAGE.format(max_depth=max_depth))
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError:  # no JSON_MAX_DEPTH, or one above the interpreter's limit
            raise ParseError(RECURSION_MESSAGE) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}")


def limited_parser_class(parser_class: type[parsers.BaseParser]) -> type[parsers.BaseParser]:
    """Our JSONParser in place of DRF's own; every other parser class as it is."""
    return JSONParser if parser_class is parsers.JSONParser else parser_class
