"""Base classes for request and response bodies."""

from typing import Any

from pydantic import BaseModel, ConfigDict

#: What every text field and text query parameter accepts: any Unicode text
#: without U+0000 (NUL), which databases refuse or cut short, so the rule is one
#: for every database. Lone surrogates (a JSON escape such as "\ud800" without
#: its pair) are not text at all: pydantic refuses them in every string field.
STORABLE_TEXT = r"^[^\x00]*$"


def not_null_in_schema(schema: dict[str, Any]) -> None:
    """Document an optional field as its non-null type: `null` is refused, not accepted.

    For a field that may be left out of a PATCH but not sent as `null`: its
    model type is `X | None` (None meaning "not sent"), a validator refuses an
    explicit null, and the document shows the plain `X`.
    """
    non_null, _ = schema.pop("anyOf")
    schema.update(non_null)


class RequestBody(BaseModel):
    """Input: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    """Output: built from ORM objects or plain values."""

    model_config = ConfigDict(from_attributes=True)
