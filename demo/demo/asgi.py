"""ASGI entry point: ``uvicorn demo.asgi:application --lifespan on``.

async_drf's application is Django's, plus the ASGI lifespan protocol: Tortoise is
initialised when the server starts and its connections are closed when it stops;
requests under STATIC_URL are answered by servestatic before Django sees them.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

from async_drf.asgi import get_asgi_application  # noqa: E402

# With ASYNC_DRF["SERVE_STATIC"] (see settings.py) it also serves the static files.
application = get_asgi_application()
