"""The demo project (demo/) as a user runs it: migrate, tortoise_migrate, setup_demo, a
real uvicorn; then one request per feature, and a clean stop on SIGINT."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from .demo_server import DEMO, demo_env, manage, prepare, run_manage, uvicorn

PASSWORD = "test-password"
UPSTREAM_LIMIT = 3  # DEMO_UPSTREAM_RATE for this test
TOKEN_LIMIT = 4  # DEMO_TOKEN_RATE for this test
ANON_LIMIT = 400  # DEMO_ANON_RATE for this test

pytestmark = pytest.mark.sqlite_only  # the demo's own SQLite files, not the test database


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo on fresh SQLite files, served by uvicorn; yields (process, base URL, token)."""
    env = demo_env(
        tmp_path_factory.mktemp("demo-var"),
        DEMO_PASSWORD=PASSWORD,
        DEMO_UPSTREAM_RATE=f"{UPSTREAM_LIMIT}/min",
        DEMO_TOKEN_RATE=f"{TOKEN_LIMIT}/min",
        DEMO_ANON_RATE=f"{ANON_LIMIT}/min",
    )
    output = prepare(env)
    # `make demo` again changes nothing.
    assert "No migrations to apply." in manage(env, "tortoise_migrate", "--fake-initial")
    assert manage(env, "setup_demo").count("already present") == 1
    token = re.search(r"Token for demo: (\w+)", output).group(1)

    with uvicorn(env) as (process, base):
        yield process, base, token


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


def test_filterset_lookups_relations_and_ranges(client: httpx.Client) -> None:
    """PostFilter: a tag (a many-to-many path, no duplicate rows), several authors,
    a title fragment and a creation range."""
    params = {"tag": "async", "author__in": "1,3", "title": "part", "page_size": 100}
    results = client.get("/api/posts/", params=params).json()["results"]
    assert results
    assert len({post["id"] for post in results}) == len(results)
    assert all(post["author"] in (1, 3) and "part" in post["title"] for post in results)
    tags = {tag["id"]: tag["name"] for tag in client.get("/api/tags/").json()}
    assert all("async" in [tags[t] for t in post["tags"]] for post in results)
    future = client.get("/api/posts/", params={"created_after": "2999-01-01T00:00:00Z"})
    assert future.json()["count"] == 0


def test_filter_values_are_validated(client: httpx.Client) -> None:
    response = client.get("/api/posts/", params={"author": "ada", "published": "maybe"})
    assert response.status_code == 400
    assert response.json() == {
        "author": ["Enter a whole number."],
        "published": ["Must be a valid boolean."],
    }
    comments = client.get("/api/comments/", params={"post__in": "1,2", "name__icontains": "0"})
    assert comments.status_code == 200
    data = comments.json()
    assert data["count"] > 0
    assert all(c["post"] in (1, 2) and "0" in c["name"] for c in data["results"])


def test_retrieve_and_missing_post(client: httpx.Client) -> None:
    post = client.get("/api/posts/1/").json()
    assert post["id"] == 1
    assert post["author_name"] == "Ada"  # a relation the serializer fetched
    missing = client.get("/api/posts/9999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No Post matches the given query."}


def test_viewset_action(client: httpx.Client) -> None:
    assert client.get("/api/").json().keys() == {"authors", "tags", "users"}  # DefaultRouter's root
    data = client.get("/api/authors/2/posts/").json()
    assert data["count"] == 10
    assert {post["author"] for post in data["results"]} == {2}


def test_django_users_viewset(client: httpx.Client, auth: dict[str, str]) -> None:
    """A viewset over Django's user model, beside the Tortoise ones."""
    users = client.get("/api/users/", headers=auth)
    assert users.status_code == 200, users.text
    assert users.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [{"id": 1, "username": "demo"}, {"id": 2, "username": "alice"}],
    }
    found = client.get("/api/users/", params={"search": "ali", "ordering": "-id"}, headers=auth)
    assert found.json()["results"] == [{"id": 2, "username": "alice"}]
    owner = client.get("/api/posts/2/").json()["owner_id"]
    assert client.get(f"/api/users/{owner}/", headers=auth).json()["username"] == "alice"
    missing = client.get("/api/users/99/", headers=auth)
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "No User matches the given query."},
    )
    assert client.get("/api/users/").status_code == 401


# -- after the response; streamed -----------------------------------------------------


