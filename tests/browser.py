"""Find (or, with CI=true, install) Debian's headless Chromium for browser tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

# No network chatter, no GPU, no sandbox (containers run as root).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def ensure_chromium() -> str | None:
    """None when Chromium and chromedriver are ready, else why the browser tests skip.

    With CI=true a missing browser is installed from Debian (apt-get), so CI runs them.
    """
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return None
    if os.environ.get("CI", "").lower() != "true":
        return "needs /usr/bin/chromium and chromedriver (apt-get install chromium chromium-driver)"
    if shutil.which("apt-get") is None:
        raise RuntimeError("CI=true: Chromium is missing and apt-get is not available")
    subprocess.run(["apt-get", "update"], check=True, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "chromium", "chromium-driver"], check=True, capture_output=True
    )
    return None
