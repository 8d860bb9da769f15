"""Settings for the tests that serve the project with ``manage.py runserver`` under
daphne (daphne's app first in INSTALLED_APPS replaces Django's ``runserver``)."""

from .server_settings import *  # noqa: F403
from .server_settings import INSTALLED_APPS

INSTALLED_APPS = ["daphne", *INSTALLED_APPS]
ASGI_APPLICATION = "tests.asgi_app.application"
