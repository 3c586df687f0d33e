"""Fixtures shared by every tier of the template's own test suite."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness import file_mode_check, jinja_cache
from tests.harness.databases import postgres_available
from tests.harness.environment import in_ci
from tests.harness.projects import (
    INSTALLED,
    MYPY_SEEDS_VARIABLE,
    generate,
    run,
    template_snapshot,
)
from tests.harness.reporting import CPU_PROPERTY, cpu_seconds, duration_lines
from tests.harness.scheduling import longest_groups_first
from tests.option_space import Combination, combination_id

ProjectFactory = Callable[[Combination], Path]
_CPU_AT_SETUP = pytest.StashKey[float]()

pytest_plugins = ["tests.harness.canary"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--combination",
        metavar="ID",
        help="run only the tests of this combination of the covering set (its exact id, "
        "e.g. fastapi-postgresql-jwt; `-k` would also match the ids it is a prefix of)",
    )


def pytest_configure(config: pytest.Config) -> None:
    jinja_cache.install()
    file_mode_check.install()
    # The CI machine's environment sets PYTHONDONTWRITEBYTECODE. Every Python process
    # the suite starts (xdist workers, servers, task workers, migrations, each generated
    # project's pytest) then compiled every module it imported from source, again and
    # again: about 3 CPU-s per start of a generated app, and each generated test suite
    # waited a minute longer on its workers and servers (docs/maintaining.md, "CI time").
    # Bytecode goes to __pycache__ folders that git ignores, here and in generated projects.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # The controller makes the folder of warm mypy caches before it starts the
    # xdist workers, which inherit the variable (tests/harness/projects.py).
    if not hasattr(config, "workerinput") and MYPY_SEEDS_VARIABLE not in os.environ:
        seeds = tempfile.mkdtemp(prefix="mypy-cache-seeds-")
        os.environ[MYPY_SEEDS_VARIABLE] = seeds
        config.add_cleanup(lambda: shutil.rmtree(seeds, ignore_errors=True))
    # The suite orders its groups itself (longest first), rather than by number of tests.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> object:
    """Record each test's CPU cost, its fixtures' included (on the CI machine the
    suite's time is CPU-bound)."""
    item.stash[_CPU_AT_SETUP] = cpu_seconds()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    try:
        return (yield)
    finally:
        spent = cpu_seconds() - item.stash.get(_CPU_AT_SETUP, cpu_seconds())
        item.user_properties.append((CPU_PROPERTY, round(spent, 2)))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    longest_groups_first(items)
    wanted = config.getoption("--combination")
    if wanted is None:
        return
    selected, deselected = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        combination = params.params.get("combination") if params is not None else None
        if combination is not None and combination_id(combination) == wanted:
            selected.append(item)
        else:
            deselected.append(item)
    config.hook.pytest_deselected(items=deselected)
    items[:] = selected


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than there are CPUs.

    Much of the suite waits rather than computes (servers starting, a broker
    redelivering, a worker recovering from a crash): the extra worker keeps
    the CPUs busy meanwhile, rendering or checking another project. Two per
    CPU were not faster (docs/maintaining.md, "CI time").
    """
    return (os.cpu_count() or 1) + 1


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's working tree, committed into a throwaway repository."""
    return template_snapshot(tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture(scope="session")
def project_factory(
    template_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProjectFactory:
    """Generated and installed (`make install`) projects, one per combination.

    Cached for the session so the generated tier and the contract tier share
    the expensive `uv sync`.
    """
    root = tmp_path_factory.mktemp("projects")
    cache: dict[str, Path] = {}

    def factory(combination: Combination) -> Path:
        key = combination_id(combination)
        if key not in cache:
            project = generate(template_repo, root / key, combination)
            run(["make", "install"], project)
            INSTALLED[key] = project
            cache[key] = project
        return cache[key]

    return factory


@pytest.fixture(scope="session")
def require_postgres() -> None:
    """PostgreSQL must answer; in CI its absence fails the run."""
    if postgres_available():
        return
    message = "PostgreSQL is not reachable on 127.0.0.1:5432"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the durations the tiers recorded (render time, generated suites)."""
    reports = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "") == "call"
    ]
    lines = duration_lines(reports)
    if lines:
        terminalreporter.section("recorded durations")
        for line in lines:
            terminalreporter.write_line(line)
