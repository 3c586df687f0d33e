"""Copier asks git about `core.fileMode` once per render, not once per file.

After writing each file Copier runs `git config --get core.fileMode` in the
destination, to copy an executable bit into the git index where git ignores
file modes (`Worker._sync_git_index_executable_bit`). Where the setting is
not `false` (a fresh folder, or any repository on Linux) that call is all it
does: one git process per file, over a hundred per render, and the suite
renders several hundred times. The answer cannot change during one render, so
this asks once when a render starts, in the repository the destination is
or will be in, and skips the per-file call where git honours file modes.
Where it does not, Copier's own method runs for every file, as it would.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import cast

from copier._main import Worker

_SyncBit = Callable[[Worker, Path, int], None]
_Render = Callable[[Worker], None]

_original_sync = cast(_SyncBit, Worker._sync_git_index_executable_bit)
_original_render = cast(_Render, Worker._render_template)
#: Whether git ignores file modes where the current render writes (None: unknown).
_modes_ignored: ContextVar[bool | None] = ContextVar("modes_ignored", default=None)


def git_ignores_file_modes(destination: Path) -> bool:
    """`core.fileMode` is `false` in the repository (or global configuration)
    that holds `destination`, or would hold it once created."""
    existing = destination.absolute()
    while not existing.is_dir():
        existing = existing.parent
    result = subprocess.run(
        ["git", "config", "--type=bool", "--get", "core.fileMode"],
        cwd=existing,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and result.stdout.strip() == "false"


def _render_template(self: Worker) -> None:
    token = _modes_ignored.set(git_ignores_file_modes(Path(self.dst_path)))
    try:
        _original_render(self)
    finally:
        _modes_ignored.reset(token)


def _sync_git_index_executable_bit(self: Worker, dst_relpath: Path, src_mode: int) -> None:
    if _modes_ignored.get() is False:
        return
    _original_sync(self, dst_relpath, src_mode)


def install() -> None:
    """Route Copier's renders through the once-per-render question (idempotent)."""
    Worker._render_template = _render_template  # type: ignore[method-assign]
    Worker._sync_git_index_executable_bit = _sync_git_index_executable_bit  # type: ignore[method-assign]
