"""The load generator: wrk with a Lua script that adds the bearer token."""

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.results import LoadResult

WRK_SCRIPT = Path(__file__).parent / "wrk" / "bearer_get.lua"
RESULT_MARKER = "BENCH_RESULT "
INSTALL_HINT = (
    "wrk is not installed, and the bench installs nothing itself.\n"
    "Install it, then run the bench again:\n"
    "  Debian/Ubuntu: sudo apt-get install -y wrk\n"
    "  macOS:         brew install wrk"
)


class LoadError(Exception):
    """wrk failed or printed no result."""


@dataclass(frozen=True)
class LoadSettings:
    wrk: str
    connections: int
    threads: int
    request_timeout_s: float


def find_wrk() -> str | None:
    return shutil.which("wrk")


def run_load(settings: LoadSettings, url: str, token: str, duration_s: float) -> LoadResult:
    argv = [
        settings.wrk,
        f"--threads={settings.threads}",
        f"--connections={settings.connections}",
        f"--duration={duration_s:g}s",
        f"--timeout={settings.request_timeout_s:g}s",
        f"--script={WRK_SCRIPT}",
        url,
    ]
    try:
        completed = subprocess.run(
            argv,
            # The token goes through the environment, not the command line,
            # where any user of the machine could read it.
            env={"BENCH_TOKEN": token, "PATH": "/usr/bin:/bin"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=duration_s + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise LoadError(f"wrk did not finish: {' '.join(argv)}") from error
    if completed.returncode != 0:
        raise LoadError(f"wrk failed (exit {completed.returncode}):\n{completed.stderr}")
    return parse_wrk_output(completed.stdout)


def parse_wrk_output(stdout: str) -> LoadResult:
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            data = json.loads(line.removeprefix(RESULT_MARKER))
            break
    else:
        raise LoadError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout}")
    latency_us = data["latency_us"]
    return LoadResult(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1_000_000,
        p50_ms=latency_us["p50"] / 1000,
        p90_ms=latency_us["p90"] / 1000,
        p99_ms=latency_us["p99"] / 1000,
        max_ms=latency_us["max"] / 1000,
        # wrk counts a response as a status error when its code is 400 or more.
        non_2xx=data["status_errors"],
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"],
        timeouts=data["timeouts"],
    )


def wrk_version(wrk: str) -> str:
    # wrk has no --version flag: it prints its version in the usage text.
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first_line = (completed.stdout or completed.stderr).splitlines()[:1]
    return first_line[0].split(" Copyright")[0] if first_line else "wrk"
