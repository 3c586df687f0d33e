"""Section 8 with `auth = jwt`: tasks need a token and belong to their owner."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.contract.client import assert_problem, assert_status, new_client, new_user
from tests.contract.combinations import for_task_queues
from tests.contract.server import LiveServer
from tests.contract.test_tasks import queue_ping

pytestmark = [pytest.mark.contract, for_task_queues(auth="jwt")]


def test_tasks_need_a_token(client: httpx.Client) -> None:
    for response in (
        client.post("/api/v1/tasks/ping", json={}),
        client.get(f"/api/v1/tasks/{uuid.uuid4()}"),
    ):
        assert_problem(response, 401)
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_another_users_task_is_404(live: LiveServer, client: httpx.Client) -> None:
    owner, stranger = new_user(client, "owner"), new_user(client, "stranger")
    with (
        new_client(live.base_url, headers=owner.headers) as as_owner,
        new_client(live.base_url, headers=stranger.headers) as as_stranger,
    ):
        accepted = queue_ping(as_owner, "mine")
        path = f"/api/v1/tasks/{accepted['task_id']}"
        assert_problem(as_stranger.get(path), 404)
        assert_status(as_owner.get(path), 200)
