"""async_drf.compat: each private upstream API it relies on still behaves as used."""

from __future__ import annotations

import subprocess
import sys

from async_drf import compat

EXIT_HOOK_SCRIPT = """
import threading
from async_drf.compat import register_exit_hook

released = threading.Event()
threading.Thread(target=released.wait).start()  # non-daemon: joined at exit
register_exit_hook(lambda: (print("hook ran"), released.set()))
"""


def test_exit_hooks_run_before_the_interpreter_joins_threads():
    """An ``atexit`` hook would run after the join: the process would never exit."""
    result = subprocess.run(
        [sys.executable, "-c", EXIT_HOOK_SCRIPT], capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "hook ran\n", "")


# -- Django's private session, request and messages attributes the middleware reads ---


def test_session_loaded_and_session_cache():
    from django.contrib.sessions.backends.cache import SessionStore as CacheSession
    from django.core.cache import caches

    session = CacheSession()
    assert not compat.session_loaded(session)
    session.get("x")  # no key: an empty session, read without I/O
    assert compat.session_loaded(session)
    assert compat.session_cache(session) is caches["default"]


def test_post_parsed_and_message_storage():
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory, override_settings

    from async_drf.middleware import MessageMiddleware

    request = RequestFactory().post("/", {"a": "1"})
    assert not compat.post_parsed(request)
    request.POST  # noqa: B018
    assert compat.post_parsed(request)
    assert compat.message_storage(request) is None
    with override_settings(MESSAGE_STORAGE=f"{CookieStorage.__module__}.CookieStorage"):
        MessageMiddleware(lambda r: None).process_request(request)
    assert type(compat.message_storage(request)) is CookieStorage
