"""The browsable API in a real headless Chromium against a real uvicorn: submit the
HTML form, and the row exists."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS, ensure_chromium

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """uvicorn serving tests.browser_urls in a subprocess (its own Tortoise, a SQLite file)."""
    port = free_port()
    env = {
        **os.environ,
        "ASYNC_DRF_SERVER_DB_URL": f"sqlite://{tmp_path / 'browser.db'}",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.browser_settings",
    }
    command = [sys.executable, "-m", "uvicorn", "tests.asgi_app:application"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{base}/authors/", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        yield base
    finally:
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


def test_post_through_the_html_form(server: str, browser: object) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    for name in ("ann", "bob", "cyd"):  # more rows than a page
        assert httpx.post(f"{server}/authors/", json={"name": name}).status_code == 201

    browser.get(f"{server}/authors/")  # type: ignore[attr-defined]
    assert "Author List" in browser.title  # type: ignore[attr-defined]
    pagination = browser.find_elements(By.CSS_SELECTOR, "ul.pagination a")  # type: ignore[attr-defined]
    assert any("page=2" in (a.get_attribute("href") or "") for a in pagination)

    html_form = browser.find_element(By.CSS_SELECTOR, "#post-object-form form")  # type: ignore[attr-defined]
    html_form.find_element(By.NAME, "name").send_keys("from the browser")
    html_form.find_element(By.NAME, "email").send_keys("b@example.org")
    html_form.find_element(By.CSS_SELECTOR, "button.btn-primary").click()

    WebDriverWait(browser, 10).until(
        expected_conditions.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".response-info"), "HTTP 201 Created"
        )
    )
    rows = httpx.get(f"{server}/authors/", params={"page": 2}).json()
    assert rows["count"] == 4
    assert {"name": "from the browser", "email": "b@example.org"}.items() <= (
        rows["results"][-1].items()
    )
