"""The bench's history: one JSON line per run, appended when a run completes.

docs/benchmarks/history.jsonl keeps every run, oldest first; docs/benchmarks.md
shows only the latest run of each flavour and queue, as the table this module
prints (`uv run python -m bench.history`). A line is one `Run`; a figure the
run did not record (the runs converted from the old diary) is null.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bench.options import DEFAULT_HISTORY
from bench.project import Answers
from bench.results import ENDPOINTS
from bench.targets import throughput_ratio

if TYPE_CHECKING:
    from bench.queues import QueueReport
    from bench.report import BenchReport

HISTORY_PATH = DEFAULT_HISTORY
STARTED_AT_FORMAT = "%Y-%m-%d %H:%M UTC"  # the reports' `started_at`

Kind = Literal["http", "queue"]


@dataclass(frozen=True)
class EndpointFigures:
    """One endpoint of an HTTP run: the means of its timed runs."""

    endpoint: str  # the path, without the query
    generated_requests_per_s: float | None
    baseline_requests_per_s: float | None
    throughput_ratio: float | None  # generated / baseline
    generated_cpu_ms_per_request: float | None
    baseline_cpu_ms_per_request: float | None
    cpu_ratio: float | None  # generated / baseline


@dataclass(frozen=True)
class HttpFigures:
    endpoints: tuple[EndpointFigures, ...]
    generated_errors: int | None
    baseline_errors: int | None
    generated_worker_rss_mib: tuple[float, ...] | None  # after the last run, one per worker
    generated_rss_growth_mib: float | None
    max_others_cores: float | None  # the busiest run's CPU used outside the bench


@dataclass(frozen=True)
class QueueFigures:
    tasks: int | None
    succeeded: int | None
    failed: int | None
    lost: int | None
    enqueue_errors: int | None
    delivered_more_than_once: int | None
    worker_killed_after: int | None  # finished tasks when the worker was killed; null: no crash
    tasks_per_second: float | None
    enqueue_to_done_p50_ms: float | None
    enqueue_to_done_p99_ms: float | None


@dataclass(frozen=True)
class Run:
    kind: Kind
    date: str | None  # YYYY-MM-DD, UTC
    time: str | None  # HH:MM, UTC
    commit: str | None  # of the template rendered
    uncommitted: bool | None  # uncommitted changes were rendered too
    framework: str
    database: str
    auth: str
    task_queue: str
    broker: str | None
    machine: str | None
    command: str | None
    figures: HttpFigures | QueueFigures
    note: str | None = None

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        """What a later run of the same kind replaces in the table of latest figures."""
        return (self.kind, self.framework, self.task_queue, self.broker)


def _date_and_time(started_at: str) -> tuple[str, str]:
    moment = datetime.strptime(started_at, STARTED_AT_FORMAT)  # UTC by its format
    return moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M")


def command_line(module: str, argv: Sequence[str]) -> str:
    return shlex.join(["python", "-m", module, *argv])


def http_run(report: BenchReport, command: str) -> Run:
    """The history record of one `python -m bench` run."""
    answers = Answers(framework=report.framework)
    generated, baseline = report.generated, report.baseline
    endpoints = []
    for endpoint in ENDPOINTS:
        generated_cpu = generated.server_cpu_ms_per_request(endpoint)
        baseline_cpu = baseline.server_cpu_ms_per_request(endpoint)
        endpoints.append(
            EndpointFigures(
                endpoint=endpoint.path.partition("?")[0],
                generated_requests_per_s=round(generated.mean_requests_per_s(endpoint), 1),
                baseline_requests_per_s=round(baseline.mean_requests_per_s(endpoint), 1),
                throughput_ratio=round(throughput_ratio(generated, baseline, endpoint.name), 3),
                generated_cpu_ms_per_request=round(generated_cpu, 3),
                baseline_cpu_ms_per_request=round(baseline_cpu, 3),
                cpu_ratio=round(generated_cpu / baseline_cpu, 2) if baseline_cpu else None,
            )
        )
    last_memory = generated.memory[-1] if generated.memory else None
    date, time = _date_and_time(report.started_at)
    return Run(
        kind="http",
        date=date,
        time=time,
        commit=report.commit,
        uncommitted=report.uncommitted,
        framework=report.framework,
        database=answers.database,
        auth=answers.auth,
        task_queue=answers.task_queue,
        broker=answers.broker,
        machine=report.machine,
        command=command,
        figures=HttpFigures(
            endpoints=tuple(endpoints),
            generated_errors=generated.errors,
            baseline_errors=baseline.errors,
            generated_worker_rss_mib=(
                tuple(round(worker.rss_mib, 1) for worker in last_memory.workers)
                if last_memory is not None
                else None
            ),
            generated_rss_growth_mib=round(generated.rss_growth_mib(), 1),
            max_others_cores=round(max(app.max_elsewhere_cores() for app in report.apps), 2),
        ),
    )


def queue_run(report: QueueReport, command: str) -> Run:
    """The history record of one `python -m bench.queues` run."""
    date, time = _date_and_time(report.started_at)
    return Run(
        kind="queue",
        date=date,
        time=time,
        commit=report.commit,
        uncommitted=False,  # the queue run renders the commit only
        framework=report.framework,
        database=report.database,
        auth=report.auth,
        task_queue=report.queue,
        broker=report.broker,
        machine=report.machine,
        command=command,
        figures=QueueFigures(
            tasks=report.tasks,
            succeeded=report.succeeded,
            failed=report.failed,
            lost=report.lost,
            enqueue_errors=report.enqueue_errors,
            delivered_more_than_once=report.delivered_more_than_once,
            worker_killed_after=report.worker_killed_after,
            tasks_per_second=round(report.tasks_per_second, 1),
            enqueue_to_done_p50_ms=round(report.enqueue_to_done_p50_ms, 1),
            enqueue_to_done_p99_ms=round(report.enqueue_to_done_p99_ms, 1),
        ),
    )


def to_line(run: Run) -> str:
    """One line of the history file, without its newline."""
    return json.dumps(asdict(run), ensure_ascii=False)


def append(run: Run, path: Path = HISTORY_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as history:
        history.write(to_line(run) + "\n")


# --- reading ---------------------------------------------------------------------------


class HistoryError(ValueError):
    """A line of the history file is not a well-formed run."""


_FIELD_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,)}


def _field(record: Mapping[str, Any], name: str, kind: str, *, nullable: bool = True) -> Any:
    if name not in record:
        raise HistoryError(f"missing field {name!r}")
    value = record[name]
    if value is None:
        if not nullable:
            raise HistoryError(f"{name!r} may not be null")
        return None
    if isinstance(value, bool) and kind != "bool":
        raise HistoryError(f"{name!r} is a boolean, expected {kind}")
    expected = (bool,) if kind == "bool" else _FIELD_TYPES[kind]
    if not isinstance(value, expected):
        raise HistoryError(f"{name!r} is {value!r}, expected {kind}")
    return value


def _names(cls: Any) -> list[str]:
    return [field.name for field in fields(cls)]


def _expect_keys(record: Mapping[str, Any], cls: Any, where: str) -> None:
    expected = set(_names(cls))
    if set(record) != expected:
        raise HistoryError(
            f"{where}: fields {sorted(set(record) ^ expected)} are missing or unknown"
        )


def _endpoint(record: Mapping[str, Any]) -> EndpointFigures:
    _expect_keys(record, EndpointFigures, "endpoint")
    floats = (name for name in _names(EndpointFigures) if name != "endpoint")
    return EndpointFigures(
        _field(record, "endpoint", "str", nullable=False),
        *(_field(record, name, "float") for name in floats),
    )


def _http(record: Mapping[str, Any]) -> HttpFigures:
    _expect_keys(record, HttpFigures, "figures")
    endpoints = record["endpoints"]
    rss = record["generated_worker_rss_mib"]
    if not isinstance(endpoints, list) or not all(isinstance(item, dict) for item in endpoints):
        raise HistoryError("'endpoints' must be a list of objects")
    if rss is not None and not (
        isinstance(rss, list)
        and all(isinstance(item, int | float) and not isinstance(item, bool) for item in rss)
    ):
        raise HistoryError("'generated_worker_rss_mib' must be a list of numbers or null")
    return HttpFigures(
        endpoints=tuple(_endpoint(item) for item in endpoints),
        generated_errors=_field(record, "generated_errors", "int"),
        baseline_errors=_field(record, "baseline_errors", "int"),
        generated_worker_rss_mib=tuple(rss) if rss is not None else None,
        generated_rss_growth_mib=_field(record, "generated_rss_growth_mib", "float"),
        max_others_cores=_field(record, "max_others_cores", "float"),
    )


def _queue(record: Mapping[str, Any]) -> QueueFigures:
    _expect_keys(record, QueueFigures, "figures")
    return QueueFigures(
        tasks=_field(record, "tasks", "int"),
        succeeded=_field(record, "succeeded", "int"),
        failed=_field(record, "failed", "int"),
        lost=_field(record, "lost", "int"),
        enqueue_errors=_field(record, "enqueue_errors", "int"),
        delivered_more_than_once=_field(record, "delivered_more_than_once", "int"),
        worker_killed_after=_field(record, "worker_killed_after", "int"),
        tasks_per_second=_field(record, "tasks_per_second", "float"),
        enqueue_to_done_p50_ms=_field(record, "enqueue_to_done_p50_ms", "float"),
        enqueue_to_done_p99_ms=_field(record, "enqueue_to_done_p99_ms", "float"),
    )


def _pattern(value: str | None, fmt: str, name: str) -> None:
    if value is None:
        return
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise HistoryError(f"{name!r} is {value!r}, expected the form {fmt}") from None


def from_line(line: str) -> Run:
    """The run a history line records; HistoryError when it is not well-formed."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise HistoryError(f"not JSON: {error}") from None
    if not isinstance(record, dict):
        raise HistoryError("a line must be a JSON object")
    _expect_keys(record, Run, "run")
    kind = _field(record, "kind", "str", nullable=False)
    if kind not in ("http", "queue"):
        raise HistoryError(f"'kind' is {kind!r}, expected 'http' or 'queue'")
    figures = record["figures"]
    if not isinstance(figures, dict):
        raise HistoryError("'figures' must be an object")
    date = _field(record, "date", "str")
    time = _field(record, "time", "str")
    _pattern(date, "%Y-%m-%d", "date")
    _pattern(time, "%H:%M", "time")
    return Run(
        kind=kind,
        date=date,
        time=time,
        commit=_field(record, "commit", "str"),
        uncommitted=_field(record, "uncommitted", "bool"),
        framework=_field(record, "framework", "str", nullable=False),
        database=_field(record, "database", "str", nullable=False),
        auth=_field(record, "auth", "str", nullable=False),
        task_queue=_field(record, "task_queue", "str", nullable=False),
        broker=_field(record, "broker", "str"),
        machine=_field(record, "machine", "str"),
        command=_field(record, "command", "str"),
        figures=_http(figures) if kind == "http" else _queue(figures),
        note=_field(record, "note", "str"),
    )


