"""URLs for tests that go through Django's handler (test modules add theirs here)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("authors/", views.AuthorCreate.as_view(), name="author-create"),
    path("authors/<int:pk>/", views.AuthorView.as_view(), name="author-detail"),
    path("mixed/", views.MixedView.as_view(), name="mixed"),
    path("function/", views.function_view, name="function"),
    path("tasks/", include("tests.after_response_views")),
    path("stream/", include("tests.streaming_views")),
]
