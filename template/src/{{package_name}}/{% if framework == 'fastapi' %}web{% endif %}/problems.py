"""Building RFC 9457 problem responses."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from starlette.requests import HTTPConnection

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_CONTENT_TYPE


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def request_id_of(connection: HTTPConnection) -> str | None:
    request_id = connection.scope.get("state", {}).get("request_id")
    return request_id if isinstance(request_id, str) else None


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
    connection: HTTPConnection,
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    body = problem_body(status, detail, request_id_of(connection), **extra)
    return ProblemResponse(body, status_code=status, headers=headers)
