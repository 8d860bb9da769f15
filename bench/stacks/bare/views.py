"""Hand-written async views: what any framework on Django's handler costs at least.

They answer with Django's ``JsonResponse`` (DjangoJSONEncoder), or with orjson when the
settings say ``BENCH_ORJSON = True`` (the floor the targets use).  ``posts`` is
``csrf_exempt``, as an API view is: DRF, adrf and ninja views are too.
"""

import asyncio
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..base_settings import PAGE_SIZE
from ..tortoise_models import Author, Post

if getattr(settings, "BENCH_ORJSON", False):
    import orjson

    def respond(data, status=200):
        return HttpResponse(orjson.dumps(data), content_type="application/json", status=status)

else:
    respond = JsonResponse


def _post(post):
    return {
        "id": post.id,
        "title": post.title,
        "body": post.body,
        "published": post.published,
        "created_at": post.created_at,
        "author": post.author_id,
    }


def _page_url(request, number):
    if number is None:
        return None
    return request.build_absolute_uri(f"{request.path}?page={number}")


@csrf_exempt
async def posts(request):
    if request.method == "POST":
        return await _create(request)
    if request.method != "GET":
        return respond({"detail": "Method not allowed."}, status=405)
    try:
        page = int(request.GET.get("page", 1))
    except ValueError:
        return respond({"detail": "Invalid page."}, status=404)
    queryset = Post.all()
    count = await queryset.count()
    pages = max(1, -(-count // PAGE_SIZE))
    if page < 1 or page > pages:
        return respond({"detail": "Invalid page."}, status=404)
    rows = await queryset.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return respond(
        {
            "count": count,
            "next": _page_url(request, page + 1 if page < pages else None),
            "previous": _page_url(request, page - 1 if page > 1 else None),
            "results": [_post(p) for p in rows],
        }
    )


async def _create(request):
    try:
        data = json.loads(request.body)
    except ValueError:
        return respond({"detail": "JSON parse error."}, status=400)
    if not isinstance(data, dict):
        return respond({"detail": "Expected an object."}, status=400)
    errors = {}
    title = data.get("title")
    if not isinstance(title, str) or not title:
        errors["title"] = ["This field is required."]
    elif len(title) > 200:
        errors["title"] = ["Ensure this field has no more than 200 characters."]
    body = data.get("body", "")
    if not isinstance(body, str):
        errors["body"] = ["Not a valid string."]
    published = data.get("published", False)
    if not isinstance(published, bool):
        errors["published"] = ["Must be a valid boolean."]
    author = data.get("author")
    if not isinstance(author, int) or isinstance(author, bool):
        errors["author"] = ["This field is required."]
    elif not await Author.exists(id=author):
        errors["author"] = [f'Invalid pk "{author}" - object does not exist.']
    if errors:
        return respond(errors, status=400)
    post = await Post.create(title=title, body=body, published=published, author_id=author)
    return respond(_post(post), status=201)


async def post_detail(request, pk):
    post = await Post.get_or_none(id=pk)
    if post is None:
        return respond({"detail": "No Post matches the given query."}, status=404)
    return respond(_post(post))


async def slow(request):
    await asyncio.sleep(0.02)
    return respond({"ok": True})
