"""Layer Lab latency: server-side p50/p95 of every Layer Lab endpoint, next to an empty endpoint.

Run ``python -m bench.latency [--n 40]``. The whole app is served in-process; each endpoint is
called through ``gradio_client`` and timed *inside the server* by wrapping ``Blocks.process_api``
(Gradio's preprocess + our callback + postprocess, e.g. PNG encoding; no network, queue or client
time). ``/ping`` is the empty endpoint measured in the same run, so its time is Gradio's own floor.
The callbacks are also timed as plain functions ("direct"). Targets on a 2-core CPU: ``/analyze``
of a 20-layer Sequential < 5 ms; feature maps of a 512×512 image with 8 kernels < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import percentile, served_app, time_ms, time_process_api  # noqa: E402

SEQ20 = ("nn.Sequential(" + ", ".join(
    ["nn.Conv2d(3, 32, 3, padding=1)", "nn.BatchNorm2d(32)", "nn.ReLU()"]
    + ["nn.Conv2d(32, 32, 3, padding=1)", "nn.ReLU()", "nn.MaxPool2d(2)"] * 4
    + ["nn.Flatten()", "nn.Linear(512, 128)", "nn.ReLU()", "nn.Dropout(0.5)", "nn.Linear(128, 10)"]) + ")")
"""A 20-layer Sequential on 1×3×64×64 (conv/BN/ReLU/pool blocks, then a classifier)."""


def _image_512() -> str:
    """A 512×512 RGB PNG (the built-in house sample scaled up) in a temp file."""
    from PIL import Image

    from playground.samples.make_samples import house

    path = Path(tempfile.mkdtemp()) / "house512.png"
    house(256).resize((512, 512), Image.Resampling.BICUBIC).save(path)
    return str(path)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40, help="timed calls per endpoint (after 3 warm-ups)")
    args = ap.parse_args(argv)

    import torch
    from gradio_client import Client, handle_file

    import app as app_module
    from playground.layerlab import callbacks as cb
    from playground.layerlab.controls import CONTROLS, LabSettings
    from playground.layerlab.volume import default_volume, filters_to_text, volume_to_text

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    img = _image_512()
    kernels = ["sobel x", "sobel y", "sharpen", "gaussian", "laplacian", "emboss", "outline", "box blur"]
    feat = ["upload / clipboard", None, "house", None, kernels, "", 0, 0, 3, 3, 1, 1, "1", 1, 1, "zeros",
            "relu", "none", "viridis"]
    controls = [getattr(LabSettings(), n) for n in CONTROLS]
    x, w, _ = default_volume()
    slide = [5, "Conv2d", "\n".join(" ".join(str((r + c) % 5) for c in range(8)) for r in range(8)), "", 0,
             3, 3, 1, 1, "1", 1, 1, "zeros", 0, 0, False, True, 0]
    vol = [5, volume_to_text(x), filters_to_text(w), "1, 0", 2, 1]
    cases: list[tuple[str, list[Any], Callable[..., Any]]] = [
        ("/ping", [], cb.ping),
        ("/analyze", [SEQ20, "1,3,64,64"], cb.analyze_json),
        ("/layer_summary", controls, cb.lab_summary),
        ("/layer_controls", ["MaxPool2d"], cb.layer_controls),
        ("/feature_maps", feat, cb.feature_view),
        ("/separable", ["upload / clipboard", None, "house", None, "sobel x", ""], cb.separable_view),
        ("/sliding_window", slide, cb.sliding_view),
        ("/volume", vol, cb.volume_step_view),
        ("/example_alexnet", [], lambda: cb.load_example("alexnet")),
    ]
    assert len(cb.analyze_json(SEQ20, "1,3,64,64")["layers"]) == 20

    demo = app_module.build_demo()
    times = time_process_api(demo)
    with served_app(demo) as (_, url):
        client = Client(url, verbose=False)
        rows = []
        for name, inputs, fn in cases:
            call_in = list(inputs)
            direct_in = list(inputs)
            if name in ("/feature_maps", "/separable"):
                call_in[1] = handle_file(img)
                direct_in[1] = img
            for _ in range(3):
                client.predict(*call_in, api_name=name)
            times[name].clear()
            for _ in range(args.n):
                client.predict(*call_in, api_name=name)
            direct = time_ms(partial(fn, *direct_in), args.n)
            srv = [1000.0 * t for t in times[name]]
            rows.append((name, percentile(srv, 0.5), percentile(srv, 0.95), percentile(direct, 0.5),
                         percentile(direct, 0.95), len(srv)))
    print(f"Layer Lab latency, {args.n} calls per endpoint, torch threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}")
    print(f"{'endpoint':<20}{'server p50':>12}{'server p95':>12}{'direct p50':>12}{'direct p95':>12}  (ms)")
    for name, a, b, c, d, n in rows:
        print(f"{name:<20}{a:>12.2f}{b:>12.2f}{c:>12.2f}{d:>12.2f}")
    print("server = Blocks.process_api (Gradio pre/postprocess + callback); direct = the callback alone.")
    print("/analyze: 20-layer Sequential on 1×3×64×64; /feature_maps: 512×512 upload, 8 kernels.")


if __name__ == "__main__":
    main()
