"""drf-spectacular on the demo and in the README: ``manage.py spectacular --validate
--fail-on-warn`` beside ``manage.py generateschema`` (valid, the same operations,
parameters and bodies), Swagger UI and Redoc with DEBUG off, the README's set-up."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from openapi_spec_validator import validate

from .demo_server import demo_env, run_manage, uvicorn
from .spectacular_compare import assert_same_operations
from .test_readme import readme, readme_db  # noqa: F401 - fixtures

if os.environ.get("CI", "").lower() != "true":
    pytest.importorskip("drf_spectacular", reason="drf-spectacular is not installed")

from drf_spectacular.drainage import GENERATOR_STATS  # noqa: E402
from drf_spectacular.generators import SchemaGenerator  # noqa: E402
from drf_spectacular.settings import patched_settings  # noqa: E402

from .test_spectacular import _check_ids  # noqa: E402


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """``manage.py generateschema`` and ``manage.py spectacular --validate --fail-on-warn``
    on the demo, as JSON."""
    env = demo_env(tmp_path_factory.mktemp("demo-var"))
    drf = run_manage(env, "generateschema", "--format", "openapi-json")
    assert drf.returncode == 0, drf.stderr
    spectacular = run_manage(
        env, "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json"
    )
    assert spectacular.returncode == 0, spectacular.stderr
    assert "Warning" not in spectacular.stderr and "Error" not in spectacular.stderr
    return json.loads(drf.stdout), json.loads(spectacular.stdout)


@pytest.mark.sqlite_only  # the demo's own SQLite files
def test_demo_exports_are_valid_and_describe_the_same_api(demo_exports: tuple) -> None:
    drf, spectacular = demo_exports
    validate(drf)
    validate(spectacular)
    assert len(spectacular["paths"]) == len(drf["paths"]) >= 15
    assert_same_operations(drf, spectacular)
    # The operation ids are DRF's too: a client generated from either has the same methods.
    ids = {o["operationId"] for item in drf["paths"].values() for o in item.values()}
    assert ids == {
        o["operationId"] for item in spectacular["paths"].values() for o in item.values()
    }


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    env = demo_env(tmp_path_factory.mktemp("demo-var"))  # DEBUG off: the demo's default
    with uvicorn(env, output=subprocess.DEVNULL) as (process, base):
        yield process, base


@pytest.mark.sqlite_only
@pytest.mark.parametrize(
    "page", ["/api/spectacular/swagger/", "/api/spectacular/redoc/", "/api/docs/"]
)
def test_demo_docs_pages_with_debug_off(demo_server: Any, page: str) -> None:
    import httpx

    process, base = demo_server
    assert process.poll() is None
    with httpx.Client(base_url=base, timeout=20) as client:
        response = client.get(page)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/html")
        scripts = re.findall(r'<script src="([^"]+)"', response.text)
        assert scripts and all(src.startswith("/static/") for src in scripts)  # no CDN
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
            assert client.get(asset).status_code == 200, asset
        schema_url = "/api/schema/" if page == "/api/docs/" else "/api/spectacular/"
        assert f'"{schema_url}' in response.text or f"'{schema_url}" in response.text
        # What Swagger UI and Redoc fetch: the schema, as JSON.
        document = client.get(schema_url, headers={"Accept": "application/json"})
        assert document.status_code == 200
        validate(document.json())


# -- the README's example -----------------------------------------------------------------


async def test_readme_setup_documents_the_readme_views(
    readme_db: Any,  # noqa: F811 - the fixture
    api_client: Any,
) -> None:
    """The README's settings and URLs: no check message, a valid document of its views
    with no warning, and the three views answer."""
    from django.conf import settings

    m = readme_db
    added = [app for app in m.INSTALLED_APPS if app.startswith("drf_spectacular")]
    assert added == ["drf_spectacular", "drf_spectacular_sidecar"]
    with (
        override_settings(
            INSTALLED_APPS=[*settings.INSTALLED_APPS, *added, "django.contrib.staticfiles"],
            REST_FRAMEWORK=m.REST_FRAMEWORK,
            SPECTACULAR_SETTINGS=m.SPECTACULAR_SETTINGS,
            ROOT_URLCONF=m.__name__,
            STATIC_URL="/static/",
        ),
        patched_settings(m.SPECTACULAR_SETTINGS),
    ):  # drf-spectacular reads its settings once
        assert _check_ids() == set()
        schema = await sync_to_async(
            lambda: SchemaGenerator(patterns=m.urlpatterns).get_schema(public=True)
        )()
        assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache)
        validate(json.loads(json.dumps(schema)))
        assert {"/posts/", "/posts/{id}/"} <= set(schema["paths"])
        assert not any(p.startswith("/spectacular/") for p in schema["paths"])
        document = await api_client.get("/spectacular/", HTTP_ACCEPT="application/json")
        assert document.status_code == 200
        assert "/posts/" in json.loads(document.content)["paths"]
        for page in ("/spectacular/swagger/", "/spectacular/redoc/"):
            response = await api_client.get(page)
            assert response.status_code == 200, page
            assert b"/static/drf_spectacular_sidecar/" in response.content
