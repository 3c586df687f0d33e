"""`uv run python -m tests.smoke`: generate one combination and run the whole chain."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from tests.harness.projects import template_snapshot
from tests.option_space import AXES, COVERING_SET, combination_id, completed, is_allowed
from tests.smoke.chain import run_chain
from tests.smoke.report import Report


def _answers(pairs: list[str]) -> dict[str, str]:
    answers: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"--data expects KEY=VALUE, got {pair!r}")
        answers[key] = value
    return answers


def combinations_to_run(args: argparse.Namespace) -> list[dict[str, str]]:
    if args.all:
        return [dict(combination) for combination in COVERING_SET]
    answers = completed(_answers(args.data))
    for axis, values in AXES.items():
        if axis in answers and answers[axis] not in values:
            raise SystemExit(f"{axis}={answers[axis]!r} is not one of {', '.join(values)}")
    if not is_allowed(answers):
        raise SystemExit(f"{combination_id(answers)} is refused by the option space constraints")
    return [answers]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.smoke",
        description="Generate one combination from the working tree and run the whole chain: "
        "render checks, make install, make migrate on a fresh database, make check, "
        "make serve in production mode with a few API calls, and the contract suite.",
    )
    parser.add_argument(
        "--data", action="append", default=[], metavar="KEY=VALUE", help="an answer (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="every combination of the covering set")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="generate into DIR and keep it")
    parser.add_argument(
        "--no-contract", dest="contract", action="store_false", help="skip tests/contract"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    combinations = combinations_to_run(args)
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="smoke-")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    template = template_snapshot(workdir / "template")
    reports = []
    try:
        for answers in combinations:
            report = Report(
                combination_id(answers)
                + "".join(f" {key}={value}" for key, value in answers.items() if key not in AXES)
            )
            run_chain(template, answers, workdir, report, contract=args.contract)
            reports.append(report)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n== summary")
    for report in reports:
        print(f"  {report.summary()}")
    if args.keep:
        print(f"  projects kept in {workdir}")
    return 0 if all(report.ok for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
