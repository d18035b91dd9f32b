"""A deadline for code that could block or spin (a FIFO opened, a hostile archive, a parser
loop): the test fails with :class:`Hang` instead of hanging the suite. Speed itself is never
asserted here; the bound is far above any honest run."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Hang(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in a reader eats it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the body when it is still running after ``seconds``."""
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
