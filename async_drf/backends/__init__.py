"""Tortoise database clients that async_drf configures in place of Tortoise's own."""
