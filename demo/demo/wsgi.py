"""WSGI entry point (``manage.py runserver``, gunicorn): the async views still work,
each request on its own event loop; ASGI (uvicorn) is the way to serve this demo."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")

application = get_wsgi_application()
