"""The demo's URLs: generic views by hand, viewsets through DRF's DefaultRouter."""

from django.urls import include, path
from django.views.generic import RedirectView

from async_drf.docs import SwaggerUIView
from async_drf.routers import AsyncDefaultRouter
from async_drf.schemas import get_schema_view

from blog import views

router = AsyncDefaultRouter()  # DRF's DefaultRouter with an async API root view
router.register("authors", views.AuthorViewSet)  # basename "author", from the Tortoise model
router.register("tags", views.TagViewSet)
router.register("users", views.UserViewSet)  # a Django model: basename "user"

# Django-level errors (unknown URL, disallowed Host, too many fields, oversized body,
# uncaught exception) as {"detail": ...} JSON under /api/, Django's pages elsewhere.
handler400 = "async_drf.handlers.bad_request"
handler403 = "async_drf.handlers.permission_denied"
handler404 = "async_drf.handlers.page_not_found"
handler500 = "async_drf.handlers.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/api/")),
    path("api/posts/", views.PostList.as_view(), name="post-list"),
    path("api/posts/export/", views.PostExport.as_view(), name="post-export"),
    path("api/posts/<int:pk>/", views.PostDetail.as_view(), name="post-detail"),
    path("api/feed/", views.Feed.as_view(), name="feed"),
    path("api/comments/", views.CommentList.as_view(), name="comment-list"),
    path("api/upstream/", views.upstream, name="upstream"),
    path("api/status/", views.StatusView.as_view(), name="status"),
    path("api/token/", views.TokenView.as_view(), name="token"),
    # Django's login views (sync): session authentication for the browser.
    path("api-auth/", include("rest_framework.urls")),
    path("api/", include(router.urls)),
]

# -- OpenAPI schema and docs ----------------------------------------------------------
urlpatterns += [
    path(
        "api/schema/",
        get_schema_view(title="async_drf demo blog", public=True),
        name="openapi-schema",
    ),
    # Swagger UI from drf-spectacular-sidecar's static files (needs "drf_spectacular_sidecar"
    # in INSTALLED_APPS), no CDN.
    path("api/docs/", SwaggerUIView.as_view(url_name="openapi-schema"), name="api-docs"),
]
