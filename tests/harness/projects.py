"""Generate projects from the template and install them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import yaml
from copier import run_copy

from tests.harness.environment import REPO_ROOT, uv_environment

#: Answers every generated test project shares, besides the option axes.
BASE_ANSWERS: dict[str, str] = {"project_name": "Acme Orders"}

#: Projects generated and installed (`make install`) by this process, by combination id.
INSTALLED: dict[str, Path] = {}


def template_snapshot(destination: Path, source: Path = REPO_ROOT) -> Path:
    """Copy the working tree of the template into a throwaway git repository.

    Copier renders a git template at a commit; committing a snapshot lets
    the tiers test uncommitted work without touching the real repository.
    """
    if destination.exists():
        shutil.rmtree(destination)
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "build"
    )
    shutil.copytree(source, destination, ignore=ignore)
    git = ["git", "-c", "user.name=tests", "-c", "user.email=tests@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=destination, check=True)
    subprocess.run([*git, "add", "-A"], cwd=destination, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=destination, check=True)
    return destination


def generate(
    template: Path,
    destination: Path,
    answers: Mapping[str, str],
    vcs_ref: str | None = "HEAD",
) -> Path:
    """Render the template non-interactively with the given answers.

    `vcs_ref=None` renders a folder that is not a git repository as it stands.
    """
    run_copy(
        str(template),
        str(destination),
        data={**BASE_ANSWERS, **answers},
        defaults=True,
        unsafe=False,
        vcs_ref=vcs_ref,
        quiet=True,
    )
    return destination


def recorded_answers(project: Path) -> dict[str, str]:
    data = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert isinstance(data, dict)
    return {str(key): str(value) for key, value in data.items()}


def run(
    command: list[str],
    project: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command in a generated project; raise with its output on failure."""
    answers = recorded_answers(project)
    full_env = uv_environment(answers.get("python_version", "3.13"))
    full_env.update(env or {})
    result = subprocess.run(
        command,
        cwd=project,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"`{' '.join(command)}` failed in {project} with exit {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-8000:]}\n--- stderr ---\n{result.stderr[-8000:]}"
        )
    return result
