"""Django's ASGI handler plus the smallest lifespan wrapper that starts Tortoise.

No async_drf code runs here: the floor is Django's handler + Tortoise alone.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.stacks.bare.settings")

from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from tortoise import Tortoise  # noqa: E402

django_app = get_asgi_application()


async def application(scope, receive, send):
    if scope["type"] != "lifespan":
        return await django_app(scope, receive, send)
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # Global fallback: request tasks do not inherit the lifespan task's context.
            await Tortoise.init(config=settings.TORTOISE_ORM, _enable_global_fallback=True)
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await Tortoise.close_connections()
            await send({"type": "lifespan.shutdown.complete"})
            return
