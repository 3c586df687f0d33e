"""JSON Web Tokens: short-lived access tokens and tracked refresh tokens."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

TokenType = Literal["access", "refresh"]
_REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "type"]


class InvalidTokenError(Exception):
    """The token is malformed, expired, wrongly signed or of the wrong type."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: uuid.UUID
    token_id: uuid.UUID


class TokenCodec:
    """Signs and verifies tokens with one secret and one HMAC algorithm."""

    def __init__(self, secret: str, algorithm: str) -> None:
        self._secret = secret
        self._algorithm = algorithm

    def issue(self, subject: uuid.UUID, token_type: TokenType, ttl: timedelta) -> IssuedToken:
        now = datetime.now(UTC)
        token_id = uuid.uuid4()
        expires_at = now + ttl
        claims = {
            "sub": str(subject),
            "iat": now,
            "exp": expires_at,
            "jti": str(token_id),
            "type": token_type,
        }
        token = jwt.encode(claims, self._secret, algorithm=self._algorithm)
        return IssuedToken(token=token, token_id=token_id, expires_at=expires_at)

    def verify(self, token: str, expected_type: TokenType) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                options={"require": _REQUIRED_CLAIMS},
            )
            if claims["type"] != expected_type:
                raise InvalidTokenError(f"expected a {expected_type} token")
            return TokenClaims(subject=uuid.UUID(claims["sub"]), token_id=uuid.UUID(claims["jti"]))
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidTokenError(str(error)) from error
