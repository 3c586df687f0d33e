"""Update migration: a user's edits follow a generated file the template moved.

Copier merges a user's edits into the files of the new release by path. When a
release moves a file, the old path no longer exists in the new render, and
`copier update` deletes it together with the user's edits. This migration runs
after the update (`_stage == 'after'` in copier.yml), once per release that
moved files, with each move as an argument `OLD=NEW` (paths in the project):

    python hooks/follow_moves.py src/app/old.py=src/app/new.py ...

For each move, it three-way merges the user's last committed version of the
old file (ours) into the new file as the update left it (theirs), with the old
release's render of the old file as the base, using `git merge-file`. An
unedited file needs nothing; a conflict leaves the usual markers in the new
file, and the script says so. It needs the standard library, git, and the
Copier that runs it (to render the old release for the base).

Copier sets VERSION_FROM (the commit the project was rendered from) in the
environment of migrations; the template's source is this file's grandparent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ANSWERS_FILE = ".copier-answers.yml"
TEMPLATE = Path(__file__).resolve().parent.parent


def main(arguments: list[str]) -> int:
    moves = [_move(argument) for argument in arguments]
    project = Path.cwd()
    edited = [(old, new) for old, new in moves if _committed(project, old) is not None]
    if not edited:
        return 0
    with tempfile.TemporaryDirectory(prefix="follow-moves-") as workdir:
        base_render = _render_previous_release(project, Path(workdir) / "previous")
        conflicts = [
            new for old, new in edited if _follow(project, base_render, old, new) == "conflict"
        ]
    for new in conflicts:
        print(
            f"{new}: your edits of the file's old place conflict with the template; "
            "resolve the markers",
            file=sys.stderr,
        )
    return 0


def _move(argument: str) -> tuple[str, str]:
    old, separator, new = argument.partition("=")
    if not (separator and old and new):
        raise SystemExit(f"expected OLD=NEW, got {argument!r}")
    return old, new


def _committed(project: Path, path: str) -> bytes | None:
    """The file as the project's last commit holds it, if it does."""
    result = subprocess.run(
        ["git", "show", f"HEAD:{path}"], cwd=project, capture_output=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def _render_previous_release(project: Path, destination: Path) -> Path:
    """The release the project was rendered from, with the project's answers."""
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
        os.environ["VERSION_FROM"],
        str(TEMPLATE),
        str(destination),
    ]
    subprocess.run(command, check=True, capture_output=True)
    return destination


def _follow(project: Path, base_render: Path, old: str, new: str) -> str:
    """Merge the user's edits of `old` into `new`: 'unedited', 'merged' or 'conflict'."""
    ours = _committed(project, old)
    base_file = base_render / old
    base = base_file.read_bytes() if base_file.exists() else b""
    target = project / new
    stale = project / old
    if ours is None or ours == base or not target.exists():
        return "unedited"
    with tempfile.TemporaryDirectory(prefix="follow-move-") as workdir:
        files = {name: Path(workdir) / name for name in ("ours", "base")}
        files["ours"].write_bytes(ours)
        files["base"].write_bytes(base)
        # git merge-file writes into its first file: the user's version.
        result = subprocess.run(
            [
                "git",
                "merge-file",
                "-L",
                f"{old} (yours)",
                "-L",
                f"{old} (previous release)",
                "-L",
                f"{new} (this release)",
                str(files["ours"]),
                str(files["base"]),
                str(target),
            ],
            capture_output=True,
            check=False,
        )
        if result.returncode < 0 or result.returncode > 127:
            raise SystemExit(f"git merge-file failed on {new}: {result.stderr.decode()}")
        target.write_bytes(files["ours"].read_bytes())
    if stale.exists():
        stale.unlink()
    print(f"{old} -> {new}: your edits moved with the file")
    return "conflict" if result.returncode else "merged"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
