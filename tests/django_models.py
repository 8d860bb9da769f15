"""Django models for the tests that serve Django models through async_drf's generics
(app label "tests"; ``tests.django_db`` creates their tables).  The first ones are
DRF's own test models (DRF's tests/models.py and tests/test_generics.py)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class RESTFrameworkModel(models.Model):
    """Base for test models that sets app_label, so they play nicely."""

    class Meta:
        app_label = "tests"
        abstract = True


class BasicModel(RESTFrameworkModel):
    text = models.CharField(
        max_length=100, verbose_name=_("Text comes here"), help_text=_("Text description.")
    )


class SlugBasedModel(RESTFrameworkModel):
    text = models.CharField(max_length=100)
    slug = models.SlugField(max_length=32)


class Comment(RESTFrameworkModel):
    email = models.EmailField()
    content = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)


class ForeignKeyTarget(RESTFrameworkModel):
    name = models.CharField(max_length=100)

    def get_first_source(self) -> ForeignKeySource:
        """Used for testing related field against a callable."""
        return self.sources.all().order_by("pk")[0]

    @property
    def first_source(self) -> ForeignKeySource:
        """Used for testing related field against a property."""
        return self.sources.all().order_by("pk")[0]


class ForeignKeySource(RESTFrameworkModel):
    name = models.CharField(max_length=100)
    target = models.ForeignKey(
        ForeignKeyTarget,
        related_name="sources",
        help_text="Target",
        verbose_name="Target",
        on_delete=models.CASCADE,
    )


class ManyToManyTarget(RESTFrameworkModel):
    name = models.CharField(max_length=100)


class ManyToManySource(RESTFrameworkModel):
    name = models.CharField(max_length=100)
    targets = models.ManyToManyField(ManyToManyTarget, related_name="sources")


class UUIDForeignKeyTarget(RESTFrameworkModel):
    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=100)


class ClassB(RESTFrameworkModel):
    name = models.CharField(max_length=255)


class ClassA(RESTFrameworkModel):
    name = models.CharField(max_length=255)
    # DRF's also says null=True, which does nothing on a many-to-many (Django warns).
    children = models.ManyToManyField(ClassB, blank=True)


class TwoFieldModel(RESTFrameworkModel):
    field_a = models.CharField(max_length=100)
    field_b = models.CharField(max_length=100)
