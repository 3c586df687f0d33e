"""Tier 2: FastAPI's async data and business layers equal Flask's sync ones.

The two frameworks share their SQLAlchemy models, services and repositories
in all but `async`/`await`. Each keeps its own copy in the template, because
the difference runs through every line; this test keeps the copies equal.
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest

from tests.harness.checks import tool
from tests.harness.environment import REPO_ROOT
from tests.harness.projects import generate
from tests.harness.twins import DIFFERENT_BY_DESIGN, TWIN_FOLDERS, synchronous
from tests.option_space import Combination, combination_id

pytestmark = pytest.mark.render

TEMPLATE = REPO_ROOT / "template"
#: The async framework and the sync one whose modules are twins.
TWINS = ("fastapi", "flask")

#: Between them, these answers render every twin module and every option
#: inside one: each auth mode, with and without the cache, each task queue.
ANSWERS: list[Combination] = [
    {
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "celery",
        "broker": "redis",
        "cache": "redis",
    },
    {"database": "sqlite", "auth": "none", "task_queue": "rq", "broker": "redis", "cache": "none"},
    {
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "dramatiq",
        "broker": "rabbitmq",
        "cache": "none",
    },
]


def twin_modules(package: Path) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for entry in TWIN_FOLDERS:
        path = package / entry
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
        modules.update({str(module.relative_to(package)): module for module in found})
    return modules


def formatted(source: str, project: Path) -> list[str]:
    """The source as the project's own ruff configuration sorts its imports and
    formats it (`redis.asyncio.retry` and `redis.retry` sort apart)."""
    sorted_imports = _ruff(["check", "--select", "I", "--fix-only", "--exit-zero"], source, project)
    return _ruff(["format"], sorted_imports, project).splitlines()


def _ruff(command: list[str], source: str, project: Path) -> str:
    completed = subprocess.run(
        [tool("ruff"), *command, "--no-cache", "--stdin-filename", "module.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=project,
        check=True,
    )
    return completed.stdout


@pytest.mark.parametrize(
    "answers", ANSWERS, ids=[combination_id({**a, "framework": "twins"}) for a in ANSWERS]
)
def test_async_modules_equal_their_sync_twins(
    answers: Combination, template_repo: Path, tmp_path: Path
) -> None:
    fastapi = generate(template_repo, tmp_path / "fastapi", {**answers, "framework": "fastapi"})
    flask = generate(template_repo, tmp_path / "flask", {**answers, "framework": "flask"})
    (async_package,) = (fastapi / "src").iterdir()
    (sync_package,) = (flask / "src").iterdir()
    async_modules, sync_modules = twin_modules(async_package), twin_modules(sync_package)

    unpaired = sorted((set(async_modules) ^ set(sync_modules)) - set(DIFFERENT_BY_DESIGN))
    assert not unpaired, f"modules with no twin in the other framework: {unpaired}"
    differences: list[str] = []
    for name in sorted(set(async_modules) & set(sync_modules) - set(DIFFERENT_BY_DESIGN)):
        expected = formatted(synchronous(async_modules[name].read_text()), flask)
        actual = formatted(sync_modules[name].read_text(), flask)
        differences += difflib.unified_diff(
            expected, actual, f"FastAPI's {name}, made blocking", f"Flask's {name}", lineterm=""
        )
    assert not differences, "\n".join(differences)


def test_every_module_different_by_design_exists() -> None:
    """A stale entry would exempt a module that no longer needs it."""
    packages = [TEMPLATE / framework / "src" / "{{package_name}}" for framework in TWINS]
    stale = [
        name
        for name in DIFFERENT_BY_DESIGN
        if not any((package / f"{name}.jinja").exists() for package in packages)
    ]
    assert not stale, f"DIFFERENT_BY_DESIGN names modules neither framework has: {stale}"
