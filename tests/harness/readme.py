"""Shell commands a README shows, read from its fenced code blocks."""

from __future__ import annotations

import re

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_FENCE = re.compile(r"^```\s*([\w-]*)\s*$")
_SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console", "zsh"})


def section(markdown: str, title: str) -> str:
    """The text under the heading `title` (case-insensitive), up to the next
    heading of the same or a higher level."""
    lines = markdown.splitlines()
    start = level = None
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            continue
        if start is None and heading.group(2).lower() == title.lower():
            start, level = index + 1, len(heading.group(1))
        elif start is not None and level is not None and len(heading.group(1)) <= level:
            return "\n".join(lines[start:index])
    if start is None:
        raise LookupError(f"no section {title!r} in the README")
    return "\n".join(lines[start:])


def shell_commands(markdown: str) -> list[str]:
    """Commands of the shell code blocks, without prompts, comments and blank lines."""
    commands: list[str] = []
    in_shell = in_fence = False
    for line in markdown.splitlines():
        fence = _FENCE.match(line)
        if fence:
            in_shell = not in_fence and fence.group(1).lower() in _SHELL_LANGUAGES
            in_fence = not in_fence
            continue
        if not in_shell:
            continue
        command = re.sub(r"\s+#\s.*$", "", line.removeprefix("$ ")).strip()
        if command and not command.startswith("#"):
            commands.append(command)
    return commands


_SEPARATOR_CELL = re.compile(r"^:?-+:?$")


def _cells(line: str) -> list[str]:
    """The cells of a table row; a `|` inside a code span or escaped does not split."""
    cells: list[str] = []
    cell: list[str] = []
    in_code = False
    previous = ""
    for character in line.strip().removeprefix("|").removesuffix("|"):
        if character == "`":
            in_code = not in_code
        if character == "|" and not in_code and previous != "\\":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(character)
        previous = character
    cells.append("".join(cell).strip())
    return cells


def tables(markdown: str) -> list[list[list[str]]]:
    """Every table outside code blocks: its header row, then its body rows.

    A run of `|` lines that has no separator row under its first line is not a
    table to a Markdown renderer (a blank line splits a table that way), so it
    raises ValueError.
    """
    found: list[list[list[str]]] = []
    block: list[str] = []
    in_fence = False
    for line in [*markdown.splitlines(), ""]:
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.lstrip().startswith("|"):
            block.append(line)
            continue
        if block:
            rows = [_cells(row) for row in block]
            if len(rows) < 2 or not all(_SEPARATOR_CELL.match(cell) for cell in rows[1]):
                raise ValueError(f"table rows without a header and separator: {block[0]!r}")
            found.append([rows[0], *rows[2:]])
            block = []
    return found
