"""How the server's queue shares the 2 CPU cores between events.

Policy (measured with ``bench/load.py``; see the README's "Serving a class" section):

- every *model* endpoint (a forward pass, Grad-CAM, U-Net, a shape trace through a whole
  architecture) joins one queue, ``concurrency_id="models"``, with ``MODEL_CONCURRENCY`` (4)
  jobs at a time, each with one torch thread. A model request is mostly Python (Gradio's pre- and
  postprocessing, rendering) under one GIL, and only partly torch kernels that release it; with
  2 jobs the server left ~30 % of the 2 cores idle at 60 users. 4 jobs served 23 req/s instead
  of 19 (``bench/load.py``, 2026-12-01);
- the cheap calculators (Layer Lab arithmetic, architecture tables, builders: milliseconds each)
  keep their own per-event queues (``default_concurrency_limit``), so they never wait behind a
  model;
- training endpoints keep their own limit (``limits.MAX_CONCURRENT_TRAININGS``), enforced by the
  studio itself.
"""

from __future__ import annotations

from typing import Final

import gradio as gr

MODEL_CONCURRENCY: Final[int] = 4
DEFAULT_CONCURRENCY: Final[int] = 2
MAX_QUEUE: Final[int] = 256

MODEL_ENDPOINTS: Final[frozenset[str]] = frozenset({
    "classify_digit", "classify_sketch", "classify_cifar", "analyze_cifar", "segment", "seg_features",
    "digit_scene", "feature_maps", "feature_maps_load", "separable", "separable_load",
    "compare_architectures", "augment", "augment_sample", "checkpoint_image",
})


def apply(demo: gr.Blocks) -> gr.Blocks:
    """Put the model endpoints of ``demo`` into the shared ``"models"`` queue and enable queueing.

    Returns ``demo``. Raises ``ValueError`` if a name in ``MODEL_ENDPOINTS`` matches no event
    (a renamed endpoint must not silently leave the shared queue)."""
    names = {fn.api_name for fn in demo.fns.values()}
    missing = sorted(MODEL_ENDPOINTS - names)
    if missing:
        raise ValueError(f"queue policy names endpoints the app does not have: {', '.join(missing)}")
    for fn in demo.fns.values():
        if fn.api_name in MODEL_ENDPOINTS:
            fn.concurrency_id = "models"
            fn.concurrency_limit = MODEL_CONCURRENCY
    demo.queue(default_concurrency_limit=DEFAULT_CONCURRENCY, max_size=MAX_QUEUE)
    return demo
