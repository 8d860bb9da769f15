"""adrf (PyPI `adrf`) generic views and ModelSerializer on the Django async ORM."""

from ..base_settings import *  # noqa: F403
from ..base_settings import DJANGO_ORM_DATABASES, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "adrf", "bench.stacks.djmodels"]  # noqa: F405
ROOT_URLCONF = "bench.stacks.adrf_orm.urls"
DATABASES = DJANGO_ORM_DATABASES
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
}
