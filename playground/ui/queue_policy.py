"""How the server's queue shares the 2 CPU cores between events.

Policy (measured with ``bench/load.py``; see the README's "Serving a class" section):

- every *model* endpoint (a forward pass, Grad-CAM, U-Net, a shape trace through a whole
  architecture) joins one queue, ``concurrency_id="models"``, with ``MODEL_CONCURRENCY`` (4)
  jobs at a time, each with one torch thread. A model request is mostly Python (Gradio's pre- and
  postprocessing, rendering) under one GIL, and only partly torch kernels that release it; with
  2 jobs the server left ~30 % of the 2 cores idle at 60 users. 4 jobs served 23 req/s instead
  of 19 (``bench/load.py``, 2026-12-01);
- the cheap calculators (Layer Lab arithmetic, architecture tables, builders: milliseconds each)
  keep their own per-event queues (``default_concurrency_limit``, ``DEFAULT_CONCURRENCY`` = 8), so
  they never wait behind a model. With 2, ``/layer_summary`` (every Layer Lab change) queued
  behind itself at 60 users: p50 2.9 s, against 0.8 s with 8 (2026-12-02);
- both limits can be raised on a bigger machine with ``CNN_PLAYGROUND_MODEL_CONCURRENCY`` and
  ``CNN_PLAYGROUND_DEFAULT_CONCURRENCY``;
- training endpoints keep their own limit (``limits.MAX_CONCURRENT_TRAININGS``), enforced by the
  studio itself;
- every other event counts as *interactive* while Gradio processes it (:func:`track_activity`):
  a training thread waits between its steps while one is in flight (``playground.activity``), so
  the GIL goes to the students' clicks first.
"""

from __future__ import annotations

import os
from typing import Any, Final

import gradio as gr

from playground import activity

MODEL_CONCURRENCY: Final[int] = 4
DEFAULT_CONCURRENCY: Final[int] = 8
MAX_QUEUE: Final[int] = 256
ENV_MODEL_CONCURRENCY: Final[str] = "CNN_PLAYGROUND_MODEL_CONCURRENCY"
ENV_DEFAULT_CONCURRENCY: Final[str] = "CNN_PLAYGROUND_DEFAULT_CONCURRENCY"
"""Operators of a bigger machine may raise the two limits with these (whole numbers 1-64)."""


def limit_from_env(name: str, default: int) -> int:
    """``int(os.environ[name])`` if set, else ``default``; ``ValueError`` naming the variable
    unless it is a whole number in [1, 64]."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise ValueError(f"{name} must be a whole number from 1 to 64, got {raw!r}")
    return int(raw)

MODEL_ENDPOINTS: Final[frozenset[str]] = frozenset({
    "classify_digit", "classify_sketch", "classify_cifar", "analyze_cifar", "segment", "seg_features",
    "digit_scene", "feature_maps", "feature_maps_load", "separable", "separable_load",
    "compare_architectures", "augment", "augment_sample", "checkpoint_image",
})
TRAINING_ENDPOINTS: Final[frozenset[str]] = frozenset({"train", "transfer"})
"""Long streaming events: background work, not interactive requests."""


def apply(demo: gr.Blocks) -> gr.Blocks:
    """Put the model endpoints of ``demo`` into the shared ``"models"`` queue and enable queueing.

    Returns ``demo``. Raises ``ValueError`` if a name in ``MODEL_ENDPOINTS`` matches no event
    (a renamed endpoint must not silently leave the shared queue)."""
    names = {fn.api_name for fn in demo.fns.values()}
    missing = sorted(MODEL_ENDPOINTS - names)
    if missing:
        raise ValueError(f"queue policy names endpoints the app does not have: {', '.join(missing)}")
    models = limit_from_env(ENV_MODEL_CONCURRENCY, MODEL_CONCURRENCY)
    default = limit_from_env(ENV_DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY)
    for fn in demo.fns.values():
        if fn.api_name in MODEL_ENDPOINTS:
            fn.concurrency_id = "models"
            fn.concurrency_limit = models
    demo.queue(default_concurrency_limit=default, max_size=MAX_QUEUE)
    return track_activity(demo)


def track_activity(demo: gr.Blocks, background: frozenset[str] = TRAINING_ENDPOINTS) -> gr.Blocks:
    """Wrap ``demo.process_api`` (Gradio's preprocess, callback and postprocess of one event) so
    that every event whose ``api_name`` is not in ``background`` runs inside
    :func:`playground.activity.interactive`. Returns ``demo``; wrapping twice is harmless."""
    original = demo.process_api
    if getattr(original, "_tracks_activity", False):
        return demo

    async def process_api(*args: Any, **kwargs: Any) -> dict[str, Any]:
        block_fn = kwargs["block_fn"] if "block_fn" in kwargs else args[0]
        fn = demo.fns[block_fn] if isinstance(block_fn, int) else block_fn
        if getattr(fn, "api_name", None) in background:
            return await original(*args, **kwargs)
        with activity.interactive():
            return await original(*args, **kwargs)

    process_api._tracks_activity = True  # type: ignore[attr-defined]
    demo.process_api = process_api  # type: ignore[method-assign]
    return demo
