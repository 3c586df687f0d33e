"""CORS for an allowlist of origins; other origins get no CORS headers at all.

Starlette's middleware adds some CORS headers for any origin and answers a
refused preflight itself in plain text; here a request from an origin not on
the list passes through untouched, as if CORS did not exist.
"""

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALLOWED_METHODS = ("GET", "POST", "PATCH", "DELETE")
ALLOWED_HEADERS = ("authorization", "content-type", "x-request-id")
EXPOSED_HEADERS = ("X-Request-ID", "Location", "Retry-After")
PREFLIGHT_MAX_AGE_SECONDS = 600


class AllowlistCORSMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.allowed_origins:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None or origin not in self.allowed_origins:
            await self.app(scope, receive, self._vary_on_origin(send))
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, headers)(scope, receive, send)
            return
        await self.app(scope, receive, self._with_cors_headers(send, origin))

    @staticmethod
    def _preflight(origin: str, headers: Headers) -> Response:
        requested = {
            name.strip().lower()
            for name in headers.get("access-control-request-headers", "").split(",")
            if name.strip()
        }
        method = headers["access-control-request-method"].upper()
        if method not in ALLOWED_METHODS or not requested <= set(ALLOWED_HEADERS):
            # Refused: no CORS headers, so the browser blocks the real request.
            return Response(status_code=204, headers={"Vary": "Origin"})
        return Response(
            status_code=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
                "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
                "Vary": "Origin",
            },
        )

    @staticmethod
    def _vary_on_origin(send: Send) -> Send:
        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Origin")
            await send(message)

        return send_with_vary

    @staticmethod
    def _with_cors_headers(send: Send, origin: str) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = origin
                response_headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
                response_headers.add_vary_header("Origin")
            await send(message)

        return send_with_cors
