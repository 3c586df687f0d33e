"""Section 4: body size limit and pagination bounds."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.contract.client import (
    User,
    assert_error_at,
    assert_problem_body,
    assert_security_headers,
    list_items,
)
from tests.contract.combinations import for_combinations
from tests.contract.rawhttp import chunked, exchange, request_head
from tests.contract.server import LiveServer

pytestmark = [pytest.mark.contract, for_combinations()]

MIB = 1024 * 1024
#: How long the server may take to refuse an oversized body it has not read.
EARLY_ANSWER_SECONDS = 5.0


def _headers(user: User | None, **extra: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", **extra}
    if user is not None:
        headers["Authorization"] = f"Bearer {user.access_token}"
    return headers


def _oversized_json(size: int) -> bytes:
    padding = size - len(json.dumps({"title": "big", "description": ""}).encode())
    return json.dumps({"title": "big", "description": "x" * padding}).encode()


def test_oversized_body_with_honest_length_is_413(
    live: LiveServer, current_user: User | None
) -> None:
    body = _oversized_json(MIB + 1)
    head = request_head(
        "POST",
        "/api/v1/items",
        live.host,
        live.port,
        _headers(current_user, **{"Content-Length": str(len(body))}),
    )

    response = exchange(
        live.host, live.port, head, [body[i : i + 65536] for i in range(0, len(body), 65536)]
    )

    assert response.status == 413, f"{response.status}: {response.body[:300]!r}"
    assert_problem_body(response.headers, response.body, 413)
    assert_security_headers(response.headers)


def test_oversized_length_is_refused_before_the_body_is_read(
    live: LiveServer, current_user: User | None
) -> None:
    paths = ["/api/v1/items"]
    if current_user is not None:
        paths += ["/api/v1/auth/register", "/api/v1/auth/token"]
    for path in paths:
        head = request_head(
            "POST",
            path,
            live.host,
            live.port,
            _headers(current_user, **{"Content-Length": str(2 * MIB)}),
        )

        response = exchange(live.host, live.port, head, timeout=EARLY_ANSWER_SECONDS)

        assert response.status == 413, f"{path}: {response.status}: {response.body[:300]!r}"
        assert_problem_body(response.headers, response.body, 413)


def test_oversized_chunked_body_is_refused_while_streaming(
    live: LiveServer, current_user: User | None
) -> None:
    """No Content-Length: the server must count and stop at the limit."""
    head = request_head(
        "POST",
        "/api/v1/items",
        live.host,
        live.port,
        _headers(current_user, **{"Transfer-Encoding": "chunked"}),
    )
    # 1.5 MiB of chunks and no final chunk: only a server that stops reading at
    # the limit can answer before the deadline.
    pieces = chunked([b"x" * 65536] * 24, terminate=False)

    response = exchange(live.host, live.port, head, pieces, timeout=EARLY_ANSWER_SECONDS * 2)

    assert response.status == 413, f"{response.status}: {response.body[:300]!r}"
    assert_problem_body(response.headers, response.body, 413)


def test_body_under_the_limit_is_not_413(api: httpx.Client) -> None:
    body = _oversized_json(MIB - 4096)

    response = api.post("/api/v1/items", content=body, headers={"Content-Type": "application/json"})

    assert_error_at(response, ["body", "description"])


@pytest.mark.parametrize("value", ["0", "101", "-1", "abc", "1.5", ""])
def test_limit_out_of_range_is_422(api: httpx.Client, value: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"limit": value}), ["query", "limit"])


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", ""])
def test_offset_out_of_range_is_422(api: httpx.Client, value: str) -> None:
    assert_error_at(api.get("/api/v1/items", params={"offset": value}), ["query", "offset"])


def test_pagination_defaults(api: httpx.Client) -> None:
    page = list_items(api)

    assert page["limit"] == 20, page
    assert page["offset"] == 0, page
    assert len(page["items"]) <= 20
    assert isinstance(page["total"], int), page


@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (100, 0), (5, 1000000)])
def test_pagination_bounds_accepted(api: httpx.Client, limit: int, offset: int) -> None:
    page = list_items(api, limit=limit, offset=offset)

    assert (page["limit"], page["offset"]) == (limit, offset), page
    assert len(page["items"]) <= limit
    if offset >= page["total"]:
        assert page["items"] == [], page
