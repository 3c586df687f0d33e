"""Run a generated project's production server (`make serve`) and talk to it."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.harness.environment import uv_environment
from tests.harness.mail_sink import mail_settings
from tests.smoke.report import StepError

STARTUP_SECONDS = 60.0
SHUTDOWN_SECONDS = 25.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def production_environment(database_url: str, port: int) -> dict[str, str]:
    """The operations interface of docs/contract.md section 9, production-like."""
    return {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "INFO",
        # Read only by projects that send e-mail (auth=jwt with a task queue).
        **mail_settings(),
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def group_alive(self) -> bool:
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self) -> float:
        """SIGTERM to the server; seconds until every process of it exited."""
        started = time.perf_counter()
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGTERM)
        while self.group_alive() and time.perf_counter() - started < SHUTDOWN_SECONDS:
            self.process.poll()
            time.sleep(0.1)
        if self.group_alive():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise StepError(f"still running {SHUTDOWN_SECONDS:.0f} s after SIGTERM")
        self.process.wait()
        return time.perf_counter() - started


@contextmanager
def serving(
    project: Path,
    python_version: str,
    environment: Mapping[str, str],
    log: Path,
    target: str = "serve",
) -> Iterator[Server]:
    """`make serve` (or `target`) in its own process group, until it answers /health/live."""
    env = {**uv_environment(python_version), **environment}
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", target],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{environment['PORT']}", log)
    try:
        _wait_until_live(server)
        yield server
    finally:
        if server.group_alive():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_live(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise StepError(
                f"`make serve` exited {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            if httpx.get(f"{server.base_url}/health/live", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise StepError(
        f"no answer on /health/live within {STARTUP_SECONDS:.0f} s:\n{server.log_tail()}"
    )
