"""Building RFC 9457 problem responses."""

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, g

PROBLEM_CONTENT_TYPE = "application/problem+json"


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, request_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "request_id": request_id,
        **extra,
    }


def problem(
    status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    """A problem response to the current request, carrying its request id."""
    body = problem_body(status, detail, g.get("request_id"), **extra)
    return Response(
        json.dumps(body), status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE
    )
