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
from typing import Any

__all__ = ["OperationFacts", "add_links", "collecting", "record"]


@dataclass
class OperationFacts:
    """What links need to know about one operation."""

    operation: dict[str, Any]  # the operation object, as it sits in the schema
    method: str
    lookup_model: Any = None  # for a detail route: the model its path variable looks up,
    lookup: tuple[str, str] | None = None  # (path variable, model field)
    body_model: Any = None  # the model of the rows in the success body
    rows: str | None = None  # JSON pointer to the (first) row in the body: "", "/0", "/results/0"
    fields: dict[str, str] = field(default_factory=dict)  # model field -> body field
    relations: dict[str, Any] = field(default_factory=dict)  # body field -> related model


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
    targets: dict[Any, list[OperationFacts]] = {}
    for facts in collected:
        if facts.lookup is not None:
            targets.setdefault(facts.lookup_model, []).append(facts)
    for facts in collected:
        links = dict(_row_links(facts, targets)) | dict(_relation_links(facts, targets))
        response = _success_response(facts.operation)
        if links and response is not None:
            response["links"] = links


def _row_links(
    facts: OperationFacts, targets: dict[Any, list[OperationFacts]]
) -> Iterator[tuple[str, Any]]:
    # The rows in the body -> the detail operations on the same model.
    if facts.rows is None or facts.body_model is None:
        return
    for target in targets.get(facts.body_model, ()):
        variable, model_field = target.lookup  # type: ignore[misc]
        body_field = facts.fields.get(model_field)
        if target.operation is facts.operation or body_field is None:
            continue
        name = target.operation["operationId"]
        pointer = f"$response.body#{facts.rows}/{body_field}"
        yield name, _link(target, variable, pointer, f"{name} with the id of the row in the body.")


def _relation_links(
    facts: OperationFacts, targets: dict[Any, list[OperationFacts]]
) -> Iterator[tuple[str, Any]]:
    # A single row's foreign keys -> the related model's read operations.
    if facts.rows != "":
        return
    for body_field, model in facts.relations.items():
        for target in targets.get(model, ()):
            variable, model_field = target.lookup  # type: ignore[misc]
            if target.method != "GET" or model_field != model._meta.pk_attr:
                continue
            name = f"{target.operation['operationId']}_{body_field}"
            pointer = f"$response.body#/{body_field}"
            yield name, _link(target, variable, pointer, f"The row's {body_field}.")


def _link(target: OperationFacts, variable: str, pointer: str, description: str) -> dict[str, Any]:
    return {
        "operationId": target.operation["operationId"],
        "parameters": {variable: pointer},
        "description": description,
    }


def _success_response(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            found: dict[str, Any] = response  # the operation's own: links are added to it
            return found
    return None
