"""The floor: plain Django async views doing the same Tortoise queries, JsonResponse."""

from ..base_settings import *  # noqa: F403

ROOT_URLCONF = "bench.stacks.bare.urls"
