"""The database migrations a template release gives each combination.

A migration a project has applied never runs again, so a release may add
migrations but never change one it shipped (docs/maintaining.md). Comparing
two releases needs the migrations of every combination at both. Rendering
whole projects for the 144 combinations of each release takes many minutes,
so the template is cut down to its questions and its migration files, and
Copier renders that (the same `_subdirectory`, `_exclude` rules and
file-name conditions apply; the shared text a framework's migration file
includes is kept, as it lies in a `migrations` folder of `template/shared/`).
Combinations that agree on every answer the migration files (their names,
their text, the `_subdirectory` and the `_exclude` rules) refer to get the
same files, so one of each such group is rendered.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, meta

from tests.harness.copier_config import load_config
from tests.harness.environment import REPO_ROOT
from tests.harness.projects import generate
from tests.option_space import combination_id

#: Alembic's revisions and Django's migrations, relative to a generated project.
MIGRATION_GLOBS = ("migrations/versions/*.py", "src/*/migrations/[0-9]*.py")
#: What the cut-down template keeps besides its migrations: the questions and
#: the Jinja files they import.
KEPT = ("copier.yml", "includes")
#: Every migration file of every combination since migrations became append-only.
LEDGER = REPO_ROOT / "released-migrations.json"
RECORD_COMMAND = "uv run python -m tools.released_migrations record"
IMPORTS = re.compile(r"{%-?\s*(include|import|from)\b")
#: A one-line file that renders shared text: `{% include 'template/shared/...' -%}`.
INCLUDE = re.compile(r"{%-?\s*include\s+'([^']+)'\s*-?%}")


def migrations_template(release: Path, trimmed: Path) -> Path:
    """`release` (plain template files, no git) with only its questions and migrations.

    Copier renders a folder that is not a git repository as it stands, which
    spares a clone per render.
    """
    trimmed.mkdir(parents=True)
    for name in KEPT:
        source = release / name
        if source.is_dir():
            shutil.copytree(source, trimmed / name)
        elif source.exists():
            shutil.copy2(source, trimmed / name)
    for path in (release / "template").rglob("*"):
        relative = path.relative_to(release)
        if path.is_file() and any(_renders_as_migrations(part) for part in relative.parts[:-1]):
            (trimmed / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, trimmed / relative)
    return trimmed


def _renders_as_migrations(part: str) -> bool:
    """A folder named `migrations`, or one that renders as `migrations` under a condition."""
    return part == "migrations" or part.endswith("%}migrations{% endif %}")


def released_migrations(
    template: Path, destination: Path, answers: Mapping[str, str]
) -> dict[str, str]:
    """The migration files one combination gets from `template`, by path."""
    generate(template, destination, answers, vcs_ref=None)
    return {
        str(path.relative_to(destination)): path.read_text()
        for pattern in MIGRATION_GLOBS
        for path in sorted(destination.glob(pattern))
    }


def referenced_answers(trimmed: Path) -> set[str]:
    """Every variable the migration files of a cut-down template refer to, in
    their names, their text, the `_subdirectory` and the `_exclude` rules."""
    config = load_config(trimmed)
    # The framework picks the tree (`_subdirectory: "template/{{ framework }}"`).
    sources = [str(config.get("_subdirectory", ""))]
    sources += [str(rule) for rule in config.get("_exclude", [])]
    for path in (trimmed / "template").rglob("*"):
        if path.is_file():
            sources.append(str(path.relative_to(trimmed)))
            if path.suffix == ".jinja":
                text = path.read_text()
                # Shared text a migration includes is in the cut-down template
                # (a migrations folder of template/shared), so this loop reads it too.
                outside = [name for name in INCLUDE.findall(text) if not (trimmed / name).is_file()]
                # Jinja brought in from elsewhere could refer to any answer.
                assert not outside, f"{path} includes {outside}: render every combination"
                assert len(IMPORTS.findall(text)) == len(INCLUDE.findall(text)), (
                    f"{path} imports Jinja: render every combination"
                )
                sources.append(text)
    environment = Environment(autoescape=True)  # parsed for its variables, never rendered
    found: set[str] = set()
    for source in sources:
        found |= meta.find_undeclared_variables(environment.parse(source))
    return found


def migrations_by_combination(
    trimmed: Path, workdir: Path, combinations: Iterable[Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """The migration files of each combination (by id), rendered once per group
    of combinations that agree on every answer the migrations refer to."""
    axes = referenced_answers(trimmed)
    rendered: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    found = {}
    for combination in combinations:
        group = tuple(sorted((axis, value) for axis, value in combination.items() if axis in axes))
        if group not in rendered:
            destination = workdir / combination_id(combination)
            rendered[group] = released_migrations(trimmed, destination, combination)
        found[combination_id(combination)] = rendered[group]
    return found


#: Combination id -> migration path in the project -> sha256 of its text.
Ledger = dict[str, dict[str, str]]


def recorded(migrations: Mapping[str, Mapping[str, str]]) -> Ledger:
    """The ledger entries of rendered migrations: a digest per file."""
    return {
        combination: {
            path: hashlib.sha256(text.encode()).hexdigest() for path, text in sorted(files.items())
        }
        for combination, files in sorted(migrations.items())
    }


def read_ledger(path: Path = LEDGER) -> Ledger:
    data = json.loads(path.read_text()) if path.exists() else {}
    assert isinstance(data, dict), f"{path}: expected an object of combinations"
    return data


def write_ledger(ledger: Ledger, path: Path = LEDGER) -> None:
    path.write_text(json.dumps(ledger, indent=1, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Problem:
    message: str
    #: A new migration the ledger does not list yet (recording fixes it).
    unrecorded: bool = False


def ledger_problems(ledger: Ledger, current: Ledger) -> list[Problem]:
    """What differs between the recorded and the current migrations."""
    problems = []
    for combination, files in sorted(ledger.items()):
        now = current.get(combination, {})
        for path, digest in sorted(files.items()):
            if path not in now:
                problems.append(Problem(f"{combination}: released migration {path} was removed"))
            elif now[path] != digest:
                problems.append(
                    Problem(
                        f"{combination}: released migration {path} changed; add a new "
                        "migration instead and restore this one"
                    )
                )
    for combination, files in sorted(current.items()):
        for path in sorted(set(files) - set(ledger.get(combination, {}))):
            problems.append(
                Problem(
                    f"{combination}: {path} is not in {LEDGER.name}; record it ({RECORD_COMMAND})",
                    unrecorded=True,
                )
            )
    return problems


def changed_since(
    earlier: Mapping[str, Mapping[str, str]], current: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """The migrations of an earlier release that the current one changed or dropped."""
    found = []
    for combination, files in sorted(earlier.items()):
        for path, text in sorted(files.items()):
            now = current.get(combination, {}).get(path)
            if now != text:
                what = "removed" if now is None else "changed"
                found.append(f"{combination}: {path} {what}")
    return found
