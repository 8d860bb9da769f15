"""System checks: a Tortoise configuration is present and well formed, routed views do
not pair a Tortoise queryset with DRF paginators or filters that need Django's ORM, and
their search prefixes suit their database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .settings import async_settings

if TYPE_CHECKING:
    from django.apps import AppConfig
    from django.urls import URLPattern
    from tortoise.models import Model


@register(Tags.compatibility)
def check_tortoise_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[Error]:
    name = async_settings.TORTOISE_SETTING
    config = getattr(settings, name, None)
    if config is None:
        return [
            Error(
                f"settings.{name} is not set.",
                hint="Set it to Tortoise ORM's config dict (connections and apps).",
                id="async_drf.E001",
            )
        ]
    if not isinstance(config, dict) or "apps" not in config or "connections" not in config:
        return [
            Error(
                f"settings.{name} must be a dict with 'connections' and 'apps' keys.",
                hint="See Tortoise ORM's Tortoise.init(config=...) documentation.",
                id="async_drf.E002",
            )
        ]
    return []


@register(Tags.compatibility, Tags.urls)
def check_view_backends(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """Flag routed views that pair a Tortoise queryset with DRF's Django-ORM backends.

    E003: a DRF paginator (not an async one) or DRF's SearchFilter fails on the first
    request.  W001: DRF's OrderingFilter costs a thread hop and fails with
    ``ordering_fields = "__all__"``.
    """
    messages: list[CheckMessage] = []
    for view_class in _routed_view_classes():
        try:
            if _has_tortoise_queryset(view_class):
                messages += _paginator_messages(view_class) + _filter_messages(view_class)
        except Exception:  # a check must never crash on a view it does not understand
            continue
    return messages


def _routed_view_classes() -> list[type]:
    from django.urls import get_resolver

    try:
        patterns = get_resolver().url_patterns
    except Exception:  # a broken URLconf is reported by Django's own URL checks
        return []
    classes: dict[type, None] = {}  # ordered and de-duplicated
    for callback in _callbacks(patterns):
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if isinstance(view_class, type):
            classes.setdefault(view_class, None)
    return list(classes)


def _callbacks(patterns: Iterable[object]) -> Iterator[Callable[..., object]]:
    for pattern in patterns:
        nested = getattr(pattern, "url_patterns", None)
        if nested is not None:
            yield from _callbacks(nested)
        elif getattr(pattern, "callback", None) is not None:
            yield cast("URLPattern", pattern).callback


def _has_tortoise_queryset(view_class: type) -> bool:
    from .orm import is_model_class, is_queryset
    from .viewsets import declared_queryset

    # Not getattr: an async viewset's class attribute is the overlay routers read.
    queryset = declared_queryset(view_class)
    return is_model_class(queryset) or is_queryset(queryset)


def _view_model(view_class: type) -> type[Model] | None:
    from .orm import get_model, view_model

    if _has_tortoise_queryset(view_class):
        from .viewsets import declared_queryset

        return get_model(declared_queryset(view_class))
    return view_model(view_class)


def _view_name(view_class: type) -> str:
    return f"{view_class.__module__}.{view_class.__qualname__}"


def _paginator_messages(view_class: type) -> list[CheckMessage]:
    from rest_framework import pagination

    from .concurrency import is_async_callable

    paginator = getattr(view_class, "pagination_class", None)
    if not isinstance(paginator, type) or is_async_callable(
        getattr(paginator, "paginate_queryset", None)
    ):
        return []
    for base in (
        pagination.PageNumberPagination,
        pagination.LimitOffsetPagination,
        pagination.CursorPagination,
    ):
        if issubclass(paginator, base):
            return [
                Error(
                    f"{_view_name(view_class)} pairs a Tortoise queryset with "
                    f"{paginator.__name__}, which paginates through Django's ORM.",
                    hint=f"Use async_drf.pagination.Async{base.__name__}.",
                    obj=view_class,
                    id="async_drf.E003",
                )
            ]
    return []


def _filter_messages(view_class: type) -> list[CheckMessage]:
    from rest_framework import filters

    from . import filters as async_filters

    messages: list[CheckMessage] = []
    for backend in getattr(view_class, "filter_backends", None) or ():
        if not isinstance(backend, type):
            continue
        if issubclass(backend, filters.SearchFilter) and not issubclass(
            backend, async_filters.SearchFilter
        ):
            message: CheckMessage = Error(
                f"{_view_name(view_class)} pairs a Tortoise queryset with "
                f"{backend.__name__}, which builds Django Q objects.",
                hint="Use async_drf.filters.SearchFilter.",
                obj=view_class,
                id="async_drf.E003",
            )
        elif issubclass(backend, filters.OrderingFilter) and not issubclass(
            backend, async_filters.OrderingFilter
        ):
            message = Warning(
                f"{_view_name(view_class)} pairs a Tortoise queryset with "
                f"{backend.__name__}, which reads Django's Model._meta for '__all__' "
                "and costs a thread hop.",
                hint="Use async_drf.filters.OrderingFilter.",
                obj=view_class,
                id="async_drf.W001",
            )
        else:
            continue
        messages.append(message)
    return messages


@register(Tags.compatibility, Tags.urls)
def check_search_prefixes(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """W003/W004: SearchFilter prefixes that a view's SQLite database cannot serve.

    W003: ``@`` (full-text search) has no SQLite implementation; the search finds
    the term anywhere instead (a case-insensitive contains).  W004: ``$`` (regex) on
    SQLite needs Tortoise's REGEXP functions, else every such search fails.  The
    database is read from ``TORTOISE_ORM``: the connection of the model's app.
    """
    messages: list[CheckMessage] = []
    for view_class in _routed_view_classes():
        try:
            messages += _search_messages(view_class)
        except Exception:  # a check must never crash on a view it does not understand
            continue
    return messages


def _search_messages(view_class: type) -> list[CheckMessage]:
    from . import filters as async_filters

    backends = getattr(view_class, "filter_backends", None) or ()
    if not any(isinstance(b, type) and issubclass(b, async_filters.SearchFilter) for b in backends):
        return []
    fields = getattr(view_class, "search_fields", None)
    if not isinstance(fields, (list, tuple)):
        return []
    model = _view_model(view_class)
    sqlite = _sqlite_connection(model) if model is not None else None
    if model is None or sqlite is None:
        return []
    name, regexp = sqlite
    where = f"{model.__name__} is stored in SQLite (TORTOISE_ORM connection '{name}')"
    messages: list[CheckMessage] = []
    for field in fields:
        if str(field).startswith("@"):
            messages.append(
                Warning(
                    f"{_view_name(view_class)}.search_fields: '{field}' asks for full-text "
                    f"search, which SQLite lacks; {where}, so it matches the term anywhere.",
                    hint="Use PostgreSQL or MySQL for '@', or drop the prefix.",
                    obj=view_class,
                    id="async_drf.W003",
                )
            )
        elif str(field).startswith("$") and not regexp:
            messages.append(
                Warning(
                    f"{_view_name(view_class)}.search_fields: '{field}' is a regex search; "
                    f"{where} without Tortoise's REGEXP functions, so such searches fail.",
                    hint="Add '?install_regexp_functions=True' to the connection's URL.",
                    obj=view_class,
                    id="async_drf.W004",
                )
            )
    return messages


def _sqlite_connection(model: type[Model]) -> tuple[str, bool] | None:
    """``(name, REGEXP installed)`` of the SQLite connection holding ``model``, else None."""
    from tortoise.backends.base.config_generator import expand_db_url

    config = getattr(settings, async_settings.TORTOISE_SETTING, None) or {}
    apps = [app for app in config.get("apps", {}).values() if model.__module__ in app["models"]]
    if not apps:
        return None
    name = apps[0].get("default_connection", "default")
    connection = config.get("connections", {}).get(name)
    if isinstance(connection, str):
        connection = expand_db_url(connection)
    if not isinstance(connection, dict) or not connection.get("engine", "").endswith("sqlite"):
        return None
    return name, bool(connection.get("credentials", {}).get("install_regexp_functions"))


@register(Tags.compatibility, Tags.urls)
def check_sync_views_with_async_policies(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """E004: a sync DRF view given async authenticators, permissions or throttles.

    DRF's own ``APIView`` calls them synchronously: an async ``authenticate`` crashes
    the request (500), and an async permission or throttle returns a coroutine, which
    is truthy, so the check is silently skipped.  This happens to DRF views such as
    DefaultRouter's API root or authtoken's ``obtain_auth_token`` once async classes
    are the ``REST_FRAMEWORK`` defaults.
    """
    from rest_framework.views import APIView

    from .views import AsyncAPIView

    messages: list[CheckMessage] = []
    for view_class in _routed_view_classes():
        if not issubclass(view_class, APIView) or issubclass(view_class, AsyncAPIView):
            continue
        async_policies = [cls.__name__ for cls in _async_policy_classes(view_class)]
        if async_policies:
            messages.append(
                Error(
                    f"{_view_name(view_class)} is a sync DRF view but uses async "
                    f"{', '.join(async_policies)}, which it cannot await.",
                    hint="Base the view on async_drf.views.AsyncAPIView (for DefaultRouter "
                    "use async_drf.routers.AsyncDefaultRouter), or give it sync policies.",
                    obj=view_class,
                    id="async_drf.E004",
                )
            )
    return messages


def _async_policy_classes(view_class: type) -> list[type]:
    from .concurrency import is_async_callable

    hooks = {
        "authentication_classes": ("authenticate",),
        "permission_classes": ("has_permission", "has_object_permission"),
        "throttle_classes": ("allow_request",),
    }
    found = []
    for attribute, methods in hooks.items():
        for policy in getattr(view_class, attribute, None) or ():
            if isinstance(policy, type) and any(
                is_async_callable(getattr(policy, m, None)) for m in methods
            ):
                found.append(policy)
    return found


@register(Tags.compatibility, Tags.urls)
def check_throttle_caches(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """W002: an async throttle given a Django ``cache``, which it does not use.

    Async throttles keep their windows in a throttle store (``THROTTLE_REDIS_URL``),
    so DRF's ``cache = caches[...]`` attribute would silently change nothing.
    """
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    from .throttling import AsyncSimpleRateThrottle

    try:
        throttles = dict.fromkeys(api_settings.DEFAULT_THROTTLE_CLASSES)
    except ImportError:  # DRF reports a wrong dotted path on first use
        throttles = {}
    for view_class in _routed_view_classes():
        throttles.update(dict.fromkeys(getattr(view_class, "throttle_classes", None) or ()))
    return [
        Warning(
            f"{throttle.__module__}.{throttle.__qualname__} sets `cache`, which async "
            "throttles do not use: their windows live in the throttle store.",
            hint="Remove `cache`; set ASYNC_DRF['THROTTLE_REDIS_URL'] (or the throttle's "
            "`store`) to share the limit between processes.",
            obj=throttle,
            id="async_drf.W002",
        )
        for throttle in cast("dict[object, None]", throttles)  # classes (stubs: dotted paths)
        if isinstance(throttle, type)
        and issubclass(throttle, AsyncSimpleRateThrottle)
        and throttle.cache is not SimpleRateThrottle.cache
    ]


SPECTACULAR_AUTOSCHEMA = "drf_spectacular.openapi.AutoSchema"


@register(Tags.compatibility)
def check_spectacular(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """W005-W008: drf-spectacular set up so that it cannot document async_drf views.

    W005: ``DEFAULT_SCHEMA_CLASS`` is drf-spectacular's AutoSchema but async_drf's
    extensions (``async_drf.contrib.spectacular``) do not import (drf-spectacular too
    old, say).  W006: ... but ``drf_spectacular`` is not an installed app (no ``manage.py
    spectacular``, no Swagger UI or Redoc templates).  W007: ``drf_spectacular`` is
    installed but ``DEFAULT_SCHEMA_CLASS`` is not its AutoSchema, which ``@extend_schema``
    and DRF's own views need.  W008: ``DEFAULT_SCHEMA_CLASS`` is a subclass of
    drf-spectacular's AutoSchema, which async_drf views use as it is: it reads Django's
    ``Model._meta`` and fails on Tortoise models.
    """
    from django.apps import apps
    from rest_framework.settings import api_settings

    try:
        schema_class = cast(type, api_settings.DEFAULT_SCHEMA_CLASS)  # an imported class
    except ImportError:
        return []  # DRF's own error, on first use
    installed = apps.is_installed("drf_spectacular")
    if not _is_spectacular_schema(schema_class):
        return [_w007(schema_class)] if installed else []
    messages: list[CheckMessage] = []
    try:
        from .contrib.spectacular import AutoSchema
    except ImportError as exc:
        messages.append(
            Warning(
                f"DEFAULT_SCHEMA_CLASS is drf-spectacular's, but async_drf's extensions "
                f"cannot be imported ({exc}): views over Tortoise models cannot be documented.",
                hint='pip install "async_drf[spectacular]" (a drf-spectacular they support).',
                id="async_drf.W005",
            )
        )
    else:
        if _dotted(schema_class) != SPECTACULAR_AUTOSCHEMA and not issubclass(
            schema_class, AutoSchema
        ):
            messages.append(
                Warning(
                    f"DEFAULT_SCHEMA_CLASS {_dotted(schema_class)} subclasses drf-spectacular's "
                    "AutoSchema, which reads Django's Model._meta: async_drf views over "
                    "Tortoise models cannot be documented with it.",
                    hint="Base it on async_drf.contrib.spectacular.AutoSchema instead.",
                    id="async_drf.W008",
                )
            )
    if not installed:
        messages.append(
            Warning(
                'DEFAULT_SCHEMA_CLASS is drf-spectacular\'s, but "drf_spectacular" is not in '
                "INSTALLED_APPS: no `manage.py spectacular`, no Swagger UI or Redoc templates.",
                hint='Add "drf_spectacular" to INSTALLED_APPS.',
                id="async_drf.W006",
            )
        )
    return messages


def _dotted(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_spectacular_schema(schema_class: object) -> bool:
    return isinstance(schema_class, type) and any(
        _dotted(cls) == SPECTACULAR_AUTOSCHEMA for cls in schema_class.__mro__
    )


def _w007(schema_class: type) -> CheckMessage:
    return Warning(
        f'"drf_spectacular" is installed but DEFAULT_SCHEMA_CLASS is {_dotted(schema_class)}: '
        "drf-spectacular's @extend_schema and `manage.py spectacular` need its AutoSchema.",
        hint=f'Set REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "{SPECTACULAR_AUTOSCHEMA}"; '
        "async_drf views then use async_drf.contrib.spectacular.AutoSchema, which DRF's "
        "generator (generateschema, async_drf.schemas.get_schema_view) also reads.",
        id="async_drf.W007",
    )


@register(Tags.compatibility, Tags.urls)
def check_mixin_middleware(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """W009: async_drf views served through Django's ``MiddlewareMixin`` middleware.

    Under ASGI Django runs each ``process_*`` method of those in a thread
    (``sync_to_async``): hops and a thread on every request, even for a view that makes
    none.  ``async_drf.middleware`` has twins of Django's default middleware.
    """
    from ._twins import TWINS  # not .middleware: it needs django.contrib.auth installed
    from .views import AsyncAPIView

    middleware = getattr(settings, "MIDDLEWARE", None) or []
    django_ones = [path for path in middleware if path in TWINS]
    if not django_ones or not any(
        issubclass(view_class, AsyncAPIView) for view_class in _routed_view_classes()
    ):
        return []
    return [
        Warning(
            f"settings.MIDDLEWARE has {path}, which Django runs in a thread hop per "
            "process_* call under ASGI, around async_drf's views.",
            hint=f"Use 'async_drf.middleware.{TWINS[path]}': the same middleware, run on "
            "the event loop.",
            id="async_drf.W009",
        )
        for path in django_ones
    ]
