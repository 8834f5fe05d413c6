"""A class of students at once: N concurrent gradio_client users against ``python app.py``.

Usage::

    python bench/load.py                       # 60 users for 60 s (defaults)
    python bench/load.py --users 60 --seconds 30
    python bench/load.py --url http://127.0.0.1:7860/   # an app that is already running

The app is started as a subprocess on a free port (``GRADIO_SERVER_PORT``) unless ``--url`` is
given. Each simulated user is a thread with its own ``gradio_client.Client`` (its own session) that
loops, with a short think time (0.5–2 s), over a realistic mix of the endpoints that exist (found
from the app's API info, so new tabs are picked up): Layer Lab changes, digit classification,
CIFAR classification with Grad-CAM, segmentation, architecture tables, and now and then a short
training. The run is bounded in time (``--seconds``) and in count (``--max-requests``).

Reported per endpoint: requests, throughput (req/s), p50 / p95 / p99 latency (queue wait
included: what a student waits) and errors; "starved" marks an endpoint that was tried but never
answered. Targets on the 2-core machine: zero errors, p95 < 1 s for interactive endpoints at 60
users, no endpoint starved.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import free_port, percentile  # noqa: E402
from bench.startup import call_args, rss_mb, sample_image, start_app, stop_app, wait_ready  # noqa: E402

# (substring of the api_name, weight): what students do most. Matched against existing endpoints.
MIX = [
    ("layer_summary", 10), ("layer_controls", 6), ("analyze", 6), ("sliding_window", 4), ("volume", 3),
    ("feature_maps", 4), ("classify_digit", 8), ("classify_cifar", 6), ("analyze_cifar", 3),
    ("segment", 5), ("architecture_table", 5), ("build_network", 3), ("course_table", 2),
    ("train", 1),
]
TRAIN_WORDS = ("train", "transfer")
SLOW_OK = ("train", "transfer", "compare")  # not "interactive" (long by design)


def pick_endpoints(info: dict) -> list[tuple[str, list[dict], int]]:
    """(api_name, parameters, weight) for every mix entry that matches an existing endpoint."""
    eps = info["named_endpoints"]
    chosen = []
    for key, weight in MIX:
        for name, ep in eps.items():
            bare = name.lstrip("/")
            if bare == key or (bare.startswith(key) and not bare.endswith(("_load", "_play", "_tick", "_stop"))):
                chosen.append((name, ep["parameters"], weight))
                break
    return chosen


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.err: dict[str, list[str]] = defaultdict(list)
        self.tried: dict[str, int] = defaultdict(int)
        self.count = 0

    def add(self, name: str, dt: float | None, error: str | None) -> None:
        with self.lock:
            self.count += 1
            if dt is not None:
                self.lat[name].append(dt)
            if error:
                self.err[name].append(error)


def user(url: str, eps: list[tuple[str, list[dict], int]], stats: Stats, stop: threading.Event,
         max_requests: int, seed: int, train_steps: int) -> None:
    from gradio_client import Client

    rng = random.Random(seed)
    try:
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
    except Exception as exc:  # noqa: BLE001
        stats.add("<connect>", None, f"{type(exc).__name__}: {exc}")
        return
    names = [e[0] for e in eps]
    weights = [e[2] for e in eps]
    params = {e[0]: e[1] for e in eps}
    img = sample_image()
    while not stop.is_set() and stats.count < max_requests:
        name = rng.choices(names, weights)[0]
        args = call_args(params[name], img)
        stats.tried[name] += 1
        t0 = time.perf_counter()
        try:
            if any(w in name for w in TRAIN_WORDS):
                job = client.submit(*args, api_name=name)
                time.sleep(min(train_steps, 5))  # watch a few updates, then leave (as students do)
                job.cancel()
            else:
                client.predict(*args, api_name=name)
            stats.add(name, time.perf_counter() - t0, None)
        except Exception as exc:  # noqa: BLE001 - every error counts
            stats.add(name, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc)[:120]}")
        stop.wait(rng.uniform(0.5, 2.0))  # think time


def cpu_seconds(server_pid: int | None) -> tuple[float, float]:
    """(CPU seconds of the server process and its children, CPU seconds of this process): on one
    machine the simulated students' clients compete with the server for the same cores."""
    import psutil

    def total(p: psutil.Process) -> float:
        t = p.cpu_times()
        return t.user + t.system

    srv = 0.0
    if server_pid is not None:
        p = psutil.Process(server_pid)
        srv = total(p) + sum(total(c) for c in p.children(recursive=True) if c.is_running())
    return srv, total(psutil.Process())


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--max-requests", type=int, default=20_000, help="stop after this many requests")
    ap.add_argument("--url", default=None, help="use a running app instead of starting one")
    ap.add_argument("--train-seconds", type=int, default=3, help="how long a user watches a training")
    args = ap.parse_args(argv)

    proc = None
    url = args.url
    if url is None:
        port = free_port()
        proc = start_app(port)
        url = f"http://127.0.0.1:{port}/"
    try:
        wait_ready(url, proc)
        from gradio_client import Client

        info = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
        eps = pick_endpoints(info)
        print(f"{args.users} users for {args.seconds:.0f} s over {len(eps)} endpoints: "
              f"{', '.join(e[0] for e in eps)}", flush=True)
        stats, stop = Stats(), threading.Event()
        threads = [threading.Thread(target=user, daemon=True,
                                    args=(url, eps, stats, stop, args.max_requests, i, args.train_seconds))
                   for i in range(args.users)]
        t0 = time.perf_counter()
        cpu0 = cpu_seconds(proc.pid if proc is not None else None)
        for i, th in enumerate(threads):
            th.start()
            time.sleep(min(0.05, 3.0 / max(1, args.users)))  # everyone clicks within ~3 s
        stop.wait(args.seconds)
        stop.set()
        for th in threads:
            th.join(timeout=60)
        wall = time.perf_counter() - t0
        rss = rss_mb(proc.pid) if proc is not None else float("nan")
        cpu1 = cpu_seconds(proc.pid if proc is not None else None)
    finally:
        if proc is not None:
            stop_app(proc)

    print(f"\n{stats.count} requests in {wall:.1f} s ({stats.count / wall:.1f} req/s); server RSS "
          f"{rss:.0f} MiB at the end")
    cores = os.cpu_count() or 1
    srv, me = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print(f"CPU over the run ({cores} cores = {cores * wall:.0f} core-s): server {srv:.0f} core-s "
          f"({100 * srv / (cores * wall):.0f} %), the simulated users' clients {me:.0f} core-s "
          f"({100 * me / (cores * wall):.0f} %); {1000 * srv / max(1, stats.count):.0f} ms of server CPU "
          f"per request")
    print(f"{'endpoint':34s} {'n':>5s} {'req/s':>6s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>6s}")
    worst_p95 = 0.0
    for name, _, _ in eps:
        lat = stats.lat.get(name, [])
        errs = stats.err.get(name, [])
        starved = stats.tried.get(name, 0) > 0 and not lat
        p95 = percentile(lat, 0.95)
        if lat and not any(w in name for w in SLOW_OK):
            worst_p95 = max(worst_p95, p95)
        print(f"{name:34s} {len(lat):5d} {len(lat) / wall:6.2f} {percentile(lat, 0.50) * 1e3:8.0f} "
              f"{p95 * 1e3:8.0f} {percentile(lat, 0.99) * 1e3:8.0f} {len(errs):6d}"
              + ("  STARVED" if starved else ""))
    conn = stats.err.get("<connect>", [])
    print(f"{'<connect> (Client() per user)':34s} {args.users - len(conn):5d} users connected, "
          f"{len(conn)} failed")
    all_err = [e for v in stats.err.values() for e in v]
    print(f"\nerrors: {len(all_err)}; worst p95 of interactive endpoints: {worst_p95 * 1e3:.0f} ms "
          f"(target < 1000 ms)")
    for e in sorted(set(all_err))[:10]:
        print("  ", e)
    if all(stats.lat.get(n) for n, _, _ in eps):
        print("no endpoint starved")
    med = statistics.median([x for v in stats.lat.values() for x in v]) if stats.count else float("nan")
    print(f"median latency over all requests: {med * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
