"""Settings for the browsable API driven by a real browser (tests/test_browsable_api_browser.py)."""

from .server_settings import *  # noqa: F403

ROOT_URLCONF = "tests.browser_urls"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
