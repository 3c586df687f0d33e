"""The task API against a RabbitMQ that never completes the AMQP handshake: with
Dramatiq, pika's opening of a connection is bounded in time of its own."""

import socket

import pytest
from httpx import AsyncClient

from tests.task_queue import publish_to

Headers = dict[str, str]


async def test_a_broker_that_never_completes_the_handshake_fails_the_task(
    client: AsyncClient, auth_headers: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It takes the TCP connection and never speaks AMQP; pika gives up after a
    # second, before the publishing timeout.
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        publish_to(f"amqp://guest:guest@127.0.0.1:{port}/%2F?stack_timeout=1", monkeypatch)
        response = await client.post("/api/v1/tasks/ping", json={}, headers=auth_headers)
    assert response.status_code == 503
