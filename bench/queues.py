"""The queue run: ping tasks through the API and one worker, every task counted.

    uv run python -m bench.queues --framework fastapi --queue celery --broker redis

Generates a project with the queue and broker (PostgreSQL, auth none), serves it
like production (`make serve`) with one worker process (`make worker`,
WORKER_CONCURRENCY=1), enqueues the tasks through `POST /api/v1/tasks/ping`
from several client threads and, unless --no-crash, SIGKILLs the worker once
half of them have finished and starts a new one. Statuses and timestamps are
read from the project's `task_runs` table: every task must end `succeeded`;
a task still queued or running at the end counts as lost.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from bench.commands import StepError
from bench.database import scratch_database
from bench.history import append, command_line, queue_run
from bench.machine import describe_machine
from bench.options import (
    DEFAULT_ADMIN_URL,
    DEFAULT_PYTHON,
    REPOSITORY,
    add_history_arguments,
    history_path,
)
from bench.project import Answers, GeneratedProject, RuntimeSettings
from bench.revision import ABBREVIATED, describe, resolve_commit
from bench.server import ServerError, ServerProcess, free_port, running
from tests.harness.brokers import broker_namespace

log = logging.getLogger("bench")

QUEUES = ("celery", "rq", "dramatiq")
BROKERS = ("redis", "rabbitmq")
CLIENT_THREADS = 16
WARM_UP_WITHIN_S = 60.0
POLL_INTERVAL_S = 0.2
# The queue run's project: PostgreSQL, and no users, so tasks need no token.
DATABASE = "postgresql"
AUTH = "none"


@dataclass(frozen=True)
class QueueOptions:
    framework: str
    queue: str
    broker: str
    tasks: int
    crash: bool
    finish_within_s: float
    template: Path
    vcs_ref: str
    python: Path
    admin_database_url: str
    json_path: Path | None
    history_path: Path | None


@dataclass(frozen=True)
class QueueReport:
    framework: str
    queue: str
    broker: str
    database: str
    auth: str
    started_at: str
    machine: str
    template: str
    commit: str  # abbreviated as in `template`
    tasks: int
    enqueue_errors: int
    succeeded: int
    failed: int
    lost: int
    delivered_more_than_once: int
    worker_killed_after: int | None
    tasks_per_second: float
    enqueue_to_done_p50_ms: float
    enqueue_to_done_p99_ms: float
    enqueue_seconds: float

    @property
    def complete(self) -> bool:
        return self.enqueue_errors == 0 and self.succeeded == self.tasks


def parse_args(argv: Sequence[str] | None) -> QueueOptions:
    parser = argparse.ArgumentParser(prog="python -m bench.queues", description=__doc__)
    add = parser.add_argument
    add("--framework", choices=("fastapi", "flask", "django"), default="fastapi")
    add("--queue", choices=QUEUES, default="celery")
    add("--broker", choices=BROKERS, default="redis")
    add("--tasks", type=int, default=1000, help="ping tasks to enqueue (default 1000)")
    add("--no-crash", action="store_true", help="do not kill the worker in the middle")
    add(
        "--finish-within",
        type=float,
        default=600.0,
        help="seconds every task has to finish after the last one is queued (default 600)",
    )
    add("--template", type=Path, default=REPOSITORY)
    add("--vcs-ref", default="HEAD")
    add("--python", type=Path, default=DEFAULT_PYTHON)
    add("--admin-database-url", default=DEFAULT_ADMIN_URL)
    add("--json", type=Path, dest="json_path", help="also write the figures as JSON here")
    add_history_arguments(parser)
    args = parser.parse_args(argv)
    if args.queue == "rq" and args.broker != "redis":
        parser.error("RQ keeps its queues in Redis: --broker redis")
    if args.tasks < 2:
        parser.error("--tasks must be at least 2")
    return QueueOptions(
        framework=args.framework,
        queue=args.queue,
        broker=args.broker,
        tasks=args.tasks,
        crash=not args.no_crash,
        finish_within_s=args.finish_within,
        template=args.template.resolve(),
        vcs_ref=args.vcs_ref,
        python=args.python,
        admin_database_url=args.admin_database_url,
        json_path=args.json_path,
        history_path=history_path(args),
    )


def _enqueue(client: httpx.Client, n: int) -> str | None:
    response = client.post("/api/v1/tasks/ping", json={"message": f"bench {n}"})
    if response.status_code != httpx.codes.ACCEPTED:
        log.warning("enqueue %d: %d %s", n, response.status_code, response.text[:200])
        return None
    task_id: str = response.json()["task_id"]
    return task_id


def _status_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute("SELECT status, count(*) FROM task_runs GROUP BY status")
        return {str(status): int(count) for status, count in rows.fetchall()}


def _wait_for(database_url: str, done: int, within_s: float) -> bool:
    """Whether at least `done` tasks have finished (succeeded or failed) in time."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        counts = _status_counts(database_url)
        if counts.get("succeeded", 0) + counts.get("failed", 0) >= done:
            return True
        time.sleep(POLL_INTERVAL_S)
    return False