def export(client: httpx.Client, auth: dict[str, str], **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/posts/export/", params=params, headers=auth)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/x-ndjson"
    return [json.loads(line) for line in response.text.splitlines()]


def test_reads_are_counted_after_the_response(client: httpx.Client, auth: dict[str, str]) -> None:
    def reads() -> int:
        [post] = [p for p in export(client, auth, format="ndjson") if p["id"] == 7]
        return post["reads"]

    before = reads()
    for _ in range(2):
        assert client.get("/api/posts/7/", headers=auth).status_code == 200
    assert client.head("/api/posts/7/", headers=auth).status_code == 200  # not a read
    deadline = time.monotonic() + 10
    while reads() < before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert reads() == before + 2


def test_export_streams_every_post_as_json_ndjson_or_csv(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    array = client.get("/api/posts/export/", headers=auth)
    assert array.headers["Content-Type"] == "application/json"
    assert "Content-Length" not in array.headers  # sent as it is read
    posts = array.json()
    assert len(posts) >= 30
    assert [p["id"] for p in posts] == [p["id"] for p in export(client, auth, format="ndjson")]
    csv_export = client.get(
        "/api/posts/export/", params={"published": "true"}, headers={**auth, "Accept": "text/csv"}
    )
    assert csv_export.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(csv_export.text)))
    assert {row["id"] for row in rows} == {str(p["id"]) for p in posts if p["published"]}
    assert rows[0]["author_name"] in {"Ada", "Grace", "Linus"}
    titles = [p["title"] for p in export(client, auth, ordering="title", format="ndjson")]
    assert titles == sorted(titles)


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


