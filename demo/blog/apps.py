from django.apps import AppConfig


class BlogConfig(AppConfig):
    """The blog app: its models are Tortoise models, its users are Django's."""

    name = "blog"
