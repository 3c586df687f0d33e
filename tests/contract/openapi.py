"""Reading the OpenAPI document: its operations, and the normalisation under which
the three frameworks serve one document (docs/contract.md section 1)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx

from tests.contract.client import JsonObject, assert_status, media_type

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
#: Prose, which each framework writes from its own docstrings and names.
PROSE_KEYS = frozenset({"description", "summary"})


def fetch_document(client: httpx.Client) -> JsonObject:
    response = client.get("/openapi.json")
    assert_status(response, 200)
    assert media_type(response.headers) == "application/json"
    # A key twice in one object is valid to Python's parser (the last wins) but
    # not to YAML-based readers such as Swagger UI, which then render nothing.
    document = json.loads(response.text, object_pairs_hook=_without_duplicate_keys)
    assert isinstance(document, dict), f"expected a JSON object, got {document!r}"
    return document


def _without_duplicate_keys(pairs: list[tuple[str, Any]]) -> JsonObject:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicated, f"the document repeats the keys {duplicated} in one object"
    return dict(pairs)


def operations(document: JsonObject) -> Iterator[tuple[str, str, JsonObject]]:
    """Every operation as (method, path, operation)."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def has_path_parameter(path: str) -> bool:
    return re.search(r"\{[^}]+\}", path) is not None


def normalised(document: JsonObject) -> JsonObject:
    """The document without what may differ between frameworks: `info` and prose.

    Key order does not count either (JSON objects are compared as mappings).
    Everything a client is generated from stays: paths, operations and their
    ids, parameters, request bodies, responses, media types, security, and
    the component names and schemas. A property *named* `description` (an
    item's) is data, not prose, and stays.
    """
    return {key: _without_prose(value) for key, value in document.items() if key != "info"}


def _without_prose(value: Any, *, in_properties: bool = False) -> Any:
    if isinstance(value, dict):
        return {
            key: _without_prose(item, in_properties=key == "properties" and not in_properties)
            for key, item in value.items()
            if in_properties or key not in PROSE_KEYS
        }
    if isinstance(value, list):
        return [_without_prose(item) for item in value]
    return value


def differences(left: Any, right: Any, where: str = "") -> Iterator[str]:
    """Where two JSON values differ, as JSON-pointer-like locations."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys()):
            here = f"{where}/{key}"
            if key not in right:
                yield f"{here}: only in the first"
            elif key not in left:
                yield f"{here}: only in the second"
            else:
                yield from differences(left[key], right[key], here)
    elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right, strict=True)):
            yield from differences(one, other, f"{where}/{index}")
    elif left != right:
        yield f"{where or '/'}: {str(left)[:120]} != {str(right)[:120]}"
