"""The async_drf stack with the optional orjson renderer (async_drf.fastjson)."""

from .settings import *  # noqa: F403
from .settings import REST_FRAMEWORK

REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_RENDERER_CLASSES": ["async_drf.fastjson.ORJSONRenderer"],
}
