"""RFC 9457 problem details, the body of every error response."""

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str | None = None


class ValidationProblem(Problem):
    errors: list[FieldError]


def status_title(status: int) -> str:
    """The standard reason phrase of a status code: a problem's title."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(status: int, detail: str, request_id: str | None, **extra: Any) -> dict[str, Any]:
    """The JSON members of a problem; `extra` adds members such as `errors`."""
    return {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "request_id": request_id,
        **extra,
    }
