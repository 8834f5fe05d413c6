"""Latency of the arithmetic core: p50/p95 of ``analyze`` on a 20-layer Sequential (target < 5 ms).

Run: ``python bench/arith_bench.py`` (prints one line per measured call).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import percentile, time_ms  # noqa: E402
from playground.arith import Conv2d, analyze, explain_invalid, layer_report  # noqa: E402
# the 20-layer network whose layer count and shapes tests/test_arith_parse.py checks
from tests.test_arith_parse import TWENTY  # noqa: E402

BROKEN = TWENTY.replace("nn.Linear(256, 64)", "nn.Linear(400, 64)")


def measure(fn: Callable[[], object], n: int = 300) -> tuple[float, float]:
    """p50 and p95 (ms) of ``n`` calls after 20 warm-up calls."""
    times = time_ms(fn, n, warmup=20)
    return statistics.median(times), percentile(times, 0.95)


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
