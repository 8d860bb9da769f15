"""The demo's URLs: generic views by hand, viewsets through DRF's DefaultRouter."""

from django.urls import include, path
from django.views.generic import RedirectView

from async_drf.contrib.spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
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

# -- OpenAPI schemas and docs -----------------------------------------------------------
# Two generators over the same views: DRF's (async_drf.schemas, with links between
# operations) and drf-spectacular's (components for pages and partial updates).  Swagger
# UI and Redoc are drf-spectacular's views; their files come from
# drf-spectacular-sidecar (no CDN).
urlpatterns += [
    path(
        "api/schema/",
        get_schema_view(title="async_drf demo blog", public=True),
        name="openapi-schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("api/spectacular/", SpectacularAPIView.as_view(), name="spectacular-schema"),
    path(
        "api/spectacular/swagger/",
        SpectacularSwaggerView.as_view(url_name="spectacular-schema"),
        name="spectacular-swagger",
    ),
    path(
        "api/spectacular/redoc/",
        SpectacularRedocView.as_view(url_name="spectacular-schema"),
        name="spectacular-redoc",
    ),
]
