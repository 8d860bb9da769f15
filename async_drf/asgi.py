"""get_asgi_application(): Django's ASGI app that also speaks the ASGI lifespan protocol.

Django's ASGIHandler refuses lifespan scopes; this wrapper answers them: Tortoise is
initialised on ``lifespan.startup`` and its connections are closed on
``lifespan.shutdown``.  Every other scope goes to Django unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.core.asgi import get_asgi_application as get_django_asgi_application

from .orm import close_orm, init_orm

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

logger = logging.getLogger("async_drf")

__all__ = ["TortoiseLifespan", "get_asgi_application"]


class TortoiseLifespan:
    """ASGI middleware: answers ``lifespan`` by starting and stopping Tortoise."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        config: dict[str, Any] | None = None,
        generate_schemas: bool | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.generate_schemas = generate_schemas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await init_orm(self.config, generate_schemas=self.generate_schemas)
                except Exception as exc:
                    logger.exception("Tortoise ORM failed to start")
                    await _close_quietly()  # else aiosqlite's thread keeps the process alive
                    await send(
                        {
                            "type": "lifespan.startup.failed",
                            "message": f"async_drf: Tortoise ORM failed to start: "
                            f"{type(exc).__name__}: {exc}",
                        }
                    )
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await close_orm()
                except Exception as exc:
                    logger.exception("Tortoise ORM failed to close its connections")
                    await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _close_quietly() -> None:
    try:
        await close_orm()
    except Exception:  # pragma: no cover - already failing; report the first error
        logger.exception("Tortoise ORM failed to close after a failed start-up")


def get_asgi_application(
    *, config: dict[str, Any] | None = None, generate_schemas: bool | None = None
) -> TortoiseLifespan:
    """Django's ASGI application wrapped to start and stop Tortoise with the server.

    Call it where you would call ``django.core.asgi.get_asgi_application()``; run the
    server with ``--lifespan on`` so that a failed start-up stops it.
    """
    return TortoiseLifespan(
        get_django_asgi_application(), config=config, generate_schemas=generate_schemas
    )
