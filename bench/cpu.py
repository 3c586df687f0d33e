"""CPU time accounting for one load run, read from /proc (Linux).

The machine is small and may be shared, so throughput alone can mislead. Server
CPU time per request is steadier than requests per second under outside load,
and the CPU time nobody in the bench used shows whether a run was disturbed.
"""

import os
import resource
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.memory import PROC, process_tree
from bench.results import CpuUsage

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    # First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ..."
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / CLOCK_TICKS_PER_S


def _cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    """CPU time of each process, with that of children it has already reaped."""
    seconds = {}
    for pid in pids:
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        fields = stat.rpartition(")")[2].split()
        # utime, stime, cutime, cstime: fields 14 to 17 of proc(5).
        seconds[pid] = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS_PER_S
    return seconds


def _growth_s(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU time spent between two readings by the processes alive at the second.

    A process that started in between counts from zero; one that ended in
    between cannot be read any more and is left out.
    """
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _database_backends(database: str) -> list[int]:
    """PostgreSQL backends serving one database: their titles name it.

    Readable only when PostgreSQL runs on this machine; otherwise none are
    found and the database's time counts as spent elsewhere.
    """
    backends = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
            backends.append(int(entry.name))
    return backends


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def account[Result](
    server_pid: int, database: str, run: Callable[[], Result]
) -> tuple[Result, CpuUsage]:
    """Call `run` (which runs the load generator to completion) and split its CPU time.

    The load generator is the only child process that ends during `run`, so
    the growth of the reaped children's time is its time. Database backends
    are listed before and after, since a pool may open connections mid-run.
    """
    busy, children, own = _machine_busy_s(), _children_cpu_s(), _own_cpu_s()
    server = _cpu_by_pid(process_tree(server_pid))
    database_backends = _cpu_by_pid(_database_backends(database))
    result = run()
    server_s = _growth_s(server, _cpu_by_pid(process_tree(server_pid)))
    database_s = _growth_s(database_backends, _cpu_by_pid(_database_backends(database)))
    load_generator_s = _children_cpu_s() - children
    bench_s = _own_cpu_s() - own
    elsewhere_s = _machine_busy_s() - busy - server_s - load_generator_s - database_s - bench_s
    return result, CpuUsage(
        server_s=server_s,
        database_s=database_s,
        load_generator_s=load_generator_s,
        # Clock ticks are coarse: a small negative remainder means "none".
        elsewhere_s=max(elsewhere_s, 0.0),
    )


# Above this many cores used by other processes, a run's figures are suspect.
DISTURBED_CORES = 0.25
QUIET_SAMPLE_S = 1.0


def wait_for_quiet(max_wait_s: float) -> float:
    """Wait, at most max_wait_s, until the machine is nearly idle between runs.

    Between runs the servers idle, so what keeps the machine busy then is
    someone else's work, which would steal CPU from the next run. Returns the
    last reading, in cores.
    """
    deadline = time.monotonic() + max_wait_s
    while True:
        before = _machine_busy_s()
        time.sleep(QUIET_SAMPLE_S)
        busy_cores = (_machine_busy_s() - before) / QUIET_SAMPLE_S
        if busy_cores <= DISTURBED_CORES or time.monotonic() >= deadline:
            return busy_cores
