"""The demo project (demo/) as a user runs it: migrate, setup_demo, a real uvicorn;
then one request per feature, and a clean stop on SIGINT."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

DEMO = Path(__file__).resolve().parent.parent / "demo"
PASSWORD = "test-password"
UPSTREAM_LIMIT = 3  # DEMO_UPSTREAM_RATE for this test

pytestmark = pytest.mark.sqlite_only  # the demo's own SQLite files, not the test database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=DEMO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo on fresh SQLite files, served by uvicorn; yields (process, base URL, token)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEMO_DATABASE_URL", "DEMO_TORTOISE_URL", "DEMO_REDIS_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="demo.settings",  # the test run exports tests.settings
        DEMO_VAR_DIR=str(tmp_path_factory.mktemp("demo-var")),
        DEMO_PASSWORD=PASSWORD,
        DEMO_UPSTREAM_RATE=f"{UPSTREAM_LIMIT}/min",
    )
    manage(env, "migrate", "--noinput")
    output = manage(env, "setup_demo")
    assert manage(env, "setup_demo").count("already present") == 1  # idempotent
    token = re.search(r"Token for demo: (\w+)", output).group(1)

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "demo.asgi:application"]
        + ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"],
        cwd=DEMO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield process, f"http://127.0.0.1:{port}", token
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def client(demo: Any) -> Any:
    process, base, _token = demo
    assert process.poll() is None, process.stdout.read()
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.fixture
def auth(demo: Any) -> dict[str, str]:
    return {"Authorization": f"Token {demo[2]}"}


# -- reading: pagination, filters ----------------------------------------------------


def test_page_number_pagination(client: httpx.Client) -> None:
    data = client.get("/api/posts/", params={"page": 2}).json()
    assert data["count"] == 30
    assert len(data["results"]) == 10
    assert data["next"].endswith("/api/posts/?page=3")


def test_limit_offset_pagination(client: httpx.Client) -> None:
    data = client.get("/api/comments/", params={"limit": 3, "offset": 2}).json()
    assert len(data["results"]) == 3
    assert data["next"].endswith("/api/comments/?limit=3&offset=5")


def test_cursor_pagination(client: httpx.Client) -> None:
    first = client.get("/api/feed/").json()
    second = client.get(first["next"]).json()
    assert "count" not in first
    assert len(first["results"]) == len(second["results"]) == 5
    assert first["results"][-1]["created"] > second["results"][0]["created"]
    assert all(post["published"] for post in first["results"] + second["results"])


def test_search_ordering_and_field_filters(client: httpx.Client) -> None:
    params = {"search": "gather", "ordering": "-title", "published": "true", "author": 3}
    results = client.get("/api/posts/", params=params).json()["results"]
    assert results
    assert all("gather" in post["title"] and post["author"] == 3 for post in results)
    assert [post["title"] for post in results] == sorted((p["title"] for p in results), reverse=1)


def test_retrieve_and_missing_post(client: httpx.Client) -> None:
    post = client.get("/api/posts/1/").json()
    assert post["id"] == 1
    assert post["author_name"] == "Ada"  # a relation the serializer fetched
    missing = client.get("/api/posts/9999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No Post matches the given query."}


def test_viewset_action(client: httpx.Client) -> None:
    assert client.get("/api/").json().keys() == {"authors", "tags"}  # DefaultRouter's root
    data = client.get("/api/authors/2/posts/").json()
    assert data["count"] == 10
    assert {post["author"] for post in data["results"]} == {2}


# -- writing: authentication, permissions, validation --------------------------------


def test_create_with_token(client: httpx.Client, auth: dict[str, str]) -> None:
    new = {"title": "From the test", "body": "Hello", "author": 1, "tags": [1, 2]}
    response = client.post("/api/posts/", json=new, headers=auth)
    assert response.status_code == 201, response.text
    assert response.json()["owner_id"] == 1  # the demo user, from the token
    assert sorted(response.json()["tags"]) == [1, 2]


def test_create_without_credentials_is_401(client: httpx.Client) -> None:
    response = client.post("/api/posts/", json={"title": "x", "body": "y", "author": 1})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_invalid_data_is_400(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post("/api/posts/", json={"title": "", "author": 999}, headers=auth)
    assert response.status_code == 400
    assert set(response.json()) == {"title", "body", "author"}


def test_only_the_owner_may_edit(client: httpx.Client, auth: dict[str, str]) -> None:
    # Posts alternate between the demo user (odd ids) and alice (even ids).
    assert client.patch("/api/posts/1/", json={"title": "Mine"}, headers=auth).status_code == 200
    response = client.patch("/api/posts/2/", json={"title": "Yours"}, headers=auth)
    assert response.status_code == 403
    assert response.json() == {"detail": "Only the owner of this object may change it."}


def test_token_endpoint(client: httpx.Client, demo: Any) -> None:
    response = client.post("/api/token/", data={"username": "demo", "password": PASSWORD})
    assert response.json() == {"token": demo[2]}


def test_session_login(demo: Any) -> None:
    with httpx.Client(base_url=demo[1], timeout=10) as browser:
        browser.get("/api-auth/login/")
        login = {"username": "demo", "password": PASSWORD}
        login["csrfmiddlewaretoken"] = browser.cookies["csrftoken"]
        assert browser.post("/api-auth/login/", data=login).status_code == 302
        assert browser.get("/api/status/").json()["user"] == "demo"
        # An authenticated session must send the CSRF token on unsafe methods.
        assert browser.post("/api/status/", json={}).status_code == 403
        headers = {"X-CSRFToken": browser.cookies["csrftoken"]}
        assert browser.post("/api/status/", json={}, headers=headers).json()["user"] == "demo"


# -- async and sync handlers, throttling ---------------------------------------------


def test_gather_runs_upstream_calls_concurrently(client: httpx.Client) -> None:
    data = client.get("/api/upstream/").json()
    assert data["weather"] and data["quote"]
    assert data["sequential"] == 0.1
    assert data["elapsed"] < 0.09  # two 0.05 s calls at once, measured by the server


def test_sync_and_async_handlers_in_one_view(client: httpx.Client) -> None:
    sync = client.get("/api/status/").json()
    assert (sync["handler"], sync["on_event_loop"], sync["users"]) == ("sync", False, 2)
    result = client.post("/api/status/", json={"ping": 1}).json()
    assert (result["handler"], result["on_event_loop"], result["echo"]) == (
        "async",
        True,
        {"ping": 1},
    )


def test_openapi_schema_is_valid_and_docs_are_served_locally(client: httpx.Client) -> None:
    from openapi_spec_validator import validate

    schema = client.get("/api/schema/", params={"format": "openapi-json"})
    assert schema.status_code == 200
    document = schema.json()
    validate(document)
    assert "/api/posts/" in document["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "https://" not in docs.text and "http://" not in docs.text
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', docs.text)
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_throttling(client: httpx.Client) -> None:
    statuses = []
    for _ in range(UPSTREAM_LIMIT + 1):
        response = client.get("/api/upstream/")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429
    assert set(statuses[:-1]) <= {200}
    assert int(response.headers["Retry-After"]) > 0


# -- stopping --------------------------------------------------------------------------


def test_sigint_stops_the_server_cleanly(demo: Any) -> None:
    process = demo[0]
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "Tortoise ORM connections closed" in output
    assert "Application shutdown complete" in output
