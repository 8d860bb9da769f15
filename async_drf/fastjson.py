"""An optional orjson-backed JSON renderer: ``async_drf.fastjson.ORJSONRenderer``.

Needs ``pip install orjson``.  Use it in place of DRF's JSONRenderer::

    REST_FRAMEWORK = {"DEFAULT_RENDERER_CLASSES": ["async_drf.fastjson.ORJSONRenderer", ...]}

It produces the same bytes as DRF's ``JSONRenderer`` with DRF's default settings
(``COMPACT_JSON``, ``UNICODE_JSON``, no indent): types orjson has no rule for, and
datetimes, go through DRF's own ``JSONEncoder.default``, and U+2028/U+2029 are escaped
as DRF does.  Whatever it cannot render the same way (an ``indent`` asked for in the
Accept header, non-compact or ASCII-only settings, integers beyond 64 bits) is left to
DRF's renderer.  One difference remains: a NaN or infinite float renders as ``null``,
where DRF's ``STRICT_JSON`` raises ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping

try:
    import orjson
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "async_drf.fastjson needs orjson: pip install orjson (or use DRF's JSONRenderer)."
    ) from exc
from rest_framework.renderers import JSONRenderer

__all__ = ["ORJSONRenderer"]

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class ORJSONRenderer(JSONRenderer):
    """DRF's JSONRenderer, serialised by orjson when the output would be the same."""

    def render(
        self,
        data: object,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, object] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if (
            not self.compact
            or self.ensure_ascii
            or self.get_indent(accepted_media_type or "", renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self.encoder_class().default, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            # e.g. an int beyond 64 bits: DRF's renderer handles it (or raises its own error)
            return super().render(data, accepted_media_type, renderer_context)
        for raw, escaped in _LINE_SEPARATORS:
            if raw in out:
                out = out.replace(raw, escaped)
        return out
