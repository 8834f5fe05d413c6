"""Keep the garbage collector's full passes short on a long-running server.

CPython's full collection (generation 2) walks every container object the process holds, under
the GIL: every request in flight stops while it runs. After start-up the app holds ~600,000 of
them (Gradio's 479 blocks and their configs, torch, the models), and they live as long as the
server does. Under ``bench/load.py`` (60 users, 2026-12-04) the full passes took 120-320 ms
each, growing with the heap, a few times a minute: each one a stall of every request in flight.
:func:`freeze_after_startup` collects once, then moves every object that exists at that moment to
the permanent generation (``gc.freeze``): full passes skip them. ``app.main`` calls it right after
launch, so the models (loaded lazily on first use) and what sessions add are still scanned: in a
120 s run the full passes then took 98-194 ms. Frozen after a warm-up that had loaded every model,
they took 19-30 ms (an experiment; the app does not preload its models). New objects (sessions,
events, results) are still collected as before; frozen objects are still freed when their
reference count drops to zero (only a cycle among them that later becomes garbage stays in memory).
"""

from __future__ import annotations

import gc


def freeze_after_startup() -> int:
    """``gc.collect()`` then ``gc.freeze()``; return how many objects are now frozen. Call it once
    the app is built and launched (``app.main``), not in a process that builds and drops many apps
    (the test suite)."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
