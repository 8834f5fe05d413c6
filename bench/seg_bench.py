"""Server latency of ``/segment`` on a 256x256 input (p50 / p95), plus the core call alone.

Run: ``python bench/seg_bench.py [--n 30]``. Serves the whole app in-process on a free port and
calls it through ``gradio_client``; prints the server time (``Blocks.process_api``: preprocess +
model + PNG encoding) and the client's round trip (upload, queue, SSE, downloads), then times
``playground.seg.view.segment`` directly, on the upload and on a held-out example (whose slice-
context model input reads the two neighbouring slices from the data directory). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import percentile, served_app, time_ms, time_process_api  # noqa: E402


def main() -> None:
    """Time /segment through the server and the core function."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=30, help="timed calls, both through the server and of the core")
    args = p.parse_args()
    import numpy as np
    import torch
    from gradio_client import Client, handle_file
    from PIL import Image

    from playground.seg import inference, view

    torch.set_num_threads(2)
    src = inference.examples("lgg")
    tmp = Path(tempfile.mkdtemp()) / "slice256.png"
    if src:
        Image.open(src[0]).resize((256, 256), Image.Resampling.BILINEAR).save(tmp)
    else:
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(tmp)
    import app as app_module

    demo = app_module.build_demo()
    srv = time_process_api(demo)
    with served_app(demo) as (_, url):
        client = Client(url, verbose=False)
        rt = time_ms(lambda: client.predict(handle_file(str(tmp)), "lgg", None, 0.45, api_name="/segment"),
                     args.n, warmup=1)
    server = [1000 * t for t in srv["/segment"][-args.n:]]
    core = time_ms(lambda: view.segment(str(tmp), "lgg", None, 0.45), args.n)
    print(f"/segment 256x256 LGG server, Blocks.process_api (n={args.n}): p50 {statistics.median(server):.0f} ms, "
          f"p95 {percentile(server, 0.95):.0f} ms")
    print(f"/segment 256x256 LGG round trip via gradio_client (n={args.n}): p50 {statistics.median(rt):.0f} ms, "
          f"p95 {percentile(rt, 0.95):.0f} ms")
    print(f"core view.segment 256x256 (n={args.n}): p50 {statistics.median(core):.0f} ms, "
          f"p95 {percentile(core, 0.95):.0f} ms")
    if src:
        ex = time_ms(lambda: view.segment(None, "lgg", src[0].name, 0.45), args.n)
        print(f"core view.segment, held-out example {src[0].name} with its neighbours (n={args.n}): "
              f"p50 {statistics.median(ex):.0f} ms, p95 {percentile(ex, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