def read(path: Path = HISTORY_PATH) -> list[Run]:
    runs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            runs.append(from_line(line))
        except HistoryError as error:
            raise HistoryError(f"{path}:{number}: {error}") from None
    return runs


# --- the table of latest figures ---------------------------------------------------------


def latest(runs: Iterable[Run]) -> list[Run]:
    """The last run in the file of each kind, flavour, queue and broker."""
    last: dict[tuple[str, str, str, str | None], Run] = {}
    for run in runs:
        last[run.key] = run
    order = {"fastapi": 0, "flask": 1, "django": 2}
    return sorted(
        last.values(),
        key=lambda run: (
            run.kind != "http",
            run.task_queue,
            run.broker or "",
            order.get(run.framework, len(order)),
        ),
    )


NOT_MEASURED = "—"


def _number(value: float | None, fmt: str, suffix: str = "") -> str:
    return "?" if value is None else f"{value:{fmt}}{suffix}"


def _ratio(value: float | None) -> str:
    """2 decimals, or the 3 a record holds: 0.30x, 0.255x."""
    if value is None:
        return "?"
    text = f"{value:.3f}"
    return f"{text.removesuffix('0')}x"


def _seconds(milliseconds: float | None) -> str:
    return "?" if milliseconds is None else f"{milliseconds / 1000:.1f} s"


