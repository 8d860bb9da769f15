"""ASGI entry point used by the uvicorn tests: `uvicorn tests.asgi_app:application`."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.server_settings")

from async_drf.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