@contextmanager
def _crash_midway(
    database_url: str, worker: ServerProcess, after: int, enabled: bool
) -> Iterator[list[int]]:
    """In the background: once `after` tasks finished, SIGKILL the worker and start another."""
    killed_after: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            counts = _status_counts(database_url)
            finished = counts.get("succeeded", 0) + counts.get("failed", 0)
            if finished >= after:
                worker.kill()
                killed_after.append(finished)
                worker.start()
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True) if enabled else None
    if watcher is not None:
        watcher.start()
    try:
        yield killed_after
    finally:
        stop.set()
        if watcher is not None:
            watcher.join()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def run_queue_bench(options: QueueOptions) -> QueueReport:
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = resolve_commit(options.template, options.vcs_ref)
    with ExitStack() as cleanup:
        workdir = Path(
            cleanup.enter_context(
                tempfile.TemporaryDirectory(prefix="bench-queue-", ignore_cleanup_errors=True)
            )
        )
        answers = Answers(
            framework=options.framework,
            database=DATABASE,
            auth=AUTH,
            task_queue=options.queue,
            broker=options.broker,
        )
        project = GeneratedProject.generate(
            options.template, commit, answers, workdir / "project", options.python
        )
        project.install()
        database = cleanup.enter_context(scratch_database(options.admin_database_url))
        namespace = cleanup.enter_context(broker_namespace(options.broker, "bench"))
        settings = RuntimeSettings(
            database_url=database.url,
            secret_key=secrets.token_hex(32),
            port=free_port(),
            workers=2,
        )
        environ = settings.environ() | namespace.settings() | {"WORKER_CONCURRENCY": "1"}
        project.migrate(settings)
        server = ServerProcess(
            "server",
            project.serve_argv(),
            cwd=project.root,
            env=project.tool_env(environ),
            port=settings.port,
            log_path=workdir / "server.log",
        )
        worker = ServerProcess(
            "worker",
            project.worker_argv(),
            cwd=project.root,
            env=project.tool_env(environ),
            port=0,
            log_path=workdir / "worker.log",
        )
        with running(server, 90.0), httpx.Client(base_url=server.base_url, timeout=30) as client:
            worker.start()
            try:
                if _enqueue(client, -1) is None or not _wait_for(database.url, 1, WARM_UP_WITHIN_S):
                    raise ServerError(f"the worker ran no warm-up task:\n{worker.log_tail()}")
                with psycopg.connect(database.url, autocommit=True) as connection:
                    connection.execute("DELETE FROM task_runs")
                log.info("enqueueing %d ping tasks from %d threads", options.tasks, CLIENT_THREADS)
                with _crash_midway(
                    database.url, worker, options.tasks // 2, options.crash
                ) as killed_after:
                    enqueue_started = time.monotonic()
                    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
                        ids = list(pool.map(lambda n: _enqueue(client, n), range(options.tasks)))
                    enqueue_seconds = time.monotonic() - enqueue_started
                    accepted = [task_id for task_id in ids if task_id is not None]
                    log.info("enqueued in %.1f s; waiting for the worker", enqueue_seconds)
                    _wait_for(database.url, len(accepted), options.finish_within_s)
            finally:
                worker.stop()
        with psycopg.connect(database.url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT status, attempts, created_at, updated_at FROM task_runs"
            ).fetchall()

    succeeded = [row for row in rows if row[0] == "succeeded"]
    latencies_ms = [(row[3] - row[2]).total_seconds() * 1000 for row in succeeded]
    first_created = min((row[2] for row in rows), default=None)
    last_done = max((row[3] for row in succeeded), default=None)
    span = (last_done - first_created).total_seconds() if first_created and last_done else 0.0
    return QueueReport(
        framework=options.framework,
        queue=options.queue,
        broker=options.broker,
        database=DATABASE,
        auth=AUTH,
        started_at=started_at,
        machine=describe_machine(),
        template=describe(options.template, commit, False),
        commit=commit[:ABBREVIATED],
        tasks=options.tasks,
        enqueue_errors=options.tasks - len(accepted),
        succeeded=len(succeeded),
        failed=sum(1 for row in rows if row[0] == "failed"),
        lost=sum(1 for row in rows if row[0] in {"queued", "running"}),
        delivered_more_than_once=sum(1 for row in rows if row[1] > 1),
        worker_killed_after=killed_after[0] if killed_after else None,
        tasks_per_second=len(succeeded) / span if span > 0 else 0.0,
        enqueue_to_done_p50_ms=statistics.median(latencies_ms) if latencies_ms else 0.0,
        enqueue_to_done_p99_ms=_percentile(latencies_ms, 0.99) if latencies_ms else 0.0,
        enqueue_seconds=enqueue_seconds,
    )


def render_text(report: QueueReport) -> str:
    crash = (
        f"worker SIGKILLed and restarted after {report.worker_killed_after} finished tasks"
        if report.worker_killed_after is not None
        else "no crash"
    )
    return "\n".join(
        [
            f"queue run: {report.framework} + {report.queue} on {report.broker} "
            f"({report.template}, {report.started_at})",
            f"  machine: {report.machine}",
            f"  {report.tasks} ping tasks through the API, one worker process; {crash}",
            f"  enqueued in {report.enqueue_seconds:.1f} s, {report.enqueue_errors} refused",
            f"  succeeded {report.succeeded}, failed {report.failed}, lost {report.lost}; "
            f"{report.delivered_more_than_once} delivered more than once",
            f"  throughput {report.tasks_per_second:.0f} tasks/s; enqueue-to-done p50 "
            f"{report.enqueue_to_done_p50_ms:.0f} ms, p99 {report.enqueue_to_done_p99_ms:.0f} ms",
            f"  verdict: {'every task done' if report.complete else 'TASKS MISSING'}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="[bench] %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    arguments = list(sys.argv[1:] if argv is None else argv)
    options = parse_args(arguments)
    try:
        report = run_queue_bench(options)
    except (StepError, ServerError, psycopg.Error) as error:
        print(f"[bench] aborted: {error}", file=sys.stderr)
        return 1
    print(render_text(report))
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    if options.history_path is not None:
        append(queue_run(report, command_line("bench.queues", arguments)), options.history_path)
        log.info("appended the run to %s", options.history_path)
    return 0 if report.complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
