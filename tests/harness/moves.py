"""The moves the template's update migrations carry edits along, read from copier.yml.

A release that moves generated code lists the moves in `_migrations`, as
arguments of `hooks/follow_moves.py` (`OLD=NEW` for a file moved whole,
`OLD=NEW1,NEW2,...` for a file whose code now lives in several, OLD among them
if it stays), in an entry whose `when` says which projects it concerns
(docs/maintaining.md, "Update migrations"). The render tier holds every
combination to them: where an entry applies, the working tree renders a
moved file's new place and not its old one, and renders a split file only if
the split lists it among its places; every place of a split is a file some
framework tree has.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from tests.harness.copier_config import settings
from tests.harness.environment import REPO_ROOT
from tests.harness.exclusions import PACKAGE_PLACEHOLDER, TREE_PACKAGE_FOLDER

HOOK = "hooks/follow_moves.py"


@dataclass(frozen=True)
class Move:
    """One `OLD=NEW` of a follow-moves entry, paths of the rendered project (unrendered)."""

    version: str
    old: str
    new: tuple[str, ...]
    when: str

    @property
    def is_split(self) -> bool:
        return len(self.new) > 1 or self.new == (self.old,)


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
            places = tuple(place for place in new.split(",") if place)
            if not (separator and old and places):
                raise ValueError(f"{HOOK} takes OLD=NEW[,NEW...], the entry has {argument!r}")
            found.append(Move(str(entry["version"]), old, places, str(entry.get("when", "true"))))
    return tuple(found)


def _render(text: str, answers: Mapping[str, object]) -> str:
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701
    return environment.from_string(text).render(answers)


def applies(move: Move, answers: Mapping[str, object]) -> bool:
    """Whether Copier would run the move's entry after updating a project with these answers."""
    return _render(move.when, {**answers, "_stage": "after"}).strip().lower() == "true"


def move_problems(project: Path, answers: Mapping[str, object]) -> list[str]:
    """The moves that apply to the answers and contradict the render."""
    problems = []
    for move in moves():
        if not applies(move, answers):
            continue
        old = _render(move.old, answers)
        places = [_render(place, answers) for place in move.new]
        if (project / old).exists() and old not in places:
            problems.append(f"{move.version}: {old} is moved to {places} but still rendered")
        if not move.is_split and not (project / places[0]).exists():
            problems.append(f"{move.version}: {old} is moved to {places[0]}, which is not rendered")
    return problems


def places_without_source(trees: list[Path]) -> list[str]:
    """Places of moves that no framework tree renders: a stale argument."""
    return sorted(
        {
            place
            for move in moves()
            for place in move.new
            if not any(_source_in(tree, place) for tree in trees)
        }
    )


def _source_in(tree: Path, place: str) -> bool:
    source = tree / place.replace(PACKAGE_PLACEHOLDER, TREE_PACKAGE_FOLDER)
    return source.with_name(source.name + ".jinja").exists() or source.exists()
