"""Checking a server through a database outage: bounded answers, then recovery.

The contract's time bounds (section 5) and the helpers that measure them,
for the outage scenarios in `test_outage.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

from tests.contract.client import (
    User,
    assert_problem,
    json_object,
    new_client,
    new_password,
    unique_email,
)

#: Generous client timeout: a request that needs it has already broken the contract.
CLIENT_TIMEOUT = 8.0
READY_WITHIN = 3.0
API_WITHIN = 5.0
RECOVERY_WITHIN = 15.0
#: Scheduling slack on top of the contract's bounds, for a loaded test machine.
SLACK = 0.5


def timed(name: str, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    try:
        response = send()
    except httpx.TimeoutException as error:
        raise AssertionError(f"{name}: no answer within {CLIENT_TIMEOUT:.0f} s") from error
    return response, time.monotonic() - started


def assert_unavailable(name: str, send: Callable[[], httpx.Response]) -> None:
    response, elapsed = timed(name, send)
    assert response.status_code != 500, f"{name}: 500 during the outage: {response.text[:300]}"
    assert response.status_code == 503, f"{name}: {response.status_code}, expected 503"
    assert_problem(response, 503)
    assert elapsed <= API_WITHIN + SLACK, f"{name}: 503 took {elapsed:.2f} s"


def wait_for(
    condition: Callable[[], bool], within: float, what: str, interval: float = 0.25
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen within {within:.0f} s")


def assert_ready_reports_the_database(client: httpx.Client) -> None:
    """Poll /health/ready after the outage began: a 503 within 3 s, every answer in 3 s."""
    started = time.monotonic()
    answers: list[tuple[httpx.Response, float]] = []
    while True:
        ready, elapsed = timed("GET /health/ready", lambda: client.get("/health/ready"))
        answers.append((ready, elapsed))
        if ready.status_code != 200 or time.monotonic() - started > READY_WITHIN + SLACK:
            break
        time.sleep(0.2)
    timeline = ", ".join(f"{answer.status_code} in {elapsed:.2f} s" for answer, elapsed in answers)
    assert ready.status_code == 503, f"/health/ready during the outage: {timeline}"
    assert all(elapsed <= READY_WITHIN + SLACK for _, elapsed in answers), (
        f"/health/ready took longer than {READY_WITHIN:.0f} s: {timeline}"
    )
    body = json_object(ready)
    assert body.get("status") == "unavailable", body
    assert body.get("checks", {}).get("database") == "error", body


class Phases:
    """The phases of an outage scenario: each runs even if an earlier one failed.

    A scenario is expensive to set up, so one run reports every broken
    promise (readiness, API errors, recovery), not only the first.
    """

    def __init__(self) -> None:
        self.failures: list[str] = []

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        try:
            yield
        except AssertionError as failure:
            message = str(failure).split("\nassert ")[0]  # without pytest's explanation
            self.failures.append(f"[{name}] {message}")

    def assert_all_passed(self) -> None:
        assert not self.failures, "\n".join(self.failures)


Send = Callable[[httpx.Client], httpx.Response]


def database_requests(user: User | None, item_id: str, marker: str) -> dict[str, Send]:
    """One request of every kind that needs the database."""
    requests: dict[str, Send] = {
        "GET /api/v1/items": lambda c: c.get("/api/v1/items"),
        "POST /api/v1/items": lambda c: c.post("/api/v1/items", json={"title": f"{marker} during"}),
        "GET /api/v1/items/{id}": lambda c: c.get(f"/api/v1/items/{item_id}"),
        "DELETE /api/v1/items/{id}": lambda c: c.delete(f"/api/v1/items/{item_id}"),
    }
    if user is not None:
        requests["GET /api/v1/users/me"] = lambda c: c.get("/api/v1/users/me")
        requests["POST /api/v1/auth/token"] = lambda c: c.post(
            "/api/v1/auth/token", data={"username": user.email, "password": user.password}
        )
        requests["POST /api/v1/auth/register"] = lambda c: c.post(
            "/api/v1/auth/register", json={"email": unique_email(), "password": new_password()}
        )
    return requests


def assert_all_unavailable(
    base_url: str, headers: dict[str, str] | None, requests: dict[str, Send], extra_lists: int
) -> None:
    """Send every request at once, each on its own connection: all 503 in time.

    The extra list requests outnumber a small connection pool, so a server
    that queues for a pool slot without a bound is caught too.
    """
    jobs = list(requests.items())
    jobs += [(f"GET /api/v1/items #{n}", requests["GET /api/v1/items"]) for n in range(extra_lists)]

    def attempt(name: str, send: Send) -> str | None:
        with new_client(base_url, headers=headers, timeout=CLIENT_TIMEOUT) as own:
            try:
                assert_unavailable(name, lambda: send(own))
            except AssertionError as failure:
                return str(failure).split("\nassert ")[0]
        return None

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(attempt, name, send) for name, send in jobs]
        failures = [future.result(timeout=CLIENT_TIMEOUT * 2) for future in futures]
    assert not any(failures), "\n".join(failure for failure in failures if failure)


def is_ready(client: httpx.Client) -> bool:
    try:
        return client.get("/health/ready").status_code == 200
    except httpx.HTTPError:
        return False


def is_serving(api: httpx.Client, marker: str) -> bool:
    if not is_ready(api):
        return False
    try:
        return api.get("/api/v1/items", params={"q": marker}).status_code == 200
    except httpx.HTTPError:
        return False
