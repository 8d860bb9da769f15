"""ASGI entry point: ``uvicorn demo.asgi:application --lifespan on``.

async_drf's application is Django's, plus the ASGI lifespan protocol: Tortoise is
initialised when the server starts and its connections are closed when it stops.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from async_drf.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()

if settings.DEBUG:
    # Serve the browsable API's CSS and JS as runserver would (in production, let the
    # web server do it).  `application.app` is the Django app inside the lifespan wrapper.
    application.app = ASGIStaticFilesHandler(application.app)
