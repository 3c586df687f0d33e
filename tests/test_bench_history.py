"""The bench's history file: each run appends one well-formed line, and
docs/benchmarks.md shows the latest figures it holds. No benchmark runs here:
the reports are built from figures given below."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bench import cli, queues
from bench.history import (
    HISTORY_PATH,
    HistoryError,
    HttpFigures,
    QueueFigures,
    Run,
    append,
    from_line,
    http_run,
    latest,
    latest_table,
    queue_run,
    read,
    to_line,
)
from bench.options import DEFAULT_HISTORY
from bench.options import parse_args as parse_bench_args
from bench.queues import QueueReport
from bench.report import BenchReport
from bench.results import (
    ENDPOINTS,
    AppResult,
    CpuUsage,
    EndpointRun,
    LoadResult,
    MemorySample,
    WorkerMemory,
)
from bench.targets import Check
from tests.harness.environment import REPO_ROOT

ITEMS, USERS_ME = ENDPOINTS


def _app(name: str, requests: int, server_cpu_s: float, rss: tuple[float, float]) -> AppResult:
    """Two 10-second runs of each endpoint: `requests` each, users/me twice as many."""
    runs = tuple(
        EndpointRun(
            endpoint=endpoint,
            run=run,
            load=LoadResult(
                requests=requests * factor,
                duration_s=10.0,
                p50_ms=50.0,
                p90_ms=80.0,
                p99_ms=120.0,
                max_ms=300.0,
                non_2xx=0,
                socket_errors=0,
                timeouts=0,
            ),
            cpu=CpuUsage(
                server_s=server_cpu_s, database_s=1.0, load_generator_s=2.0, elsewhere_s=0.5
            ),
        )
        for run in (1, 2)
        for endpoint, factor in ((ITEMS, 1), (USERS_ME, 2))
    )
    memory = tuple(
        MemorySample(
            after_run=run,
            workers=(WorkerMemory(101, rss[0]), WorkerMemory(102, rss[1] + growth)),
        )
        for run, growth in ((1, 0.0), (2, 0.25))
    )
    return AppResult(app=name, runs=runs, memory=memory)


def _bench_report() -> BenchReport:
    return BenchReport(
        framework="flask",
        started_at="2026-12-06 23:41 UTC",
        machine="2 cores (test CPU), 24 GiB, Linux, Python 3.13.0",
        template="/work/template @ 0123456789ab",
        commit="0123456789ab",
        uncommitted=False,
        load_generator="wrk 4.1.0",
        connections=64,
        threads=2,
        duration_s=10.0,
        warmup_s=3.0,
        workers=2,
        items=200,
        generated=_app("generated", 6000, 12.0, (88.0, 107.0)),
        baseline=_app("baseline", 20000, 6.0, (41.5, 41.7)),
        checks=[Check("generated app: no non-2xx, socket errors or timeouts", True, "0 errors")],
        strict=False,
    )


def _queue_report() -> QueueReport:
    return QueueReport(
        framework="django",
        queue="dramatiq",
        broker="rabbitmq",
        database="postgresql",
        auth="none",
        started_at="2026-12-07 00:05 UTC",
        machine="2 cores (test CPU), 24 GiB, Linux, Python 3.13.0",
        template="/work/template @ 0123456789ab",
        commit="0123456789ab",
        tasks=1000,
        enqueue_errors=0,
        succeeded=1000,
        failed=0,
        lost=0,
        delivered_more_than_once=4,
        worker_killed_after=511,
        tasks_per_second=71.84,
        enqueue_to_done_p50_ms=912.345,
        enqueue_to_done_p99_ms=9104.0,
        enqueue_seconds=6.5,
    )


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_an_http_run_appends_one_well_formed_line(tmp_path: Path) -> None:
    history = tmp_path / "history.jsonl"
    history.write_text(_lines(HISTORY_PATH)[0] + "\n", encoding="utf-8")
    run = http_run(_bench_report(), "python -m bench --framework flask")

    append(run, history)

    lines = _lines(history)
    assert len(lines) == 2
    assert from_line(lines[1]) == run
    record = json.loads(lines[1])
    assert (record["kind"], record["date"], record["time"]) == ("http", "2026-12-06", "23:41")
    assert (record["framework"], record["database"], record["auth"]) == (
        "flask",
        "postgresql",
        "jwt",
    )
    assert (record["task_queue"], record["broker"]) == ("none", None)
    assert record["commit"] == "0123456789ab"
    assert record["command"] == "python -m bench --framework flask"
    items = record["figures"]["endpoints"][0]
    # 2 x 6000 requests in 2 x 10 s against 2 x 20000: 600 vs 2000 req/s; 2 x 12 s of CPU.
    assert items == {
        "endpoint": "/api/v1/items",
        "generated_requests_per_s": 600.0,
        "baseline_requests_per_s": 2000.0,
        "throughput_ratio": 0.3,
        "generated_cpu_ms_per_request": 2.0,
        "baseline_cpu_ms_per_request": 0.3,
        "cpu_ratio": 6.67,
    }
    figures = record["figures"]
    assert figures["generated_worker_rss_mib"] == [88.0, 107.2]
    assert figures["generated_rss_growth_mib"] == 0.2
    assert figures["generated_errors"] == figures["baseline_errors"] == 0
    assert figures["max_others_cores"] == 0.05


def test_a_queue_run_appends_one_well_formed_line(tmp_path: Path) -> None:
    history = tmp_path / "new" / "history.jsonl"
    run = queue_run(_queue_report(), "python -m bench.queues --framework django")

    append(run, history)

    [line] = _lines(history)
    assert from_line(line) == run
    record = json.loads(line)
    assert (record["kind"], record["task_queue"], record["broker"], record["auth"]) == (
        "queue",
        "dramatiq",
        "rabbitmq",
        "none",
    )
    assert record["figures"] == {
        "tasks": 1000,
        "succeeded": 1000,
        "failed": 0,
        "lost": 0,
        "enqueue_errors": 0,
        "delivered_more_than_once": 4,
        "worker_killed_after": 511,
        "tasks_per_second": 71.8,
        "enqueue_to_done_p50_ms": 912.3,
        "enqueue_to_done_p99_ms": 9104.0,
    }


def test_the_bench_commands_append_to_the_history_they_are_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both commands' main(), with the measuring replaced by a finished report."""
    monkeypatch.setattr(cli, "find_wrk", lambda: "/usr/bin/wrk")
    monkeypatch.setattr(cli, "stop_on_sigterm", lambda: None)
    monkeypatch.setattr(cli, "run_benchmark", lambda _options, _wrk: _bench_report())
    monkeypatch.setattr(queues, "run_queue_bench", lambda _options: _queue_report())
    history = tmp_path / "history.jsonl"

    cli.main(["--framework", "flask", "--history", str(history)])
    queues.main(["--framework", "django", "--queue", "dramatiq", "--history", str(history)])
    cli.main(["--framework", "flask", "--no-history"])

    http, queue = (from_line(line) for line in _lines(history))
    assert http.command == f"python -m bench --framework flask --history {history}"
    assert queue.command == (
        f"python -m bench.queues --framework django --queue dramatiq --history {history}"
    )
    assert isinstance(http.figures, HttpFigures)
    assert isinstance(queue.figures, QueueFigures)


