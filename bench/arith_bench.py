"""Latency of the arithmetic core: p50/p95 of ``analyze`` on a 20-layer Sequential (target < 5 ms).

Run: ``python bench/arith_bench.py`` (prints one line per measured call).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playground.arith import Conv2d, analyze, explain_invalid, layer_report  # noqa: E402

TWENTY = """nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.1),
    nn.Conv2d(64, 64, (3, 1), padding=(1, 0), groups=2), nn.GELU(), nn.AvgPool2d(2, ceil_mode=True),
    nn.Dropout(0.25), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
    nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 10), nn.Softmax(dim=1),
)"""
BROKEN = TWENTY.replace("nn.Linear(256, 64)", "nn.Linear(400, 64)")


def measure(fn, n: int = 300) -> tuple[float, float]:
    for _ in range(20):
        fn()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def _broken() -> None:
    try:
        analyze(BROKEN, "1,3,32,32")
    except ValueError:
        pass


def main() -> None:
    cases = {
        "analyze(20-layer Sequential, 1x3x32x32)": lambda: analyze(TWENTY, "1,3,32,32"),
        "analyze(20-layer Sequential, 1x3x100000x100000)": lambda: analyze(TWENTY, "1,3,100000,100000"),
        "analyze(20-layer, Linear mismatch pinned)": _broken,
        "layer_report(Conv2d(3, 96, 11, stride=4), 1x3x227x227)":
            lambda: layer_report(Conv2d(3, 96, 11, stride=4), (1, 3, 227, 227)),
        "explain_invalid(Conv2d k=5 on 4x4)":
            lambda: explain_invalid(dict(in_channels=1, out_channels=1, kernel_size=5), "Conv2d", "1,1,4,4"),
    }
    print(f"{'call':60s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for name, fn in cases.items():
        p50, p95 = measure(fn)
        print(f"{name:60s} {p50:8.3f} {p95:8.3f}")
    print("target: analyze on a 20-layer Sequential < 5 ms (p50)")


if __name__ == "__main__":
    main()
