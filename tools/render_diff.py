"""Compare what two versions of the template generate, for every combination.

    uv run python -m tools.render_diff BASE [--against REF]

Renders every combination of the option space (tests/option_space.py) from
the template at git ref BASE of this repository and from REF (default: the
working tree, uncommitted changes included), then compares the two trees of
each combination byte for byte, file modes included. Ignored, by design:
`.env` (its secret is random at each render) and the `_commit`/`_src_path`
lines of `.copier-answers.yml` (they name the template's source, which
differs). Prints each differing path with the combinations it differs in and
a summary; exits 1 on any difference, 0 when every tree is identical.
Progress, one line per combination, goes to stderr.

A redesign of the template source that must not change the generated
projects (issue #18) proves it with `uv run python -m tools.render_diff main`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.harness import file_mode_check, jinja_cache
from tests.harness.history import export_commit, working_tree
from tests.harness.projects import generate
from tests.option_space import all_combinations, combination_id

#: Files left out of the comparison: the secret in .env is random by design.
IGNORED_FILES = frozenset({".env"})

#: Lines of the answers file that name the template's source, not the project.
ANSWERS_FILE = ".copier-answers.yml"
SOURCE_LINES = (b"_commit:", b"_src_path:")

#: Two processes: the machine this was written for has two cores.
PROCESSES = 2


def _speed_up_copier() -> None:
    """Each rendering process compiles a file once and asks git about file modes once per render."""
    jinja_cache.install()
    file_mode_check.install()


def _normalised(relative: str, content: bytes) -> bytes:
    if relative != ANSWERS_FILE:
        return content
    lines = content.splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(SOURCE_LINES))


def _entries(root: Path) -> dict[str, Path]:
    """Every file, folder and link under `root`, by path relative to it."""
    return {
        path.relative_to(root).as_posix(): path
        for path in root.rglob("*")
        if path.relative_to(root).as_posix() not in IGNORED_FILES
    }


def _describe(path: Path) -> tuple[str, bytes, int]:
    """What is compared of one entry: its kind, its content and its mode bits."""
    info = path.lstat()
    mode = stat.S_IMODE(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        return ("link", str(path.readlink()).encode(), mode)
    if stat.S_ISDIR(info.st_mode):
        return ("folder", b"", mode)
    return ("file", path.read_bytes(), mode)


def compare_trees(old: Path, new: Path) -> list[str]:
    """Relative paths that differ between two rendered projects, each with how.

    A path present on one side only, of another kind (file, folder, link), of
    other content or of other mode bits is a difference.
    """
    old_entries, new_entries = _entries(old), _entries(new)
    differences = []
    for relative in sorted(old_entries.keys() | new_entries.keys()):
        if relative not in new_entries:
            differences.append(f"{relative} (only in the base)")
            continue
        if relative not in old_entries:
            differences.append(f"{relative} (only in the new render)")
            continue
        old_kind, old_content, old_mode = _describe(old_entries[relative])
        new_kind, new_content, new_mode = _describe(new_entries[relative])
        if old_kind != new_kind:
            differences.append(f"{relative} ({old_kind} became {new_kind})")
        elif _normalised(relative, old_content) != _normalised(relative, new_content):
            differences.append(f"{relative} (content)")
        elif old_mode != new_mode:
            differences.append(f"{relative} (mode {old_mode:o} became {new_mode:o})")
    return differences


def group_by_path(differences: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """{combination: differing paths} turned into {path: combinations}, both sorted."""
    grouped: dict[str, list[str]] = {}
    for combination, paths in differences.items():
        for path in paths:
            grouped.setdefault(path, []).append(combination)
    return {path: sorted(grouped[path]) for path in sorted(grouped)}


def report(differences: Mapping[str, Sequence[str]], total: int) -> list[str]:
    """The lines printed for {combination: differing paths} over `total` combinations."""
    grouped = group_by_path(differences)
    lines = []
    for path, combinations in grouped.items():
        lines.append(f"{path}: {len(combinations)} of {total} combinations")
        lines.extend(f"    {combination}" for combination in combinations)
    differing = sum(1 for paths in differences.values() if paths)
    lines.append(
        f"{len(grouped)} differing paths in {differing} of {total} combinations"
        if grouped
        else f"0 differences: {total} of {total} combinations render byte-identical trees"
    )
    return lines


@dataclass(frozen=True)
class Job:
    old_template: Path
    new_template: Path
    workdir: Path
    combination: dict[str, str]


def _render_and_compare(job: Job) -> tuple[str, list[str]]:
    name = combination_id(job.combination)
    # Questions outside the option axes (python_version) take copier.yml's default.
    old = generate(job.old_template, job.workdir / "old" / name, job.combination, vcs_ref=None)
    new = generate(job.new_template, job.workdir / "new" / name, job.combination, vcs_ref=None)
    differences = compare_trees(old, new)
    shutil.rmtree(old)
    shutil.rmtree(new)
    return name, differences


def render_diff(
    base: str, against: str | None, combinations: Iterable[dict[str, str]]
) -> dict[str, list[str]]:
    """{combination id: differing paths} between the template at `base` and at
    `against` (None: the working tree)."""
    with tempfile.TemporaryDirectory(prefix="render-diff-") as directory:
        workdir = Path(directory)
        old_template = export_commit(base, workdir / "base")
        new_template = (
            working_tree(workdir / "against")
            if against is None
            else export_commit(against, workdir / "against")
        )
        jobs = [Job(old_template, new_template, workdir, dict(c)) for c in combinations]
        results: dict[str, list[str]] = {}
        with multiprocessing.Pool(PROCESSES, initializer=_speed_up_copier) as pool:
            for name, paths in pool.imap_unordered(_render_and_compare, jobs):
                results[name] = paths
                print(f"[{len(results)}/{len(jobs)}] {name}: {len(paths)}", file=sys.stderr)
    return dict(sorted(results.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.render_diff",
        description="Render every combination from two versions of the template; "
        "compare the trees byte for byte.",
    )
    parser.add_argument("base", metavar="BASE", help="git ref of the base template")
    parser.add_argument(
        "--against",
        metavar="REF",
        help="git ref to compare with (default: the working tree)",
    )
    args = parser.parse_args(argv)
    combinations = list(all_combinations())
    differences = render_diff(args.base, args.against, combinations)
    for line in report(differences, len(combinations)):
        print(line)
    return 1 if any(differences.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
