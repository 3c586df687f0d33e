"""A readable step-by-step report: step, OK/FAIL, seconds."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

#: Lines of a failed step's evidence printed under it.
DETAIL_LINES = 40


class StepError(Exception):
    """A step failed; its message is the evidence (command output, problems)."""


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


@dataclass
class Report:
    """Steps of one combination; the first failure stops the ones that depend on it."""

    title: str
    out: TextIO = field(default_factory=lambda: sys.stdout)
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def header(self) -> None:
        print(f"\n== {self.title}", file=self.out, flush=True)

    def run(self, name: str, action: Callable[[], str | None]) -> bool:
        """Run one step, print its line, keep going only if it passed."""
        started = time.perf_counter()
        try:
            note = action() or ""
            step = Step(name, True, time.perf_counter() - started, note)
        except Exception as error:  # any failure is this step's, and is reported
            detail = (
                str(error) if isinstance(error, StepError) else f"{type(error).__name__}: {error}"
            )
            step = Step(name, False, time.perf_counter() - started, detail)
        self.steps.append(step)
        self._print(step)
        return step.ok

    def _print(self, step: Step) -> None:
        status = "OK  " if step.ok else "FAIL"
        line = f"  {status} {step.seconds:7.1f} s  {step.name}"
        if step.ok and step.detail:
            line += f"  ({step.detail})"
        print(line, file=self.out, flush=True)
        if not step.ok and step.detail:
            lines = step.detail.strip().splitlines()
            for detail_line in lines[:DETAIL_LINES]:
                print(f"         | {detail_line}", file=self.out)
            if len(lines) > DETAIL_LINES:
                print(f"         | ... {len(lines) - DETAIL_LINES} more lines", file=self.out)
            self.out.flush()

    def summary(self) -> str:
        total = sum(step.seconds for step in self.steps)
        failed = [step.name for step in self.steps if not step.ok]
        verdict = "OK" if not failed else f"FAIL ({', '.join(failed)})"
        return f"{self.title}: {verdict} in {total:.1f} s"
