"""Keep the ledger of released migrations: what every combination's migrations hold.

    uv run python -m tools.released_migrations record
        add the migrations the working tree renders and the ledger lacks;
        refuses when a recorded migration changed or disappeared
    uv run python -m tools.released_migrations check
        compare the working tree's migrations with the ledger

A project that applied a migration never runs it again, so a migration
recorded here may not change (docs/maintaining.md, "Migrations are
append-only"). The update tier runs the same comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.harness.history import working_tree
from tests.harness.released_migrations import (
    LEDGER,
    Ledger,
    ledger_problems,
    migrations_by_combination,
    migrations_template,
    read_ledger,
    recorded,
    write_ledger,
)
from tests.option_space import all_combinations


def _working_tree_ledger() -> Ledger:
    with tempfile.TemporaryDirectory(prefix="released-migrations-") as workdir:
        root = Path(workdir)
        trimmed = migrations_template(working_tree(root / "release"), root / "migrations")
        return recorded(migrations_by_combination(trimmed, root / "renders", all_combinations()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.released_migrations")
    parser.add_argument("command", choices=("record", "check"))
    arguments = parser.parse_args(argv)
    current = _working_tree_ledger()
    ledger = read_ledger()
    problems = ledger_problems(ledger, current)
    changed = [problem for problem in problems if not problem.unrecorded]
    if arguments.command == "record" and not changed:
        write_ledger(current)
        added = sum(len(files) for files in current.values()) - sum(
            len(files) for files in ledger.values()
        )
        print(f"{LEDGER.name}: {added} migration file(s) recorded")
        return 0
    for problem in problems:
        print(problem.message, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
