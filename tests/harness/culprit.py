"""Which newer release breaks a combination: a bisection over the moved packages.

The canary names every package that moved beyond a combination's tested set;
usually one of them broke it. This finds which: it pins a part of the moved
packages back to their tested versions (`[tool.uv] constraint-dependencies`),
resolves the rest at the newest releases, runs `make check` against fresh
services, and halves the suspects until one is left.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Collection, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.databases import database_for
from tests.harness.projects import run
from tests.harness.tested_set import OVERRIDE_VARIABLE, Move, pin_tested_versions, resolve
from tests.option_space import Combination

#: Runs the project's gates with these packages left at their newest releases; True
#: when they fail.
Trial = Callable[[Collection[Move]], bool]


@dataclass(frozen=True)
class Verdict:
    culprits: tuple[Move, ...]
    explanation: str


def bisect(suspects: Sequence[Move], fails: Trial) -> Verdict:
    """The smallest run of suspects found that still fails on its own.

    Assumes what the canary usually meets: one release breaks the project. When
    neither half of the suspects fails alone, they break it together and all of
    them are reported."""
    if not fails(suspects):
        return Verdict((), "the newest releases pass here: the failure did not reproduce")
    if fails(()):
        return Verdict((), "the tested set itself fails here: not a newer release's doing")
    left = list(suspects)
    while len(left) > 1:
        half = len(left) // 2
        first, second = left[:half], left[half:]
        if fails(first):
            left = first
        elif fails(second):
            left = second
        else:
            return Verdict(tuple(left), "these releases break it only together")
    return Verdict(tuple(left), "this release alone breaks it")


def gate_trial(
    project: Path, combination: Combination, suspects: Sequence[Move], newest: str
) -> Trial:
    """A trial that resolves the project at `newest` with every suspect outside the
    trial pinned, installs it and runs `make check` against fresh real services."""

    trials = iter(range(1, 1000))

    def fails(free: Collection[Move]) -> bool:
        names = {move.name for move in free}
        pin_tested_versions(project, [move for move in suspects if move.name not in names])
        resolve(project, newest)
        prefix = f"culprit_{next(trials)}"
        with ExitStack() as stack:
            env = {
                "DATABASE_URL": stack.enter_context(
                    database_for(combination["database"], prefix, project.parent)
                ),
                # The lock was resolved at `newest`: `make install` must not move it back.
                OVERRIDE_VARIABLE: newest,
            }
            if combination.get("task_queue", "none") != "none":
                namespace = stack.enter_context(broker_namespace(combination["broker"], prefix))
                env |= namespace.settings()
            env |= stack.enter_context(cache_settings(combination, prefix))
            try:
                run(["make", "install"], project, env=env)
                run(["make", "check"], project, env=env, timeout=1200)
            except (AssertionError, subprocess.TimeoutExpired):
                return True
        return False

    return fails
