from django.urls import path

from . import views

urlpatterns = [
    path("posts/export/", views.PostExport.as_view()),
    path("posts/all/", views.PostList.as_view()),  # not streamed, for comparison
]
