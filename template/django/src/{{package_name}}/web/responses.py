"""JSON responses serialised by pydantic, straight to bytes."""

from collections.abc import Mapping

from django.http import HttpResponse
from pydantic import BaseModel


def json_response(
    body: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(
        body.model_dump_json(), status=status, content_type="application/json", headers=headers
    )
