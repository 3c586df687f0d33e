"""Interrupts: Ctrl-C and SIGTERM must still leave no server or database behind."""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

CLEANUP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so every cleanup on the way runs."""
    signal.signal(signal.SIGTERM, _raise_interrupt)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM during a cleanup; they are delivered after it.

    One Ctrl-C can arrive twice: from the terminal and again from `uv run`,
    which passes it on to the bench. The second must not cut short the
    cleanup that the first one started.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, CLEANUP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
