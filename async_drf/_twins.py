"""The Django middleware async_drf.middleware has twins for: dotted path -> class name.

Kept apart from async_drf.middleware, which imports django.contrib.auth, sessions and
messages: the system checks read it in projects that install none of those apps.
"""

TWINS = {
    "django.middleware.security.SecurityMiddleware": "SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware": "SessionMiddleware",
    "django.middleware.common.CommonMiddleware": "CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware": "CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware": "MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "XFrameOptionsMiddleware",
}
