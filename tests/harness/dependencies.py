"""The dependency floors of generated projects, as includes/dependencies.jinja writes them."""

from __future__ import annotations

import functools
import re

from tests.harness.environment import REPO_ROOT

DEPENDENCIES = REPO_ROOT / "includes" / "dependencies.jinja"

_FLOORS = re.compile(r"(?ms)^\{%- set floors = \{\n(?P<entries>.*?)^\} -%\}")
_ENTRY = re.compile(r"^    '(?P<name>[a-z0-9][a-z0-9.-]*)': '(?P<specifier>[^']+)',$")


@functools.cache
def dependency_floors() -> dict[str, str]:
    """Each package a generated project may depend on, with its version specifier."""
    block = _FLOORS.search(DEPENDENCIES.read_text())
    if block is None:
        raise ValueError(f"{DEPENDENCIES} has no `floors` table")
    floors: dict[str, str] = {}
    for line in block["entries"].splitlines():
        entry = _ENTRY.match(line)
        if entry is None:
            raise ValueError(f"{DEPENDENCIES}: not a `'name': 'specifier',` line: {line!r}")
        floors[entry["name"]] = entry["specifier"]
    return floors
