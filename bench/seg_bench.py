"""Server latency of ``/segment`` on a 256x256 input (p50 / p95), plus the core call alone.

Run: ``python bench/seg_bench.py [--n 30]``. Serves the whole app in-process on a free port and
calls it through ``gradio_client`` (upload + queue + model + PNG encoding), then times
``playground.seg.view.segment`` directly. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    """Time /segment through the server and the core function."""
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=30)
    args = p.parse_args()
    import numpy as np
    import torch
    from gradio_client import Client, handle_file
    from PIL import Image

    import app
    from playground.seg import inference, view

    torch.set_num_threads(2)
    src = inference.examples("lgg")
    tmp = Path(tempfile.mkdtemp()) / "slice256.png"
    if src:
        Image.open(src[0]).resize((256, 256), Image.Resampling.BILINEAR).save(tmp)
    else:
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(tmp)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = app.build_demo()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **app.launch_kwargs())
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        client.predict(handle_file(str(tmp)), "lgg", None, 0.45, api_name="/segment")  # warm-up
        server = []
        for _ in range(args.n):
            t = time.perf_counter()
            client.predict(handle_file(str(tmp)), "lgg", None, 0.45, api_name="/segment")
            server.append((time.perf_counter() - t) * 1000)
    finally:
        demo.close()
    core = []
    for _ in range(args.n):
        t = time.perf_counter()
        view.segment(str(tmp), "lgg", None, 0.45)
        core.append((time.perf_counter() - t) * 1000)
    print(f"/segment 256x256 LGG via gradio_client (n={args.n}): p50 {statistics.median(server):.0f} ms, "
          f"p95 {_pct(server, 0.95):.0f} ms")
    print(f"core view.segment 256x256 (n={args.n}): p50 {statistics.median(core):.0f} ms, "
          f"p95 {_pct(core, 0.95):.0f} ms")


if __name__ == "__main__":
    main()
