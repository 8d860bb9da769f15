"""Streaming list views (async_drf.streaming): every row of the filtered, ordered
queryset as a JSON array, NDJSON or CSV, read in keyset chunks while it is sent."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import gc
import io
import json
import logging
import signal
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test.utils import override_settings

from async_drf import asgi, compat
from async_drf.orm import ensure_orm, isolate_connections, release_connections
from async_drf.pytest_plugin import count_queries

from .asgi_exchange import Exchange
from .models import Post, Tag
from .streaming_views import NestedPostSerializer, PostSerializer, make_posts
from .test_asgi import uvicorn_server  # noqa: F401
from .test_wsgi import _count_workers, wsgi_settings  # noqa: F401


@pytest.fixture(autouse=True)
def urls():
    with override_settings(ROOT_URLCONF="tests.streaming_views", MIDDLEWARE=[]):
        yield


@pytest.fixture
def handler():
    return asgi.ASGIHandler()


async def get(app, url, query=b"", accept=None, method="GET"):
    headers = [(b"accept", accept.encode())] if accept else []
    return await Exchange(app, url, query, headers, method).run()


async def expected(serializer_class, *ordering):
    posts = await Post.all().order_by(*ordering)
    return json.loads(json.dumps(await serializer_class(posts, many=True).adata))


# -- the three formats ------------------------------------------------------------------


async def test_a_json_array_of_every_row(tortoise_db, handler, hops, thread_starts):
    await make_posts(10)
    exchange = await get(handler, "/posts/")
    assert exchange.status == 200
    assert exchange.headers["content-type"] == "application/json"
    assert exchange.complete
    assert json.loads(exchange.body) == await expected(PostSerializer, "id")
    # One send per chunk of 4 rows (the first opens the array), then the closing "]".
    assert [chunk.count(b'"id"') for chunk in exchange.chunks] == [4, 4, 2, 0]
    assert exchange.chunks[0].startswith(b'[{"id":1,') and exchange.chunks[-1] == b"]"
    assert hops.count == 0
    assert thread_starts == []


async def test_json_with_indent(tortoise_db, handler):
    await make_posts(5)
    exchange = await get(handler, "/posts/", accept="application/json; indent=2")
    assert json.loads(exchange.body) == await expected(PostSerializer, "id")
    assert b'\n  {\n    "id": 1,' in exchange.body


@pytest.mark.parametrize("media_type", ["application/x-ndjson", "application/ndjson"])
async def test_ndjson_one_object_per_line(tortoise_db, handler, media_type):
    await make_posts(10)
    await Post.filter(id=3).update(title="two\nlines \u2028 and a separator")
    exchange = await get(handler, "/posts/", accept=media_type)
    assert exchange.headers["content-type"] == media_type
    assert exchange.body.endswith(b"\n")
    lines = exchange.body.split(b"\n")[:-1]
    assert [json.loads(line) for line in lines] == await expected(PostSerializer, "id")
    assert b'"two\\nlines \\u2028 and a separator"' in lines[2]


async def test_csv_with_a_header_line(tortoise_db, handler):
    await make_posts(5)
    exchange = await get(handler, "/posts/", accept="text/csv")
    assert exchange.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(exchange.body.decode())))
    assert rows[0] == ["id", "title", "published", "author", "editor"]
    assert rows[1:3] == [["1", "b", "true", "1", ""], ["2", "a", "false", "1", "2"]]
    assert len(rows) == 6
    assert exchange.body.count(b"\r\n") == 6  # RFC 4180 line ends


async def test_csv_cells_for_nested_values(tortoise_db, handler):
    posts = await make_posts(2)
    tag = await Tag.create(name='say "hi", ok')
    await posts[0].tags.add(tag)
    exchange = await get(handler, "/nested/", b"format=csv")
    rows = list(csv.reader(io.StringIO(exchange.body.decode())))
    assert rows[0] == ["id", "title", "author", "tags"]
    assert rows[1] == ["1", "b", '{"id":1,"name":"Z0"}', f"[{tag.id}]"]


@pytest.mark.parametrize(
    ("query", "content_type"),
    [(b"format=csv", "text/csv; charset=utf-8"), (b"format=ndjson", "application/x-ndjson")],
)
async def test_format_override(tortoise_db, handler, query, content_type):
    await make_posts(3)
    assert (await get(handler, "/posts/", query)).headers["content-type"] == content_type


@pytest.mark.parametrize(
    ("accept", "body"),
    [
        ("application/json", b"[]"),
        ("application/x-ndjson", b""),
        ("text/csv", b"id,title,published,author,editor\r\n"),
    ],
)
async def test_no_rows(tortoise_db, handler, accept, body):
    exchange = await get(handler, "/posts/", accept=accept)
    assert (exchange.status, exchange.body, exchange.complete) == (200, body, True)


async def test_head_reads_one_chunk_and_sends_no_body(tortoise_db, handler):
    await make_posts(10)
    with count_queries() as queries:
        exchange = await get(handler, "/posts/", method="HEAD")
    assert (exchange.status, exchange.body) == (200, b"")
    assert queries.count == 1


# -- keyset chunks --------------------------------------------------------------------


@pytest.mark.parametrize(
    "ordering",
    [
        ["title"],
        ["-title"],
        ["editor_id"],
        ["-editor_id"],
        ["author__name", "-title"],
        ["-published", "editor_id"],
        ["editor__name"],
        ["-editor__name", "-id"],
        ["-id"],
    ],
)
async def test_keyset_chunks_follow_the_ordering(tortoise_db, handler, ordering):
    """Ties, NULLs (sorted where the database sorts them) and relations: the stream is
    the rows of one ORDER BY ... , id query, each exactly once."""
    await make_posts(23)
    with count_queries() as queries:
        exchange = await get(handler, "/posts/", b"ordering=" + ",".join(ordering).encode())
    rows = json.loads(exchange.body)
    assert [row["id"] for row in rows] == [
        post.id for post in await Post.all().order_by(*ordering, "id")
    ]
    assert len(queries.queries) == 6  # 23 rows, 4 per chunk
    assert not any("OFFSET" in sql.upper() for sql in queries.queries)


async def test_keyset_chunks_over_equal_timestamps(tortoise_db, handler):
    """Datetimes round-trip exactly, so rows tied on one are neither skipped nor sent twice."""
    posts = await make_posts(23)
    moments = [dt.datetime(2024, 1, 1, 12, 0, 0, n * 1001, tzinfo=dt.UTC) for n in range(3)]
    for post in posts:
        await Post.filter(id=post.id).update(created=moments[post.id % 3])
    exchange = await get(handler, "/posts/", b"ordering=-created")
    ids = [row["id"] for row in json.loads(exchange.body)]
    assert ids == [post.id for post in await Post.all().order_by("-created", "id")]
    assert len(ids) == 23


async def test_the_views_ordering_else_the_models(tortoise_db, handler):
    await make_posts(9)
    exchange = await get(handler, "/by-title/")
    ids = [row["id"] for row in json.loads(exchange.body)]
    assert ids == [post.id for post in await Post.all().order_by("-title", "id")]
    exchange = await get(handler, "/by-model/")  # Post's Meta.ordering: id
    assert [row["id"] for row in json.loads(exchange.body)] == list(range(1, 10))


async def test_filters_apply(tortoise_db, handler):
    await make_posts(12)
    exchange = await get(handler, "/posts/", b"search=a&published=false&ordering=-id")
    rows = json.loads(exchange.body)
    ids = [post.id for post in await Post.filter(title="a", published=False).order_by("-id")]
    assert [row["id"] for row in rows] == ids
    assert ids


async def test_fixed_queries_per_chunk(tortoise_db, handler):
    """The serializer fetches what it shows per chunk: 1 + author + tags per chunk,
    whatever the chunk holds."""
    posts = await make_posts(12)
    tags = [await Tag.create(name=name) for name in "xyz"]
    for post in posts:
        await post.tags.add(*tags[: post.id % 4])
    with count_queries() as queries:
        exchange = await get(handler, "/nested/")
    assert json.loads(exchange.body) == await expected(NestedPostSerializer, "id")
    # posts, authors, post_tag, tags for each of 3 full chunks; then 1 query finds nothing
    assert len(queries.queries) == 3 * 4 + 1
    with count_queries() as queries:
        await get(handler, "/nested/", b"search=a")  # 4 rows: 1 full chunk, then nothing
    assert len(queries.queries) == 4 + 1


async def test_first_bytes_leave_before_the_last_row_is_read(tortoise_db, handler):
    await make_posts(20)
    exchange = Exchange(handler, "/posts/")
    with count_queries() as queries:
        seen_at_first_chunk = []

        async def on_chunk(body):
            if not seen_at_first_chunk:
                seen_at_first_chunk.append(queries.count)

        exchange.on_chunk = on_chunk
        await exchange.run()
    assert seen_at_first_chunk == [1]
    assert queries.count == 6


async def test_a_client_that_disconnects_stops_the_stream(tortoise_db, handler):
    await make_posts(40)
    exchange = Exchange(handler, "/posts/")

    async def leave_after_first(body):
        exchange.disconnect.set()
        await asyncio.sleep(0.05)  # the server notices while this send is in flight

    exchange.on_chunk = leave_after_first
    with count_queries() as queries:
        await exchange.run()
    assert not exchange.complete
    assert len(exchange.chunks) == 1
    assert queries.count <= 2  # of 11


@pytest.mark.postgres
async def test_a_client_that_disconnects_cancels_the_query_on_postgres(tortoise_db, handler):
    """The second chunk's query would sleep 4 x 30 s in the server: the disconnect
    cancels it there, not only in Python."""
    await make_posts(12)
    exchange = Exchange(handler, "/slow/")
    first_sent = asyncio.Event()

    async def on_chunk(body):
        first_sent.set()

    exchange.on_chunk = on_chunk
    request = asyncio.create_task(exchange.run())
    await asyncio.wait_for(first_sent.wait(), 10)
    assert await sleeping_queries() == 1  # the second chunk is being read
    exchange.disconnect.set()
    await asyncio.wait_for(request, 10)
    deadline = time.monotonic() + 10
    while await sleeping_queries() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await sleeping_queries() == 0
    assert len(exchange.chunks) == 1 and not exchange.complete


async def sleeping_queries() -> int:
    for _ in range(100):  # the query may not have reached the server yet
        rows = await Post._meta.db.execute_query_dict(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
            "AND state = 'active' AND query LIKE '%pg_sleep(CASE%' AND pid <> pg_backend_pid()"
        )
        if rows[0]["n"]:
            return rows[0]["n"]
        await asyncio.sleep(0.02)
    return 0


# -- Tortoise's private query state (async_drf.compat) ---------------------------------


async def test_compat_reads_orderings_and_rebinds_clients(tortoise_db):
    assert compat.queryset_ordering(Post.all()) == []
    assert compat.queryset_ordering(Post.all().order_by("-title", "id")) == ["-title", "id"]
    assert compat.model_ordering(Post) == ["id"]
    queryset = Post.all()
    assert queryset._db is Post._meta.db
    stale = SimpleNamespace(connection_name="default")  # a client of another event loop
    assert compat.on_current_client(queryset.using_db(stale))._db is Post._meta.db


# -- errors ---------------------------------------------------------------------------


async def test_errors_before_the_first_byte_are_drf_errors_in_json(tortoise_db, handler):
    await make_posts(3)
    exchange = await get(handler, "/posts/", b"published=maybe", accept="text/csv")
    assert exchange.status == 400
    assert exchange.headers["content-type"] == "application/json"
    assert json.loads(exchange.body) == {"published": ["Must be a valid boolean."]}
    exchange = await get(handler, "/guarded/", accept="application/x-ndjson")
    assert exchange.status == 403
    assert json.loads(exchange.body) == {"detail": "no export for you"}
    exchange = await get(handler, "/posts/", accept="text/html")
    assert exchange.status == 406
    assert json.loads(exchange.body) == {"detail": "Could not satisfy the request Accept header."}


async def test_an_error_after_the_first_byte_cuts_the_response_short(tortoise_db, handler, caplog):
    await make_posts(10)
    exchange = Exchange(handler, "/fails/")
    with caplog.at_level(logging.ERROR, logger="async_drf.streaming"):
        with pytest.raises(RuntimeError, match="row 5 cannot be rendered"):
            await exchange.run()  # the server aborts the response, as uvicorn does
    assert exchange.status == 200
    assert exchange.body == b'[{"id":1,"boom":"ok"},{"id":2,"boom":"ok"},' + (
        b'{"id":3,"boom":"ok"},{"id":4,"boom":"ok"}'
    )
    assert not exchange.complete
    assert caplog.messages == [
        "Streaming FailsLater failed after 4 rows (RuntimeError): the response is cut short"
    ]
    gc.collect()  # the handler closed the request's body file: no ResourceWarning


# -- other servers, memory -------------------------------------------------------------


async def test_under_uvicorn(uvicorn_server):  # noqa: F811
    """Sent with chunked encoding; an error after the first chunk aborts the response,
    which the client sees as an incomplete body, and is logged."""
    process, base = uvicorn_server
    assert process.poll() is None, process.stdout.read()
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        assert (await client.post("/stream/seed/", params={"count": 10})).status_code == 201
        headers = {"Accept": "application/x-ndjson"}
        async with client.stream("GET", "/stream/posts/", headers=headers) as response:
            assert response.headers["content-type"] == "application/x-ndjson"
            assert "content-length" not in response.headers
            body = b"".join([part async for part in response.aiter_raw()])
        lines = body.splitlines()
        assert [json.loads(line)["id"] for line in lines] == list(range(1, 11))
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            await client.get("/stream/fails/")
        assert (await client.get("/function/")).status_code == 200  # still serving
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.to_thread(process.communicate, timeout=30)
    assert "Streaming FailsLater failed after 4 rows (RuntimeError)" in output


@pytest.mark.sqlite_only
def test_under_a_wsgi_server(wsgi_settings):  # noqa: F811
    """Under WSGI the stream runs on an event loop of its own, chunk by chunk, with
    Tortoise connections of its own that it closes at the end."""

    async def seed():
        await ensure_orm()
        isolate_connections()  # as a request under WSGI does
        try:
            await make_posts(10)
        finally:
            await release_connections()

    async_to_sync(seed)()
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        with httpx.stream("GET", f"{base}/posts/", headers={"Accept": "text/csv"}) as response:
            lines = list(response.iter_lines())
        assert response.status_code == 200
        assert lines[0] == "id,title,published,author,editor"
        assert [line.split(",")[0] for line in lines[1:]] == [str(i) for i in range(1, 11)]
    finally:
        server.shutdown()
        server.server_close()
    assert _count_workers() == 0


async def test_a_streamed_request_leaves_no_cycles(tortoise_db, handler):
    """Each chunk's serializer is released once rendered, the view when the response
    is closed.  (A many-to-many field's relation objects are cycles of Tortoise's own,
    and DRF's ManyRelatedField is one with its child: serializers without them.)"""
    await make_posts(10)
    await get(handler, "/authored/")
    gc.collect()
    gc.disable()
    try:
        exchange = await get(handler, "/authored/")
        assert exchange.complete
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        assert sorted(type(o).__qualname__ for o in gc.garbage) == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
