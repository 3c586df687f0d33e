"""The tested set: the dependency versions a generated project resolves to.

A generated `pyproject.toml` carries `[tool.uv] exclude-newer`, a moment in
time: uv resolves only releases published before it, so the same answers give
the same versions on the day of generation and months later. The versions
that cutoff gives each recorded combination are kept in `tested-set/`, one
file per combination, written by `python -m tools.tested_set refresh`; the
generated tier checks that a fresh resolution still equals them.

The canary (`pytest --canary`) resolves against the newest releases instead,
by overriding the cutoff with `UV_EXCLUDE_NEWER`, and names what moved.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from tests.harness.environment import REPO_ROOT, uv_environment
from tests.harness.projects import recorded_answers
from tests.option_space import COVERING_SET, Combination, combination_id, defaults

#: The part of pyproject.toml every framework tree includes, with `[tool.uv] exclude-newer`.
TEMPLATE_PYPROJECT = REPO_ROOT / "template" / "shared" / "pyproject" / "tools.toml.jinja"
RECORDS = REPO_ROOT / "tested-set"
#: The environment variable through which uv's command line overrides the cutoff.
OVERRIDE_VARIABLE = "UV_EXCLUDE_NEWER"

_CUTOFF_LINE = re.compile(r'(?m)^exclude-newer = "(?P<cutoff>[^"]+)"$')
_RECORD_LINE = re.compile(r"^(?P<name>[a-z0-9][a-z0-9._-]*)==(?P<version>\S+)$")

Versions = dict[str, str]


def recorded_combinations() -> list[dict[str, str]]:
    """The combinations whose resolution is recorded: the covering set, which the
    generated tier installs, and the defaults, which most users generate."""
    combinations = [dict(combination) for combination in COVERING_SET]
    if all(combination_id(c) != combination_id(defaults()) for c in combinations):
        combinations.append(defaults())
    return combinations


def template_cutoff(pyproject: Path = TEMPLATE_PYPROJECT) -> str:
    """The `exclude-newer` moment the template renders into every project."""
    found = _CUTOFF_LINE.findall(pyproject.read_text())
    if len(found) != 1:
        raise ValueError(f'{pyproject} must hold exactly one `exclude-newer = "..."` line')
    return str(found[0])


def set_template_cutoff(cutoff: str, pyproject: Path = TEMPLATE_PYPROJECT) -> None:
    template_cutoff(pyproject)  # exactly one line to replace
    text = _CUTOFF_LINE.sub(f'exclude-newer = "{cutoff}"', pyproject.read_text())
    pyproject.write_text(text)


def locked_versions(lock: Path) -> Versions:
    """Every package of a `uv.lock` but the project itself, with its version."""
    data = tomllib.loads(lock.read_text())
    versions: Versions = {}
    for package in data.get("package", []):
        if "editable" in package.get("source", {}) or "virtual" in package.get("source", {}):
            continue
        versions[package["name"]] = package["version"]
    return dict(sorted(versions.items()))


def direct_dependencies(lock: Path) -> set[str]:
    """The names the project itself declares (runtime and dev), as `uv.lock` lists them."""
    data = tomllib.loads(lock.read_text())
    for package in data.get("package", []):
        if "editable" in package.get("source", {}) or "virtual" in package.get("source", {}):
            groups = package.get("dev-dependencies", {}).values()
            declared = [*package.get("dependencies", []), *(d for g in groups for d in g)]
            return {dependency["name"] for dependency in declared}
    return set()


def record_path(combination: Combination) -> Path:
    return RECORDS / f"{combination_id(combination)}.txt"


@dataclass(frozen=True)
class Record:
    cutoff: str
    versions: Versions


def read_record(combination: Combination) -> Record:
    path = record_path(combination)
    cutoff = ""
    versions: Versions = {}
    for line in path.read_text().splitlines():
        if line.startswith("# exclude-newer = "):
            cutoff = line.removeprefix("# exclude-newer = ").strip()
        elif line and not line.startswith("#"):
            match = _RECORD_LINE.match(line)
            if match is None:
                raise ValueError(f"{path}: not a `name==version` line: {line!r}")
            versions[match["name"]] = match["version"]
    return Record(cutoff, versions)


def write_record(combination: Combination, cutoff: str, versions: Mapping[str, str]) -> Path:
    path = record_path(combination)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# The versions a project generated with these answers resolves to:",
        f"# {combination_id(combination)}",
        f"# exclude-newer = {cutoff}",
        "# Written by `uv run python -m tools.tested_set refresh`; do not edit by hand.",
        *(f"{name}=={version}" for name, version in sorted(versions.items())),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass(frozen=True)
class Move:
    """One package whose resolution differs from the tested set."""

    name: str
    tested: str | None
    resolved: str | None

    def __str__(self) -> str:
        return f"{self.name} {self.tested or '(absent)'} -> {self.resolved or '(absent)'}"


def moves(tested: Mapping[str, str], resolved: Mapping[str, str]) -> list[Move]:
    """What differs between the tested set and a resolution, by package name."""
    return [
        Move(name, tested.get(name), resolved.get(name))
        for name in sorted(tested.keys() | resolved.keys())
        if tested.get(name) != resolved.get(name)
    ]


def describe(found: Iterable[Move], direct: Collection[str] = ()) -> str:
    """The moves, the project's own dependencies first (marked): the usual suspects."""
    ordered = sorted(found, key=lambda move: move.name not in direct)
    return (
        ", ".join(f"{move}{' (direct)' if move.name in direct else ''}" for move in ordered)
        or "nothing moved"
    )


