"""drf-spectacular for async_drf views over Tortoise models.

With ``"drf_spectacular"`` in ``INSTALLED_APPS`` and, as drf-spectacular asks,
``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"``,
async_drf views use :class:`AutoSchema` (drf-spectacular's, taught about Tortoise) and
``manage.py spectacular`` documents them as async_drf's own generator does: the same
paths, operations, parameters, error responses and bodies.  The extensions in
:mod:`.extensions` (serializers, fields, relations, filters, paginators,
authentication, views) are registered when this package is imported, which
``AsyncDRFConfig.ready()`` does when drf_spectacular is an installed app.

The schema and docs views of :mod:`.views` are drf-spectacular's, on async_drf's
request cycle (so async authentication, permissions and throttles are awaited).
"""

from . import extensions  # noqa: F401 - registers the extensions
from .schema import AutoSchema, SchemaGenerator

__all__ = ["AutoSchema", "SchemaGenerator"]
