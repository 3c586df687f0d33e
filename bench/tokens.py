"""Access tokens for the baseline, cut from the generated app's own tokens."""

import time
import uuid
from typing import Any

import jwt

ALGORITHM = "HS256"


def reissue(access_token: str, secret_key: str) -> str:
    """The same token with fresh iat, exp and jti, signed with the same key.

    The generated server is stopped while the baseline runs, so it cannot issue
    tokens then. Copying the claims of a token it did issue (after verifying its
    signature, which also proves the two apps share key and algorithm) keeps the
    baseline's token work identical, and the fresh times keep the token valid.
    """
    claims: dict[str, Any] = jwt.decode(
        access_token,
        secret_key,
        algorithms=[ALGORITHM],
        options={"verify_aud": False},
    )
    lifetime_s = int(claims["exp"]) - int(claims["iat"])
    now = int(time.time())
    claims.update(iat=now, exp=now + lifetime_s, jti=uuid.uuid4().hex)
    if "nbf" in claims:
        claims["nbf"] = now
    return jwt.encode(claims, secret_key, algorithm=ALGORITHM)
