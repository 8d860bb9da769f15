"""The same async views under Django's WSGI handler (runserver, gunicorn sync workers).

There every request runs on a brand-new event loop: Tortoise is initialised lazily
on the first request, and each request closes the connections it opened.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, override_settings

from async_drf.orm import close_orm

# Tortoise's model classes are process-global: binding them to a SQLite file here
# would break the PostgreSQL pass that shares the process.
pytestmark = pytest.mark.sqlite_only


def _count_workers() -> int:
    """aiosqlite connection threads still alive (each ends shortly after its close)."""
    for _ in range(100):
        alive = sum(1 for t in threading.enumerate() if "_connection_worker_thread" in t.name)
        if alive == 0:
            break
        time.sleep(0.01)
    return alive


@pytest.fixture
def wsgi_settings(tmp_path):
    config = {
        "connections": {"default": f"sqlite://{tmp_path / 'wsgi.db'}"},
        "apps": {"models": {"models": ["tests.models"], "default_connection": "default"}},
    }
    with override_settings(TORTOISE_ORM=config, ASYNC_DRF={"GENERATE_SCHEMAS": True}):
        yield
        async_to_sync(close_orm)()


def test_async_views_answer_under_the_wsgi_handler(wsgi_settings):
    client = Client()
    created = client.post("/authors/", {"name": "ann"}, content_type="application/json")
    assert created.status_code == 201, created.content
    author_id = created.json()["id"]
    detail = client.get(f"/authors/{author_id}/")
    assert detail.status_code == 200
    assert detail.json() == {"id": author_id, "name": "ann"}
    assert client.get("/authors/999/").status_code == 404
    # Every request closed the connection it opened on its own loop: no leaked threads.
    assert _count_workers() == 0


def test_concurrent_wsgi_threads_each_get_their_own_loop(wsgi_settings):
    def create(i):
        return Client().post("/authors/", {"name": f"w{i}"}, content_type="application/json")

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(create, range(12)))
    assert [r.status_code for r in responses] == [201] * 12
    assert Client().get("/function/").json() == {"method": "GET", "count": 12}
    assert _count_workers() == 0


def test_after_close_the_next_request_starts_tortoise_again(wsgi_settings):
    assert (
        Client().post("/authors/", {"name": "x"}, content_type="application/json").status_code
        == 201
    )
    async_to_sync(close_orm)()
    assert Client().get("/function/").json() == {"method": "GET", "count": 1}
