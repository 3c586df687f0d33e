"""Resident memory of a server's worker processes, read from /proc (Linux)."""

from pathlib import Path

from bench.results import MemorySample, WorkerMemory

PROC = Path("/proc")

# Helper processes a multiprocessing-based server may start beside its
# workers; they serve no request, so their memory says nothing about the app.
HELPER_MARKERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _parent_pids() -> dict[int, int]:
    """Map of every live pid to its parent pid."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # The command name in parentheses may itself contain spaces or ")".
        fields = stat.rpartition(")")[2].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def _descendants(root_pid: int, parents: dict[int, int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found: set[int] = set()
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _is_helper(pid: int) -> bool:
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return True
    return any(marker in command for marker in HELPER_MARKERS)


def process_tree(root_pid: int) -> set[int]:
    """root_pid and all its descendants that are alive now."""
    return _descendants(root_pid, _parent_pids()) | {root_pid}


def worker_pids(root_pid: int) -> list[int]:
    """The processes that serve requests in the tree under root_pid.

    Whatever stands between the launcher and the server (make, a shell,
    `uv run`, a master or arbiter process) has children; the workers are the
    leaves. A server that runs in a single process is its own worker.
    """
    parents = _parent_pids()
    tree = _descendants(root_pid, parents) | {root_pid}
    with_children = {parents[pid] for pid in tree if pid in parents}
    leaves = sorted(pid for pid in tree if pid not in with_children and pid in parents)
    return [pid for pid in leaves if not _is_helper(pid)]


def rss_mib(pid: int) -> float | None:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # the kernel reports kB
    return None


def sample_workers(root_pid: int, after_run: int) -> MemorySample:
    workers = []
    for pid in worker_pids(root_pid):
        rss = rss_mib(pid)
        if rss is not None:
            workers.append(WorkerMemory(pid=pid, rss_mib=rss))
    return MemorySample(after_run=after_run, workers=tuple(workers))
