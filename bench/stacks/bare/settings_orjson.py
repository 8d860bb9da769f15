"""The floor rendering with orjson: the same views, ``orjson.dumps`` for every body."""

from .settings import *  # noqa: F403

BENCH_ORJSON = True
