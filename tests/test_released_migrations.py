"""Tier 5: a migration a release shipped never changes (docs/maintaining.md).

A project that applied a migration never runs it again: an edit made in the
template afterwards reaches the project's files through `copier update` but
never its database, and the two drift apart. New schema goes into a new
migration. Two checks hold the rule: the working tree against the previous
real release, rendered for every combination, and against the ledger of every
migration released since the rule was written (`released-migrations.json`),
which needs no git history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.history import export_commit, previous_release, working_tree
from tests.harness.released_migrations import (
    RECORD_COMMAND,
    Ledger,
    changed_since,
    ledger_problems,
    migrations_by_combination,
    migrations_template,
    read_ledger,
    recorded,
)
from tests.option_space import AXES, all_combinations, combination_id

pytestmark = pytest.mark.update

Migrations = dict[str, dict[str, str]]


def _rendered(release: Path, workdir: Path, framework: str) -> Migrations:
    trimmed = migrations_template(release, workdir / "migrations")
    combinations = [c for c in all_combinations() if c["framework"] == framework]
    return migrations_by_combination(trimmed, workdir / "renders", combinations)


#: One xdist group per framework, so one worker renders each framework's migrations once.
FRAMEWORKS = [
    pytest.param(framework, marks=pytest.mark.xdist_group(f"migrations-{framework}"))
    for framework in AXES["framework"]
]


@pytest.fixture(scope="module")
def current(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Migrations]:
    """The working tree's migrations of a framework, rendered once per module."""
    root = tmp_path_factory.mktemp("current-migrations")
    release = working_tree(root / "release")
    cache: dict[str, Migrations] = {}

    def of(framework: str) -> Migrations:
        if framework not in cache:
            cache[framework] = _rendered(release, root / framework, framework)
        return cache[framework]

    return of


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_no_migration_of_the_previous_release_changed(
    framework: str, current: Callable[[str], Migrations], tmp_path: Path
) -> None:
    previous = previous_release()
    if previous is None:
        pytest.skip("the repository has no earlier template commit than its working tree")
    earlier = _rendered(export_commit(previous, tmp_path / "release"), tmp_path, framework)
    assert any(earlier.values()), f"{previous[:10]} rendered no migration for {framework}"

    assert changed_since(earlier, current(framework)) == []


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_ledger_holds_every_migration_unchanged(
    framework: str, current: Callable[[str], Migrations]
) -> None:
    rendered = current(framework)
    ledger = {
        combination: files
        for combination, files in read_ledger().items()
        if combination in rendered
    }
    assert ledger, f"released-migrations.json lists no {framework} combination"

    problems = ledger_problems(ledger, recorded(rendered))

    assert [problem.message for problem in problems] == []


def test_the_ledger_finds_a_changed_a_removed_and_an_unrecorded_migration() -> None:
    ledger: Ledger = {"fastapi-sqlite-none": {"a.py": "1", "b.py": "2"}}
    current: Ledger = {"fastapi-sqlite-none": {"a.py": "changed", "c.py": "3"}}

    problems = ledger_problems(ledger, current)

    assert [(problem.unrecorded, problem.message.split(": ")[1]) for problem in problems] == [
        (
            False,
            "released migration a.py changed; add a new migration instead and restore this one",
        ),
        (False, "released migration b.py was removed"),
        (True, f"c.py is not in released-migrations.json; record it ({RECORD_COMMAND})"),
    ]


def test_a_changed_migration_of_an_earlier_release_is_named() -> None:
    earlier = {"django-sqlite-none": {"0001.py": "old", "0002.py": "same"}}
    current = {"django-sqlite-none": {"0001.py": "new", "0002.py": "same", "0003.py": "added"}}

    assert changed_since(earlier, current) == ["django-sqlite-none: 0001.py changed"]
    assert changed_since(current, earlier) == [
        "django-sqlite-none: 0001.py changed",
        "django-sqlite-none: 0003.py removed",
    ]


def test_the_ledger_names_only_combinations_of_the_option_space() -> None:
    """A combination the template no longer offers leaves the ledger knowingly, not silently."""
    offered = {combination_id(combination) for combination in all_combinations()}

    assert sorted(set(read_ledger()) - offered) == []
