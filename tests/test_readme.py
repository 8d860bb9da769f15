"""Every Python example in README.md runs, and the code it shows behaves as described."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils.module_loading import import_string
from tortoise.context import TortoiseContext

from async_drf import tasks
from async_drf.test import AsyncAPIClient, AsyncAPIRequestFactory, force_authenticate

from .django_db import django_db  # noqa: F401 - fixture

README = Path(__file__).resolve().parent.parent / "README.md"
MODULE = "readme_example"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def readme() -> types.ModuleType:
    """The README's Python blocks, executed in order as one module."""
    module = types.ModuleType(MODULE)
    sys.modules[MODULE] = module
    for block in python_blocks(README.read_text()):
        exec(compile(block, f"README.md:{MODULE}", "exec"), module.__dict__)
    return module


@pytest.fixture
async def readme_db(readme):
    ctx = TortoiseContext()
    async with ctx:
        await ctx.init(
            config={
                # Tortoise caches SQL per (connection, table): keep the README's
                # tables apart from the suite's models of the same names.
                "connections": {"readme": "sqlite://:memory:"},
                "apps": {"models": {"models": [MODULE], "default_connection": "readme"}},
            }
        )
        await ctx.generate_schemas()
        yield readme


def test_readme_has_examples_and_both_commands():
    text = README.read_text()
    assert len(python_blocks(text)) >= 10
    assert "make demo" in text and "make test" in text


async def test_readme_views_work(readme_db):
    m = readme_db
    ann = await m.Author.create(name="ann")
    factory = AsyncAPIRequestFactory()
    created = await m.PostList.as_view()(
        factory.post("/posts/", {"title": "Hello", "body": "b", "author": ann.id}, format="json")
    )
    assert created.status_code == 201, created.data
    # The README's REST_FRAMEWORK settings, as the view would get them in that project.
    paginator = type(
        "Paginator",
        (import_string(m.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]),),
        {"page_size": m.REST_FRAMEWORK["PAGE_SIZE"]},
    )
    post_list = m.PostList.as_view(pagination_class=paginator)
    listed = await post_list(factory.get("/posts/", {"search": "hell"}))
    assert listed.data["count"] == 1
    assert listed.data["results"][0]["title"] == "Hello"
    missing = await m.PostDetail.as_view()(factory.get("/"), pk=999)
    assert missing.status_code == 404
    assert (await m.Stats.as_view()(factory.get("/"))).data == {"status": "ok"}
    assert (await m.Stats.as_view()(factory.post("/"))).data == {"posts": 1}
    assert (await m.post_count(factory.get("/"))).data == {"count": 0}


async def test_readme_router_and_action(readme_db):
    m = readme_db
    ann = await m.Author.create(name="ann")
    await m.Post.create(title="t1", body="b", author=ann)
    with override_settings(ROOT_URLCONF=MODULE):
        client = AsyncAPIClient()
        assert (await client.get("/authors/")).status_code == 200
        posts = await client.get(f"/authors/{ann.id}/posts/")
        assert posts.json() == {"titles": ["t1"]}
        assert (await client.get("/count/")).json() == {"count": 0}
        schema = await client.get("/schema/", {"format": "openapi-json"})
        assert schema.status_code == 200
        assert "/posts/{id}/" in schema.json()["paths"]
        assert (await client.get("/docs/")).status_code == 200


async def test_readme_snippets(readme_db):
    m = readme_db
    ann = await m.Author.create(name="ann")
    data = await m.create_post(ann.id)
    assert data["title"] == "Hello"
    assert await m.create_post(999) == {"author": ['Invalid pk "999" - object does not exist.']}
    by_name = m.PostByNameSerializer(data={"title": "By name", "body": "b", "author": "ann"})
    assert await by_name.ais_valid(), by_name.errors
    assert (await by_name.asave()).author_id == ann.id
    assert (await by_name.adata)["author"] == "ann"
    factory = AsyncAPIRequestFactory()
    assert await m.count_a_request(m.Stats.as_view(), factory.post("/")) == 0
    assert await m.count_a_request(m.Stats.as_view(), factory.get("/")) == 1
    assert await m.count_a_request(m.PublishedPosts.as_view(), factory.get("/")) == 0
    await m.Post.create(title="Out", body="b", published=True, author=ann)
    published = await m.PublishedPosts.as_view()(factory.get("/"))
    assert [post["title"] for post in published.data] == ["Out"]  # the others are drafts
    post = await m.Post.first()
    owner = types.SimpleNamespace(pk=ann.id)
    request = types.SimpleNamespace(user=owner)
    assert await m.IsOwner().has_object_permission(request, None, post) is True
    request.user = types.SimpleNamespace(pk=ann.id + 1)
    assert await m.IsOwner().has_object_permission(request, None, post) is False
    assert m.application is not None


