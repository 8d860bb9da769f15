"""The outside reference: FastAPI + Tortoise (RegisterTortoise), pydantic schemas."""

import asyncio
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from tortoise.contrib.fastapi import RegisterTortoise

from ..base_settings import PAGE_SIZE, TORTOISE_ORM
from ..tortoise_models import Author, Post


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with RegisterTortoise(app, config=TORTOISE_ORM, generate_schemas=False):
        yield


app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)


class PostOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    published: bool
    created_at: datetime
    author: int = Field(validation_alias="author_id")


class PostIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = ""
    published: bool = False
    author: int


class Page(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[PostOut]


@app.exception_handler(RequestValidationError)
async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # DRF's status for invalid input (FastAPI's default is 422).
    return JSONResponse({"detail": str(exc.errors())}, status_code=400)


def _page_url(request: Request, number: int | None) -> str | None:
    if number is None:
        return None
    return str(request.url.include_query_params(page=number))


@app.get("/posts/", response_model=Page)
async def list_posts(request: Request, page: int = 1):
    queryset = Post.all()
    count = await queryset.count()
    pages = max(1, -(-count // PAGE_SIZE))
    if page < 1 or page > pages:
        raise HTTPException(404, "Invalid page.")
    rows = await queryset.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    return Page(
        count=count,
        next=_page_url(request, page + 1 if page < pages else None),
        previous=_page_url(request, page - 1 if page > 1 else None),
        results=[PostOut.model_validate(p) for p in rows],
    )


@app.get("/posts/{pk}/", response_model=PostOut)
async def get_post(pk: int):
    post = await Post.get_or_none(id=pk)
    if post is None:
        raise HTTPException(404, "No Post matches the given query.")
    return PostOut.model_validate(post)


@app.post("/posts/", response_model=PostOut, status_code=201)
async def create_post(payload: PostIn):
    if not await Author.exists(id=payload.author):
        raise HTTPException(400, {"author": [f'Invalid pk "{payload.author}" - does not exist.']})
    post = await Post.create(
        title=payload.title,
        body=payload.body,
        published=payload.published,
        author_id=payload.author,
    )
    return PostOut.model_validate(post)


@app.get("/slow/")
async def slow():
    await asyncio.sleep(0.02)
    return {"ok": True}
