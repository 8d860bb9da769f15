"""OpenAPI links between the operations of one schema (:class:`async_drf.schemas.SchemaGenerator`).

Each operation's success response links to what a client can do next with the rows in
its body: the detail operations of the same model (by its lookup field), and the
retrieve operations of the models its foreign keys point to.  ``AutoSchema`` records
what it knows about each operation while the generator builds the schema; the links
are added once every operation is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias, cast

if TYPE_CHECKING:
    from tortoise.models import Model

    from ._types import OpenAPIObject

__all__ = ["OperationFacts", "add_links", "collecting", "record"]


@dataclass
class OperationFacts:
    """What links need to know about one operation."""

    operation: OpenAPIObject  # the operation object, as it sits in the schema
    method: str
    # for a detail route: the model its path variable looks up,
    lookup_model: type[Model] | None = None
    lookup: tuple[str, str] | None = None  # (path variable, model field)
    body_model: type | None = None  # the model of the rows in the success body
    rows: str | None = None  # JSON pointer to the (first) row in the body: "", "/0", "/results/0"
    fields: dict[str, str] = field(default_factory=dict)  # model field -> body field
    # body field -> related model
    relations: dict[str, type[Model] | None] = field(default_factory=dict)


# The detail operations by the model they look up, each with its (path variable, model field).
_Targets: TypeAlias = "dict[type | None, list[tuple[OperationFacts, tuple[str, str]]]]"


_collected: ContextVar[list[OperationFacts] | None] = ContextVar("schema_links", default=None)


@contextmanager
def collecting() -> Iterator[list[OperationFacts]]:
    """Collect the facts ``record`` receives while the schema is generated."""
    collected: list[OperationFacts] = []
    token = _collected.set(collected)
    try:
        yield collected
    finally:
        _collected.reset(token)


def record(facts: OperationFacts) -> None:
    """Note one operation's facts (ignored outside ``collecting``, e.g. DRF's generator)."""
    collected = _collected.get()
    if collected is not None:
        collected.append(facts)


def add_links(collected: list[OperationFacts]) -> None:
    """Add ``links`` to each operation's success response."""
    targets: _Targets = {}
    for facts in collected:
        if facts.lookup is not None:
            targets.setdefault(facts.lookup_model, []).append((facts, facts.lookup))
    for facts in collected:
        links = dict(_row_links(facts, targets)) | dict(_relation_links(facts, targets))
        response = _success_response(facts.operation)
        if links and response is not None:
            response["links"] = links


def _row_links(facts: OperationFacts, targets: _Targets) -> Iterator[tuple[str, OpenAPIObject]]:
    # The rows in the body -> the detail operations on the same model.
    if facts.rows is None or facts.body_model is None:
        return
    for target, (variable, model_field) in targets.get(facts.body_model, ()):
        body_field = facts.fields.get(model_field)
        if target.operation is facts.operation or body_field is None:
            continue
        name = cast("str", target.operation["operationId"])
        pointer = f"$response.body#{facts.rows}/{body_field}"
        yield name, _link(target, variable, pointer, f"{name} with the id of the row in the body.")


def _relation_links(
    facts: OperationFacts, targets: _Targets
) -> Iterator[tuple[str, OpenAPIObject]]:
    # A single row's foreign keys -> the related model's read operations.
    if facts.rows != "":
        return
    for body_field, model in facts.relations.items():
        if model is None:
            continue
        for target, (variable, model_field) in targets.get(model, ()):
            if target.method != "GET" or model_field != model._meta.pk_attr:
                continue
            name = f"{target.operation['operationId']}_{body_field}"
            pointer = f"$response.body#/{body_field}"
            yield name, _link(target, variable, pointer, f"The row's {body_field}.")


def _link(target: OperationFacts, variable: str, pointer: str, description: str) -> OpenAPIObject:
    return {
        "operationId": target.operation["operationId"],
        "parameters": {variable: pointer},
        "description": description,
    }


def _success_response(operation: OpenAPIObject) -> OpenAPIObject | None:
    responses = cast("dict[object, OpenAPIObject]", operation.get("responses", {}))
    for status, response in responses.items():
        if str(status).startswith("2"):
            return response  # the operation's own: links are added to it
    return None