async def test_readme_nested_write(readme_db):
    """The writable nested example: the post and its new author in one transaction."""
    m = readme_db
    data = {"title": "t", "body": "b", "author": {"name": "ann"}}
    serializer = m.PostWithAuthorSerializer(data=data)
    assert await serializer.ais_valid(), serializer.errors
    post = await serializer.asave()
    assert (await m.Post.get(id=post.id).prefetch_related("author")).author.name == "ann"
    assert await serializer.adata == {
        "id": post.id,
        "title": "t",
        "body": "b",
        "author": {"name": "ann"},
    }
    serializer = m.PostWithAuthorSerializer(data=data)
    assert not await serializer.ais_valid()
    assert serializer.errors == {"author": {"name": ["author with this name already exists."]}}


async def test_readme_guarded_view(readme_db):
    """The optimistic concurrency example: 304, then 412 for a stale If-Match."""
    m = readme_db
    post = await m.Post.create(title="t", body="b", author=await m.Author.create(name="ann"))
    view, factory = m.GuardedPostDetail.as_view(), AsyncAPIRequestFactory()
    etag = (await view(factory.get("/"), pk=post.id))["ETag"]
    assert (await view(factory.get("/", HTTP_IF_NONE_MATCH=etag), pk=post.id)).status_code == 304
    edit = factory.patch("/", {"body": "new"}, format="json", HTTP_IF_MATCH=etag)
    response = await view(edit, pk=post.id)
    assert response.status_code == 200
    assert response["ETag"] != etag
    stale = factory.patch("/", {"body": "lost"}, format="json", HTTP_IF_MATCH=etag)
    assert (await view(stale, pk=post.id)).status_code == 412
    assert (await m.Post.get(id=post.id)).body == "new"


async def test_readme_filterset(readme_db):
    m = readme_db
    ann, bob = await m.Author.create(name="ann"), await m.Author.create(name="bob")
    for title, author in [("Hello", ann), ("Help", bob), ("Bye", ann)]:
        await m.Post.create(title=title, body="", author=author)
    factory = AsyncAPIRequestFactory()
    view = m.FilteredPosts.as_view()

    async def titles(params):
        request = factory.get("/posts/", {**params, "ordering": "-title"})
        force_authenticate(request, types.SimpleNamespace(username="ann", is_authenticated=True))
        response = await view(request)
        assert response.status_code == 200, response.data
        return [post["title"] for post in response.data]

    assert await titles({"title": "HEL"}) == ["Help", "Hello"]
    assert await titles({"author_name": "bob"}) == ["Help"]
    assert await titles({"mine": "true"}) == ["Hello", "Bye"]
    assert await titles({"mine": "false", "id__in": "1,2"}) == ["Help"]
    bad = await view(factory.get("/posts/", {"id__gte": "x"}))
    assert (bad.status_code, bad.data) == (400, {"id__gte": ["Enter a whole number."]})


async def test_readme_after_response_and_export(readme_db):
    m = readme_db
    ann = await m.Author.create(name="ann")
    post = await m.Post.create(title="Hi", body="b", author=ann)
    factory = AsyncAPIRequestFactory()
    detail = m.AuditedPostDetail.as_view()
    read = await detail(factory.get("/"), pk=post.id)
    assert read.status_code == 200
    read.close()  # what the server's handler does once the response is sent
    edit = await detail(factory.patch("/", {"title": "Hey"}, format="json"), pk=post.id)
    assert edit.status_code == 200
    edit.close()
    await tasks.drain()
    assert m.audit == [("read", post.id)]  # the PATCH was not a read
    assert m.outbox == [f"Post {post.id} was edited"]

    await m.Post.create(title="Ho", body="b", author=ann)
    export = await m.PostExport.as_view()(
        factory.get("/", {"ordering": "-title"}, HTTP_ACCEPT="application/x-ndjson")
    )
    body = b"".join([chunk async for chunk in export.streaming_content])
    assert [json.loads(line)["title"] for line in body.splitlines()] == ["Ho", "Hey"]


@pytest.mark.usefixtures("django_db")
async def test_readme_django_models(readme):
    """The Django models example: a staff-only list of Django users, searched, and a
    lazy QuerySet in a Response."""
    staff = await User.objects.acreate(username="root", is_staff=True)
    ann = await User.objects.acreate(username="ann", email="ann@example.com")
    factory = AsyncAPIRequestFactory()
    request = factory.get("/users/", {"search": "an"})
    force_authenticate(request, staff)
    response = await readme.UserList.as_view()(request)
    assert response.status_code == 200
    assert response.data == [{"id": ann.id, "username": "ann", "email": "ann@example.com"}]
    request = factory.get("/users/")
    force_authenticate(request, ann)
    assert (await readme.UserList.as_view()(request)).status_code == 403
    names = await (await readme.usernames(factory.get("/"))).render()
    assert sorted(json.loads(names.content)) == ["ann", "root"]


async def test_readme_pytest_example_passes(readme_db):
    await readme_db.test_create_post(None)


def test_translation_keeps_the_same_sections_and_code():
    english = README.read_text()
    chinese = README.with_name("README.zh-TW.md").read_text()

    def outline(text):
        prose = re.sub(r"```.*?```", "", text, flags=re.S)
        return [line.split(" ")[0] for line in prose.splitlines() if line.startswith("#")]

    assert outline(english) == outline(chinese)
    assert re.findall(r"```.*?```", english, re.S) == re.findall(r"```.*?```", chinese, re.S)