def test_the_history_is_appended_to_the_repository_file_by_default() -> None:
    assert parse_bench_args([]).history_path == DEFAULT_HISTORY == HISTORY_PATH
    assert parse_bench_args(["--no-history"]).history_path is None
    assert queues.parse_args([]).history_path == DEFAULT_HISTORY
    assert queues.parse_args(["--no-history"]).history_path is None


def test_every_line_of_the_history_is_a_well_formed_run() -> None:
    runs = read()
    assert runs
    for line, run in zip(_lines(HISTORY_PATH), runs, strict=True):
        assert to_line(run) == line, "write the line as bench.history.to_line does"


def test_the_page_shows_the_latest_figures_of_the_history() -> None:
    table = latest_table(read())
    page = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert table in page, (
        "docs/benchmarks.md must show the latest figures: replace its table with the "
        "output of `uv run python -m bench.history`"
    )


def test_a_later_run_replaces_the_earlier_one_of_its_flavour_and_queue() -> None:
    first = http_run(_bench_report(), "python -m bench")
    later = replace(first, date="2026-12-07", commit="fedcba987654")
    other = replace(first, framework="django")
    assert latest([first, other, later]) == [later, other]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda record: record.pop("commit"), "missing or unknown"),
        (lambda record: record.update(extra=1), "missing or unknown"),
        (lambda record: record.update(kind="grpc"), "expected 'http' or 'queue'"),
        (lambda record: record.update(date="26.11.2026"), "expected the form"),
        (lambda record: record.update(framework=None), "may not be null"),
        (lambda record: record["figures"].update(tasks="1000"), "expected int"),
        (lambda record: record["figures"].update(lost=True), "is a boolean"),
    ],
)
def test_a_malformed_line_is_refused(change: object, message: str) -> None:
    record = json.loads(to_line(queue_run(_queue_report(), "python -m bench.queues")))
    assert callable(change)
    change(record)
    with pytest.raises(HistoryError, match=message):
        from_line(json.dumps(record))


def test_a_run_converted_from_the_diary_keeps_unknown_figures_null() -> None:
    """Nulls survive the round trip; they are not turned into zeros."""
    [converted] = [run for run in read() if run.commit == "2ba9a74"]
    assert isinstance(converted, Run)
    assert converted.date is None
    assert isinstance(converted.figures, HttpFigures)
    assert converted.figures.baseline_errors is None
    assert from_line(to_line(converted)) == converted
