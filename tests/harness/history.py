"""Template repositories with history, built in temporary folders for the update tier.

Git tags of the real repository need not survive (a fresh clone, a squashed
submission): every history the update tier needs is built here, from the
working tree and, when the real repository has one, an earlier commit.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from tests.harness.environment import REPO_ROOT
from tests.harness.projects import template_snapshot

GIT = ["git", "-c", "user.name=tests", "-c", "user.email=tests@example.invalid"]

#: What a template release consists of: the rest of the repository is its tooling.
TEMPLATE_PATHS = ("copier.yml", "includes", "hooks", "template")


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        [*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def working_tree(destination: Path) -> Path:
    """The template's working tree as plain files (no .git)."""
    snapshot = template_snapshot(destination)
    shutil.rmtree(snapshot / ".git")
    return snapshot


def build_history(destination: Path, versions: list[Path]) -> list[str]:
    """A git repository whose successive commits hold `versions`; their hashes."""
    destination.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=destination)
    commits = []
    for number, version in enumerate(versions, start=1):
        for child in destination.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(version, destination, dirs_exist_ok=True)
        git("add", "-A", cwd=destination)
        git("commit", "-q", "--allow-empty", "-m", f"release {number}", cwd=destination)
        commits.append(git("rev-parse", "HEAD", cwd=destination))
    # Copier clones the repository for every render: one pack file links faster than
    # hundreds of loose objects (tests/harness/projects.py, template_snapshot).
    git("repack", "-a", "-d", "-q", cwd=destination)
    return commits


def _real_repository_commits() -> list[str]:
    """Commits of the real repository that changed the template, newest first."""
    try:
        output = git("log", "--format=%H", "--", *TEMPLATE_PATHS, cwd=REPO_ROOT)
    except subprocess.CalledProcessError:
        return []  # not a git checkout, or no commit yet
    return output.split()


def _differs_from_working_tree(commit: str) -> bool:
    result = subprocess.run(
        ["git", "diff", "--quiet", commit, "--", *TEMPLATE_PATHS],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    return result.returncode == 1


def previous_release() -> str | None:
    """The newest commit of the real repository whose template differs from the
    working tree (the release a regularly updating user has), if there is one."""
    for commit in _real_repository_commits():
        if _differs_from_working_tree(commit):
            return commit
    return None


def export_commit(commit: str, destination: Path) -> Path:
    """The template files of `commit` in the real repository, as plain files."""
    present = set(git("ls-tree", "--name-only", commit, cwd=REPO_ROOT).split())
    paths = [path for path in TEMPLATE_PATHS if path in present]  # hooks/ came later
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "--", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination


@dataclass(frozen=True)
class ReleaseHistory:
    """A throwaway template repository: the previous release, then the working tree."""

    repository: Path
    previous: str  # the real repository's commit, for messages
    old_commit: str
    new_commit: str


def history_since_previous_release(workdir: Path) -> ReleaseHistory | None:
    """The previous release and the working tree, committed in that order under
    `workdir`; None when the repository has no earlier template commit."""
    previous = previous_release()
    if previous is None:
        return None
    older = export_commit(previous, workdir / "older")
    newer = working_tree(workdir / "newer")
    repository = workdir / "template"
    old_commit, new_commit = build_history(repository, [older, newer])
    return ReleaseHistory(repository, previous, old_commit, new_commit)
