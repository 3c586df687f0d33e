"""Domain errors; the web layer maps each to an HTTP problem response."""


class DomainError(Exception):
    """Base of the errors a service raises on purpose."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The resource does not exist, or the caller may not know it exists."""


class ConflictError(DomainError):
    """The request conflicts with the current state (e.g. a duplicate)."""


class AuthenticationError(DomainError):
    """The credentials or the token are missing, invalid or expired."""


class RateLimitedError(DomainError):
    """Too many attempts; the caller may retry after `retry_after` seconds."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UnavailableError(DomainError):
    """A dependency (the database) does not answer; retrying later may work."""
