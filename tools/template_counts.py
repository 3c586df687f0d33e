"""Count how the template source is shaped (the measures of issue #18).

    uv run python -m tools.template_counts

Paths are those under template/, files and folders, symbolic links counted
as the entries they are and never followed. Tag counts read the text of
regular files only, so text a link repeats is counted once.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.harness.copier_config import settings
from tests.harness.environment import REPO_ROOT

TEMPLATE = "template"

#: A Jinja `if` (or `elif`) condition written in a name, e.g. `{% if auth == 'jwt' %}`.
CONDITION = re.compile(r"\{%-?\s*(?:el)?if\s+(.*?)\s*-?%\}")
#: An `if` tag in a file's text: `{% if` or `{%- if`.
IF_TAG = re.compile(r"\{%-?\s*if\b")

#: A file whose whole text renders shared text: `{% include 'template/shared/...' -%}`.
INCLUDE_STUB = re.compile(r"\{%-?\s*include\s+'template/shared/[^']+'\s*-?%\}\n?")

#: A Jinja comment, whole or the part of it on one line.
COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)

#: Any Jinja tag in a name (`{% if ... %}`, `{% endif %}`).
TAG = re.compile(r"\{%.*?%\}")

#: A Python template file with more if-tags than this forks too often.
IF_TAG_LIMIT = 5
TOP = 10


@dataclass(frozen=True)
class Counts:
    paths: int
    conditional_names: int
    distinct_conditions: int
    paths_with_several_conditions: int
    longest_path: str
    exclude_rules: int
    symlinks: int
    if_tags: int
    files_with_if_tags: int
    python_files_over_limit: list[tuple[str, int]]
    #: The other files (configuration, documents) with the most if-tags.
    densest_other_files: list[tuple[str, int]]
    #: Top-level folder of template/ -> (files, of which one-line includes).
    files_by_tree: dict[str, tuple[int, int]]


def _entries(template: Path) -> Iterator[Path]:
    """Every file, folder and link under `template`, never following a link."""
    for folder, folders, files in os.walk(template):
        for name in [*folders, *files]:
            yield Path(folder) / name


def is_python(path: str) -> bool:
    """Whether the file renders a Python module: its name without the Jinja tags
    (`{% if task_queue == 'rq' %}queue.py{% endif %}.jinja` is `queue.py.jinja`)."""
    return TAG.sub("", path).endswith((".py", ".py.jinja"))


def exclude_rules(root: Path) -> int:
    """`_exclude` patterns: each line of an entry counts as one (Copier renders
    an entry and splits it into lines), Jinja comments and blank lines none."""
    total = 0
    for rule in settings(root).get("exclude", []):
        text = COMMENT.sub("", str(rule))
        total += sum(1 for line in text.splitlines() if line.strip())
    return total


def count(root: Path = REPO_ROOT) -> Counts:
    template = root / TEMPLATE
    entries = sorted(_entries(template))
    relatives = [entry.relative_to(root).as_posix() for entry in entries]
    conditions_in_names = [CONDITION.findall(entry.name) for entry in entries]
    regular = [entry for entry in entries if entry.is_file() and not entry.is_symlink()]
    if_tags = {
        entry.relative_to(root).as_posix(): len(
            IF_TAG.findall(entry.read_text(encoding="utf-8", errors="replace"))
        )
        for entry in regular
    }
    python = {
        path: tags for path, tags in if_tags.items() if is_python(path) and tags > IF_TAG_LIMIT
    }
    other = {path: tags for path, tags in if_tags.items() if not is_python(path) and tags}
    trees: dict[str, tuple[int, int]] = {}
    for entry in regular:
        parts = entry.relative_to(template).parts
        tree = parts[0] if len(parts) > 1 else "."
        files, stubs = trees.get(tree, (0, 0))
        stub = bool(INCLUDE_STUB.fullmatch(entry.read_text(encoding="utf-8", errors="replace")))
        trees[tree] = (files + 1, stubs + stub)
    return Counts(
        paths=len(entries),
        conditional_names=sum(1 for entry in entries if "{%" in entry.name),
        distinct_conditions=len({c for found in conditions_in_names for c in found}),
        paths_with_several_conditions=sum(
            1 for relative in relatives if len(CONDITION.findall(relative)) >= 2
        ),
        longest_path=max(relatives, key=len),
        exclude_rules=exclude_rules(root),
        symlinks=sum(1 for entry in entries if entry.is_symlink()),
        if_tags=sum(if_tags.values()),
        files_with_if_tags=sum(1 for tags in if_tags.values() if tags),
        python_files_over_limit=sorted(python.items(), key=lambda item: (-item[1], item[0])),
        densest_other_files=sorted(other.items(), key=lambda item: (-item[1], item[0]))[:TOP],
        files_by_tree=dict(sorted(trees.items())),
    )


def lines(counts: Counts) -> list[str]:
    over = counts.python_files_over_limit
    return [
        f"template paths (files and folders under {TEMPLATE}/): {counts.paths}",
        f"paths whose name carries a Jinja condition: {counts.conditional_names}",
        f"distinct conditions in names: {counts.distinct_conditions}",
        f"paths with two or more conditions: {counts.paths_with_several_conditions}",
        f"longest path: {len(counts.longest_path)} characters ({counts.longest_path})",
        f"_exclude rules in copier.yml (lines of its entries): {counts.exclude_rules}",
        f"symlinks: {counts.symlinks}",
        f"if-tags ({{% if / {{%- if): {counts.if_tags} in {counts.files_with_if_tags} files",
        f"Python template files with more than {IF_TAG_LIMIT} if-tags: {len(over)}",
        *(f"    {tags:3d}  {path}" for path, tags in over[:TOP]),
        "other files (configuration, documents) with the most if-tags:",
        *(f"    {tags:3d}  {path}" for path, tags in counts.densest_other_files),
        "files per top-level folder of template/ (of which one-line includes of shared text):",
        *(
            f"    {files:4d} ({stubs:3d})  {tree}/"
            for tree, (files, stubs) in counts.files_by_tree.items()
        ),
    ]


def main() -> int:
    for line in lines(count()):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
