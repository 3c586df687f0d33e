"""`make worker` as a process of its own, as the tests start and crash it."""

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest


def descendants(pid: int) -> list[int]:
    found = subprocess.run(  # noqa: S603
        ["pgrep", "-P", str(pid)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    children = [int(child) for child in found.stdout.split()]
    return [*children, *(grandchild for child in children for grandchild in descendants(child))]


class WorkerProcess:
    """`make worker` in a process group of its own, its output in a file."""

    def __init__(self, log: Path, **environment: str) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "worker"],  # noqa: S607
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, **environment},
                start_new_session=True,
            )

    async def wait_for_line(self, *parts: str, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            lines = self.log.read_text(errors="replace").splitlines()
            if any(all(part in line for part in parts) for line in lines):
                return
            await asyncio.sleep(0.1)
        pytest.fail(f"no line with {parts} in the worker's output:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL every process of the worker, as a crash of its machine would.

        A worker may run a task in a process group of its own, so its
        processes are found by descent.
        """
        processes = descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGKILL)
        for pid in processes:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()
