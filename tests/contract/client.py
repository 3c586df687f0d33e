"""HTTP helpers for the contract suite: clients, users and shared assertions."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

REQUEST_TIMEOUT = 10.0
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
PROBLEM_CONTENT_TYPE = "application/problem+json"
USER_FIELDS = {"id", "email", "full_name", "is_active", "created_at"}
ITEM_FIELDS = {"id", "title", "description", "created_at", "updated_at"}
HSTS_MIN_AGE = 31536000

JsonObject = dict[str, Any]


def new_client(
    base_url: str, headers: Mapping[str, str] | None = None, timeout: float = REQUEST_TIMEOUT
) -> httpx.Client:
    """A client with a bounded timeout on every request."""
    return httpx.Client(base_url=base_url, timeout=timeout, headers=headers)


def token(length: int = 12) -> str:
    """A unique lower-case marker to isolate a test's data on a shared server."""
    return secrets.token_hex(length // 2)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{token()}@example.com"


def json_object(response: httpx.Response) -> JsonObject:
    body = response.json()
    assert isinstance(body, dict), f"expected a JSON object, got {body!r}"
    return body


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} -> {response.status_code}, "
        f"expected {status}: {response.text[:500]}"
    )


def assert_problem(response: httpx.Response, status: int) -> JsonObject:
    """An RFC 9457 problem of `status`, with the request id of the response."""
    assert_status(response, status)
    return assert_problem_body(response.headers, response.content, status)


def assert_problem_body(headers: Mapping[str, str], content: bytes, status: int) -> JsonObject:
    assert media_type(headers) == PROBLEM_CONTENT_TYPE, (
        f"Content-Type {headers.get('content-type')!r}, expected {PROBLEM_CONTENT_TYPE}: "
        f"{content[:300]!r}"
    )
    body = json.loads(content)
    assert isinstance(body, dict), f"problem body is not an object: {body!r}"
    for field in ("type", "title", "status", "detail", "request_id"):
        assert field in body, f"problem body lacks {field!r}: {body}"
    assert body["status"] == status, body
    assert isinstance(body["type"], str), body
    assert body["type"], body
    assert isinstance(body["title"], str), body
    assert body["title"].strip(), body
    assert isinstance(body["detail"], str), body
    assert body["detail"].strip(), body
    assert body["request_id"] == headers.get("x-request-id"), (
        f"request_id {body['request_id']!r} != X-Request-ID {headers.get('x-request-id')!r}"
    )
    return body


def assert_validation_errors(response: httpx.Response) -> list[JsonObject]:
    """A 422 problem whose `errors` list each carry `loc` and `msg`."""
    body = assert_problem(response, 422)
    errors = body.get("errors")
    assert isinstance(errors, list), f"422 without an errors list: {body}"
    assert errors, f"422 with an empty errors list: {body}"
    for error in errors:
        assert isinstance(error, dict), error
        location = error.get("loc")
        assert isinstance(location, list), f"loc is not a list: {error}"
        assert location, f"empty loc: {error}"
        assert all(isinstance(part, str | int) for part in location), error
        assert isinstance(error.get("msg"), str), f"msg is not a string: {error}"
        assert error["msg"].strip(), error
    return errors


def error_locations(errors: list[JsonObject]) -> list[list[str | int]]:
    return [list(error["loc"]) for error in errors]


def assert_error_at(response: httpx.Response, location: list[str | int]) -> None:
    locations = error_locations(assert_validation_errors(response))
    assert location in locations, f"no error at {location}; errors at {locations}"


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), words[1:])
    return directives


def assert_security_headers(headers: Mapping[str, str], *, api: bool = True) -> None:
    """The headers section 3 puts on every response (CSP: API and errors)."""
    assert headers.get("x-content-type-options", "").lower() == "nosniff", dict(headers)
    assert headers.get("x-frame-options", "").upper() == "DENY", dict(headers)
    assert headers.get("referrer-policy", "").lower() == "no-referrer", dict(headers)
    if api:
        directives = csp_directives(headers.get("content-security-policy", ""))
        assert directives.get("default-src") == ["'none'"], (
            f"CSP {headers.get('content-security-policy')!r} lacks default-src 'none'"
        )
        assert directives.get("frame-ancestors") == ["'none'"], (
            f"CSP {headers.get('content-security-policy')!r} lacks frame-ancestors 'none'"
        )


def assert_hsts(headers: Mapping[str, str]) -> None:
    value = headers.get("strict-transport-security", "")
    parts = [part.strip().lower() for part in value.split(";")]
    ages = [part.removeprefix("max-age=") for part in parts if part.startswith("max-age=")]
    assert ages, f"no Strict-Transport-Security max-age in production: {value!r}"
    assert ages[0].isdigit(), value
    assert int(ages[0]) >= HSTS_MIN_AGE, value
    assert "includesubdomains" in parts, value


def assert_no_store(response: httpx.Response) -> None:
    directives = [
        part.strip().lower() for part in response.headers.get("cache-control", "").split(",")
    ]
    assert "no-store" in directives, (
        f"{response.request.method} {response.request.url.path}: Cache-Control "
        f"{response.headers.get('cache-control')!r}, expected no-store"
    )


def parse_timestamp(value: object) -> datetime:
    """An RFC 3339 timestamp in UTC (`Z` or `+00:00`)."""
    assert isinstance(value, str), f"timestamp is not a string: {value!r}"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)", value), (
        f"not an RFC 3339 UTC timestamp: {value!r}"
    )
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() is not None
    return parsed.astimezone(UTC)


# --- users (auth = jwt) ---------------------------------------------------------


@dataclass
class User:
    id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register(
    client: httpx.Client, email: str, password: str, full_name: str | None = None
) -> httpx.Response:
    payload: JsonObject = {"email": email, "password": password}
    if full_name is not None:
        payload["full_name"] = full_name
    return client.post("/api/v1/auth/register", json=payload)


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def new_password() -> str:
    return f"pw-{secrets.token_urlsafe(12)}"


def new_user(client: httpx.Client, prefix: str = "user") -> User:
    """Register a fresh user and log them in."""
    email, password = unique_email(prefix), new_password()
    registered = register(client, email, password)
    assert_status(registered, 201)
    tokens = login(client, email, password)
    assert_status(tokens, 200)
    pair = json_object(tokens)
    return User(
        id=json_object(registered)["id"],
        email=email,
        password=password,
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
    )


# --- items ----------------------------------------------------------------------


def create_item(client: httpx.Client, title: str, description: str | None = None) -> JsonObject:
    response = client.post("/api/v1/items", json={"title": title, "description": description})
    assert_status(response, 201)
    return json_object(response)


def list_items(client: httpx.Client, **params: str | int) -> JsonObject:
    response = client.get("/api/v1/items", params=params)
    assert_status(response, 200)
    return json_object(response)
