"""Update migration: a user's edits follow generated code the template moved.

Copier merges a user's edits into the files of the new release by path. When a
release moves a file, the old path no longer exists in the new render, and
`copier update` deletes it together with the user's edits; when a release
splits a file, moving part of its code to other files, the user's edits of
that part no longer find their lines and end as conflicts. This migration
runs after the update (`_stage == 'after'` in copier.yml), once per release
that moved code, with each move as an argument (paths in the project):

    python hooks/follow_moves.py src/app/old.py=src/app/new.py ...
    python hooks/follow_moves.py src/app/config.py=src/app/config.py,src/app/parts.py

`OLD=NEW` moves a whole file: the user's last committed version of the old
file (ours) is three-way merged into the new file as the update left it
(theirs), with the old release's render of the old file as the base, using
`git merge-file`.

`OLD=NEW1,NEW2,...` splits a file: the code of OLD now lives in the files
listed (OLD among them if it stays). Each change the user made to OLD (a
hunk of the old release's render against the user's version) goes to the
one file of the new release whose render holds the lines around it, and
each of those files is three-way merged with the update's result. When a
change's surroundings are found in none of them, or in more than one place,
nothing is rewritten for that split: the update's own result, with its
conflict markers, stays, and the script names the change it could not place.

An unedited file needs nothing; a conflict leaves the usual markers, and the
script says so. It needs the standard library, git, and the Copier that runs
it (to render the old and the new release).

Copier sets VERSION_FROM and VERSION_TO (the commits the project is updated
from and to) in the environment of migrations; the template's source is
this file's grandparent.
"""

from __future__ import annotations

import difflib
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ANSWERS_FILE = ".copier-answers.yml"
TEMPLATE = Path(__file__).resolve().parent.parent
#: Lines of unchanged code around a change that locate it in the new release.
CONTEXT_LINES = 3


@dataclass(frozen=True)
class Move:
    old: str
    new: tuple[str, ...]

    @property
    def is_split(self) -> bool:
        return len(self.new) > 1 or self.new == (self.old,)


@dataclass(frozen=True)
class Hunk:
    """One change of the user's: `before` lines of the base become `after`."""

    start: int
    end: int
    replacement: list[str]


def main(arguments: list[str]) -> int:
    moves = [_move(argument) for argument in arguments]
    project = Path.cwd()
    present = [move for move in moves if _committed(project, move.old) is not None]
    if not present:
        return 0
    conflicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="follow-moves-") as workdir:
        base_render = _render(project, Path(workdir) / "previous", os.environ["VERSION_FROM"])
        new_render: Path | None = None
        for move in present:
            if not move.is_split:
                if _follow(project, base_render, move.old, move.new[0]) == "conflict":
                    conflicts.append(move.new[0])
                continue
            if not _edited(project, base_render, move.old):
                continue
            if new_render is None:
                new_render = _render(project, Path(workdir) / "new", os.environ["VERSION_TO"])
            conflicts += _follow_split(project, base_render, new_render, move)
    for path in conflicts:
        print(
            f"{path}: your edits of code the template moved conflict with the template; "
            "resolve the markers",
            file=sys.stderr,
        )
    return 0


def _move(argument: str) -> Move:
    old, separator, new = argument.partition("=")
    targets = tuple(part for part in new.split(",") if part)
    if not (separator and old and targets):
        raise SystemExit(f"expected OLD=NEW or OLD=NEW1,NEW2,..., got {argument!r}")
    return Move(old, targets)


def _committed(project: Path, path: str) -> bytes | None:
    """The file as the project's last commit holds it, if it does."""
    result = subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=project, capture_output=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def _edited(project: Path, base_render: Path, path: str) -> bool:
    """Whether the user changed the file since the release rendered it."""
    ours = _committed(project, path)
    base = base_render / path
    return ours is not None and base.exists() and ours != base.read_bytes()


