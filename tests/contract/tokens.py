"""Forging access tokens, to check that the server refuses the bad ones."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from typing import Any

import jwt

ACCESS_LIFETIME = 15 * 60
REFRESH_LIFETIME = 7 * 24 * 60 * 60


def claims(
    subject: str, *, lifetime: int = ACCESS_LIFETIME, age: int = 0, **extra: Any
) -> dict[str, Any]:
    """Claims shaped like the server's access tokens, issued `age` seconds ago."""
    issued = int(time.time()) - age
    return {
        "sub": subject,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": uuid.uuid4().hex,
        "type": "access",
        **extra,
    }


def signed(payload: dict[str, Any], key: str) -> str:
    return jwt.encode(payload, key, algorithm="HS256")


def unsigned(payload: dict[str, Any]) -> str:
    """An `alg: none` token: header and payload, empty signature."""
    parts = [{"alg": "none", "typ": "JWT"}, payload]
    encoded = [_b64(json.dumps(part, separators=(",", ":")).encode()) for part in parts]
    return ".".join([*encoded, ""])


def with_payload(token: str, payload: dict[str, Any]) -> str:
    """`token` with its payload replaced and its original signature kept."""
    header, _, signature = token.split(".")
    return ".".join([header, _b64(json.dumps(payload).encode()), signature])


def other_key() -> str:
    return secrets.token_urlsafe(48)


def decode_unverified(token: str) -> dict[str, Any]:
    payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return payload


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
