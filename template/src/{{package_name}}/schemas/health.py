"""Liveness and readiness reports."""

from typing import Literal

from pydantic import BaseModel

CheckStatus = Literal["ok", "error"]


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckStatus]
