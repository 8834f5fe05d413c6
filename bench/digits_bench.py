"""Latency of /classify_digit: preprocessing, both models, and rendering every layer's activations.

    python bench/digits_bench.py [--n 100]

Prints p50/p95 (ms) of (1) the server-side callback called in-process (what the server computes
for one request: load + prepare + LeNet-5 with activations + MLP + all pictures), and (2) the full
round trip through gradio_client against an in-process server (adds HTTP, queue, PNG encoding and
file transfer of the 7 pictures).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.digits.strokes import digit_strokes, random_placement, render  # noqa: E402
from playground.ui import digits as ui  # noqa: E402


def pct(ts: list[float]) -> str:
    return f"p50 {np.percentile(ts, 50):.1f} ms, p95 {np.percentile(ts, 95):.1f} ms (n={len(ts)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    tmp = Path(tempfile.mkdtemp())
    files = []
    for i in range(20):
        place, brush = random_placement(rng)
        p = tmp / f"d{i}.png"
        render(digit_strokes(i % 10, place), brush=brush).save(p)
        files.append(str(p))
    ui.classify_digit(files[0])  # warm-up: lazy model loading
    ts = []
    for i in range(args.n):
        t = time.perf_counter()
        ui.classify_digit(files[i % len(files)])
        ts.append((time.perf_counter() - t) * 1000)
    print(f"/classify_digit callback in-process (server compute incl. activation rendering): {pct(ts)}")

    import app as app_module
    from gradio_client import Client, handle_file

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app_module.build_demo()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **app_module.launch_kwargs())
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict(handle_file(files[0]), api_name="/classify_digit")
        ts = []
        for i in range(max(10, args.n // 4)):
            t = time.perf_counter()
            client.predict(handle_file(files[i % len(files)]), api_name="/classify_digit")
            ts.append((time.perf_counter() - t) * 1000)
        print(f"/classify_digit via gradio_client round trip (HTTP + queue + 7 PNGs): {pct(ts)}")
    finally:
        demo.close()


if __name__ == "__main__":
    main()
