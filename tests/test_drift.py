"""The drift guard: every function or class of async_drf that re-expresses an upstream
one (a "Mirrors" comment, or an async twin of a DRF method body) is listed in MIRRORS,
and the upstream source it mirrors is recorded, as a hash, for each upstream release
the version matrix runs (tests/drift_sources.json).

When upstream changes a mirrored function, or a release that was never recorded is
installed, a test fails naming the mirror to review.  After reviewing it (and fixing
the mirror or its comment), record the new sources with ``make drift-record``, which
runs ``ASYNC_DRF_DRIFT_RECORD=1 pytest tests/test_drift.py`` in .venv and in every
virtualenv of the matrix.  Registering a new mirror is one line in _TABLE, then
``make drift-record``.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.metadata
import inspect
import io
import json
import os
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# One line per mirror: ours, then the upstream function or class it re-expresses.
_TABLE = """
async_drf._filterclasses.Filter                                             django_filters.filters.Filter
async_drf._filterclasses.FilterMethod                                       django_filters.filters.FilterMethod
async_drf._filterfields.BaseCSVWidget                                       django_filters.widgets.BaseCSVWidget
async_drf._filterfields.SuffixedMultiWidget                                 django_filters.widgets.SuffixedMultiWidget
async_drf.asgi.ASGIHandler.handle                                           django.core.handlers.asgi.ASGIHandler.handle
async_drf.asgi._send_inline                                                 django.dispatch.dispatcher.Signal.asend
async_drf.authentication.AsyncBasicAuthentication.authenticate_credentials  rest_framework.authentication.BasicAuthentication.authenticate_credentials
async_drf.authentication.AsyncSessionAuthentication.authenticate            rest_framework.authentication.SessionAuthentication.authenticate
async_drf.authentication.AsyncTokenAuthentication.authenticate_credentials  rest_framework.authentication.TokenAuthentication.authenticate_credentials
async_drf.backends.sqlite._ConnectionWrapper.__aenter__                     tortoise.backends.base.client.ConnectionWrapper.__aenter__
async_drf.backends.sqlite._TransactionContext.__aenter__                    tortoise.backends.sqlite.client.SqliteTransactionContext.__aenter__
async_drf.backends.sqlite.get_client_class                                  tortoise.backends.sqlite.get_client_class
async_drf.conditional._if_match_passes                                      django.utils.cache._if_match_passes
async_drf.conditional._if_none_match_passes                                 django.utils.cache._if_none_match_passes
async_drf.filters.FilterBackend                                             django_filters.rest_framework.backends.DjangoFilterBackend
async_drf.filters._properties                                               rest_framework.filters.OrderingFilter.get_default_valid_fields
async_drf.filters.translate_validation                                      django_filters.utils.translate_validation
async_drf.filtersets.BaseFilterSet                                          django_filters.filterset.BaseFilterSet
async_drf.filtersets.FilterSetMetaclass                                     django_filters.filterset.FilterSetMetaclass
async_drf.generics.AsyncGenericAPIView.get_object                           rest_framework.generics.GenericAPIView.get_object
async_drf.generics._django_object_or_404                                    rest_framework.generics.get_object_or_404
async_drf.metadata.AsyncSimpleMetadata.adetermine_actions                   rest_framework.metadata.SimpleMetadata.determine_actions
async_drf.middleware.AsyncMiddlewareMixin.__acall__                         django.utils.deprecation.MiddlewareMixin.__acall__
async_drf.middleware.SessionMiddleware.asave_response                       django.contrib.sessions.middleware.SessionMiddleware.process_response
async_drf.mixins.AsyncCreateModelMixin.create                               rest_framework.mixins.CreateModelMixin.create
async_drf.mixins.AsyncDestroyModelMixin.destroy                             rest_framework.mixins.DestroyModelMixin.destroy
async_drf.mixins.AsyncListModelMixin.list                                   rest_framework.mixins.ListModelMixin.list
async_drf.mixins.AsyncRetrieveModelMixin.retrieve                           rest_framework.mixins.RetrieveModelMixin.retrieve
async_drf.mixins.AsyncUpdateModelMixin.update                               rest_framework.mixins.UpdateModelMixin.update
async_drf.generics.AsyncGenericAPIView.aget_serializer                      rest_framework.generics.GenericAPIView.get_serializer
async_drf.orm._CommandContext.connections                                   tortoise.context.TortoiseContext.connections
async_drf.pagination.AsyncCursorPagination._set_page                        rest_framework.pagination.CursorPagination.paginate_queryset
async_drf.pagination.AsyncLimitOffsetPagination.paginate_queryset           rest_framework.pagination.LimitOffsetPagination.paginate_queryset
async_drf.pagination.AsyncPageNumberPagination.get_next_link                rest_framework.pagination.PageNumberPagination.get_next_link
async_drf.pagination.AsyncPageNumberPagination.get_previous_link            rest_framework.pagination.PageNumberPagination.get_previous_link
async_drf.pagination.AsyncPageNumberPagination.paginate_queryset            rest_framework.pagination.PageNumberPagination.paginate_queryset
async_drf.parsers.JSONParser.parse                                          rest_framework.parsers.JSONParser.parse
async_drf.relations.HyperlinkedRelatedField._match                          rest_framework.relations.HyperlinkedRelatedField.to_internal_value
async_drf.relations.ManyRelatedField.get_attribute                          rest_framework.relations.ManyRelatedField.get_attribute
async_drf.relations.ManyRelatedField.to_internal_value                      rest_framework.relations.ManyRelatedField.to_internal_value
async_drf.relations.RelatedField.many_init                                  rest_framework.relations.RelatedField.many_init
async_drf.renderers.AsyncBrowsableAPIMixin._aform_serializer                rest_framework.renderers.BrowsableAPIRenderer.get_rendered_html_form
async_drf._openapi.AutoSchema._call_get_serializer                          rest_framework.generics.GenericAPIView.get_serializer
async_drf._openapi.AutoSchema.get_operation_id                              rest_framework.schemas.openapi.AutoSchema.get_operation_id
async_drf._openapi.AutoSchema.get_responses                                 rest_framework.schemas.openapi.AutoSchema.get_responses
async_drf.schemas.get_schema_view                                           rest_framework.schemas.get_schema_view
async_drf._async_serializer.AsyncSerializerMixin.asave                      rest_framework.serializers.BaseSerializer.save
async_drf.serializers.ListSerializer.to_representation                      rest_framework.serializers.ListSerializer.to_representation
async_drf.serializers.ModelSerializer.acreate                               rest_framework.serializers.ModelSerializer.create
async_drf.serializers.ModelSerializer.aupdate                               rest_framework.serializers.ModelSerializer.update
async_drf.serializers.ModelSerializer.get_fields                            rest_framework.serializers.ModelSerializer.get_fields
async_drf.serializers.ModelSerializer.get_unique_together_validators        rest_framework.serializers.ModelSerializer.get_unique_together_validators
async_drf.serializers.ModelSerializer.get_uniqueness_extra_kwargs           rest_framework.serializers.ModelSerializer.get_uniqueness_extra_kwargs
async_drf.serializers.Serializer.many_init                                  rest_framework.serializers.BaseSerializer.many_init
async_drf._async_serializer.AsyncValidateHooksMixin.run_validation          rest_framework.serializers.Serializer.run_validation
async_drf.serializers.Serializer.to_representation                          rest_framework.serializers.Serializer.to_representation
async_drf._writes.raise_errors_on_nested_writes                             rest_framework.serializers.raise_errors_on_nested_writes
async_drf.test.ForceAuthAsyncClientHandler.get_response_async               rest_framework.test.ForceAuthClientHandler.get_response
async_drf.throttling.AsyncScopedRateThrottle.allow_request                  rest_framework.throttling.ScopedRateThrottle.allow_request
async_drf.throttling.AsyncSimpleRateThrottle.allow_request                  rest_framework.throttling.SimpleRateThrottle.allow_request
async_drf.throttling.AsyncSimpleRateThrottle.wait                           rest_framework.throttling.SimpleRateThrottle.wait
async_drf.validators.UniqueTogetherValidator.__call__                       rest_framework.validators.UniqueTogetherValidator.__call__
async_drf.validators.UniqueValidator.__call__                               rest_framework.validators.UniqueValidator.__call__
async_drf.validators._check_single_instance                                 rest_framework.validators._check_single_instance
async_drf.validators.qs_exists                                              rest_framework.validators.qs_exists
async_drf.views.AsyncAPIView.dispatch                                       rest_framework.views.APIView.dispatch
async_drf.views.AsyncAPIView.get_authenticate_header                        rest_framework.views.APIView.get_authenticate_header
async_drf.views.AsyncAPIView.handle_exception                               rest_framework.views.APIView.handle_exception
async_drf.views.AsyncAPIView.initial                                        rest_framework.views.APIView.initial
async_drf.views.AsyncAPIView.initialize_request                             rest_framework.views.APIView.initialize_request
async_drf.views._afirst_authenticated                                       rest_framework.request.Request._authenticate
async_drf.views._first_authenticated                                        rest_framework.request.Request._authenticate
"""
MIRRORS: dict[str, str] = dict(line.split() for line in _TABLE.strip().splitlines())

RECORD_FILE = Path(__file__).with_name("drift_sources.json")
RECORDING = os.environ.get("ASYNC_DRF_DRIFT_RECORD") == "1"
ABSENT = "absent"  # recorded for a release without the original (a backported mirror)
PACKAGE = Path(__file__).resolve().parent.parent / "async_drf"


def resolve(dotted: str) -> Any:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        for index, name in enumerate(parts[end:], start=end):
            try:
                obj = inspect.getattr_static(obj, name)
            except AttributeError:
                raise LookupError(f"{'.'.join(parts[: index + 1])} does not exist") from None
        return obj
    raise LookupError(f"no module of {dotted} can be imported")


def source_hash(obj: Any) -> str:
    for attribute in ("fget", "__func__"):  # property, classmethod, staticmethod
        obj = getattr(obj, attribute, obj)
    source = inspect.getsource(inspect.unwrap(obj))
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def release(dotted: str) -> str:
    """``"<distribution> <version>"`` of the distribution that provides ``dotted``."""
    distribution = _distributions()[dotted.split(".")[0]][0]
    return f"{distribution} {importlib.metadata.version(distribution)}"


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def drift(mirror: str, upstream: str, recorded: dict[str, dict[str, str]]) -> str | None:
    """Why ``mirror`` needs a review against ``upstream`` now, or None."""
    installed = release(upstream)
    known = recorded.get(upstream, {})
    try:
        current = source_hash(resolve(upstream))
    except LookupError as exc:
        if known.get(installed) == ABSENT:
            return None  # a backport: this release lacks the original
        return f"{mirror} mirrors {upstream}, which is gone ({exc}): review the mirror."
    if installed not in known:
        same = [name for name, value in known.items() if value == current]
        seen = f"its source is the one recorded for {same[0]}" if same else "its source is new"
        return (
            f"{installed} is not recorded for {upstream} ({seen}): review {mirror} "
            "against it, then run `make drift-record`."
        )
    if known[installed] != current:
        return (
            f"{upstream} changed in {installed}: review {mirror} against it, then run "
            "`make drift-record`."
        )
    return None


def _marked_mirrors() -> Iterator[tuple[str, int]]:
    """(qualified name, line) of the function or class around each "# Mirrors" comment."""
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text()
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        lines = [
            t.start[0]
            for t in tokens
            if t.type == tokenize.COMMENT and t.string.startswith("# Mirrors")
        ]
        if not lines:
            continue
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        scopes = list(_scopes(ast.parse(source), module))
        for line in lines:
            inner = [
                (node, name) for node, name in scopes if node.lineno <= line <= node.end_lineno
            ]
            yield max(inner, key=lambda scope: scope[0].lineno)[1] if inner else module, line


def _scopes(node: ast.AST, prefix: str) -> Iterator[tuple[Any, str]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child, f"{prefix}.{child.name}"
            yield from _scopes(child, f"{prefix}.{child.name}")


@pytest.fixture(scope="module")
def recorded() -> Iterator[dict[str, dict[str, str]]]:
    sources = json.loads(RECORD_FILE.read_text()) if RECORD_FILE.exists() else {}
    yield sources
    if RECORDING:
        kept = {name: sources[name] for name in sorted(set(MIRRORS.values())) if name in sources}
        RECORD_FILE.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")


def test_every_mirrors_comment_is_registered():
    missing = [f"{name} (line {line})" for name, line in _marked_mirrors() if name not in MIRRORS]
    assert missing == [], "add these to _TABLE in tests/test_drift.py, then make drift-record"


@pytest.mark.parametrize("mirror", sorted(MIRRORS))
def test_mirror_exists(mirror):
    resolve(mirror)


@pytest.mark.parametrize(("mirror", "upstream"), sorted(MIRRORS.items()))
def test_upstream_source_is_the_recorded_one(mirror, upstream, recorded):
    if RECORDING:
        try:
            current = source_hash(resolve(upstream))
        except LookupError:
            current = ABSENT
        recorded.setdefault(upstream, {})[release(upstream)] = current
    problem = drift(mirror, upstream, recorded)
    assert problem is None, problem


# The guard itself: an upstream edit, an unrecorded release, a removed function.

UPSTREAM = "rest_framework.views.APIView.initial"
MIRROR = "async_drf.views.AsyncAPIView.initial"


def _edited_initial(self, request, *args, **kwargs):  # pragma: no cover - never called
    self.perform_authentication(request)  # an upstream release that changed the order


def test_guard_fails_naming_the_mirror_when_upstream_changes(recorded, monkeypatch):
    from rest_framework.views import APIView

    assert drift(MIRROR, UPSTREAM, recorded) is None
    monkeypatch.setattr(APIView, "initial", _edited_initial)
    problem = drift(MIRROR, UPSTREAM, recorded)
    assert problem == (
        f"{UPSTREAM} changed in {release(UPSTREAM)}: review {MIRROR} against it, then run "
        "`make drift-record`."
    )


def test_guard_fails_on_an_unrecorded_release(recorded, monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0")
    problem = drift(MIRROR, UPSTREAM, recorded)
    assert problem is not None
    assert problem.startswith(f"djangorestframework 99.0 is not recorded for {UPSTREAM}")
    assert f"review {MIRROR} against it" in problem


def test_guard_fails_when_upstream_removes_the_function(recorded, monkeypatch):
    from rest_framework.views import APIView

    monkeypatch.delattr(APIView, "initial")
    problem = drift(MIRROR, UPSTREAM, recorded)
    assert problem == (
        f"{MIRROR} mirrors {UPSTREAM}, which is gone ({UPSTREAM} does not exist): "
        "review the mirror."
    )


def test_guard_accepts_a_backport_where_the_release_was_recorded_without_it(monkeypatch):
    from rest_framework.views import APIView

    monkeypatch.delattr(APIView, "initial")
    assert drift(MIRROR, UPSTREAM, {UPSTREAM: {release(UPSTREAM): ABSENT}}) is None
