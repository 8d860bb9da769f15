"""async_drf: Django REST framework's vocabulary, async, over Tortoise ORM models."""

__version__ = "0.1.0"
