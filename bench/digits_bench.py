"""Latency of /classify_digit: preprocessing, both models, and rendering every layer's activations.

    python bench/digits_bench.py [--n 100]

Prints p50/p95 (ms) of (1) the server-side callback called in-process (what the server computes
for one request: load + prepare + LeNet-5 with activations + MLP + all pictures), and (2) the full
round trip through gradio_client against an in-process server (adds HTTP, queue, PNG encoding and
file transfer of the 7 pictures).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import served_app, summary, time_ms  # noqa: E402
from playground.digits.strokes import digit_strokes, random_placement, render  # noqa: E402
from playground.ui import digits as ui  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100,
                    help="timed in-process calls; the round trip makes max(10, n // 4)")
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
    local = itertools.cycle(files)
    ts = time_ms(lambda: ui.classify_digit(next(local)), args.n)
    print("/classify_digit callback in-process (server compute incl. activation rendering): "
          f"{summary(ts, method='linear')}")

    from gradio_client import Client, handle_file

    with served_app() as (_, url):
        client = Client(url, verbose=False)
        client.predict(handle_file(files[0]), api_name="/classify_digit")
        remote = itertools.cycle(files)
        ts = time_ms(lambda: client.predict(handle_file(next(remote)), api_name="/classify_digit"),
                     max(10, args.n // 4))
        print("/classify_digit via gradio_client round trip (HTTP + queue + 7 PNGs): "
              f"{summary(ts, method='linear')}")


if __name__ == "__main__":
    main()
