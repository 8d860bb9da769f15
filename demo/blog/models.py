"""The blog's data, as Tortoise ORM models (Tortoise app label "blog").

Django imports this module because "blog" is an installed app, but it holds no
Django models: ``manage.py tortoise_migrate`` creates these tables from the Tortoise
migrations in ``blog/tortoise_migrations/`` (``tortoise_makemigrations`` writes them),
and Django's ``migrate`` only creates the auth, session and token tables.
"""

from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    bio = fields.TextField(default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Tag(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    published = fields.BooleanField(default=True)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)
    author = fields.ForeignKeyField("blog.Author", related_name="posts")
    tags = fields.ManyToManyField("blog.Tag", related_name="posts")
    # The Django user (django.contrib.auth, another database) who may edit the post.
    owner_id = fields.IntField(db_index=True)
    # Counted after each read is answered (PostDetail's after_response).
    reads = fields.IntField(default=0)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


class Comment(Model):
    id = fields.IntField(primary_key=True)
    post = fields.ForeignKeyField("blog.Post", related_name="comments")
    name = fields.CharField(max_length=100)
    text = fields.TextField()
    created = fields.DatetimeField(auto_now_add=True)
    owner_id = fields.IntField(null=True)

    class Meta:
        ordering = ["id"]
