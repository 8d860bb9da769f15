import asyncio
from datetime import datetime

from django.http import Http404
from ninja import Field, NinjaAPI, Schema
from ninja.errors import ValidationError

from ..base_settings import PAGE_SIZE
from ..djmodels.models import Author, Post

api = NinjaAPI(docs_url=None, openapi_url=None)


class PostOut(Schema):
    id: int
    title: str
    body: str
    published: bool
    created_at: datetime
    author: int = Field(..., alias="author_id")


class PostIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    body: str = ""
    published: bool = False
    author: int


class Page(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[PostOut]


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    # DRF's status for invalid input (ninja's default is 422).
    return api.create_response(request, {"detail": exc.errors}, status=400)


def _page_url(request, number):
    if number is None:
        return None
    return request.build_absolute_uri(f"{request.path}?page={number}")


@api.get("/posts/", response=Page)
async def list_posts(request, page: int = 1):
    count = await Post.objects.acount()
    pages = max(1, -(-count // PAGE_SIZE))
    if page < 1 or page > pages:
        raise Http404("Invalid page.")
    start = (page - 1) * PAGE_SIZE
    rows = [post async for post in Post.objects.all()[start : start + PAGE_SIZE]]
    return {
        "count": count,
        "next": _page_url(request, page + 1 if page < pages else None),
        "previous": _page_url(request, page - 1 if page > 1 else None),
        "results": rows,
    }


@api.get("/posts/{int:pk}/", response=PostOut)
async def get_post(request, pk: int):
    try:
        return await Post.objects.aget(pk=pk)
    except Post.DoesNotExist:
        raise Http404("No Post matches the given query.")


@api.post("/posts/", response={201: PostOut, 400: dict})
async def create_post(request, payload: PostIn):
    if not await Author.objects.filter(pk=payload.author).aexists():
        return 400, {"author": [f'Invalid pk "{payload.author}" - object does not exist.']}
    post = await Post.objects.acreate(
        title=payload.title,
        body=payload.body,
        published=payload.published,
        author_id=payload.author,
    )
    return 201, post


@api.get("/slow/")
async def slow(request):
    await asyncio.sleep(0.02)
    return {"ok": True}
