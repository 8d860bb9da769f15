"""An in-process ASGI client for tests that need every message a server would see."""

from __future__ import annotations

import asyncio


def http_scope(method, url, query=b"", headers=()):
    """The HTTP scope uvicorn would build for ``method url?query``."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


class Exchange:
    """One request through an ASGI app, as a server makes it: what was sent, in order."""

    def __init__(self, app, url, query=b"", headers=(), method="GET", body=b""):
        self.app = app
        self.scope = http_scope(method, url, query, headers)
        self.request_body = body
        self.requested = False
        self.status = None
        self.headers = {}
        self.chunks: list[bytes] = []
        self.complete = False
        self.disconnect = asyncio.Event()
        self.on_chunk = None  # awaited with each body chunk
        self.on_complete = None  # called once the last byte is sent

    async def receive(self):
        if not self.requested:
            self.requested = True
            return {"type": "http.request", "body": self.request_body, "more_body": False}
        await self.disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            return
        body = message.get("body", b"")
        if body:
            self.chunks.append(body)
            if self.on_chunk is not None:
                await self.on_chunk(body)
        if not message.get("more_body"):
            self.complete = True
            if self.on_complete is not None:
                self.on_complete()
            self.disconnect.set()  # as uvicorn: the listener learns the response ended

    async def run(self):
        await self.app(self.scope, self.receive, self.send)
        return self

    @property
    def body(self):
        return b"".join(self.chunks)
