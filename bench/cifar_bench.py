"""Latency of the CIFAR-10 tab: ``/classify_cifar`` (both models, flip averaging + Grad-CAM).

    python bench/cifar_bench.py [--n 40]

Serves the whole app in-process, calls ``/classify_cifar`` through ``gradio_client`` with a
320×240 JPEG (a CIFAR test image enlarged), and prints server round-trip p50/p95; then times the
core function (``service.classify_json``) and the full tab callback (``analyze``: also renders
overlays and feature maps) without HTTP.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import percentile, served_app, time_ms  # noqa: E402


def report(name: str, ms: list[float]) -> None:
    print(f"{name:<44} n={len(ms):3d}  p50 {percentile(ms, 0.5):7.1f} ms  p95 {percentile(ms, 0.95):7.1f} ms  "
          f"mean {statistics.mean(ms):7.1f} ms")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=40)
    args = p.parse_args()
    torch.set_num_threads(2)
    from gradio_client import Client, handle_file

    from playground.cifar import data, service

    x, _ = data.load_split("test")
    img = Image.fromarray(np.array(x[0])).resize((320, 240), Image.Resampling.BICUBIC)
    path = Path(tempfile.mkdtemp()) / "bench.jpg"
    img.save(path, quality=90)

    # one untimed call first: loads both models (lazy cache)
    core = time_ms(lambda: service.classify_json(str(path)), args.n, warmup=1)
    full = time_ms(lambda: service.analyze(str(path), "resize", "stage3"), max(5, args.n // 4))

    with served_app() as (_, url):
        client = Client(url, verbose=False)
        server = time_ms(lambda: client.predict(handle_file(str(path)), "resize", api_name="/classify_cifar"),
                         args.n, warmup=1)
    print(f"torch threads {torch.get_num_threads()}, load average {open('/proc/loadavg').read().split()[:3]}")
    report("/classify_cifar via gradio_client (server)", server)
    report("service.classify_json (core, no HTTP)", core)
    report("service.analyze (tab callback, renders)", full)


if __name__ == "__main__":
    main()
