"""JSON responses serialised straight from pydantic models.

Routes declare their `response_model` for the OpenAPI schema and return a
ready response: the body is serialised once, in pydantic's core, instead of
being validated again and converted by FastAPI.
"""

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def json_response(
    body: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        body.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )
