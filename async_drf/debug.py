"""An exception-reporter filter that also masks credentials inside values.

Django's ``SafeExceptionReporterFilter`` hides a setting, a META entry or a dict key
when its *name* looks secret (``PASS``, ``KEY``, ``TOKEN``...).  A database URL does
not: ``TORTOISE_ORM["connections"]["default"] = "postgres://user:secret@host/db"``
is printed in clear on the DEBUG page and in error e-mails.  This filter also masks
the password of every URL (``scheme://user:password@host``), URL query parameters and
``key=value`` pairs whose name looks secret, in settings, request META and the local
variables of each traceback frame::

    DEFAULT_EXCEPTION_REPORTER_FILTER = "async_drf.debug.SafeExceptionReporterFilter"
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.regex_helper import _lazy_re_compile
from django.views import debug

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["SafeExceptionReporterFilter"]

# scheme://user:password@host: the password ends at the last "@" of the authority,
# as urllib.parse reads it (an unescaped "@" in a password is common in DSNs).
_URL_PASSWORD = _lazy_re_compile(r"([a-z][a-z0-9+.-]*://[^:/?#@\s]*:)([^/?#\s]*)@", re.I)
# name=value in a query string or a libpq connection string (host=db password=x).
_NAMED_VALUE = _lazy_re_compile(r"(?<![\w.-])([\w.-]+)(\s*=\s*)('[^']*'|[^\s&;#]*)")

# How deep a frame variable is searched; deeper values are shown as they are.
MAX_DEPTH = 8


class SafeExceptionReporterFilter(debug.SafeExceptionReporterFilter):
    """Django's filter, plus credentials inside URLs and connection strings.

    Settings and request META are cleansed as Django does (by name, through dicts,
    lists and tuples), and every string in them is passed through ``cleanse_text``.
    Frame variables, which Django shows as they are unless ``sensitive_variables``
    names them, are searched through dicts, lists, tuples and sets: a key or
    named-tuple field matching ``hidden_names`` is masked and strings go through
    ``cleanse_text``.  A value with nothing to mask is shown unchanged (the same
    object).
    """

    # Names whose values are masked inside values (dict keys, named-tuple fields,
    # name=value pairs in text): Django's hidden_settings without AUTH and API, which
    # would also catch a blog's "author" and "rapid".
    hidden_names = _lazy_re_compile("TOKEN|KEY|SECRET|PASS|PWD|SIGNATURE|COOKIE", flags=re.I)

    def cleanse_text(self, text: str) -> str:
        """``text`` with URL passwords and secret-looking ``name=value`` values masked."""
        if "=" not in text and "@" not in text:
            return text  # the common case, without a regex
        text = _URL_PASSWORD.sub(rf"\g<1>{self.cleansed_substitute}@", text)
        return _NAMED_VALUE.sub(self._mask_named_value, text)

    def _mask_named_value(self, match: re.Match[str]) -> str:
        name, equals, value = match.groups()
        if not value or not self.hidden_names.search(name):
            return match.group(0)
        return f"{name}{equals}{self.cleansed_substitute}"

    def cleanse_setting(self, key: int | str, value: object) -> object:
        if isinstance(value, str):
            value = self.cleanse_text(value)
        return super().cleanse_setting(key, value)

    def cleanse_special_types(self, request: HttpRequest | None, value: object) -> object:
        # Django calls this for every frame variable it does not mask by name.
        value = super().cleanse_special_types(request, value)
        return self.cleanse_value(value, {}, MAX_DEPTH)

    def cleanse_value(self, value: object, seen: dict[int, object], depth: int) -> object:
        """``value`` with credentials masked; the same object when none were found."""
        if isinstance(value, str):
            return self.cleanse_text(value)
        if depth == 0 or not isinstance(value, dict | list | tuple | set | frozenset):
            return value
        if id(value) in seen:  # shared or cyclic: cleansed once
            return seen[id(value)]
        seen[id(value)] = value
        if isinstance(value, dict):
            cleansed_items = self._cleanse_items(value.items(), seen, depth)
            changed = any(cleansed_items[key] is not item for key, item in value.items())
            cleansed: object = cleansed_items
        else:
            names = getattr(value, "_fields", ())  # a named tuple's fields look like keys
            items = [self._cleanse_item(n, v, seen, depth) for n, v in _named(names, value)]
            changed = any(new is not old for new, old in zip(items, value, strict=True))
            cleansed = value._make(items) if names else _rebuild(value, items)  # type: ignore[union-attr]
        seen[id(value)] = cleansed if changed else value
        return seen[id(value)]

    def _cleanse_items(
        self, items: Iterable[tuple[object, object]], seen: dict[int, object], depth: int
    ) -> dict[object, object]:
        return {key: self._cleanse_item(key, item, seen, depth) for key, item in items}

    def _cleanse_item(
        self, name: object, value: object, seen: dict[int, object], depth: int
    ) -> object:
        if isinstance(name, str) and self.hidden_names.search(name):
            return self.cleansed_substitute
        return self.cleanse_value(value, seen, depth - 1)


def _named(names: tuple[str, ...], values: Iterable[object]) -> Iterable[tuple[str | None, object]]:
    return zip(names, values, strict=True) if names else ((None, value) for value in values)


def _rebuild(value: object, items: list[object]) -> object:
    # Only built when something was masked; subclasses become their builtin base.
    for kind in (list, tuple, set, frozenset):
        if isinstance(value, kind):
            return kind(items)
    raise TypeError(type(value))  # pragma: no cover - cleanse_value checked the type
