"""Generate projects from the template and install them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path

import yaml
from copier import run_copy

from tests.harness.environment import REPO_ROOT, uv_environment

#: Answers every generated test project shares, besides the option axes.
BASE_ANSWERS: dict[str, str] = {"project_name": "Acme Orders"}

#: Projects generated and installed (`make install`) by this process, by combination id.
INSTALLED: dict[str, Path] = {}

#: Names a folder (set by tests/conftest.py for the whole run) where the first
#: `make check` of each mypy configuration leaves a copy of its mypy cache.
MYPY_SEEDS_VARIABLE = "SUITE_MYPY_CACHE_SEEDS"
#: The make targets that run mypy.
TYPECHECKING_TARGETS = frozenset({"check", "typecheck"})


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
    # Copier clones the template for every render, object by object: packed, the clone
    # links one file instead of hundreds (about 0.4 CPU-s less per render).
    subprocess.run([*git, "repack", "-a", "-d", "-q"], cwd=destination, check=True)
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
    seeds = _mypy_seed_folder(command, project)
    if seeds is not None:
        _seed_mypy_cache(project, seeds)
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
    if seeds is not None:
        _keep_mypy_cache(project, seeds)
    return result


def _mypy_seed_folder(command: list[str], project: Path) -> Path | None:
    """Where a `make check` of `project` finds, or leaves, a warm mypy cache.

    mypy spends most of a cold run on the third-party packages, the same in
    every project with one configuration. Each project gets a private copy of
    the first cache of its configuration: mypy checks each cached module
    against the hash of its source and rechecks what differs, so the result
    is the cold run's. Keyed by the `[tool.mypy]` table (plugins, Python
    version, strictness).
    """
    base = os.environ.get(MYPY_SEEDS_VARIABLE)
    if not base or command[:1] != ["make"] or not TYPECHECKING_TARGETS & set(command[1:]):
        return None
    configuration = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["mypy"]
    key = hashlib.sha256(json.dumps(configuration, sort_keys=True).encode()).hexdigest()[:16]
    return Path(base) / key


def _seed_mypy_cache(project: Path, seed: Path) -> None:
    cache = project / ".mypy_cache"
    if seed.is_dir() and not cache.exists():
        shutil.copytree(seed, cache)


def _keep_mypy_cache(project: Path, seed: Path) -> None:
    """The first cache of a configuration becomes its seed, whole or not at all."""
    cache = project / ".mypy_cache"
    if seed.exists() or not cache.is_dir():
        return
    partial = seed.with_name(f"{seed.name}.{uuid.uuid4().hex}")
    shutil.copytree(cache, partial)
    try:
        partial.rename(seed)
    except OSError:  # another worker's copy got there first
        shutil.rmtree(partial, ignore_errors=True)
