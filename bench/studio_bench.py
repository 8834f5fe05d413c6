"""Training-studio benchmark, through the app's API (gradio_client), as a user would see it.

1. Training speed in the app: steps per second for LeNet-5 and SimpleCNN on MNIST (batch 128).
2. LeNet-5 on MNIST with a 60 s training time limit (Adam, lr 2e-3, batch 128): test accuracy.
3. Inference latency (p50 / p95) of /classify_digit and /analyze when idle and while 3 trainings
   are submitted (2 run, MAX_CONCURRENT_TRAININGS; 1 waits), and the p95 ratio (target < 2x).

Run it under the training lock (it trains):
    flock /tmp/cnn_train.lock python bench/studio_bench.py            # serves the app in-process
    python bench/studio_bench.py --url http://127.0.0.1:7860/ --skip-accuracy
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import percentile, served_app  # noqa: E402


def train_args(network: str, steps: int, seconds: float, seed: int = 0) -> tuple:
    return (network, "", "MNIST", "Adam", 2e-3, 128, "steps", steps, False, seed, 0, seconds)


def latency(client, n: int) -> dict[str, list[float]]:  # noqa: ANN001
    from gradio_client import handle_file

    digit = handle_file(str(ROOT / "playground" / "samples" / "shapes.png"))
    out: dict[str, list[float]] = {"/classify_digit": [], "/analyze": []}
    for _ in range(n):
        t = time.perf_counter()
        client.predict(digit, api_name="/classify_digit")
        out["/classify_digit"].append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        client.predict("nn.Sequential(nn.Conv2d(3, 96, kernel_size=11, stride=4), nn.ReLU())",
                       "1,3,227,227", api_name="/analyze")
        out["/analyze"].append(1000 * (time.perf_counter() - t))
    return out


def speed(url: str, network: str, steps: int) -> None:
    from gradio_client import Client

    c = Client(url, verbose=False)
    t = time.perf_counter()
    final = c.predict(*train_args(network, steps, 120), api_name="/train")
    wall = time.perf_counter() - t
    p = final[3]
    ms = re.search(r"([\d.]+) ms per step without evaluation", final[4])
    print(f"{network:10s} {p['step']} steps: {p['step'] / p['elapsed_s']:.1f} steps/s in the loop "
          f"(incl. held-out evaluation), {ms.group(1) if ms else '?'} ms per step without "
          f"evaluation; request wall {wall:.1f} s incl. results")


def accuracy(url: str) -> None:
    from gradio_client import Client

    c = Client(url, verbose=False)
    final = c.predict(*train_args("LeNet-5", 3000, 60), api_name="/train")
    acc = re.search(r"Test accuracy ([\d.]+) %", final[4])
    p = final[3]
    print(f"LeNet-5 MNIST, 60 s limit: {p['step']} steps in {p['elapsed_s']:.1f} s of training "
          f"({p['status']}): test accuracy {acc.group(1) if acc else '?'} % on 10,000 images")


def under_load(url: str, n: int) -> None:
    from gradio_client import Client

    probe = Client(url, verbose=False)
    latency(probe, 3)  # warm up (lazy model loads)
    idle = latency(probe, n)
    trainers = [Client(url, verbose=False) for _ in range(3)]
    jobs = [c.submit(*train_args("LeNet-5", 3000, 60, seed=i), api_name="/train")
            for i, c in enumerate(trainers)]
    t0 = time.monotonic()
    while sum(1 for j in jobs if j.outputs()) < 2 and time.monotonic() - t0 < 120:
        time.sleep(0.2)
    busy = latency(probe, n)
    running = sum(1 for j in jobs if j.outputs() and not j.done())
    for c in trainers:
        c.predict(api_name="/stop")
    for j in jobs:
        try:
            j.result(timeout=120)
        except Exception:  # noqa: BLE001 - the queued third one may be refused or stopped
            pass
    print(f"inference with {running} trainings running (3 submitted, "
          f"MAX_CONCURRENT_TRAININGS=2), {n} calls each:")
    for name in idle:
        i95, b95 = percentile(idle[name], 0.95), percentile(busy[name], 0.95)
        print(f"  {name:16s} idle p50 {statistics.median(idle[name]):7.1f} ms p95 {i95:7.1f} ms | "
              f"training p50 {statistics.median(busy[name]):7.1f} ms p95 {b95:7.1f} ms | "
              f"p95 ratio {b95 / i95:.2f}x ({'OK' if b95 < 2 * i95 else 'over 2x'})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", default=None, help="a running app; default: serve it in-process")
    ap.add_argument("--steps", type=int, default=300, help="steps for the speed runs")
    ap.add_argument("--n", type=int, default=30, help="inference calls per measurement")
    ap.add_argument("--skip-accuracy", action="store_true")
    args = ap.parse_args()
    if args.url is None:
        import torch

        torch.set_num_threads(2)
    with served_app() if args.url is None else nullcontext((None, args.url)) as (_, url):
        for net in ("LeNet-5", "SimpleCNN"):
            speed(url, net, args.steps)
        if not args.skip_accuracy:
            accuracy(url)
        under_load(url, args.n)


if __name__ == "__main__":
    main()
