"""The blog's FilterSets (django-filter's shape, over Tortoise querysets).

``PostList`` names ``PostFilter`` in ``filterset_class``; ``FilterBackend`` (in
``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``) validates the query parameters with it
(a bad value is a 400 naming the parameter) and adds them to the query.
"""

from async_drf.filtersets import CharFilter, DateTimeFromToRangeFilter, FilterSet

from .models import Post


class PostFilter(FilterSet):
    """``?published=true&author=2&author__in=1,3&tag=async&title=gather``
    ``&created_after=2024-01-01T00:00:00Z``."""

    title = CharFilter(lookup_expr="icontains")
    tag = CharFilter(field_name="tags__name", help_text="A tag's name (exact).")
    created = DateTimeFromToRangeFilter()

    class Meta:
        model = Post
        fields = {"published": ["exact"], "author": ["exact", "in"]}
