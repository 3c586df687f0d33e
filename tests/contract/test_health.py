"""Section 5: liveness and readiness."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.client import assert_security_headers, assert_status, json_object, media_type
from tests.contract.combinations import for_combinations
from tests.option_space import Combination

pytestmark = [pytest.mark.contract, for_combinations()]


def test_live_is_ok(client: httpx.Client) -> None:
    response = client.get("/health/live")

    assert_status(response, 200)
    assert media_type(response.headers) == "application/json"
    assert response.json() == {"status": "ok"}
    assert_security_headers(response.headers)


def expected_checks(combination: Combination) -> set[str]:
    """The readiness checks of a project: one per dependency it has."""
    checks = {"database"}
    if combination["task_queue"] != "none":
        checks.add("broker")
    if combination.get("cache") == "redis":
        checks.add("cache")
    return checks


def test_ready_reports_every_dependency(client: httpx.Client, combination: Combination) -> None:
    response = client.get("/health/ready")

    assert_status(response, 200)
    body = json_object(response)
    assert body["status"] == "ok", body
    assert isinstance(body.get("checks"), dict), body
    assert set(body["checks"]) == expected_checks(combination), body
    assert all(value == "ok" for value in body["checks"].values()), body
    assert response.elapsed.total_seconds() < 3, response.elapsed
