"""A minimal HTTP/1.1 exchange over a raw socket, for oversized bodies.

A server that refuses a large body answers before it has read it all, often
while the client is still sending. Ordinary clients then fail with a broken
pipe or wait for ever; this one sends the body piece by piece, stops as soon
as the server answers, and never waits beyond its deadline.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx

_READ_SIZE = 65536


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed: float


class NoResponseError(AssertionError):
    """The server did not answer in time, or closed without answering."""


def request_head(method: str, path: str, host: str, port: int, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(pieces: Iterable[bytes], *, terminate: bool) -> Iterator[bytes]:
    """Transfer-Encoding: chunked framing of `pieces`."""
    for piece in pieces:
        yield f"{len(piece):X}\r\n".encode() + piece + b"\r\n"
    if terminate:
        yield b"0\r\n\r\n"


def exchange(
    host: str,
    port: int,
    head: bytes,
    body: Iterable[bytes] = (),
    *,
    timeout: float = 10.0,
) -> RawResponse:
    """Send `head` then `body` until the server answers; return its response."""
    started = time.monotonic()
    deadline = started + timeout
    pending = iter([head, *body])
    outgoing = b""
    received = b""
    with socket.create_connection((host, port), timeout=timeout) as connection:
        connection.setblocking(False)
        sending = True
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise NoResponseError(
                    f"no complete response within {timeout:.0f} s "
                    f"(received {len(received)} bytes: {received[:200]!r})"
                )
            if sending and not outgoing:
                outgoing = next(pending, b"")
                sending = bool(outgoing)
            writers = [connection] if sending else []
            readable, writable, _ = select.select([connection], writers, [], remaining)
            if readable:
                try:
                    data = connection.recv(_READ_SIZE)
                except ConnectionResetError:
                    data = b""
                if not data:
                    break
                received += data
                sending = False  # the server has answered: stop sending
                response = _parse(received, complete=False)
                if response is not None:
                    return _with_elapsed(response, time.monotonic() - started)
            elif writable:
                try:
                    sent = connection.send(outgoing)
                except (BrokenPipeError, ConnectionResetError):
                    sending, outgoing = False, b""
                else:
                    outgoing = outgoing[sent:]
    response = _parse(received, complete=True)
    if response is None:
        raise NoResponseError(f"connection closed without a complete response: {received[:300]!r}")
    return _with_elapsed(response, time.monotonic() - started)


def _with_elapsed(response: RawResponse, elapsed: float) -> RawResponse:
    return RawResponse(response.status, response.headers, response.body, elapsed)


def _parse(data: bytes, *, complete: bool) -> RawResponse | None:
    """The response in `data`, or None while it is still incomplete."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        return None
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    pairs = [line.split(":", 1) for line in header_lines if ":" in line]
    headers = httpx.Headers([(name.strip(), value.strip()) for name, value in pairs])
    if "content-length" in headers:
        length = int(headers["content-length"])
        return RawResponse(status, headers, rest[:length], 0.0) if len(rest) >= length else None
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _dechunk(rest)
        return RawResponse(status, headers, body, 0.0) if body is not None else None
    return RawResponse(status, headers, rest, 0.0) if complete else None


def _dechunk(data: bytes) -> bytes | None:
    body = b""
    while True:
        size_line, separator, data = data.partition(b"\r\n")
        if not separator:
            return None
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return body
        if len(data) < size + 2:
            return None
        body, data = body + data[:size], data[size + 2 :]
