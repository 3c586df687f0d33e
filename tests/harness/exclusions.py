"""Which answers produce a file, read from the one place that says it.

copier.yml's `_exclude` has one entry with a line per file or folder of the
rendered project that only some answers produce:

    {% if auth != 'jwt' %}src/{{ package_name }}/security{% endif %}

The condition is true when the answers do *not* produce the path. The render
tier evaluates these lines for each combination and holds the rendered tree
to them (tests/test_render.py); nothing else in the suite repeats which file
belongs to which option.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.environment import TemplateExpression

from tests.harness.copier_config import settings
from tests.harness.environment import REPO_ROOT

PACKAGE_PLACEHOLDER = "{{ package_name }}"
#: How the framework trees spell the package folder.
TREE_PACKAGE_FOLDER = "{{package_name}}"

_LINE = re.compile(r"^\{% if (?P<condition>.+?) %\}(?P<path>.+)\{% endif %\}$")
_COMMENT = re.compile(r"^\{#.*#\}$")


@dataclass(frozen=True)
class OptionPath:
    """A path of the rendered project, and when the answers leave it out."""

    path: str
    condition: str

    def excluded(self, answers: Mapping[str, object]) -> bool:
        return bool(_expression(self.condition)(**answers))

    def in_project(self, package_name: str) -> str:
        return self.path.replace(PACKAGE_PLACEHOLDER, package_name)

    def source_in(self, tree: Path) -> Path | None:
        """The file (`.jinja`) or folder of a framework tree that renders to the path."""
        source = tree / self.path.replace(PACKAGE_PLACEHOLDER, TREE_PACKAGE_FOLDER)
        for candidate in (source.with_name(source.name + ".jinja"), source):
            if candidate.exists():
                return candidate
        return None


@functools.cache
def _expression(condition: str) -> TemplateExpression:
    # Conditions on answers, evaluated to a boolean: nothing is rendered, so nothing to escape.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701
    return environment.compile_expression(condition)


@functools.cache
def option_paths(root: Path = REPO_ROOT) -> tuple[OptionPath, ...]:
    """Every line of the `_exclude` entry that says which answers produce a path."""
    entries = [entry for entry in settings(root)["exclude"] if "{% if" in str(entry)]
    if len(entries) != 1:
        raise ValueError(
            f"copier.yml's _exclude must have one entry of conditions, has {len(entries)}"
        )
    paths = []
    for line in (raw.strip() for raw in str(entries[0]).splitlines()):
        if not line or _COMMENT.match(line):
            continue
        found = _LINE.match(line)
        if found is None:
            raise ValueError(f"not a `{{% if ... %}}path{{% endif %}}` line of _exclude: {line!r}")
        paths.append(OptionPath(path=found["path"], condition=found["condition"]))
    return tuple(paths)


def left_out(entry: OptionPath, answers: Mapping[str, object]) -> bool:
    """The answers leave the path out: by its own line, or by the line of a folder
    it is in (`tasks/broker.py` says only that Celery has none: without a task
    queue, the `tasks` folder's line leaves out all of it)."""
    return any(
        folder.excluded(answers)
        for folder in option_paths()
        if entry.path == folder.path or entry.path.startswith(folder.path + "/")
    )


def files_of_options_not_taken(project: Path, answers: Mapping[str, object]) -> list[str]:
    """The listed paths the answers leave out that the project still has: after
    `copier update` changed an answer, the files of the option dropped."""
    package_name = str(answers["package_name"])
    return [
        f"{entry.in_project(package_name)} exists, though {entry.condition}"
        for entry in option_paths()
        if entry.excluded(answers) and (project / entry.in_project(package_name)).exists()
    ]
