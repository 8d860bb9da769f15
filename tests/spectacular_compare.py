"""Two OpenAPI documents of one API compared: DRF's generator's and drf-spectacular's
(used by test_spectacular.py and test_spectacular_demo.py)."""

from __future__ import annotations

from typing import Any


def assert_same_operations(drf: dict[str, Any], spectacular: dict[str, Any]) -> None:
    """Same paths, methods, parameters (name, in, schema), response statuses, headers and
    bodies, request bodies, once component references are replaced by what they name.

    The one difference, asserted here: drf-spectacular's PATCH body is a component of
    its own (``Patched<Name>``) without ``required``, since a partial update needs no
    field; DRF's generator points PATCH at the full component, ``required`` included.
    """
    ours, theirs = _operations(drf), _operations(spectacular)
    assert set(ours) == set(theirs)
    for key, operation in ours.items():
        other = theirs[key]
        assert _parameters(operation) == _parameters(other), key
        assert set(operation["responses"]) == set(other["responses"]), key
        for status, response in operation["responses"].items():
            assert response.get("content") == other["responses"][status].get("content"), (
                key,
                status,
            )
            assert response.get("headers") == other["responses"][status].get("headers")
        body, other_body = operation.get("requestBody"), other.get("requestBody")
        if key[1] == "patch":
            for media_type, content in body["content"].items():
                schema = other_body["content"][media_type]["schema"]
                assert "required" in content["schema"] and "required" not in schema
                assert {**schema, "required": content["schema"]["required"]} == content["schema"]
            assert body.get("required") == other_body.get("required")
        else:
            assert body == other_body, key


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        (path, method): _resolve(operation, document)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {(p["name"], p["in"]): p for p in operation.get("parameters", ())}


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[1]
            return _resolve(document["components"]["schemas"][name], document)
        return {key: _resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(value, document) for value in node]
    return node