def _when(run: Run) -> str:
    commit = f"`{run.commit}`" if run.commit else "?"
    moment = " ".join(part for part in (run.date, run.time) if part) or "?"
    return f"{moment}, {commit}{' + uncommitted' if run.uncommitted else ''}"


def _http_cells(figures: HttpFigures) -> list[str]:
    def each(render: Callable[[EndpointFigures], str]) -> str:
        return "<br>".join(
            f"{endpoint.endpoint.removeprefix('/api/v1/')}: {render(endpoint)}"
            for endpoint in figures.endpoints
        )

    rss = (
        " / ".join(f"{value:.1f}" for value in figures.generated_worker_rss_mib)
        if figures.generated_worker_rss_mib
        else "?"
    )
    return [
        each(
            lambda e: (
                f"{_number(e.generated_requests_per_s, '.1f')} req/s, "
                f"{_ratio(e.throughput_ratio)} of the baseline's "
                f"{_number(e.baseline_requests_per_s, '.1f')}"
            )
        ),
        each(
            lambda e: (
                f"{_number(e.generated_cpu_ms_per_request, '.2f')} / "
                f"{_number(e.baseline_cpu_ms_per_request, '.2f')} ms"
            )
        ),
        f"{_number(figures.generated_errors, 'd')} errors",
        f"{rss} MiB ({_number(figures.generated_rss_growth_mib, '+.1f')})",
    ]


def _queue_cells(figures: QueueFigures) -> list[str]:
    killed = (
        f", worker killed after {figures.worker_killed_after}"
        if figures.worker_killed_after is not None
        else ", no crash"
    )
    return [
        f"{_number(figures.tasks_per_second, '.0f')} tasks/s; p50 "
        f"{_seconds(figures.enqueue_to_done_p50_ms)}, p99 "
        f"{_seconds(figures.enqueue_to_done_p99_ms)}",
        NOT_MEASURED,
        f"{_number(figures.succeeded, 'd')} of {_number(figures.tasks, 'd')} succeeded, "
        f"{_number(figures.lost, 'd')} lost, {_number(figures.delivered_more_than_once, 'd')} "
        f"run twice{killed}",
        NOT_MEASURED,
    ]


def latest_table(runs: Iterable[Run]) -> str:
    """The Markdown table of docs/benchmarks.md: the latest run of each flavour and queue."""
    rows = [
        "| flavour | queue | measured | throughput | app CPU ms/req, generated / baseline "
        "| errors, lost tasks | worker RSS (growth) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in latest(runs):
        queue = "none (HTTP run)" if run.kind == "http" else f"{run.task_queue} on {run.broker}"
        cells = (
            _http_cells(run.figures)
            if isinstance(run.figures, HttpFigures)
            else _queue_cells(run.figures)
        )
        rows.append("| " + " | ".join([run.framework, queue, _when(run), *cells]) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(latest_table(read()))
