import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stacks.streaming.settings")

from async_drf.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
