"""Benchmark ``/architecture_table`` (ResNet-50 at 224×224): core function and HTTP API.

Targets (issue 6): < 300 ms cold, < 50 ms cached. "Cold" = the first table for a (name, shape)
in a process whose imports are done (the model is built on the meta device inside the timing);
"new shape" = another shape for an already built model; "cached" = the same (name, shape) again.
Also checks that a 10⁶×10⁶ input is answered without allocating (tracemalloc peak, RSS).

    python bench/arch_bench.py            # core + API (starts the Architectures tab on a free port)
    python bench/arch_bench.py --no-api   # core only
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Timer, percentile, served_app  # noqa: E402


def _fmt(xs: list[float], cpu: list[float] | None = None) -> str:
    """Median and p95 of wall times (ms), with the median CPU time when given."""
    out = f"p50 {statistics.median(xs):7.2f} ms   p95 {percentile(xs, 0.95):7.2f} ms"
    if cpu:
        out += f"   (CPU time p50 {statistics.median(cpu):6.2f} ms)"
    return out + f"   (n={len(xs)})"


def bench_core() -> None:
    t0 = time.perf_counter()
    import torch

    torch.set_num_threads(2)
    from playground.arch.table import architecture_table
    import torchvision.models  # noqa: F401 - timed with the imports, not with the first table

    print(f"imports (torch, torchvision, playground.arch): {1000 * (time.perf_counter() - t0):.0f} ms")
    with Timer() as tm:
        tab = architecture_table("resnet50", "3x224x224")
    print(f"core cold   resnet50 3x224x224 (model built + traced): {tm.wall:.1f} ms (CPU {tm.cpu:.1f} ms)"
          f"  -> {tab.total_params:,} params, {tab.total_macs:,} MACs, {len(tab.rows)} rows")
    new, new_cpu = [], []
    for side in range(160, 160 + 8 * 16, 16):
        with Timer() as tm:
            architecture_table("resnet50", (3, side, side))
        new.append(tm.wall)
        new_cpu.append(tm.cpu)
    print(f"core new shape (model cached, 8 sizes):       {_fmt(new, new_cpu)}")
    cached = []
    for _ in range(200):
        with Timer() as tm:
            architecture_table("resnet50", "3x224x224")
        cached.append(tm.wall)
    print(f"core cached:                                  {_fmt(cached)}")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t = time.perf_counter()
    big = architecture_table("resnet50", "3x1000000x1000000")
    dt = 1000 * (time.perf_counter() - t)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"resnet50 at 3x10^6x10^6: {dt:.1f} ms, {big.total_macs:,} MACs, tracemalloc peak "
          f"{peak / 2**20:.2f} MiB, max RSS grew {(rss1 - rss0) / 1024:.1f} MiB")


def bench_api() -> None:
    import gradio as gr
    from gradio_client import Client

    from playground.arch import table, zoo
    from playground.ui.architectures import build_architectures

    zoo.meta_model.cache_clear()  # the API's "cold" call builds the model again
    table._table.cache_clear()
    table._table_json.cache_clear()

    with gr.Blocks() as demo:
        build_architectures()
    demo.queue(default_concurrency_limit=2)
    with served_app(demo) as (_, url):
        client = Client(url, verbose=False)
        client.predict("lenet5", "1x32x32", api_name="/architecture_table")  # connection warm-up
        with Timer() as tm:
            js = client.predict("resnet50", "3x224x224", api_name="/architecture_table")
        print(f"API cold    /architecture_table resnet50 3x224x224: {tm.wall:.1f} ms "
              f"(CPU {tm.cpu:.1f} ms, client + server) ({len(js['rows'])} rows)")

        def series(name: str, shapes: list[str]) -> tuple[list[float], list[float]]:
            wall, cpu = [], []
            for shp in shapes:
                with Timer() as tm:
                    client.predict(name, shp, api_name="/architecture_table")
                wall.append(tm.wall)
                cpu.append(tm.cpu)
            return wall, cpu

        print(f"API new shape (8 sizes):                      "
              f"{_fmt(*series('resnet50', [f'3x{s}x{s}' for s in range(288, 416, 16)]))}")
        print(f"API cached:                                   "
              f"{_fmt(*series('resnet50', ['3x224x224'] * 40))}")
        print(f"API cached lenet5 (12 rows: Gradio overhead): "
              f"{_fmt(*series('lenet5', ['1x32x32'] * 40))}")
        raw_http(url.rstrip("/"))


def raw_http(base: str) -> None:
    """The same cached call over Gradio's REST API with plain httpx (POST, then the SSE GET)."""
    import httpx

    wall, cpu = [], []
    with httpx.Client(timeout=30) as h:
        for _ in range(40):
            with Timer() as tm:
                ev = h.post(f"{base}/gradio_api/call/architecture_table",
                            json={"data": ["resnet50", "3x224x224"]}).json()["event_id"]
                body = h.get(f"{base}/gradio_api/call/architecture_table/{ev}").text
            if "event: complete" not in body:
                raise RuntimeError(body[:300])
            wall.append(tm.wall)
            cpu.append(tm.cpu)
    print(f"API cached via plain httpx (REST + SSE):      {_fmt(wall, cpu)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-api", action="store_true", help="skip the HTTP benchmark")
    ap.add_argument("--no-core", action="store_true", help="skip the in-process benchmark")
    args = ap.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (1 min)")
    if not args.no_core:
        bench_core()
    if not args.no_api:
        bench_api()


if __name__ == "__main__":
    main()
