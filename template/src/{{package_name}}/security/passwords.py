"""Password hashing with argon2id.

Hashing is deliberately slow; callers in async code run these functions in a
worker thread so the event loop keeps serving other requests.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2id at OWASP's recommended minimum cost (19 MiB, 2 passes, 1 lane):
#: about 20 ms a hash here, so a login burst cannot starve the server's CPU.
#: Tests swap in a cheaper hasher; nothing else should replace it.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

#: Verified when the user does not exist, so that an unknown e-mail takes as
#: long to refuse as a wrong password.
_DUMMY_HASH = hasher.hash("not-a-real-password: timing equaliser")


def hash_password(password: str) -> str:
    return hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash, spend the same time and say no."""
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return hasher.check_needs_rehash(password_hash)
