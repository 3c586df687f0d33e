"""Section 8: background tasks, run by a live worker on the real broker."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.contract.client import (
    JsonObject,
    assert_error_at,
    assert_problem,
    assert_status,
    json_object,
    media_type,
    token,
)
from tests.contract.combinations import for_task_queues
from tests.contract.server import LiveServer, Worker

pytestmark = [pytest.mark.contract, for_task_queues()]

STATUSES = {"queued", "running", "succeeded", "failed"}
#: docs/contract.md section 8: a running worker finishes a ping within this many seconds.
PING_WITHIN = 10.0
#: A worker that has just started may take longer for its first task.
WORKER_START_WITHIN = 60.0
#: Seconds a worker crash may delay a queued task before it is delivered again.
REDELIVERY_WITHIN = 180.0
MESSAGE_MAX_LENGTH = 200


def _worker(live: LiveServer) -> Worker:
    assert live.worker is not None, "a project with a task queue runs `make worker`"
    return live.worker


def queue_ping(api: httpx.Client, message: str | None = None) -> JsonObject:
    body = {} if message is None else {"message": message}
    response = api.post("/api/v1/tasks/ping", json=body)
    assert_status(response, 202)
    accepted = json_object(response)
    assert set(accepted) == {"task_id", "status"}, accepted
    assert accepted["status"] == "queued", accepted
    assert str(uuid.UUID(accepted["task_id"])) == accepted["task_id"].lower()
    assert response.headers.get("location") == f"/api/v1/tasks/{accepted['task_id']}"
    return accepted


def task(api: httpx.Client, task_id: str) -> JsonObject:
    response = api.get(f"/api/v1/tasks/{task_id}")
    assert_status(response, 200)
    assert media_type(response.headers) == "application/json"
    body = json_object(response)
    assert set(body) == {"task_id", "status", "result"}, body
    assert body["task_id"] == task_id, body
    assert body["status"] in STATUSES, body
    return body


def wait_until_finished(api: httpx.Client, task_id: str, within: float) -> JsonObject:
    deadline = time.monotonic() + within
    while True:
        body = task(api, task_id)
        if body["status"] in {"succeeded", "failed"} or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def assert_all_echoed(
    api: httpx.Client, worker: Worker, accepted: list[JsonObject], prefix: str, within: float
) -> None:
    """Each accepted ping `f"{prefix} {n}"` ends succeeded with its own echo."""
    for n, entry in enumerate(accepted):
        body = wait_until_finished(api, entry["task_id"], within)
        assert body["status"] == "succeeded", (
            f"{body}\nworker running: {worker.is_running()}\n"
            f"--- worker log ---\n{worker.log_tail()}"
        )
        assert body["result"] == {"echo": f"{prefix} {n}"}


@pytest.fixture
def worker_ready(live: LiveServer, api: httpx.Client) -> Worker:
    """The live worker, once it has finished a first task."""
    worker = _worker(live)
    if not worker.is_running():
        worker.start()
    first = queue_ping(api, "warm-up")
    body = wait_until_finished(api, first["task_id"], WORKER_START_WITHIN)
    assert body["status"] == "succeeded", f"{body}\n--- worker log ---\n{worker.log_tail()}"
    return worker


def test_a_ping_succeeds_within_ten_seconds(api: httpx.Client, worker_ready: Worker) -> None:
    message = f"hello {token()}"
    accepted = queue_ping(api, message)
    started = time.monotonic()
    body = wait_until_finished(api, accepted["task_id"], PING_WITHIN)
    assert body["status"] == "succeeded", f"{body} after {time.monotonic() - started:.1f} s"
    assert body["result"] == {"echo": message}


def test_a_ping_without_a_message_succeeds(api: httpx.Client, worker_ready: Worker) -> None:
    accepted = queue_ping(api)
    body = wait_until_finished(api, accepted["task_id"], PING_WITHIN)
    assert body["status"] == "succeeded", body
    assert isinstance(body["result"], dict), body
    assert set(body["result"]) == {"echo"}, body
    assert isinstance(body["result"]["echo"], str), body


def test_the_longest_message_is_accepted_and_one_more_is_not(api: httpx.Client) -> None:
    queue_ping(api, "x" * MESSAGE_MAX_LENGTH)
    response = api.post("/api/v1/tasks/ping", json={"message": "x" * (MESSAGE_MAX_LENGTH + 1)})
    assert_error_at(response, ["body", "message"])


def test_a_message_with_nul_is_422(api: httpx.Client) -> None:
    response = api.post("/api/v1/tasks/ping", json={"message": "nul\x00here"})
    assert_error_at(response, ["body", "message"])


@pytest.mark.parametrize(
    "body",
    [{"message": 42}, {"message": None}, {"message": "hi", "extra": 1}, ["hi"]],
    ids=["number", "null", "unknown-field", "array"],
)
def test_a_malformed_ping_is_422(api: httpx.Client, body: object) -> None:
    response = api.post("/api/v1/tasks/ping", json=body)
    assert_problem(response, 422)


def test_an_unknown_task_is_404(api: httpx.Client) -> None:
    assert_problem(api.get(f"/api/v1/tasks/{uuid.uuid4()}"), 404)


def test_a_malformed_task_id_is_422(api: httpx.Client) -> None:
    assert_problem(api.get("/api/v1/tasks/not-a-uuid"), 422)


def test_a_task_queued_while_no_worker_runs_waits_and_then_succeeds(
    api: httpx.Client, worker_ready: Worker
) -> None:
    """The broker keeps queued tasks: a worker that was down runs them when it is back."""
    worker_ready.kill()
    try:
        accepted = [queue_ping(api, f"while down {n}") for n in range(5)]
        time.sleep(1.0)
        assert {task(api, a["task_id"])["status"] for a in accepted} == {"queued"}
    finally:
        worker_ready.start()
    assert_all_echoed(api, worker_ready, accepted, "while down", WORKER_START_WITHIN)


def test_tasks_survive_a_worker_crash(api: httpx.Client, worker_ready: Worker) -> None:
    """SIGKILL the worker with tasks queued and in flight; a new worker finishes them all."""
    accepted = [queue_ping(api, f"crash {n}") for n in range(20)]
    worker_ready.kill()
    worker_ready.start()
    assert_all_echoed(api, worker_ready, accepted, "crash", REDELIVERY_WITHIN)


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_the_ping_path_is_not_a_task_id(api: httpx.Client, method: str) -> None:
    """Section 1: a concrete path wins over a template, as in the document, where
    `/api/v1/tasks/ping` has only POST: GET there is a 405, not a read of task "ping"."""
    response = api.request(method, "/api/v1/tasks/ping")

    allowed = {part.strip().upper() for part in response.headers.get("allow", "").split(",")}
    assert "POST" in allowed, f"Allow: {response.headers.get('allow')!r}"
    assert "GET" not in allowed, f"Allow: {response.headers.get('allow')!r}"
    if method == "GET":
        assert_problem(response, 405)
