"""Keep the tested set: the dependency versions generated projects resolve to.

    uv run python -m tools.tested_set refresh [--cutoff 2026-12-06T19:00:00Z]
        move the cutoff of template/shared/pyproject/tools.toml.jinja (default: now) and
        record what each recorded combination resolves to in tested-set/
    uv run python -m tools.tested_set check
        resolve each recorded combination again and compare with tested-set/
    uv run python -m tools.tested_set newest
        what the newest releases would move, per combination (the canary's view)
    uv run python -m tools.tested_set culprit COMBINATION_ID
        which newer release breaks that combination's `make check` (a bisection
        against the real services; minutes per step)

`refresh` needs the network (PyPI); commit its changes together with the CI
run (`bash .ci/run`) that proves the new set. See docs/maintaining.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from tests.harness.culprit import bisect, gate_trial
from tests.harness.projects import generate, template_snapshot
from tests.harness.tested_set import (
    Move,
    describe,
    moves,
    read_record,
    record_path,
    recorded_combinations,
    resolve,
    set_template_cutoff,
    template_cutoff,
    write_record,
)
from tests.option_space import combination_id


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _rendered(workdir: Path) -> list[tuple[dict[str, str], Path]]:
    template = template_snapshot(workdir / "template")
    return [
        (combination, generate(template, workdir / combination_id(combination), combination))
        for combination in recorded_combinations()
    ]


def refresh(cutoff: str) -> int:
    datetime.fromisoformat(cutoff)  # refuse what is not an RFC 3339 moment
    set_template_cutoff(cutoff)
    with tempfile.TemporaryDirectory(prefix="tested-set-") as workdir:
        for combination, project in _rendered(Path(workdir)):
            path = write_record(combination, cutoff, resolve(project))
            print(f"wrote {path.relative_to(path.parents[1])}")
    print(f"\nexclude-newer = {cutoff}. Now prove it: `bash .ci/run`, then commit.")
    return 0


def check() -> int:
    cutoff = template_cutoff()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="tested-set-") as workdir:
        for combination, project in _rendered(Path(workdir)):
            name = combination_id(combination)
            if not record_path(combination).exists():
                print(f"{name}: no record (run `python -m tools.tested_set refresh`)")
                failures += 1
                continue
            record = read_record(combination)
            found = moves(record.versions, resolve(project))
            if record.cutoff != cutoff or found:
                failures += 1
                print(f"{name}: differs from its record ({record.cutoff}): {describe(found)}")
            else:
                print(f"{name}: equal to its record ({len(record.versions)} packages)")
    return 1 if failures else 0


def newest() -> int:
    moment = now()
    with tempfile.TemporaryDirectory(prefix="tested-set-") as workdir:
        for combination, project in _rendered(Path(workdir)):
            found = moves(read_record(combination).versions, resolve(project, moment))
            print(f"{combination_id(combination)}: {describe(found)}")
    return 0


def culprit(wanted: str) -> int:
    combination = next((c for c in recorded_combinations() if combination_id(c) == wanted), None)
    if combination is None:
        known = ", ".join(combination_id(c) for c in recorded_combinations())
        print(f"{wanted!r} has no tested set; recorded combinations: {known}")
        return 2
    moment = now()
    with tempfile.TemporaryDirectory(prefix="tested-set-") as workdir:
        template = template_snapshot(Path(workdir) / "template")
        project = generate(template, Path(workdir) / wanted, combination)
        found = moves(read_record(combination).versions, resolve(project, moment))
        suspects = [move for move in found if move.tested and move.resolved]
        unpinnable = [move for move in found if not (move.tested and move.resolved)]
        print(f"{wanted} at {moment}: {len(suspects)} packages moved", flush=True)
        if unpinnable:
            print(f"  left to move in every trial (new or gone): {describe(unpinnable)}")
        trial = gate_trial(project, combination, suspects, moment)

        def logged(free: Collection[Move]) -> bool:
            started = time.monotonic()
            failed = trial(free)
            outcome = "fails" if failed else "passes"
            seconds = time.monotonic() - started
            print(
                f"  {outcome} with {len(free)} newer ({seconds:.0f} s): {describe(free)}",
                flush=True,
            )
            return failed

        verdict = bisect(suspects, logged)
    print(f"{verdict.explanation}: {describe(verdict.culprits)}")
    return 1 if verdict.culprits else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.tested_set", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    refresh_parser = commands.add_parser("refresh", help="move the cutoff and record the set")
    refresh_parser.add_argument(
        "--cutoff", default=None, help="an RFC 3339 moment in UTC (default: now)"
    )
    commands.add_parser("check", help="resolve again and compare with the records")
    commands.add_parser("newest", help="what the newest releases would move")
    culprit_parser = commands.add_parser("culprit", help="which newer release breaks a combination")
    culprit_parser.add_argument("combination", help="a recorded combination's id")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return refresh(args.cutoff or now())
    if args.command == "check":
        return check()
    if args.command == "culprit":
        return culprit(args.combination)
    return newest()


if __name__ == "__main__":
    sys.exit(main())
