"""The option space of the template, described once.

Every test tier, the smoke command and the CI matrix read this module: the
axes and their values, the constraints between them, and the covering set
used by the expensive tiers (generated project, contract, update).
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

Combination = Mapping[str, str]

#: Every question whose answer changes which files are rendered, with its
#: allowed values. The first value is the default.
AXES: dict[str, tuple[str, ...]] = {
    "framework": ("fastapi", "flask", "django"),
    "database": ("postgresql", "sqlite"),
    "auth": ("jwt", "none"),
    "task_queue": ("none", "celery", "rq", "dramatiq"),
    "broker": ("redis", "rabbitmq"),
    "cache": ("none", "redis"),
}

#: Axes asked only when another answer makes them matter; a combination
#: leaves them out otherwise.
ASKED_WHEN: dict[str, Callable[[Combination], bool]] = {
    "broker": lambda combination: combination["task_queue"] != "none",
}


@dataclass(frozen=True)
class Constraint:
    """A rule between axes: combinations it refuses never render."""

    description: str
    refuses: Callable[[Combination], bool]


#: Combinations the questions refuse, each with the reason the refusal gives.
CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint(
        "RQ keeps its queues in Redis and cannot use RabbitMQ",
        lambda combination: (
            combination.get("task_queue") == "rq" and combination.get("broker") == "rabbitmq"
        ),
    ),
)

#: Combinations the expensive tiers run: every value of every axis appears;
#: for each framework every pair of database and auth appears, and so does every
#: queue and broker (or none); each of those meets both databases and both auth
#: modes across the frameworks, except RQ, which meets JWT only: it appears once
#: per framework, and every framework runs each queue with JWT auth (the welcome
#: e-mail exists only there). Each cache value meets every framework, database,
#: auth mode, queue (none included) and broker.
COVERING_SET: tuple[dict[str, str], ...] = (
    {
        "framework": "fastapi",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "none",
        "cache": "redis",
    },
    {
        "framework": "fastapi",
        "database": "sqlite",
        "auth": "jwt",
        "task_queue": "celery",
        "broker": "redis",
        "cache": "redis",
    },
    {
        "framework": "fastapi",
        "database": "postgresql",
        "auth": "none",
        "task_queue": "celery",
        "broker": "rabbitmq",
        "cache": "redis",
    },
    {
        "framework": "fastapi",
        "database": "sqlite",
        "auth": "jwt",
        "task_queue": "rq",
        "broker": "redis",
        "cache": "none",
    },
    {
        "framework": "fastapi",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "dramatiq",
        "broker": "redis",
        "cache": "redis",
    },
    {
        "framework": "fastapi",
        "database": "sqlite",
        "auth": "none",
        "task_queue": "dramatiq",
        "broker": "rabbitmq",
        "cache": "redis",
    },
    {
        "framework": "flask",
        "database": "sqlite",
        "auth": "none",
        "task_queue": "none",
        "cache": "none",
    },
    {
        "framework": "flask",
        "database": "postgresql",
        "auth": "none",
        "task_queue": "celery",
        "broker": "redis",
        "cache": "redis",
    },
    {
        "framework": "flask",
        "database": "sqlite",
        "auth": "jwt",
        "task_queue": "celery",
        "broker": "rabbitmq",
        "cache": "redis",
    },
    {
        "framework": "flask",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "rq",
        "broker": "redis",
        "cache": "redis",
    },
    {
        "framework": "flask",
        "database": "sqlite",
        "auth": "none",
        "task_queue": "dramatiq",
        "broker": "redis",
        "cache": "redis",
    },
    {
        "framework": "flask",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "dramatiq",
        "broker": "rabbitmq",
        "cache": "none",
    },
    {
        "framework": "django",
        "database": "postgresql",
        "auth": "none",
        "task_queue": "none",
        "cache": "redis",
    },
    {
        "framework": "django",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "celery",
        "broker": "redis",
        "cache": "none",
    },
    {
        "framework": "django",
        "database": "sqlite",
        "auth": "none",
        "task_queue": "celery",
        "broker": "rabbitmq",
        "cache": "redis",
    },
    {
        "framework": "django",
        "database": "sqlite",
        "auth": "jwt",
        "task_queue": "rq",
        "broker": "redis",
        "cache": "none",
    },
    {
        "framework": "django",
        "database": "postgresql",
        "auth": "none",
        "task_queue": "dramatiq",
        "broker": "redis",
        "cache": "none",
    },
    {
        "framework": "django",
        "database": "postgresql",
        "auth": "jwt",
        "task_queue": "dramatiq",
        "broker": "rabbitmq",
        "cache": "none",
    },
)


def is_allowed(combination: Combination) -> bool:
    return not any(rule.refuses(combination) for rule in CONSTRAINTS)


def asked(combination: Combination) -> dict[str, str]:
    """The combination without the axes its other answers leave unasked."""
    return {
        name: value
        for name, value in combination.items()
        if name not in ASKED_WHEN or ASKED_WHEN[name](combination)
    }


def all_combinations() -> Iterator[dict[str, str]]:
    """Every allowed combination of the axes, each once."""
    names = list(AXES)
    seen: set[tuple[tuple[str, str], ...]] = set()
    for values in itertools.product(*(AXES[name] for name in names)):
        combination = asked(dict(zip(names, values, strict=True)))
        key = tuple(combination.items())
        if key not in seen and is_allowed(combination):
            seen.add(key)
            yield combination


#: Axes whose value "none" is left out of a combination's id.
_SILENT_NONE = frozenset({"task_queue", "cache"})


def combination_id(combination: Combination) -> str:
    """A short, stable name for test ids and folder names.

    Values left at "none" add nothing for the queue and the cache, so ids of
    combinations without them stay as they were; the Redis cache shows as
    `redis-cache`, never to be read as the broker's `redis`.
    """
    parts = []
    for name in AXES:
        value = combination.get(name)
        if value is None or (name in _SILENT_NONE and value == "none"):
            continue
        parts.append(f"{value}-cache" if name == "cache" else value)
    return "-".join(parts)


def completed(answers: Combination) -> dict[str, str]:
    """The answers, each axis they leave out at its default, without the unasked axes.

    An axis is asked or not depending on the answers given, so the defaults are
    filled in first: `task_queue=rq` alone brings the default broker with it.
    """
    return asked({**{name: values[0] for name, values in AXES.items()}, **answers})


def defaults() -> dict[str, str]:
    return completed({})


def github_matrix() -> dict[str, list[dict[str, str]]]:
    """The covering set as a GitHub Actions `strategy.matrix` value."""
    return {
        "include": [
            {**combination, "id": combination_id(combination)} for combination in COVERING_SET
        ]
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.option_space --matrix|--all|--covering`: print the option space."""
    parser = argparse.ArgumentParser(prog="python -m tests.option_space", description=main.__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--matrix", action="store_true", help="covering set as a CI matrix (JSON)")
    group.add_argument("--all", action="store_true", help="every allowed combination (JSON)")
    group.add_argument("--covering", action="store_true", help="the covering set (JSON)")
    args = parser.parse_args(argv)
    if args.matrix:
        payload: object = github_matrix()
    elif args.all:
        payload = list(all_combinations())
    else:
        payload = list(COVERING_SET)
    print(json.dumps(payload, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
