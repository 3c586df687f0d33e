"""The SMTP server live servers send their welcome e-mails to: one per process
(a contract test worker, or the smoke command).

Production settings need a real SMTP server; this one, on the loopback
interface (where production allows SMTP without TLS), keeps what it receives
so that a test can look for a message.
"""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import cache

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class Sink:
    """Accepts every message and keeps it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []

    async def handle_DATA(  # noqa: N802 (the name aiosmtpd calls)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted"

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self._messages if message["To"] == address]


@cache
def mail_sink() -> tuple[int, Sink]:
    """The running sink's port and handler, started on first use (it runs as long as
    the process)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    sink = Sink()
    Controller(sink, hostname=HOST, port=port).start()
    return port, sink


def mail_settings() -> dict[str, str]:
    """What production requires of the mail settings, pointing at the sink."""
    port, _ = mail_sink()
    return {
        "EMAIL_BACKEND": "smtp",
        "EMAIL_FROM": "Contract Tests <noreply@contract.internal>",
        "SMTP_HOST": HOST,
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
    }
