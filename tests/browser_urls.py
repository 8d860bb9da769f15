"""URLs served to the headless browser: a paginated model viewset on a router."""

from rest_framework.routers import DefaultRouter

from async_drf import serializers, viewsets
from async_drf.pagination import AsyncPageNumberPagination

from .models import Author


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name", "email"]


class Pages(AsyncPageNumberPagination):
    page_size = 2


class AuthorViewSet(viewsets.AsyncModelViewSet):
    queryset = Author
    serializer_class = AuthorSerializer
    pagination_class = Pages


router = DefaultRouter()
router.register("authors", AuthorViewSet)
urlpatterns = router.urls
