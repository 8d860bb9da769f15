from django.urls import path

from . import views

urlpatterns = [
    path("posts/", views.PostList.as_view()),
    path("posts/<int:pk>/", views.PostDetail.as_view()),
    path("slow/", views.Slow.as_view()),
]
