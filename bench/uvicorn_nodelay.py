"""uvicorn's command line, with TCP_NODELAY on the socket it binds for ``--workers N``.

With several workers uvicorn binds the listening socket itself (``Config.bind_socket``)
and leaves its protocol at 0, so neither asyncio nor uvloop set TCP_NODELAY on the
connections it accepts (they check for ``IPPROTO_TCP``; uvicorn issue 3149, open in
0.54).  Nagle's algorithm then holds each response's body until the client acknowledges
its headers, and the client delays that ACK: every keep-alive request after the first
few takes about 40 ms more, whatever the app (a 15-line ASGI app: 0.4 ms with one
worker, 44 ms with two).  Linux copies TCP_NODELAY from a listening socket to the
sockets it accepts, as gunicorn relies on, so setting it here is enough.  The bench
serves its multi-worker uvicorn stacks through this, so that they measure the stacks,
not that wait.

    python bench/uvicorn_nodelay.py APP --workers 2 [uvicorn's options]
"""

from __future__ import annotations

import socket
import sys

import uvicorn.config
import uvicorn.main

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self: uvicorn.config.Config) -> socket.socket:
    """``Config.bind_socket``, plus TCP_NODELAY on a TCP socket."""
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def main() -> None:
    # Only this process binds; the spawned workers get the socket it made.
    uvicorn.config.Config.bind_socket = bind_socket  # type: ignore[method-assign]
    uvicorn.main.main()


if __name__ == "__main__":  # the workers are spawned: they import this module again
    sys.exit(main())
