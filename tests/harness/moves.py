"""The moves the template's update migrations carry edits along, read from copier.yml.

A release that moves generated files lists them in `_migrations`, as arguments
`OLD=NEW` of `hooks/follow_moves.py`, in an entry whose `when` says which
projects it concerns (docs/maintaining.md, "Update migrations"). The render
tier holds every combination to them: where an entry applies, the working
tree renders no OLD and every NEW, so no move names a file that still exists
or one that no longer does.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from tests.harness.copier_config import settings
from tests.harness.environment import REPO_ROOT

HOOK = "hooks/follow_moves.py"


@dataclass(frozen=True)
class Move:
    """One `OLD=NEW` of a follow-moves entry, paths of the rendered project (unrendered)."""

    version: str
    old: str
    new: str
    when: str


@functools.cache
def moves(root: Path = REPO_ROOT) -> tuple[Move, ...]:
    found = []
    for entry in settings(root).get("migrations", []):
        command = [str(argument) for argument in entry.get("command", [])]
        if not any(argument.endswith(HOOK) for argument in command):
            continue
        start = next(index for index, argument in enumerate(command) if argument.endswith(HOOK))
        for argument in command[start + 1 :]:
            old, separator, new = argument.partition("=")
            if not (separator and old and new):
                raise ValueError(f"{HOOK} takes OLD=NEW, the entry has {argument!r}")
            found.append(Move(str(entry["version"]), old, new, str(entry.get("when", "true"))))
    return tuple(found)


def _render(text: str, answers: Mapping[str, object]) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701
    return environment.from_string(text).render(answers)


def applies(move: Move, answers: Mapping[str, object]) -> bool:
    """Whether Copier would run the move's entry after updating a project with these answers."""
    return _render(move.when, {**answers, "_stage": "after"}).strip().lower() == "true"


def move_problems(project: Path, answers: Mapping[str, object]) -> list[str]:
    """The moves that apply to the answers whose OLD the render still has or NEW it lacks."""
    problems = []
    for move in moves():
        if not applies(move, answers):
            continue
        old, new = _render(move.old, answers), _render(move.new, answers)
        if (project / old).exists():
            problems.append(f"{move.version}: {old} is moved to {new} but still rendered")
        if not (project / new).exists():
            problems.append(f"{move.version}: {old} is moved to {new}, which is not rendered")
    return problems
