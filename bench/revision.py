"""Which revision of the template the bench renders.

copier renders uncommitted changes too when it is given the reference "HEAD"
of a local repository. By default the bench resolves the reference to a commit
id first, so it measures exactly what is committed; --uncommitted passes
"HEAD" on instead, to measure work in progress.
"""

import os
import subprocess
from pathlib import Path

ABBREVIATED = 12  # hex digits of a commit id in reports and the history


class RevisionError(Exception):
    """The template's reference names no commit."""


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No optional locks: read-only, never refreshes the index of the
    # repository being benchmarked, where someone may be working.
    return subprocess.run(
        ["git", "-C", str(repository), *args],
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )


def resolve_commit(template: Path, reference: str) -> str:
    completed = _git(template, "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}")
    if completed.returncode != 0:
        raise RevisionError(f"{reference!r} names no commit in {template} (is anything committed?)")
    return completed.stdout.strip()


def has_uncommitted_changes(template: Path) -> bool:
    return bool(_git(template, "status", "--porcelain").stdout.strip())


def describe(template: Path, commit: str, uncommitted: bool) -> str:
    suffix = " + uncommitted changes" if uncommitted and has_uncommitted_changes(template) else ""
    return f"{template} @ {commit[:ABBREVIATED]}{suffix}"
