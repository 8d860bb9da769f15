"""DRF, sync, on the Django ORM: served by gunicorn (wsgi.py) and by uvicorn (asgi.py)."""

from ..base_settings import *  # noqa: F403
from ..base_settings import DJANGO_ORM_DATABASES, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework", "bench.stacks.djmodels"]  # noqa: F405
ROOT_URLCONF = "bench.stacks.drf.urls"
DATABASES = DJANGO_ORM_DATABASES
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
}
