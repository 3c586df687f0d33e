"""Durations the tiers record (`record_property`), summed up after the run."""

from __future__ import annotations

from collections.abc import Iterable

#: `record_property(DURATION_PREFIX + what, seconds)` puts a line in the summary.
DURATION_PREFIX = "duration: "


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
