"""With `auth = jwt` and a task queue: registration sends a welcome e-mail through
the live worker, over SMTP, as production configures it."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.contract.client import assert_status, new_password, register, unique_email
from tests.contract.combinations import for_task_queues
from tests.harness.mail_sink import mail_sink

pytestmark = [pytest.mark.contract, for_task_queues(auth="jwt")]

#: A worker that has just started may take longer for its first task.
SENT_WITHIN_SECONDS = 30


def test_registration_sends_a_welcome_email(client: httpx.Client) -> None:
    email = unique_email("welcome")
    assert_status(register(client, email, new_password(), full_name="Grace Hopper"), 201)

    _, sink = mail_sink()
    deadline = time.monotonic() + SENT_WITHIN_SECONDS
    while not sink.messages_to(email) and time.monotonic() < deadline:
        time.sleep(0.2)
    [message] = sink.messages_to(email)
    assert message["From"] == "Contract Tests <noreply@contract.internal>"
    assert "Grace Hopper" in message.get_content()
