"""Serializers for the blog's Tortoise models.

``async_drf.serializers.ModelSerializer`` reads the Tortoise model's fields: a
foreign key is its related pk (``"author": 3``), a many-to-many a list of pks
(``"tags": [1, 4]``).  The generic views validate with ``await ais_valid()``, save
with ``await asave()`` and render with ``await adata``, which also fetches the
relations the serializer shows (``author.name`` below) in one query per relation.
DRF's plain fields (``CharField``, ...) come from ``rest_framework.fields``.
Django's own models (the users) keep DRF's own ModelSerializer.
"""

from django.contrib.auth import get_user_model
from rest_framework import serializers as drf_serializers
from rest_framework.fields import CharField

from async_drf import serializers

from .models import Author, Comment, Post, Tag


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "bio"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class PostSerializer(serializers.ModelSerializer):
    author_name = CharField(source="author.name", read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "title",
            "body",
            "published",
            "author",
            "author_name",
            "tags",
            "owner_id",
            "created",
            "updated",
        ]
        # Set by the view from request.user, never by the client.
        read_only_fields = ["owner_id"]


class PostExportSerializer(PostSerializer):
    """A post as /api/posts/export/ streams it, with its read count."""

    class Meta(PostSerializer.Meta):
        fields = [*PostSerializer.Meta.fields, "reads"]
        read_only_fields = ["owner_id", "reads"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "post", "name", "text", "created", "owner_id"]
        read_only_fields = ["owner_id"]


class UserSerializer(drf_serializers.ModelSerializer):
    """Django's user model, with DRF's own ModelSerializer."""

    class Meta:
        model = get_user_model()
        fields = ["id", "username"]
        read_only_fields = ["username"]  # served read-only: no username validators
