"""Facts about this machine the tiers rely on: interpreters, services, CI mode."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def in_ci() -> bool:
    """In CI a missing service is a failure, never a silent skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def python_interpreter(version: str) -> str:
    """Path of an installed CPython `version` (uv cannot download one here)."""
    candidates = [os.environ.get(f"PYTHON_{version.replace('.', '_')}", "")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        (str(path) for path in pyenv_root.glob(f"versions/{version}.*/bin/python{version}")),
        reverse=True,
    )
    candidates.append(shutil.which(f"python{version}") or "")
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"Python {version} is not installed (e.g. `pyenv install {version}`)")


def uv_environment(python_version: str) -> dict[str, str]:
    """Environment for running uv inside a generated project."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "UV_PROJECT", "PYTHONPATH"))
    }
    env["UV_PYTHON"] = python_interpreter(python_version)
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env.pop("VIRTUAL_ENV", None)
    uv_dir = uv_directory()
    if uv_dir:
        env["PATH"] = os.pathsep.join([uv_dir, env.get("PATH", "")])
    return env


def uv_directory() -> str | None:
    """The folder of the real `uv` binary (not a pyenv shim, which a generated
    project's `.python-version` would point at an interpreter without uv)."""
    candidate = os.environ.get("UV") or shutil.which("uv")
    if not candidate:
        return None
    if "/shims/" in candidate:
        pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
        found = sorted(pyenv_root.glob("versions/*/bin/uv"), reverse=True)
        return str(found[0].parent) if found else None
    return str(Path(candidate).resolve().parent)


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
#: The shared brokers (docs/contract.md section 8 runs a real worker against them).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
