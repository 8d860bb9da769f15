"""django-ninja, async operations on the Django async ORM."""

from ..base_settings import *  # noqa: F403
from ..base_settings import DJANGO_ORM_DATABASES

INSTALLED_APPS = [*INSTALLED_APPS, "ninja", "bench.stacks.djmodels"]  # noqa: F405
ROOT_URLCONF = "bench.stacks.ninja_async.urls"
DATABASES = DJANGO_ORM_DATABASES
