"""Base classes for request and response bodies."""

from pydantic import BaseModel, ConfigDict


class RequestBody(BaseModel):
    """Input: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ResponseBody(BaseModel):
    """Output: built from ORM objects or plain values."""

    model_config = ConfigDict(from_attributes=True)
