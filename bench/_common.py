"""Helpers shared by the benchmarks: percentiles, timing, a free port, the app served in-process.

Importing this module is light (no torch, gradio or app): the heavy imports happen inside the
functions that need them, so ``import bench.arith_bench`` stays cheap.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import gradio as gr

Method = Literal["nearest", "linear"]


def percentile(xs: Sequence[float], q: float, method: Method = "nearest") -> float:
    """The ``q``-quantile (``0 <= q <= 1``) of ``xs``, which need not be sorted.

    With ``s = sorted(xs)`` and ``n = len(xs)``, the position is ``q * (n - 1)``:

    * ``"nearest"`` (the benches' p95/p99): ``s[round(q * (n - 1))]``, Python's ``round`` (half to
      even), i.e. numpy's ``percentile(..., method="nearest")``. Always one of the measured values.
    * ``"linear"``: interpolate between the two sorted values around that position, i.e. numpy's
      default ``percentile``; at ``q = 0.5`` this is ``statistics.median``.

    An empty ``xs`` gives NaN (an endpoint that never answered).
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    if method not in ("nearest", "linear"):
        raise ValueError(f"method must be 'nearest' or 'linear', got {method!r}")
    if not xs:
        return float("nan")
    s = sorted(xs)
    pos = q * (len(s) - 1)
    if method == "nearest":
        return float(s[min(len(s) - 1, round(pos))])
    lo = math.floor(pos)
    hi = min(lo + 1, len(s) - 1)
    return float(s[lo] + (s[hi] - s[lo]) * (pos - lo))


def summary(ms: Sequence[float], qs: Sequence[float] = (0.5, 0.95), *, decimals: int = 1,
            method: Method = "nearest") -> str:
    """``"p50 12.3 ms, p95 45.6 ms (n=40)"``: the ``qs`` percentiles of ``ms`` (milliseconds)."""
    parts = [f"p{100 * q:g} {percentile(ms, q, method):.{decimals}f} ms" for q in qs]
    return f"{', '.join(parts)} (n={len(ms)})"


class Timer:
    """Wall and process-CPU time of a ``with`` block, in ms (``.wall``, ``.cpu``).

    On a shared, overloaded machine the CPU time is the better estimate of what an idle
    machine's wall time would be.
    """

    wall: float
    cpu: float

    def __enter__(self) -> Timer:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = 1000 * (time.perf_counter() - self._w)
        self.cpu = 1000 * (time.process_time() - self._c)


def time_ms(fn: Callable[[], object], n: int, warmup: int = 0) -> list[float]:
    """Wall time in ms of each of ``n`` calls of ``fn()``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(1000 * (time.perf_counter() - t))
    return out


def time_process_api(demo: gr.Blocks) -> dict[str, list[float]]:
    """Wrap ``demo.process_api`` (Gradio's preprocess + callback + postprocess: the server time of
    one event, without HTTP or queue wait) and return ``{"/api_name": [seconds, ...]}``, filled as
    requests are served."""
    import time as _time
    from collections import defaultdict

    times: dict[str, list[float]] = defaultdict(list)
    orig = demo.process_api

    async def timed(block_fn, *a, **kw):  # noqa: ANN001, ANN202 - Gradio's signature
        t0 = _time.perf_counter()
        try:
            return await orig(block_fn, *a, **kw)
        finally:
            name = getattr(block_fn, "api_name", None) or str(block_fn)
            times[f"/{name}"].append(_time.perf_counter() - t0)

    demo.process_api = timed  # type: ignore[method-assign]
    return times


def free_port() -> int:
    """A TCP port that is free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served_app(demo: gr.Blocks | None = None, **launch: Any) -> Iterator[tuple[gr.Blocks, str]]:
    """Serve the app in-process on a free loopback port; yield ``(demo, url)``; always close it.

    ``demo`` defaults to ``app.build_demo()``; pass another ``Blocks`` to serve one tab, or the
    app with a wrapped ``process_api``. It is started with ``app.launch`` (as ``python app.py``
    starts it: ``app.launch_kwargs()`` updated by ``launch``, page responses cached), quietly.
    ``url`` is ``"http://127.0.0.1:<port>/"``.
    """
    import app as app_module

    if demo is None:
        demo = app_module.build_demo()
    port = free_port()
    app_module.launch(demo, server_name="127.0.0.1", server_port=port, quiet=True, **launch)
    try:
        yield demo, f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
