"""The async_drf stack with its per-class caches switched off (the field plan of
ModelSerializer.get_fields, is_async_callable's answers): the "before" of those
optimisations, for `bench/run.py --stacks asyncdrf,asyncdrf-nocache`."""

from async_drf import concurrency
from async_drf import serializers as _serializers

from .asgi import application  # noqa: F401 - sets Django up first


class _NoCache(dict):
    def get(self, key, default=None):
        return None

    def __setitem__(self, key, value):
        pass


concurrency._async_functions = _NoCache()
_serializers._plan_cacheable = lambda cls: False
