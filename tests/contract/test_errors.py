"""Section 2: every error is an RFC 9457 problem, validation errors say where."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.contract.client import (
    assert_error_at,
    assert_problem,
    assert_validation_errors,
    error_locations,
    token,
)
from tests.contract.combinations import for_combinations

pytestmark = [pytest.mark.contract, for_combinations()]


@pytest.mark.parametrize("path", ["/api/v1/no-such-route", "/no-such-page", "/api/v2/items"])
def test_unknown_route_is_a_404_problem(client: httpx.Client, path: str) -> None:
    body = assert_problem(client.get(path), 404)

    assert body["title"], body


def test_wrong_method_is_a_405_problem_with_allow(api: httpx.Client) -> None:
    response = api.put("/api/v1/items", json={"title": "x"})

    assert_problem(response, 405)
    allowed = {method.strip().upper() for method in response.headers.get("allow", "").split(",")}
    assert {"GET", "POST"} <= allowed, f"Allow: {response.headers.get('allow')!r}"


def test_wrong_method_on_health_is_a_405_problem(client: httpx.Client) -> None:
    assert_problem(client.delete("/health/live"), 405)


def test_missing_body_field_is_located(api: httpx.Client) -> None:
    assert_error_at(api.post("/api/v1/items", json={"description": "no title"}), ["body", "title"])


def test_wrong_body_type_is_located(api: httpx.Client) -> None:
    assert_error_at(
        api.post("/api/v1/items", json={"title": ["not", "a", "string"]}), ["body", "title"]
    )


def test_query_error_is_located(api: httpx.Client) -> None:
    assert_error_at(api.get("/api/v1/items", params={"limit": "many"}), ["query", "limit"])


def test_unknown_body_field_is_refused(api: httpx.Client) -> None:
    response = api.post("/api/v1/items", json={"title": f"{token()} extra", "is_admin": True})

    locations = error_locations(assert_validation_errors(response))
    assert any("is_admin" in location for location in locations), locations


def test_json_array_body_is_refused(api: httpx.Client) -> None:
    response = api.post("/api/v1/items", json=[{"title": "in a list"}])

    assert_validation_errors(response)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": ',
        b"{'title': 'single quotes'}",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b'{"title": "\xc3"}',
        b"",
    ],
    ids=["truncated", "single-quotes", "text", "binary", "not-utf-8", "empty"],
)
def test_malformed_json_is_a_client_error(api: httpx.Client, raw: bytes) -> None:
    response = api.post("/api/v1/items", content=raw, headers={"Content-Type": "application/json"})

    assert_problem(response, 422)


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_non_json_content_type_is_a_415(api: httpx.Client, media_type: str) -> None:
    """Section 2: every flavour answers 415 to a body of a media type a JSON route does not take."""
    response = api.post(
        "/api/v1/items", content=b"title=form", headers={"Content-Type": media_type}
    )

    assert_problem(response, 415)


@pytest.mark.parametrize(
    "identifier", ["not-a-uuid", "12345", f"{uuid.uuid4()}x"], ids=["word", "number", "uuid-plus"]
)
def test_malformed_id_in_path_is_422(api: httpx.Client, identifier: str) -> None:
    for response in (
        api.get(f"/api/v1/items/{identifier}"),
        api.patch(f"/api/v1/items/{identifier}", json={"title": "x"}),
        api.delete(f"/api/v1/items/{identifier}"),
    ):
        locations = error_locations(assert_validation_errors(response))
        assert any(location[0] == "path" for location in locations), locations


def test_missing_item_is_a_404_problem(api: httpx.Client) -> None:
    assert_problem(api.get(f"/api/v1/items/{uuid.uuid4()}"), 404)
