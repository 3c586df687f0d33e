"""Building RFC 9457 problem responses."""

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
#: Where the request id lives on a request, once the middleware has chosen it.
_REQUEST_ID_KEY = "request_id"


def set_request_id(request: HttpRequest, request_id: str) -> None:
    request.META[_REQUEST_ID_KEY] = request_id


def request_id_of(request: HttpRequest) -> str | None:
    request_id = request.META.get(_REQUEST_ID_KEY)
    return request_id if isinstance(request_id, str) else None


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem(
    request: HttpRequest,
    status: int,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "request_id": request_id_of(request),
        **extra,
    }
    return HttpResponse(
        json.dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )
