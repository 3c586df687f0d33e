"""The baseline app's throwaway environment and server command."""

from collections.abc import Mapping
from pathlib import Path

from bench.commands import child_env, run_step

BASELINE_DIR = Path(__file__).parent / "baseline"
REQUIREMENTS = BASELINE_DIR / "requirements.txt"

# Pinned to the generated project's versions when it has them, so the two
# sides share server, event loop, HTTP parser, driver and JWT library.
SHARED_DISTRIBUTIONS = ("uvicorn", "uvloop", "httptools", "starlette", "asyncpg", "pyjwt")


def build_environment(workdir: Path, python: Path, pins: Mapping[str, str]) -> Path:
    """Create a venv with the baseline's dependencies; return its interpreter."""
    venv = workdir / "baseline-venv"
    constraints = workdir / "baseline-constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    env = child_env({"UV_PYTHON_DOWNLOADS": "never"})
    run_step(
        "creating the baseline's environment",
        ["uv", "venv", "--quiet", "--python", str(python), str(venv)],
        cwd=workdir,
        env=env,
        timeout_s=120,
    )
    interpreter = venv / "bin" / "python"
    run_step(
        "installing the baseline's dependencies",
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(interpreter),
            "-r",
            str(REQUIREMENTS),
            "-c",
            str(constraints),
        ],
        cwd=workdir,
        env=env,
        timeout_s=600,
    )
    return interpreter


def server_argv(interpreter: Path, port: int, workers: int) -> list[str]:
    return [
        str(interpreter), "-m", "uvicorn", "app:create_app", "--factory",
        "--app-dir", str(BASELINE_DIR),
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
        # What uvicorn[standard] picks by itself, spelled out so it cannot
        # silently fall back to the slower pure-Python loop and parser.
        "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip


def server_env(database_url: str, secret_key: str, pool_size: int) -> dict[str, str]:
    return child_env(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "BASELINE_POOL_SIZE": str(pool_size),
            # Keep the template repository free of __pycache__ from the baseline.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
