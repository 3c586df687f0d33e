"""A fresh generation resolves to the tested set recorded in `tested-set/`."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from tests.harness.dependencies import dependency_floors
from tests.harness.projects import generate
from tests.harness.tested_set import (
    RECORDS,
    describe,
    moves,
    only_newer_releases,
    read_record,
    record_path,
    recorded_combinations,
    resolve,
    template_cutoff,
)
from tests.option_space import Combination, combination_id


class StaleRecordWarning(UserWarning):
    """A record the index outgrew: the resolution moved to newer releases dated before
    the cutoff, and nothing else changed."""


RECORDED = [
    pytest.param(combination, id=combination_id(combination))
    for combination in recorded_combinations()
]


@pytest.mark.render
def test_the_records_are_those_of_the_recorded_combinations_at_the_template_cutoff() -> None:
    cutoff = template_cutoff()
    expected = {record_path(combination) for combination in recorded_combinations()}
    assert set(RECORDS.glob("*.txt")) == expected, (
        "tested-set/ must hold one record per recorded combination: "
        "run `uv run python -m tools.tested_set refresh`"
    )
    for combination in recorded_combinations():
        record = read_record(combination)
        assert record.cutoff == cutoff, (
            f"{record_path(combination).name} was recorded at {record.cutoff}, "
            f"the template resolves at {cutoff}"
        )
        assert record.versions, f"{record_path(combination).name} records no package"


@pytest.mark.render
def test_every_floor_admits_the_tested_versions_and_is_used() -> None:
    """A floor above what CI tested would be a promise nobody checked; a floor
    no recorded combination resolves is a package no flavour uses any more."""
    floors = dependency_floors()
    used: set[str] = set()
    refused = []
    for combination in recorded_combinations():
        versions = read_record(combination).versions
        for name, specifier in floors.items():
            if name in versions:
                used.add(name)
                if versions[name] not in SpecifierSet(specifier):
                    refused.append(f"{combination_id(combination)}: {name}=={versions[name]}")
    assert not refused, f"floors in includes/dependencies.jinja refuse tested versions: {refused}"
    assert set(floors) == used, f"no recorded combination uses {sorted(set(floors) - used)}"


@pytest.mark.generated
@pytest.mark.parametrize("combination", RECORDED)
def test_a_fresh_generation_resolves_to_the_tested_set(
    combination: Combination, template_repo: Path, tmp_path: Path
) -> None:
    """What `make install` of a new project resolves, today and later, is what was tested.

    The canary's override is left out here: this checks the cutoff itself."""
    project = generate(template_repo, tmp_path / combination_id(combination), combination)
    tested = read_record(combination).versions
    found = moves(tested, resolve(project))
    if found and only_newer_releases(project, tested, found):
        # Not the template's doing, and the other tiers of this run install these
        # versions: tested, but the record is stale (docs/maintaining.md).
        warnings.warn(
            f"{record_path(combination).name}: the index gained releases dated before the "
            f"cutoff after the record was written ({describe(found)}); refresh it at the "
            "unchanged cutoff once the run is green",
            StaleRecordWarning,
            stacklevel=1,
        )
        return
    assert not found, f"the resolution moved from the tested set: {describe(found)}"


@pytest.mark.generated
def test_newer_releases_alone_are_told_apart_from_the_projects_own_moves(
    template_repo: Path, tmp_path: Path
) -> None:
    """A record the index outgrew (a newer release the floors admit) is the index's
    doing; a tested version the floors now refuse, or a package the project no
    longer has, is the project's."""
    combination = next(
        c for c in recorded_combinations() if combination_id(c) == "flask-sqlite-none"
    )
    project = generate(template_repo, tmp_path / "project", combination)
    record = read_record(combination).versions
    resolved = resolve(project)
    assert not moves(record, resolved)

    outgrown = {**record, "structlog": "25.5.0"}  # the floor is >=25.1
    assert only_newer_releases(project, outgrown, moves(outgrown, resolved))
    refused = {**record, "structlog": "24.4.0"}  # below the floor
    assert not only_newer_releases(project, refused, moves(refused, resolved))
    dropped = {**record, "left-pad": "1.0.0"}
    assert not only_newer_releases(project, dropped, moves(dropped, resolved))
    assert "constraint-dependencies" not in (project / "pyproject.toml").read_text()