def test_if_match_refuses_a_stale_write(client: httpx.Client, auth: dict[str, str]) -> None:
    etag = client.get("/api/posts/5/").headers["ETag"]
    assert client.get("/api/posts/5/", headers={"If-None-Match": etag}).status_code == 304
    edit = client.patch(
        "/api/posts/5/", json={"body": "Edited"}, headers={**auth, "If-Match": etag}
    )
    assert edit.status_code == 200
    assert edit.headers["ETag"] == client.get("/api/posts/5/").headers["ETag"] != etag
    stale = client.patch("/api/posts/5/", json={"body": "Lost"}, headers={**auth, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.json() == {
        "detail": "The resource has changed: fetch it again to get its current ETag."
    }
    assert client.get("/api/posts/5/").json()["body"] == "Edited"


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
    parameters = {p["name"]: p for p in document["paths"]["/api/posts/"]["get"]["parameters"]}
    empty = {"enum": [""]}  # an empty value is ignored
    assert parameters["published"]["schema"] == {"anyOf": [{"type": "boolean"}, empty]}
    assert parameters["author__in"]["schema"]["items"]["type"] == "integer"
    date_time = {"type": "string", "format": "date-time"}
    assert parameters["created_after"]["schema"] == {"anyOf": [date_time, empty]}
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


# -- safe defaults: DEBUG off, hosts, framing, JSON errors, static files -------------


def test_token_endpoint_is_throttled(client: httpx.Client) -> None:
    """Each guess costs a password hash: after DEMO_TOKEN_RATE guesses, 429."""
    statuses = []
    for _ in range(TOKEN_LIMIT + 1):
        response = client.post("/api/token/", data={"username": "demo", "password": "guess"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    # Wrong passwords until the limit (test_token_endpoint may have used one slot).
    assert set(statuses[:-1]) == {400} and len(statuses) >= TOKEN_LIMIT
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response.headers["Retry-After"]) > 0
    # Other endpoints count against their own rates.
    assert client.get("/api/posts/1/").status_code == 200


def test_pages_may_not_be_framed(client: httpx.Client) -> None:
    for url in ("/api/posts/", "/api-auth/login/", "/api/docs/", "/api/nope/"):
        assert client.get(url).headers["X-Frame-Options"] == "DENY", url


def test_a_foreign_host_is_refused(client: httpx.Client) -> None:
    """The Host header becomes the host of pagination links: only ALLOWED_HOSTS."""
    response = client.get("/api/posts/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid Host header."}
    page = client.get("/api-auth/login/", headers={"Host": "evil.example"})
    assert (page.status_code, page.headers["Content-Type"]) == (400, "text/html; charset=utf-8")
    assert "localhost" in client.get("/api/posts/", headers={"Host": "localhost"}).json()["next"]


def test_unknown_api_path_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/api/nope/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}  # DEBUG off: no URL list either
    page = client.get("/nope/")
    assert (page.status_code, page.headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "Using the URLconf" not in page.text


def test_too_many_fields_and_oversized_bodies_are_json_400s(client: httpx.Client) -> None:
    fields = {f"f{i}": "1" for i in range(1001)}  # DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
    for response in (
        client.get("/api/posts/", params=fields),
        client.post("/api/status/", data=fields),
        client.post("/api/status/", json={"text": "x" * 2_700_000}),  # > 2.5 MB
    ):
        assert response.status_code == 400, response.text
        assert response.headers["Content-Type"] == "application/json"
        assert list(response.json()) == ["detail"], response.text


def test_static_files_are_served_with_debug_off(client: httpx.Client) -> None:
    """The browsable API's CSS and JS (Swagger UI's: test_openapi_schema...)."""
    page = client.get("/api/posts/", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert "/static/rest_framework/css/bootstrap.min.css" in assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["Content-Type"].startswith(("text/css", "text/javascript")), asset


def test_debug_page_masks_database_and_cache_passwords(tmp_path: Path) -> None:
    """With DEMO_DEBUG=1 the page shows settings and frame variables: the URLs'
    passwords are masked by async_drf.debug.SafeExceptionReporterFilter."""
    env = demo_env(
        tmp_path,
        DEMO_DEBUG="1",
        DEMO_TORTOISE_URL="postgres://blog:pw-tortoise@db.invalid:5432/blog",
        DEMO_REDIS_URL="redis://:pw-redis@cache.invalid:6379/0",
    )
    code = (
        "import os, sys, django\n"
        "django.setup()\n"
        "from django.test import RequestFactory\n"
        "from django.views.debug import technical_500_response\n"
        "dsn = os.environ['DEMO_TORTOISE_URL']\n"
        "try:\n"
        "    raise RuntimeError(dsn.split('@')[1])\n"
        "except RuntimeError:\n"
        "    page = technical_500_response(RequestFactory().get('/'), *sys.exc_info())\n"
        "print(page.content.decode())\n"
    )
    # Not `manage.py shell`: its system checks would load the PostgreSQL driver.
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=DEMO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert "TORTOISE_ORM" in page and "dsn" in page
    assert "postgres://blog:********************@db.invalid:5432/blog" in page
    assert "redis://:********************@cache.invalid:6379/0" in page
    assert "pw-" not in page


def test_check_deploy_is_clean_with_the_production_switch(tmp_path: Path) -> None:
    production = demo_env(tmp_path, DEMO_PRODUCTION="1", DEMO_SECRET_KEY=secrets.token_urlsafe(50))
    result = run_manage(production, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    # The default (http on 127.0.0.1) is not a deployment, and says so.
    result = run_manage(demo_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 1
    for check in ("W004", "W008", "W009", "W012", "W016"):  # HSTS, SSL, key, cookies
        assert f"security.{check}" in result.stderr


def test_the_production_switch_refuses_unsafe_settings(tmp_path: Path) -> None:
    result = run_manage(demo_env(tmp_path, DEMO_PRODUCTION="1"), "check")
    assert "DEMO_PRODUCTION=1 needs DEMO_SECRET_KEY" in result.stderr
    key = secrets.token_urlsafe(50)
    both = demo_env(tmp_path, DEMO_PRODUCTION="1", DEMO_SECRET_KEY=key, DEMO_DEBUG="1")
    assert "exclude each other" in run_manage(both, "check").stderr


def test_anonymous_rate_above_300_per_minute_holds_exactly(client: httpx.Client) -> None:
    # DEMO_ANON_RATE is 400/min here (a cache-slot design once let 450 of 450 through).
    # A client of its own: DRF identifies it by X-Forwarded-For (NUM_PROXIES unset).
    headers = {"X-Forwarded-For": "198.51.100.40"}
    codes = [client.get("/api/tags/", headers=headers).status_code for _ in range(ANON_LIMIT + 1)]
    assert (codes[:ANON_LIMIT], codes[ANON_LIMIT]) == ([200] * ANON_LIMIT, 429)
    response = client.get("/api/tags/", headers=headers)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


# -- stopping --------------------------------------------------------------------------


def test_sigint_stops_the_server_cleanly(demo: Any) -> None:
    process = demo[0]
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "Tortoise ORM connections closed" in output
    assert "Application shutdown complete" in output


def test_database_urls_are_parsed_by_dj_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runpy

    for key in [key for key in os.environ if key.startswith("DEMO_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DEMO_VAR_DIR", str(tmp_path))
    settings = runpy.run_path(str(DEMO / "demo" / "settings.py"))
    sqlite_options = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    default = settings["DATABASES"]["default"]
    assert (default["ENGINE"], default["NAME"]) == (
        "django.db.backends.sqlite3",
        str(tmp_path / "django.sqlite3"),
    )
    assert default["OPTIONS"] == sqlite_options
    postgres = settings["database_from_url"]("postgres://blog:p%40ss@db.local:6432/blog")
    assert {key: postgres[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST")} == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "blog",
        "USER": "blog",
        "PASSWORD": "p@ss",
        "HOST": "db.local",
    }
    assert postgres["PORT"] == 6432 and postgres["CONN_HEALTH_CHECKS"] is True
    assert postgres["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 4, "timeout": 5}}
    with_ssl = settings["database_from_url"]("postgresql://blog@db.local/blog?sslmode=require")
    assert with_ssl["OPTIONS"]["sslmode"] == "require" and "pool" in with_ssl["OPTIONS"]
