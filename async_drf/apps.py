"""AppConfig for async_drf: registers the system checks and lets management commands
see Tortoise (:mod:`async_drf.management`); does no I/O."""

from django.apps import AppConfig


class AsyncDRFConfig(AppConfig):
    name = "async_drf"
    verbose_name = "async_drf"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the checks
        from .management import install

        install()
