"""async_drf's streaming list view over the benchmark's Tortoise tables (bench/streaming.py)."""

import os

from ..base_settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "async_drf"]  # noqa: F405
ROOT_URLCONF = "bench.stacks.streaming.urls"
ASYNC_DRF = {"STREAM_CHUNK_SIZE": int(os.environ.get("BENCH_STREAM_CHUNK_SIZE", "500"))}
