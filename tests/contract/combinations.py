"""Which combinations of the covering set a contract test runs against."""

from __future__ import annotations

import pytest

from tests.harness.params import combination_params
from tests.option_space import COVERING_SET, Combination


def select(**where: str) -> list[Combination]:
    """The combinations of the covering set whose axes have the given values."""
    return [
        combination
        for combination in COVERING_SET
        if all(combination.get(axis) == value for axis, value in where.items())
    ]


def for_combinations(**where: str) -> pytest.MarkDecorator:
    """Parametrize `combination` over the covering set, restricted by `where`.

    Tests that make no sense for a combination (auth tests without auth, an
    outage of a database reached over TCP) are not generated for it at all,
    rather than skipped. Each combination's tests share one xdist group, so
    one worker runs them all against one server.
    """
    return pytest.mark.parametrize("combination", combination_params(select(**where)))


def for_task_queues(**where: str) -> pytest.MarkDecorator:
    """Parametrize `combination` over the covered combinations that have a task queue."""
    combinations = [c for c in select(**where) if c["task_queue"] != "none"]
    return pytest.mark.parametrize("combination", combination_params(combinations))
