"""Django ORM models of the benchmark schema (the same tables as ``tortoise_models``)."""

from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "djmodels"
        db_table = "author"
        ordering = ["id"]
        managed = False


class Post(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(default="", blank=True)
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")

    class Meta:
        app_label = "djmodels"
        db_table = "post"
        ordering = ["id"]
        managed = False
