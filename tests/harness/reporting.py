"""Durations the tiers record (`record_property`), summed up after the run."""

from __future__ import annotations

import resource
from collections.abc import Iterable

#: `record_property(DURATION_PREFIX + what, seconds)` puts a line in the summary.
DURATION_PREFIX = "duration: "
#: The CPU seconds a test cost, in the JUnit report (`--junitxml`): the test process's
#: own and its finished subprocesses' (a `make check`, a render), not those of servers
#: still running for later tests.
CPU_PROPERTY = "cpu seconds"


def cpu_seconds() -> float:
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def duration_lines(reports: Iterable[object]) -> list[str]:
    """One line per recorded duration, from test reports (xdist passes them on)."""
    lines = []
    for report in reports:
        properties = getattr(report, "user_properties", ())
        for name, value in properties:
            if str(name).startswith(DURATION_PREFIX) and isinstance(value, int | float):
                what = str(name).removeprefix(DURATION_PREFIX)
                test = str(getattr(report, "nodeid", "")).split("::")[-1]
                lines.append(f"{value:8.1f} s  {what:<28} {test}")
    return sorted(set(lines))
