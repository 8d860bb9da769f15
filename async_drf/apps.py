"""AppConfig for async_drf: registers the system checks, lets Django's deploy checks
see async_drf.middleware's twins, lets management commands see Tortoise
(:mod:`async_drf.management`) and, when ``drf_spectacular`` is an installed app,
registers the drf-spectacular extensions (:mod:`async_drf.contrib.spectacular`); does
no I/O."""

from django.apps import AppConfig, apps


class AsyncDRFConfig(AppConfig):
    name = "async_drf"
    verbose_name = "async_drf"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
        from .compat import security_checks_see_twins
        from .management import install

        install()
        security_checks_see_twins()
        if apps.is_installed("drf_spectacular"):
            try:
                from .contrib import spectacular  # noqa: F401 - registers its extensions
            except ImportError:
                pass  # system check async_drf.W005 says why
