"""Base classes for request and response bodies."""

from pydantic import BaseModel, ConfigDict

#: What every text field and text query parameter accepts: any Unicode text
#: without U+0000 (NUL), which databases refuse or cut short, so the rule is one
#: for every database. Lone surrogates (a JSON escape such as "\ud800" without
#: its pair) are not text at all: pydantic refuses them in every string field.
STORABLE_TEXT = r"^[^\x00]*$"


class RequestBody(BaseModel):
    """Input: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    """Output: built from ORM objects or plain values."""

    model_config = ConfigDict(from_attributes=True)
