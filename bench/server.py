"""A server process under test: started in its own process group, stopped as a whole."""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from bench.commands import tail
from bench.memory import process_tree, sample_workers
from bench.results import MemorySample
from bench.signals import interrupts_deferred

log = logging.getLogger("bench")

READY_PATH = "/health/ready"
POLL_INTERVAL_S = 0.25


class ServerError(Exception):
    """The server did not come up, or died."""


class ServerProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        port: int,
        log_path: Path,
    ) -> None:
        self.name = name
        self.base_url = f"http://127.0.0.1:{port}"
        self._argv = list(argv)
        self._cwd = cwd
        self._env = dict(env)
        self._log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise ServerError(f"{self.name} is not started")
        return self._process.pid

    def start(self) -> None:
        log.info("starting %s: %s", self.name, " ".join(self._argv))
        with self._log_path.open("wb") as server_log:
            # A session of its own makes the server the leader of a process
            # group, so one signal reaches every worker, and Ctrl-C in the
            # bench's terminal reaches only the bench, which then stops it.
            self._process = subprocess.Popen(
                self._argv,
                cwd=self._cwd,
                env=self._env,
                stdin=subprocess.DEVNULL,
                stdout=server_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = self.base_url + READY_PATH
        last_answer = "no answer"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ServerError(
                    f"{self.name} exited with {self._process.returncode} before it was ready:\n"
                    f"{self.log_tail()}"
                )
            try:
                response = httpx.get(url, timeout=3)
            except httpx.TransportError as error:
                last_answer = type(error).__name__
            else:
                if response.status_code == httpx.codes.OK:
                    log.info("%s is ready at %s", self.name, self.base_url)
                    return
                last_answer = f"{response.status_code} {response.text[:200]}"
            time.sleep(POLL_INTERVAL_S)
        raise ServerError(
            f"{self.name} was not ready after {timeout_s:.0f} s (last: {last_answer}):\n"
            f"{self.log_tail()}"
        )

    def ensure_running(self) -> None:
        if self._process is None or self._process.poll() is not None:
            raise ServerError(f"{self.name} died during the run:\n{self.log_tail()}")

    def sample_memory(self, after_run: int) -> MemorySample:
        return sample_workers(self.pid, after_run)

    def log_tail(self) -> str:
        try:
            return tail(self._log_path.read_text(errors="replace"))
        except OSError:
            return "(no server log)"

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM to the whole group, then SIGKILL what is left after the grace time."""
        if self._process is None:
            return
        group = self._process.pid
        with interrupts_deferred():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            if not self._wait_group_gone(group, grace_s):
                log.warning("%s did not stop within %.0f s; killing it", self.name, grace_s)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                self._wait_group_gone(group, grace_s)
            self._process = None
            log.info("stopped %s", self.name)

    def kill(self, timeout_s: float = 15.0) -> None:
        """SIGKILL every process of the server at once, as a crash of its machine would.

        That includes processes that left its process group (RQ runs each job
        in a work horse with a group of its own).
        """
        if self._process is None:
            return
        group = self._process.pid
        descendants = process_tree(group) - {group}
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        for pid in descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._wait_group_gone(group, timeout_s)
        self._process = None
        log.info("killed %s", self.name)

    def _wait_group_gone(self, group: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None:
                self._process.poll()  # reap the leader, or it lingers as a zombie
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return True
            time.sleep(POLL_INTERVAL_S)
        return False


@contextlib.contextmanager
def running(server: ServerProcess, ready_timeout_s: float) -> Iterator[ServerProcess]:
    try:
        server.start()
        server.wait_ready(ready_timeout_s)
        yield server
    finally:
        server.stop()


def free_port() -> int:
    """A port nothing listens on now; the OS picks it from the ephemeral range."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
