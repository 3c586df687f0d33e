"""Chunked request bodies, made countable for Django.

Django reads a body only as far as its Content-Length says, so a chunked body
(no Content-Length) would look empty. This WSGI wrapper reads such a body up to
the limit and hands it on with its length. A body past the limit is not read
further: the request goes on with a length above the limit and no body, and the
body-size middleware answers 413 as for any oversized body.
"""

import io
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment


class CountedBodies:
    def __init__(self, app: WSGIApplication, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if chunked and not environ.get("CONTENT_LENGTH"):
            body: bytes = environ["wsgi.input"].read(self.max_bytes + 1)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input"] = io.BytesIO(b"" if len(body) > self.max_bytes else body)
        return self.app(environ, start_response)
