"""Running the external tools the bench drives (copier, uv, make) as steps."""

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger("bench")

# Variables of the shell the bench runs in that would leak the template's own
# environment into a generated project's `uv` commands.
LEAKING_VARIABLES = ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME")


class StepError(Exception):
    """An external command the bench depends on failed."""


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in LEAKING_VARIABLES}
    env.update(overrides)
    return env


def run_step(
    description: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout_s: float,
) -> str:
    """Run one command to completion and return its output; fail with its output."""
    log.info("%s", description)
    try:
        completed = subprocess.run(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise StepError(f"{description}: no result after {timeout_s:.0f} s: {argv}") from error
    except FileNotFoundError as error:
        raise StepError(f"{description}: {argv[0]} is not installed") from error
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise StepError(
            f"{description} failed (exit {completed.returncode}): {' '.join(argv)}\n{tail(output)}"
        )
    return completed.stdout


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
