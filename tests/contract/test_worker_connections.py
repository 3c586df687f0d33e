"""The worker's database connections: kept across tasks, replaced after a
database restart, never leaked.

Each project here runs against a PostgreSQL server of the test's own
(tests/contract/throwaway_postgres.py), which a test may restart. The worker
runs one process (WORKER_CONCURRENCY=1); its connections are told apart from
the web server's by the client ports of its processes' sockets.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from tests.conftest import ProjectFactory
from tests.contract.client import assert_status, json_object, new_client, new_user
from tests.contract.outage import CLIENT_TIMEOUT, RECOVERY_WITHIN, is_ready, wait_for
from tests.contract.server import LiveServer, Worker, live_server
from tests.contract.throwaway_postgres import ThrowawayPostgres, throwaway_postgres
from tests.harness.brokers import broker_namespace, cache_settings
from tests.harness.params import combination_params
from tests.option_space import Combination, combination_id

pytestmark = pytest.mark.contract

#: One project per framework and queue, on PostgreSQL; the broker makes no
#: difference to the database's connections.
COMBINATIONS: list[Combination] = [
    {
        "framework": framework,
        "database": "postgresql",
        "auth": "none",
        "task_queue": queue,
        "broker": "redis" if queue == "rq" else "rabbitmq",
        "cache": "none",
    }
    for framework in ("fastapi", "flask", "django")
    for queue in ("celery", "dramatiq", "rq")
]
DATABASE = "tasks"
TASKS = 1000
CLIENT_THREADS = 8
#: A worker that has just started may take a while for its first task.
WORKER_START_WITHIN = 60.0
#: RQ forks a process for every job: about ten a second here.
TASKS_WITHIN = 300.0
#: The most connections one worker process holds: one for each thread that runs
#: tasks (Dramatiq runs 8), and Django's pool keeps 2 open at least.
WORKER_CONNECTIONS_AT_MOST = 8
#: New database sessions that 1,000 tasks may cost a worker that keeps its
#: connections (and the server that queues them): far fewer than one per task.
NEW_SESSIONS_AT_MOST = 50


class TaskRuns:
    """Reads the task runs through one connection of the test's own (one
    session in all), connected again after a restart of the database."""

    def __init__(self, database_url: str) -> None:
        self._database_url = database_url
        self._connection: psycopg.Connection[tuple[Any, ...]] | None = None

    def rows(self, query: str, *parameters: object) -> list[tuple[Any, ...]]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(self._database_url, autocommit=True)
        try:
            return self._connection.execute(query, parameters).fetchall()
        except psycopg.OperationalError:
            self._connection.close()
            self._connection = psycopg.connect(self._database_url, autocommit=True)
            return self._connection.execute(query, parameters).fetchall()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()


@dataclass(frozen=True)
class Rig:
    server: LiveServer
    worker: Worker
    postgres: ThrowawayPostgres
    headers: dict[str, str] | None
    task_runs: TaskRuns
    #: Sessions each task may open: RQ forks a process for every job, which
    #: connects anew; the others keep their connections.
    sessions_per_task: int


@pytest.fixture(scope="module", params=combination_params(COMBINATIONS))
def rig(
    request: pytest.FixtureRequest,
    project_factory: ProjectFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Rig]:
    combination: Combination = request.param
    project = project_factory(combination)
    workdir: Path = tmp_path_factory.mktemp("worker-connections")
    prefix = f"contract_connections_{combination_id(combination).replace('-', '_')}"
    with ExitStack() as resources:
        postgres = resources.enter_context(throwaway_postgres())
        database_url = postgres.create_database(DATABASE)
        namespace = resources.enter_context(broker_namespace(combination["broker"], prefix))
        # The worker's settings ride along with the broker's: one worker process.
        worker_settings = {**namespace.settings(), "WORKER_CONCURRENCY": "1"}
        cache = resources.enter_context(cache_settings(combination, prefix))
        server = resources.enter_context(
            live_server(
                project,
                database_url,
                workdir / "server.log",
                broker_settings=worker_settings,
                cache=cache,
            )
        )
        assert server.worker is not None, "a project with a task queue runs `make worker`"
        headers = None
        if combination["auth"] == "jwt":
            with new_client(server.base_url) as anonymous:
                headers = new_user(anonymous).headers
        sessions_per_task = 1 if combination["task_queue"] == "rq" else 0
        task_runs = TaskRuns(database_url)
        resources.callback(task_runs.close)
        yield Rig(server, server.worker, postgres, headers, task_runs, sessions_per_task)


def _queue_ping(api: httpx.Client, message: str) -> str:
    response = api.post("/api/v1/tasks/ping", json={"message": message})
    assert_status(response, 202)
    task_id: str = json_object(response)["task_id"]
    return task_id


def _statuses(rig: Rig) -> dict[str, int]:
    rows = rig.task_runs.rows("SELECT status, count(*) FROM task_runs GROUP BY status")
    statuses: dict[str, int] = dict(rows)
    return statuses


def _wait_for_task(rig: Rig, task_id: str, within: float) -> tuple[str, int]:
    """The task run's status and attempts, once it has finished (or `within` is over)."""
    deadline = time.monotonic() + within
    while True:
        rows = rig.task_runs.rows("SELECT status, attempts FROM task_runs WHERE id = %s", task_id)
        assert rows, f"no task run {task_id}"
        status, attempts = rows[0]
        if status in {"succeeded", "failed"} or time.monotonic() > deadline:
            return status, attempts
        time.sleep(0.1)


