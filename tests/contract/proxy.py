"""A TCP proxy the test controls, to take a database away and bring it back.

While open, it forwards every connection on 127.0.0.1:<port> to the target.
Two kinds of outage:

- `cut()` closes every open connection and stops listening, so new
  connections are refused at once (the database server is down);
- `stall()` keeps every connection open and accepts new ones but forwards
  nothing (a network partition: packets vanish, nothing is refused).

`restore()` ends either: it listens on the same port again and forwards
whatever was held back.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType
from typing import Self

_BUFFER = 65536
_POLL_SECONDS = 0.1


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._flowing = threading.Event()
        self._flowing.set()
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._listener is not None

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        with self._lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            connections = list(self._connections)
            self._connections.clear()
        for connection in connections:
            _close(connection)

    def stall(self) -> None:
        """Keep every connection, forward nothing until `restore()`."""
        self._flowing.clear()

    def restore(self) -> None:
        """Accept and forward connections again, on the same port."""
        with self._lock:
            if self._listener is None:
                self._listener = self._listen(self.port)
        self._flowing.set()

    def close(self) -> None:
        self._stopped.set()
        self._flowing.set()
        self.cut()
        self._acceptor.join(timeout=2)

    def open_connections(self) -> int:
        with self._lock:
            return len(self._connections)

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        return listener

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                self._stopped.wait(_POLL_SECONDS)
                continue
            try:
                readable, _, _ = select.select([listener], [], [], _POLL_SECONDS)
                if not readable:
                    continue
                client, _ = listener.accept()
            except (OSError, ValueError):
                continue  # the listener was closed by cut()
            self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            _close(client)
            return
        with self._lock:
            if self._listener is None:  # cut while this connection was being set up
                _close(client)
                _close(upstream)
                return
            self._connections.update((client, upstream))
        for source, destination in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, destination), daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        try:
            while data := source.recv(_BUFFER):
                while not self._flowing.wait(_POLL_SECONDS):
                    if self._stopped.is_set():
                        return
                destination.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(destination)
            _close(source)
            _close(destination)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
