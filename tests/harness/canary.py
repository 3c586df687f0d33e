"""`pytest --canary`: the generated projects against the newest releases.

Every uv command of the run gets `UV_EXCLUDE_NEWER` set to the moment the run
started, which overrides the cutoff the template renders, so each installed
project resolves the newest release of everything. Main's CI never runs this
mode: an upstream break shows in the canary's report, not as a red main.

When a test of a combination fails, its report names the packages whose
version differs from the combination's tested set (`tested-set/`), and the
run's summary lists them per failing combination.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from datetime import UTC, datetime

import pytest

from tests.harness.projects import INSTALLED
from tests.harness.tested_set import (
    OVERRIDE_VARIABLE,
    describe,
    direct_dependencies,
    locked_versions,
    moves,
    read_record,
    record_path,
)
from tests.option_space import Combination, combination_id

#: Report section and user property that carry what moved.
SECTION = "canary: newer than the tested set"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--canary",
        action="store_true",
        help="resolve generated projects against the newest release of every dependency "
        "(UV_EXCLUDE_NEWER=now) instead of the tested set, and report what moved",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--canary"):
        # xdist workers inherit the controller's environment: one moment for the run.
        moment = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        os.environ.setdefault(OVERRIDE_VARIABLE, moment)
    else:
        # A cutoff left in the shell must not stand in for the template's own.
        os.environ.pop(OVERRIDE_VARIABLE, None)


def moved_packages(combination: Combination) -> str | None:
    """What the installed project of `combination` resolved beyond its tested set."""
    project = INSTALLED.get(combination_id(combination))
    if project is None or not (project / "uv.lock").exists():
        return None
    if not record_path(combination).exists():
        return "no tested set is recorded for this combination"
    lock = project / "uv.lock"
    tested = read_record(combination).versions
    return describe(moves(tested, locked_versions(lock)), direct_dependencies(lock))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    callspec = getattr(item, "callspec", None)
    combination = callspec.params.get("combination") if callspec is not None else None
    if report.failed and combination is not None and item.config.getoption("--canary"):
        moved = moved_packages(combination)
        if moved is not None:
            report.sections.append((SECTION, moved))
            report.user_properties.append((SECTION, f"{combination_id(combination)}: {moved}"))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    config = terminalreporter.config
    if not config.getoption("--canary"):
        return
    terminalreporter.section("canary")
    terminalreporter.write_line(f"resolved at {OVERRIDE_VARIABLE}={os.environ[OVERRIDE_VARIABLE]}")
    broken: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == SECTION:
                combination, _, moved = str(value).partition(": ")
                broken.setdefault(combination, [moved]).append(report.nodeid)
    if not broken:
        terminalreporter.write_line("no combination failed against the newest releases")
    for combination, (moved, *tests) in sorted(broken.items()):
        terminalreporter.write_line(f"{combination} broke; newer than its tested set: {moved}")
        for nodeid in tests:
            terminalreporter.write_line(f"    {nodeid}")
        terminalreporter.write_line(
            f"    which release: uv run python -m tools.tested_set culprit {combination}"
        )