def pin_tested_versions(project: Path, pinned: Collection[Move]) -> None:
    """Hold `pinned` at their tested versions in the project's `[tool.uv]` table."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    text = re.sub(r"(?m)^constraint-dependencies = \[.*\]\n", "", text)
    if pinned:
        pins = ", ".join(f'"{move.name}=={move.tested}"' for move in pinned)
        line = f"constraint-dependencies = [{pins}]"
        text = _CUTOFF_LINE.sub(lambda found: f"{found[0]}\n{line}", text, count=1)
    pyproject.write_text(text)


def only_newer_releases(project: Path, tested: Mapping[str, str], found: Collection[Move]) -> bool:
    """Whether the moves from `tested` are the index's doing, not the project's:
    each moved package resolved to a newer version, nothing was added or dropped,
    and with the moved packages held at their tested versions the project still
    resolves to exactly `tested`.

    The cutoff compares each file's upload time, so a release dated before it
    that reaches the index only after the record was written (a mirror that
    syncs late) enters every fresh resolution. The tiers of the same run install
    that version, so it is tested; its record is stale and wants a refresh at the
    unchanged cutoff. The project's own change (a floor, a cap, a package added
    or dropped) leaves the pinned resolution different from the record, or fails it.
    """
    if not found or any(move.tested is None or move.resolved is None for move in found):
        return False
    if any(Version(str(move.resolved)) <= Version(str(move.tested)) for move in found):
        return False
    pin_tested_versions(project, list(found))
    try:
        pinned = resolve(project)
    except RuntimeError:
        return False
    finally:
        pin_tested_versions(project, [])
    return not moves(tested, pinned)


def resolve(project: Path, cutoff_override: str | None = None) -> Versions:
    """`uv lock` a generated project from scratch and read what it resolved.

    Without an override the project's own cutoff decides (any
    `UV_EXCLUDE_NEWER` in this process's environment is ignored); the canary
    passes the moment of its run.
    """
    python_version = recorded_answers(project).get("python_version", "3.13")
    env = uv_environment(python_version)
    env.pop(OVERRIDE_VARIABLE, None)
    if cutoff_override is not None:
        env[OVERRIDE_VARIABLE] = cutoff_override
    (project / "uv.lock").unlink(missing_ok=True)
    result = subprocess.run(
        ["uv", "lock"], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"`uv lock` failed in {project}:\n{result.stderr[-4000:]}")
    return locked_versions(project / "uv.lock")
