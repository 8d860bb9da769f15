"""What DRF's own machinery costs per request: no database, no server, no middleware.

    bench/.venv/bin/python bench/drf_minimum.py [-n 2000] [--rounds 5]

Each view answers a GET in-process (a request from Django's AsyncRequestFactory, the view
called directly, its response rendered and closed), over rows already in memory with
the benchmark's six fields:

* ``plain``: a Django function view that builds the dict and encodes it with orjson,
  as the floor's views do;
* ``APIView``: DRF's ``APIView`` returning ``Response({"id": 1})``: DRF's Request,
  content negotiation, ``initial`` (no authentication, permission or throttle),
  ``finalize_response`` and ``JSONRenderer``;
* ``APIView + Serializer``: the same returning ``Serializer(row).data`` (one row) or
  ``Serializer(rows, many=True).data`` (a page of 20 rows);
* the same two views as async_drf's ``AsyncAPIView``, awaited on one event loop.

The columns are microseconds per request (the minimum over the rounds) and what each
view adds to ``plain``.  Whatever a view does with a database comes on top of these:
they are the least DRF (and async_drf) can cost per request.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIELDS = ("id", "title", "body", "published", "created_at", "author_id")


def configure() -> None:
    import django
    from django.conf import settings

    from bench.stacks import base_settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="drf-minimum",
        ALLOWED_HOSTS=["*"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
        REST_FRAMEWORK=base_settings.REST_FRAMEWORK,  # the bench's DRF stacks' settings
    )
    django.setup()


urlpatterns: list[object] = []


class Row:
    """A row as an ORM returns it: plain attributes."""

    def __init__(self, pk: int) -> None:
        self.id = pk
        self.title = f"Post number {pk}"
        self.body = "Lorem ipsum dolor sit amet. " * 8
        self.published = pk % 2 == 0
        self.created_at = datetime.datetime(2024, 1, 1, 12, pk % 60, tzinfo=datetime.UTC)
        self.author_id = pk % 10 + 1


def views(rows: list[Row]) -> dict[str, tuple[Callable[..., object], bool]]:
    """{name: (view, is_async)} for one row (``len(rows) == 1``) or a page of rows."""
    import orjson
    from django.http import HttpResponse
    from rest_framework import serializers
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from async_drf.views import AsyncAPIView

    many = len(rows) > 1
    payload = rows if many else rows[0]

    class PostSerializer(serializers.Serializer):
        id = serializers.IntegerField(read_only=True)
        title = serializers.CharField(max_length=200)
        body = serializers.CharField()
        published = serializers.BooleanField()
        created_at = serializers.DateTimeField()
        author_id = serializers.IntegerField()

    def plain(request: object) -> HttpResponse:
        dicts = [{name: getattr(row, name) for name in FIELDS} for row in rows]
        body = orjson.dumps(dicts if many else dicts[0], option=orjson.OPT_UTC_Z)  # as DRF
        return HttpResponse(body, content_type="application/json")

    class Minimal(APIView):
        def get(self, request: object) -> Response:
            return Response({"id": 1})

    class Serialized(APIView):
        def get(self, request: object) -> Response:
            return Response(PostSerializer(payload, many=many).data)

    class AsyncMinimal(AsyncAPIView):
        async def get(self, request: object) -> Response:
            return Response({"id": 1})

    class AsyncSerialized(AsyncAPIView):
        async def get(self, request: object) -> Response:
            return Response(PostSerializer(payload, many=many).data)

    return {
        "plain": (plain, False),
        "APIView": (Minimal.as_view(), False),
        "APIView + Serializer": (Serialized.as_view(), False),
        "AsyncAPIView": (AsyncMinimal.as_view(), True),
        "AsyncAPIView + Serializer": (AsyncSerialized.as_view(), True),
    }


def _finish(response: object) -> None:
    render = getattr(response, "render", None)
    if render is not None:
        rendered = render()
        if asyncio.iscoroutine(rendered):  # not for JSON: async_drf renders it inline
            raise RuntimeError("render() hopped")
    response.close()  # type: ignore[attr-defined]


def answer(view: Callable[..., object], is_async: bool) -> object:
    """The parsed JSON body ``view`` answers a GET with (a 200, or RuntimeError)."""
    from django.test import AsyncRequestFactory

    request = AsyncRequestFactory().get("/posts/")
    response = asyncio.run(view(request)) if is_async else view(request)  # type: ignore[arg-type]
    _finish(response)
    if response.status_code != 200:  # type: ignore[attr-defined]
        raise RuntimeError(f"{view}: status {response.status_code}")  # type: ignore[attr-defined]
    return json.loads(response.content)  # type: ignore[attr-defined]


def time_view(view: Callable[..., object], is_async: bool, n: int, rounds: int) -> float:
    """Microseconds per request, the minimum over ``rounds`` rounds of ``n``."""
    from django.test import AsyncRequestFactory

    request = AsyncRequestFactory().get("/posts/")  # an ASGIRequest, as under uvicorn

    async def aloop() -> float:
        started = time.perf_counter()
        for _ in range(n):
            _finish(await view(request))  # type: ignore[misc]
        return time.perf_counter() - started

    def loop() -> float:
        started = time.perf_counter()
        for _ in range(n):
            _finish(view(request))
        return time.perf_counter() - started

    loop_ = asyncio.new_event_loop()
    try:
        times = [loop_.run_until_complete(aloop()) if is_async else loop() for _ in range(rounds)]
    finally:
        loop_.close()
    return min(times) / n * 1e6


def table(n: int, rounds: int) -> str:
    lines = [
        "| view | one row (µs) | adds to plain | 20 rows (µs) | adds to plain |",
        "|---|---:|---:|---:|---:|",
    ]
    results = {}
    for size in (1, 20):
        page = views([Row(pk) for pk in range(1, size + 1)])
        expected = answer(*page["plain"])
        for name, (view, is_async) in page.items():
            body = answer(view, is_async)
            if "Serializer" in name and body != expected:
                raise RuntimeError(f"{name} answers {body!r}, not {expected!r}")
            results[name, size] = time_view(view, is_async, n, rounds)
    for name in views([Row(1)]):
        cells = []
        for size in (1, 20):
            took, plain = results[name, size], results["plain", size]
            cells += [f"{took:,.1f}", "–" if name == "plain" else f"{took - plain:+,.1f}"]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    configure()
    print(table(args.n, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
