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
