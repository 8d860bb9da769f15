"""is_async_callable remembers its answer per function without keeping functions alive."""

import gc
import weakref

from asgiref.sync import markcoroutinefunction

from async_drf import concurrency
from async_drf.concurrency import is_async_callable


def test_answers_are_stable_and_cached():
    async def a():
        pass

    def s():
        pass

    @markcoroutinefunction
    def marked():
        pass

    for _ in range(2):  # the second round is served from the cache
        assert is_async_callable(a) and is_async_callable(marked)
        assert not is_async_callable(s)
    assert concurrency._async_functions[a] is True
    assert concurrency._async_functions[s] is False


def test_methods_partials_and_callables_still_work():
    import functools

    class View:
        async def get(self):
            pass

        def put(self):
            pass

    class AsyncCallable:
        async def __call__(self):
            pass

    view = View()
    assert is_async_callable(view.get) and is_async_callable(functools.partial(view.get))
    assert not is_async_callable(view.put)
    assert is_async_callable(AsyncCallable()) and not is_async_callable(AsyncCallable)


def test_cache_does_not_keep_closures_alive():
    def make():
        async def per_request():
            pass

        return per_request

    func = make()
    assert is_async_callable(func)
    ref = weakref.ref(func)
    del func
    gc.collect()
    assert ref() is None
