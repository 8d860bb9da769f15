"""CHANGELOG.md follows Keep a Changelog, and the package's version is its latest release."""

from __future__ import annotations

import re
from pathlib import Path

import async_drf

CHANGELOG = (Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text()
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def test_version_is_the_latest_release():
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", CHANGELOG, re.MULTILINE)
    assert releases and releases[0] == async_drf.__version__


def test_unreleased_comes_first_and_sections_are_keep_a_changelog_ones():
    headings = re.findall(r"^## \[([^\]]+)\]", CHANGELOG, re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert set(re.findall(r"^### (.+)$", CHANGELOG, re.MULTILINE)) <= SECTIONS
