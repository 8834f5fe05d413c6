"""Latency of the CIFAR-10 tab: ``/classify_cifar`` (both models, flip averaging + Grad-CAM).

    python bench/cifar_bench.py [--n 40]

Serves the whole app in-process, calls ``/classify_cifar`` through ``gradio_client`` with a
320×240 JPEG (a CIFAR test image enlarged), and ``/analyze_cifar`` (both models' top-5, Grad-CAM
over the image, feature maps: the tab's event), and prints p50/p95 of the server time
(``Blocks.process_api``: preprocess + callback + postprocess) and of the client's round trip (upload,
queue, SSE); then times the core function (``service.classify_json``) and the full tab callback
(``analyze``) without HTTP.
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

from bench._common import percentile, served_app, time_ms, time_process_api  # noqa: E402


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

    import app as app_module

    demo = app_module.build_demo()
    server = time_process_api(demo)
    with served_app(demo) as (_, url):
        client = Client(url, verbose=False)
        rt = {}
        for api, extra in (("/classify_cifar", ("resize",)), ("/analyze_cifar", ("resize", "stage3"))):
            rt[api] = time_ms(lambda api=api, extra=extra: client.predict(handle_file(str(path)), *extra, api_name=api),
                              args.n, warmup=1)
            server[api] = server[api][-args.n:]  # drop the warm-up call
    print(f"torch threads {torch.get_num_threads()}, load average {open('/proc/loadavg').read().split()[:3]}")
    for api in rt:
        report(f"{api} server (Blocks.process_api)", [1000 * t for t in server[api]])
        report(f"{api} round trip (gradio_client)", rt[api])
    report("service.classify_json (core, no HTTP)", core)
    report("service.analyze (tab callback, renders)", full)


if __name__ == "__main__":
    main()
