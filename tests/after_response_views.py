"""Views with after-response tasks, served under a real uvicorn by test_tasks.py
(included by tests/urls.py under ``tasks/``)."""

import asyncio
import time

from django.urls import path
from rest_framework.response import Response

from async_drf.views import AsyncAPIView

# name -> times (time.time()) at which its task finished, in this server process.
finished: dict[str, list[float]] = {}
# The names whose task has started.
started: list[str] = []


async def sleep_then_record(name: str, seconds: float) -> None:
    started.append(name)
    await asyncio.sleep(seconds)
    finished.setdefault(name, []).append(time.time())
    print(f"task finished: {name}", flush=True)


def explode(request, response) -> None:
    raise ZeroDivisionError("the task failed on purpose")


class Sleep(AsyncAPIView):
    """``?name=a&seconds=0.2``: the task sleeps, then records that it finished."""

    async def get(self, request):
        name = request.query_params["name"]
        request.after_response(sleep_then_record, name, float(request.query_params["seconds"]))
        return Response({"name": name})


class Fail(AsyncAPIView):
    after_response = [explode]

    async def get(self, request):
        return Response({"ok": True})


class Finished(AsyncAPIView):
    async def get(self, request):
        return Response(finished)


class Started(AsyncAPIView):
    async def get(self, request):
        return Response(started)


urlpatterns = [
    path("sleep/", Sleep.as_view()),
    path("fail/", Fail.as_view()),
    path("finished/", Finished.as_view()),
    path("started/", Started.as_view()),
]
