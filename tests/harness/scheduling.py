"""The order in which pytest-xdist hands out the suite's groups: longest first.

`--dist loadgroup` gives a worker a whole group at a time, in collection order
once pytest-xdist's own reordering (by number of tests) is off. A group of one
long test, such as an update with data, then no longer comes last and keeps
one worker busy while the others have finished: the groups known to take
minutes go first, the many short ones (renders, single tests) fill in after.
"""

from __future__ import annotations

import pytest

from tests.option_space import AXES

#: Minutes a group takes on the CI machine, roughly (docs/maintaining.md, "CI time"),
#: by the prefix of its `xdist_group` name; with a task queue a group takes longer.
GROUP_MINUTES = {
    "update-answers-": 5,
    "project-": 4,
    "update-data-": 3,
}
QUEUE_MINUTES = 1
QUEUES = tuple(queue for queue in AXES["task_queue"] if queue != "none")


def group_name(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("xdist_group")
    if marker is None:
        return None
    name = marker.args[0] if marker.args else marker.kwargs.get("name")
    return str(name) if name is not None else None


def estimated_minutes(group: str | None) -> int:
    if group is None:
        return 0
    for prefix, minutes in GROUP_MINUTES.items():
        if group.startswith(prefix):
            with_queue = any(f"-{queue}-" in f"{group}-" for queue in QUEUES)
            return minutes + (QUEUE_MINUTES if with_queue else 0)
    return 0


def longest_groups_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place; tests of equal estimate keep their order."""
    items.sort(key=lambda item: -estimated_minutes(group_name(item)))
