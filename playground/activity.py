"""Server-wide count of interactive requests in flight, so that background trainings yield to them.

A live training runs in a thread of the server process. It shares the GIL with every request, so
a training step that holds the GIL delays every student's click, whatever the OS priority of its
thread (``bench/load.py`` at 60 users: 22-23 req/s with the usual trainings in the mix, 28 req/s
without them). The training therefore *cooperates*: between two steps it waits while any
interactive request is being processed, but never longer than ``factor`` times the step it just
took. Its share of the time while requests keep arriving is then at least

    duty = step / (step + factor * step) = 1 / (1 + factor)

(25 % with the default factor 3), and on an idle server it does not wait at all.

Nothing here imports Gradio: the UI layer marks requests with :func:`interactive`
(``playground.ui.queue_policy`` does it for every event except the trainings).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

YIELD_FACTOR: Final[float] = 3.0
"""A training waits at most this many times its last step's duration for requests to finish."""

_cond = threading.Condition()
_active = 0


@contextmanager
def interactive() -> Iterator[None]:
    """Count the enclosed block as one interactive request in flight (thread-safe, re-entrant)."""
    global _active
    with _cond:
        _active += 1
    try:
        yield
    finally:
        with _cond:
            _active -= 1
            if _active == 0:
                _cond.notify_all()


def active() -> int:
    """How many interactive requests are in flight now."""
    return _active


def yield_to_interactive(step_seconds: float, factor: float | None = None) -> float:
    """Wait until no interactive request is in flight, at most ``factor * step_seconds``
    (``factor`` defaults to ``YIELD_FACTOR``, read at each call).

    Returns the seconds waited (0.0 at once when the server is idle). ``step_seconds`` is the
    duration of the work the caller just did; negative or non-finite values wait not at all.
    """
    limit = (YIELD_FACTOR if factor is None else factor) * step_seconds
    if not limit > 0 or limit == float("inf"):
        return 0.0
    t0 = time.monotonic()
    with _cond:
        _cond.wait_for(lambda: _active == 0, timeout=limit)
    return time.monotonic() - t0
