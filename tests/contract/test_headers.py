"""Section 3: request ids, security headers, caching and CORS."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.contract.client import (
    REQUEST_ID_PATTERN,
    assert_hsts,
    assert_problem,
    assert_security_headers,
    assert_status,
    token,
)
from tests.contract.combinations import for_combinations
from tests.contract.server import ALLOWED_ORIGIN, LiveServer, wait_for_log_lines

pytestmark = [pytest.mark.contract, for_combinations()]

OTHER_ORIGIN = "https://evil.example"


@pytest.mark.parametrize(
    "request_id",
    ["abc", "Req.1_2-3", "a" * 128, str(uuid.uuid4())],
    ids=["short", "punctuation", "128-chars", "uuid"],
)
def test_valid_request_id_is_echoed(client: httpx.Client, request_id: str) -> None:
    for path in ("/health/live", "/api/v1/no-such-route"):
        response = client.get(path, headers={"X-Request-ID": request_id})

        assert response.headers.get("x-request-id") == request_id, (path, response.headers)


@pytest.mark.parametrize(
    "request_id",
    ["a" * 129, "x" * 200, "has spaces", "semi;colon", "slash/", "<script>", "ünïcode"],
    ids=["129-chars", "200-chars", "spaces", "semicolon", "slash", "markup", "non-ascii"],
)
def test_invalid_request_id_is_replaced(client: httpx.Client, request_id: str) -> None:
    response = client.get("/health/live", headers=[(b"X-Request-ID", request_id.encode())])

    returned = response.headers.get("x-request-id", "")
    assert REQUEST_ID_PATTERN.match(returned), f"generated id {returned!r} is not valid"
    assert returned != request_id


def test_missing_request_id_is_generated_fresh(client: httpx.Client) -> None:
    ids = [client.get("/health/live").headers.get("x-request-id", "") for _ in range(3)]

    assert all(REQUEST_ID_PATTERN.match(value) for value in ids), ids
    assert len(set(ids)) == len(ids), f"request ids repeat: {ids}"


def test_log_lines_of_a_request_carry_its_id(client: httpx.Client, live: LiveServer) -> None:
    request_id, path = f"contract-{token()}", f"/api/v1/no-such-route-{token()}"

    assert_problem(client.get(path, headers={"X-Request-ID": request_id}), 404)

    lines = wait_for_log_lines(live, path)
    assert lines, f"no log line mentions the request to {path}"
    missing = [line for line in lines if request_id not in line]
    assert not missing, f"log lines of the request without its id: {missing}"


def test_security_headers_on_success_and_errors(api: httpx.Client) -> None:
    responses = [
        api.get("/health/live"),
        api.get("/health/ready"),
        api.get("/api/v1/items"),
        api.get("/openapi.json"),
        api.get("/api/v1/no-such-route"),
        api.put("/api/v1/items"),
        api.get("/api/v1/items", params={"limit": 0}),
        api.get(f"/api/v1/items/{uuid.uuid4()}"),
    ]

    for response in responses:
        assert_security_headers(response.headers)


def test_hsts_in_production(api: httpx.Client) -> None:
    for response in (api.get("/health/live"), api.get("/api/v1/no-such-route")):
        assert_hsts(response.headers)


def test_cors_allowed_origin_is_reflected(client: httpx.Client) -> None:
    for path in ("/health/live", "/api/v1/no-such-route"):
        response = client.get(path, headers={"Origin": ALLOWED_ORIGIN})

        assert response.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN, (
            path,
            dict(response.headers),
        )
        vary = {part.strip().lower() for part in response.headers.get("vary", "").split(",")}
        assert "origin" in vary, f"{path}: reflected origin without Vary: Origin"


def test_cors_other_origin_gets_no_cors_headers(client: httpx.Client) -> None:
    response = client.get("/health/live", headers={"Origin": OTHER_ORIGIN})

    assert_status(response, 200)
    cors = [name for name in response.headers if name.lower().startswith("access-control-")]
    assert not cors, f"CORS headers for a foreign origin: {cors}"


def test_cors_preflight_from_allowed_origin(client: httpx.Client) -> None:
    response = client.options(
        "/api/v1/items",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert response.status_code in {200, 204}, f"{response.status_code}: {response.text[:300]}"
    assert response.headers.get("access-control-allow-origin") == ALLOWED_ORIGIN
    methods = response.headers.get("access-control-allow-methods", "").upper()
    assert "POST" in methods or "*" in methods, dict(response.headers)
    allowed_headers = response.headers.get("access-control-allow-headers", "").lower()
    for header in ("authorization", "content-type"):
        assert header in allowed_headers or "*" in allowed_headers, dict(response.headers)


def test_cors_preflight_from_other_origin_is_not_allowed(client: httpx.Client) -> None:
    response = client.options(
        "/api/v1/items",
        headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers, dict(response.headers)
    assert response.status_code < 500, response.text
