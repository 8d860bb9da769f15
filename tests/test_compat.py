"""async_drf.compat: each private upstream API it relies on still behaves as used."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from typing import Any

import pytest

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


@pytest.mark.parametrize(("module_name", "name"), list(compat.SECURITY_CHECK_MIDDLEWARE))
def test_djangos_security_checks_see_the_twins(module_name, name):
    import importlib

    from django.test import override_settings

    module = importlib.import_module(module_name)
    installed = getattr(module, name)
    assert hasattr(installed, "__wrapped__")  # the app's ready() wrapped Django's
    twin = "async_drf.middleware." + compat.SECURITY_CHECK_MIDDLEWARE[module_name, name]
    for middleware, expected in [([twin], True), ([], False)]:
        with override_settings(MIDDLEWARE=middleware):
            assert installed() is expected
            assert installed.__wrapped__() is False


def test_deploy_checks_with_the_twins_are_djangos():
    """security.W001-W003 do not fire for the twins; the session cookie check does."""
    from django.core.checks import run_checks
    from django.test import override_settings

    twins = [f"async_drf.middleware.{name}" for name in compat.SECURITY_CHECK_MIDDLEWARE.values()]
    with override_settings(
        MIDDLEWARE=twins, SESSION_COOKIE_SECURE=False, ROOT_URLCONF="tests.urls"
    ):
        ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert not ids & {"security.W001", "security.W002", "security.W003"}
    assert "security.W012" in ids  # SESSION_COOKIE_SECURE, checked once SessionMiddleware is seen


def _resolve(dotted: str) -> Any:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for name in parts[end:]:
            target = getattr(target, name)
        return target
    raise LookupError(dotted)


def _upstream_sources(target: Any) -> list[str]:
    owners = target.__mro__ if isinstance(target, type) else (target,)
    return [_source(o) for o in owners if getattr(o, "__module__", None) != "builtins"]


def _source(owner: Any) -> str:
    try:
        return inspect.getsource(owner)
    except (OSError, TypeError):  # Python 3.12 cannot always locate a generic class
        return inspect.getsource(inspect.getmodule(owner))


@pytest.mark.parametrize(
    ("owner", "name"),
    compat.PRIVATE_ATTRIBUTES,
    ids=[f"{o}.{n}" for o, n in compat.PRIVATE_ATTRIBUTES],
)
def test_private_upstream_attribute_still_exists(owner, name):
    """A class or module attribute is there; an instance attribute is still set by the
    upstream class (or, for a module, somewhere in it)."""
    target = _resolve(owner)
    if hasattr(target, name):
        return
    pattern = re.compile(rf"\.{name}\b")
    assert any(pattern.search(source) for source in _upstream_sources(target)), (
        f"{owner} no longer has {name}: update async_drf.compat and its callers"
    )


def test_private_attribute_check_fails_for_a_missing_attribute():
    with pytest.raises(AssertionError, match="no longer has _no_such_attribute"):
        test_private_upstream_attribute_still_exists(
            "rest_framework.request.Request", "_no_such_attribute"
        )