def _render(project: Path, destination: Path, version: str) -> Path:
    """The template at `version`, with the project's answers."""
    destination.mkdir(parents=True)
    shutil.copy2(project / ANSWERS_FILE, destination / ANSWERS_FILE)
    command = [
        sys.executable,
        "-m",
        "copier",
        "copy",
        "--quiet",
        "--defaults",
        "--overwrite",
        "--vcs-ref",
        version,
        str(TEMPLATE),
        str(destination),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return destination


def _merge_file(ours: bytes, base: bytes, theirs: Path, labels: tuple[str, str, str]) -> int:
    """Three-way merge into `theirs` (ours wins the file); git merge-file's exit code."""
    with tempfile.TemporaryDirectory(prefix="follow-move-") as workdir:
        files = {name: Path(workdir) / name for name in ("ours", "base")}
        files["ours"].write_bytes(ours)
        files["base"].write_bytes(base)
        # git merge-file writes into its first file.
        result = subprocess.run(
            [
                "git",
                "merge-file",
                "-L",
                labels[0],
                "-L",
                labels[1],
                "-L",
                labels[2],
                str(files["ours"]),
                str(files["base"]),
                str(theirs),
            ],
            capture_output=True,
            check=False,
        )
        if result.returncode < 0 or result.returncode > 127:
            raise SystemExit(f"git merge-file failed on {theirs}: {result.stderr.decode()}")
        theirs.write_bytes(files["ours"].read_bytes())
    return result.returncode


def _follow(project: Path, base_render: Path, old: str, new: str) -> str:
    """Merge the user's edits of `old` into `new`: 'unedited', 'merged' or 'conflict'."""
    ours = _committed(project, old)
    base_file = base_render / old
    base = base_file.read_bytes() if base_file.exists() else b""
    target = project / new
    stale = project / old
    if ours is None or ours == base or not target.exists():
        return "unedited"
    labels = (f"{old} (yours)", f"{old} (previous release)", f"{new} (this release)")
    returncode = _merge_file(ours, base, target, labels)
    if stale.exists():
        stale.unlink()
    print(f"{old} -> {new}: your edits moved with the file")
    return "conflict" if returncode else "merged"


def _hunks(base: list[str], ours: list[str]) -> list[Hunk]:
    matcher = difflib.SequenceMatcher(None, base, ours, autojunk=False)
    return [
        Hunk(start, end, ours[first:last])
        for tag, start, end, first, last in matcher.get_opcodes()
        if tag != "equal"
    ]


def _occurrences(needle: list[str], lines: list[str]) -> list[int]:
    size = len(needle)
    return [
        start for start in range(len(lines) - size + 1) if lines[start : start + size] == needle
    ]


def _meaningful(lines: list[str]) -> int:
    return sum(1 for line in lines if line.strip())


def _place(
    hunk: Hunk, base: list[str], targets: dict[str, list[str]]
) -> tuple[str, int, int] | None:
    """Where the hunk's lines are in the new release: (target, start, end), if in one place.

    The changed lines with the unchanged lines around them are looked for,
    with fewer lines of surroundings when more are not found. At a boundary
    of the moved code only one side came along, so each side alone is tried
    too, the side with more non-blank lines first.
    """
    changed = base[hunk.start : hunk.end]
    for context in range(CONTEXT_LINES, 0, -1):
        before = base[max(0, hunk.start - context) : hunk.start]
        after = base[hunk.end : hunk.end + context]
        one_sided = sorted(
            [(before, []), ([], after)], key=lambda side: -_meaningful(side[0] + side[1])
        )
        for number, (leading, trailing) in enumerate([(before, after), *one_sided]):
            needle = leading + changed + trailing
            if _meaningful(needle) == 0:
                continue
            found = [
                (name, index)
                for name, lines in targets.items()
                for index in _occurrences(needle, lines)
            ]
            if len(found) == 1:
                name, index = found[0]
                start = index + len(leading)
                return name, start, start + len(changed)
            if found and number == 0:
                return None  # in several places: less context finds more, not fewer
    return None


def _overlap(changes: list[tuple[int, int, list[str]]]) -> bool:
    ordered = sorted(changes, key=lambda change: (change[0], change[1]))
    return any(
        later[0] < earlier[1] or (later[0] == earlier[0] and later[1] == earlier[1])
        for earlier, later in itertools.pairwise(ordered)
    )


#: Where the user's changes go: per file of the new release, (start, end, lines).
Placements = dict[str, list[tuple[int, int, list[str]]]]


def _placements(
    move: Move, base: list[str], ours: list[str], targets: dict[str, list[str]]
) -> Placements | None:
    """Each of the user's changes in the file of the new release that holds its code,
    or None (and why, on stderr) when one cannot be placed."""
    placed: Placements = {name: [] for name in targets}
    complete = True
    for hunk in _hunks(base, ours):
        where = _place(hunk, base, targets)
        if where is None:
            complete = False
            print(
                f"{move.old}: your change of its lines {hunk.start + 1}-{hunk.end} (previous "
                "release) is not where the template moved that code; merge it by hand",
                file=sys.stderr,
            )
            continue
        name, start, end = where
        placed[name].append((start, end, hunk.replacement))
    for name, changes in placed.items():
        if _overlap(changes):
            complete = False
            print(
                f"{move.old}: two of your changes meet in {name}; merge them by hand",
                file=sys.stderr,
            )
    return placed if complete else None


def _follow_split(project: Path, base_render: Path, new_render: Path, move: Move) -> list[str]:
    """Carry the user's changes of a split file to where their code went; the conflicted paths."""
    ours = _committed(project, move.old)
    base_file = base_render / move.old
    if ours is None or not _edited(project, base_render, move.old):
        return []
    targets = {
        name: (new_render / name).read_text().splitlines(keepends=True)
        for name in move.new
        if (new_render / name).exists()
    }
    base = base_file.read_text().splitlines(keepends=True)
    placed = _placements(move, base, ours.decode().splitlines(keepends=True), targets)
    if placed is None:
        return []  # the update's own result, with its conflict markers, stays
    conflicted = []
    for name, changes in placed.items():
        release = (new_render / name).read_bytes()
        target = project / name
        if name == move.old or not target.exists():
            # Every change of the user's to the old file is placed here: the
            # update's own merge of it gives way to the release's text.
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(release)
        if not changes:
            continue
        lines = list(targets[name])
        for start, end, replacement in sorted(changes, key=lambda change: -change[0]):
            lines[start:end] = replacement
        labels = (f"{name} (yours)", f"{name} (this release)", f"{name} (this release)")
        if _merge_file("".join(lines).encode(), release, target, labels):
            conflicted.append(name)
        print(f"{move.old} -> {name}: your edits moved with the code")
    if move.old not in targets and (project / move.old).exists():
        (project / move.old).unlink()
    return conflicted


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
