"""The benchmarks' shared helpers (bench/_common.py): percentiles against numpy, the summary line,
timing, a free port, and the app served in-process."""

from __future__ import annotations

import math
import socket
import statistics
import time

import httpx
import numpy as np
import pytest

from bench._common import Timer, free_port, percentile, served_app, summary, time_ms


@pytest.mark.parametrize(("q", "expected"), [(0.0, 1), (0.25, 2), (0.5, 3), (0.6, 3), (0.95, 5), (1.0, 5)])
def test_percentile_nearest_known_list(q: float, expected: float) -> None:
    assert percentile([5, 1, 4, 2, 3], q) == expected  # unsorted input, index round(q * 4)


def test_percentile_nearest_rounds_half_to_even() -> None:
    assert percentile([10, 20, 30], 0.25) == 10  # position 0.5 -> index 0
    assert percentile([10, 20, 30], 0.75) == 30  # position 1.5 -> index 2


def test_percentile_linear_known_list() -> None:
    assert percentile([1, 2, 3, 4], 0.5, "linear") == 2.5
    assert percentile([0, 10], 0.95, "linear") == pytest.approx(9.5)
    assert percentile([1, 2, 3, 4], 0.5) == 3  # nearest: position 1.5 -> index 2


@pytest.mark.parametrize("n", [1, 2, 7, 40, 300])
@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 0.95, 0.99, 1.0])
def test_percentile_matches_numpy(n: int, q: float) -> None:
    xs = list(np.random.default_rng(n).exponential(10.0, n))
    assert percentile(xs, q) == np.percentile(xs, 100 * q, method="nearest")
    assert percentile(xs, q, "linear") == pytest.approx(np.percentile(xs, 100 * q))
    if q == 0.5:
        assert percentile(xs, q, "linear") == pytest.approx(statistics.median(xs))


def test_percentile_edges() -> None:
    assert math.isnan(percentile([], 0.95))
    assert percentile([7.5], 0.99) == 7.5
    with pytest.raises(ValueError, match="q must be in"):
        percentile([1.0], 95)
    with pytest.raises(ValueError, match="method must be"):
        percentile([1.0], 0.5, "median")  # type: ignore[arg-type]


def test_summary() -> None:
    assert summary([1.0, 2.0, 3.0, 4.0, 100.0]) == "p50 3.0 ms, p95 100.0 ms (n=5)"
    assert summary([0.0, 100.0], method="linear") == "p50 50.0 ms, p95 95.0 ms (n=2)"
    # 1..100: positions 49.5 (half to even: index 50), 94.05 and 98.01
    assert (summary([float(i) for i in range(1, 101)], (0.5, 0.95, 0.99), decimals=0)
            == "p50 51 ms, p95 95 ms, p99 99 ms (n=100)")


def test_time_ms_and_timer() -> None:
    calls = []
    ts = time_ms(lambda: calls.append(1), 5, warmup=2)
    assert len(calls) == 7 and len(ts) == 5 and all(t >= 0 for t in ts)
    with Timer() as tm:
        time.sleep(0.02)
    assert tm.wall >= 19.0
    assert 0.0 <= tm.cpu < tm.wall


def test_free_port_is_bindable_and_reexported() -> None:
    import bench.startup

    assert bench.startup.free_port is free_port
    with socket.socket() as s:
        s.bind(("127.0.0.1", free_port()))


def test_served_app_serves_the_root_page_and_closes() -> None:
    with served_app() as (demo, url):
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        r = httpx.get(url, timeout=30)
        assert r.status_code == 200
        assert "gradio" in r.text.lower()
        assert demo.is_running
    with pytest.raises(httpx.HTTPError):
        httpx.get(url, timeout=5)
