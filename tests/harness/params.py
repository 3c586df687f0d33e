"""Test parameters over the option space, grouped for pytest-xdist.

Every test of one combination carries the same `xdist_group`, so with
`--dist loadgroup` they all run on one worker and share that worker's
installed project (`project_factory` is cached per worker).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from _pytest.mark import ParameterSet

from tests.option_space import COVERING_SET, Combination, combination_id


def group_of(combination: Combination) -> str:
    return f"project-{combination_id(combination)}"


def combination_params(combinations: Iterable[Combination] = COVERING_SET) -> list[ParameterSet]:
    return [
        pytest.param(
            dict(combination),
            id=combination_id(combination),
            marks=pytest.mark.xdist_group(group_of(combination)),
        )
        for combination in combinations
    ]