def _sessions_opened(rig: Rig) -> int:
    """Sessions the server has opened to the test's database since it started."""
    with psycopg.connect(rig.postgres.admin_url) as connection:
        row = connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
    assert row is not None
    sessions: int = row[0]
    return sessions


def _worker_client_ports(worker: Worker) -> set[int]:
    """The local ports of the TCP sockets of the worker's processes (RQ's work
    horse included: it is a child of the worker, in a process group of its own)."""
    assert worker.process is not None
    root = psutil.Process(worker.process.pid)
    ports: set[int] = set()
    for process in [root, *root.children(recursive=True)]:
        try:
            sockets = process.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        ports.update(socket.laddr.port for socket in sockets)
    return ports


def _worker_connections(rig: Rig) -> int:
    return rig.postgres.connections_to(DATABASE, _worker_client_ports(rig.worker))


def _warm_up(rig: Rig, api: httpx.Client) -> None:
    status, _ = _wait_for_task(rig, _queue_ping(api, "warm-up"), WORKER_START_WITHIN)
    assert status == "succeeded", f"warm-up {status}\n--- worker log ---\n{rig.worker.log_tail()}"


def _queue_after_recovery(api: httpx.Client, message: str) -> str:
    """Queue a ping once the server takes it: right after the restart a server
    may answer 503 while its pool finds its connections broken."""
    deadline = time.monotonic() + RECOVERY_WITHIN
    while True:
        response = api.post("/api/v1/tasks/ping", json={"message": message})
        if response.status_code != 503 or time.monotonic() > deadline:
            assert_status(response, 202)
            task_id: str = json_object(response)["task_id"]
            return task_id
        time.sleep(0.25)


def test_a_task_after_a_database_restart_succeeds_at_its_first_attempt(rig: Rig) -> None:
    """The worker's kept connections die with the restart; the next task gets a
    new one instead of failing on a dead one."""
    with new_client(rig.server.base_url, headers=rig.headers, timeout=CLIENT_TIMEOUT) as api:
        _warm_up(rig, api)
        rig.postgres.restart()
        wait_for(lambda: is_ready(api), RECOVERY_WITHIN, "the server ready after the restart")
        task_id = _queue_after_recovery(api, "after the restart")
        status, attempts = _wait_for_task(rig, task_id, WORKER_START_WITHIN)
    log = rig.worker.log_path.read_text(errors="replace")
    assert status == "succeeded", f"{status} after the restart\n--- worker log ---\n{log[-3000:]}"
    # An attempt that fails on its first statement does not count in `attempts`
    # (the claim that counts it is that statement): the worker's log tells.
    starts = [line for line in log.splitlines() if "task started" in line and task_id in line]
    deliveries = "\n".join(line for line in log.splitlines() if task_id in line)
    assert len(starts) == 1, f"a dead connection failed a delivery:\n{deliveries}"
    assert attempts == 1, f"{attempts} attempts:\n{deliveries}"


def test_a_thousand_tasks_reuse_the_workers_connections_and_leak_none(rig: Rig) -> None:
    with new_client(rig.server.base_url, headers=rig.headers, timeout=CLIENT_TIMEOUT) as api:
        _warm_up(rig, api)
    before = _statuses(rig)
    sessions_before = _sessions_opened(rig)

    def queue_share(thread: int) -> None:
        with new_client(rig.server.base_url, headers=rig.headers, timeout=CLIENT_TIMEOUT) as api:
            for n in range(thread, TASKS, CLIENT_THREADS):
                _queue_ping(api, f"ping {n}")

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(queue_share, range(CLIENT_THREADS)))
    expected = before.get("succeeded", 0) + TASKS
    deadline = time.monotonic() + TASKS_WITHIN
    while (statuses := _statuses(rig)).get("succeeded", 0) < expected:
        assert statuses.get("failed", 0) == before.get("failed", 0), statuses
        assert time.monotonic() < deadline, f"{statuses} after {TASKS_WITHIN:.0f} s"
        time.sleep(0.5)

    held = _worker_connections(rig)
    assert held <= WORKER_CONNECTIONS_AT_MOST, f"the worker holds {held} connections"
    opened = _sessions_opened(rig) - sessions_before
    allowed = NEW_SESSIONS_AT_MOST + TASKS * rig.sessions_per_task
    assert opened <= allowed, f"{TASKS} tasks opened {opened} database sessions"
