"""async_drf: generic views + ModelSerializer + AsyncPageNumberPagination over Tortoise."""

from ..base_settings import *  # noqa: F403
from ..base_settings import REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "async_drf"]  # noqa: F405
ROOT_URLCONF = "bench.stacks.asyncdrf.urls"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_PAGINATION_CLASS": "async_drf.pagination.AsyncPageNumberPagination",
}
