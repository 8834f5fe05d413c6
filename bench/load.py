"""A class of students at once: N concurrent gradio_client users against ``python app.py``.

Usage::

    python bench/load.py                       # 60 users for 60 s (defaults)
    python bench/load.py --users 60 --seconds 30
    python bench/load.py --url http://127.0.0.1:7860/   # an app that is already running

The app is started as a subprocess on a free port (``GRADIO_SERVER_PORT``) unless ``--url`` is
given. Each simulated user is a thread with its own ``gradio_client.Client`` (its own session).
All users open the app at once (``Client()`` fetches ``/config`` and ``/gradio_api/info``); that
is timed and reported on its own ("page loads"). Then the clock starts: every user makes a first
click within 3 s and loops, with a think time (``--think``, default 0.5–2 s), over a realistic mix
of the endpoints that exist (found from the app's API info, so new tabs are picked up): Layer Lab
changes, digit classification, CIFAR classification with Grad-CAM, segmentation, architecture
tables, and now and then a short training. The run is bounded in time (``--seconds``) and in
count (``--max-requests``).

Connections (``--connections``): ``gradio_client`` sends each queue join, file upload and output-file
download through module-level ``httpx.post`` / ``httpx.stream``, so every one of them builds a new
``httpx.Client`` (an SSL context with the CA bundle: ~12-22 ms of CPU here, even for ``http://``)
and a new TCP connection, and it opens a new ``httpx.Client`` for the event stream of every
prediction. A page that returns 7 images costs the *client* 9 such setups. A browser
keeps its connections alive. ``pooled`` (the default) gives ``gradio_client`` the same requests
over one keep-alive ``httpx.Client`` shared by the simulated users; ``fresh`` keeps the library's
own behaviour. In ``pooled`` mode each user also fetches every output file (image, gallery item)
into memory, as a page does, instead of letting ``gradio_client`` write it to disk and hash it.
Either way the server receives the same HTTP requests.

Reported per endpoint: requests, throughput (req/s), p50 / p95 / p99 latency (queue wait
included: what a student waits) and errors; "starved" marks an endpoint that was tried but never
answered. The worst interactive p95 is also given for the requests started in each half of the
run (the first half holds the whole class's first click). Targets on the 2-core machine: zero errors, p95 < 1 s for interactive endpoints at 60
users, no endpoint starved.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

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


class PooledHttpx:
    """Stands in for the ``httpx`` module inside ``gradio_client``: its module-level ``get``,
    ``post`` and ``stream`` go through one shared keep-alive ``httpx.Client``; every other name is
    the real module's."""

    _PER_CLIENT = ("verify", "trust_env", "proxy", "mounts", "http1", "http2", "limits")

    def __init__(self, max_connections: int, transport=None) -> None:  # noqa: ANN001 - httpx.BaseTransport
        import httpx

        self._httpx = httpx
        self._client = httpx.Client(timeout=120, transport=transport, limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections))

    def _kw(self, kw: dict) -> dict:
        kw = {k: v for k, v in kw.items() if k not in self._PER_CLIENT}
        if not kw.get("cookies"):
            kw.pop("cookies", None)  # per-request cookies are deprecated in httpx; gradio sends none
        return kw

    def get(self, url: str, **kw):  # noqa: ANN003, ANN201 - httpx's signature
        return self._client.get(url, **self._kw(kw))

    def post(self, url: str, **kw):  # noqa: ANN003, ANN201
        return self._client.post(url, **self._kw(kw))

    def stream(self, method: str, url: str, **kw):  # noqa: ANN003, ANN201
        return self._client.stream(method, url, **self._kw(kw))

    def Client(self, *args: Any, **kw: Any) -> contextlib.nullcontext[PooledHttpx]:  # noqa: N802
        """Stands in for ``httpx.Client``: ``gradio_client`` opens ``with httpx.Client(...) as c:
        c.stream(...)`` for each event stream (one per prediction, as its stream closes when no
        event is pending). ``c`` is this shim, so the stream shares the pool and leaving the block
        keeps it open."""
        return contextlib.nullcontext(self)

    def __getattr__(self, name: str):  # noqa: ANN204 - httpx.Timeout, httpx.URL, exceptions...
        return getattr(self._httpx, name)

    def fetch(self, url: str) -> int:
        """GET ``url`` over the pool, as a browser loads an ``<img>``; return the byte count."""
        r = self._client.get(url)
        r.raise_for_status()
        return len(r.content)

    def close(self) -> None:
        self._client.close()


def file_urls(value: Any) -> list[str]:
    """The ``url`` of every Gradio ``FileData`` dict in a prediction (nested lists, tuples, dicts)."""
    if isinstance(value, dict):
        if value.get("meta", {}).get("_type") == "gradio.FileData" and isinstance(value.get("url"), str):
            return [value["url"]]
        return [u for v in value.values() for u in file_urls(v)]
    if isinstance(value, (list, tuple)):
        return [u for v in value for u in file_urls(v)]
    return []


def parse_think(text: str) -> tuple[float, float]:
    """``"0.5,2" -> (0.5, 2.0)``: a think-time range; ``ValueError`` unless 0 <= MIN <= MAX <= 600."""
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"think time wants MIN,MAX in seconds, got {text!r}")
    lo, hi = (float(x) for x in parts)
    if not 0 <= lo <= hi <= 600:
        raise ValueError(f"think time needs 0 <= MIN <= MAX <= 600, got {text!r}")
    return lo, hi


def parse_env(pairs: list[str]) -> dict[str, str]:
    """``["A=1", "B=x=y"] -> {"A": "1", "B": "x=y"}``; ``ValueError`` for an item without ``=``."""
    out = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--app-env wants KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def use_pooled_connections(max_connections: int) -> PooledHttpx:
    """Make ``gradio_client`` (its ``client`` and ``utils`` modules) use :class:`PooledHttpx`."""
    import gradio_client.client
    import gradio_client.utils

    shim = PooledHttpx(max_connections)
    gradio_client.client.httpx = shim  # type: ignore[assignment]
    gradio_client.utils.httpx = shim  # type: ignore[assignment]
    return shim


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lat: dict[str, list[float]] = defaultdict(list)
        self.started: dict[str, list[float]] = defaultdict(list)  # perf_counter at each request's start
        self.connected: list[float] = []  # perf_counter when each user's Client() was ready
        self.err: dict[str, list[str]] = defaultdict(list)
        self.tried: dict[str, int] = defaultdict(int)
        self.count = 0
        self.files = 0
        self.file_bytes = 0

    def add_file(self, n_bytes: int) -> None:
        with self.lock:
            self.files += 1
            self.file_bytes += n_bytes

    def add(self, name: str, dt: float | None, error: str | None, t0: float | None = None) -> None:
        with self.lock:
            self.count += 1
            if dt is not None:
                self.lat[name].append(dt)
                self.started[name].append(t0 if t0 is not None else time.perf_counter() - dt)
            if error:
                self.err[name].append(error)


def user(url: str, eps: list[tuple[str, list[dict], int]], stats: Stats, stop: threading.Event,
         max_requests: int, seed: int, train_steps: int, pool: PooledHttpx | None = None,
         think: tuple[float, float] = (0.5, 2.0), go: threading.Event | None = None) -> None:
    """One student: open the page (``Client()``), wait for ``go`` (everyone has the page open),
    make a first click within 3 s, then click after each think time until ``stop``."""
    from gradio_client import Client

    rng = random.Random(seed)
    try:
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 120},
                        **({"download_files": False} if pool is not None else {}))
    except Exception as exc:  # noqa: BLE001
        stats.add("<connect>", None, f"{type(exc).__name__}: {exc}")
        return
    finally:
        with stats.lock:
            stats.connected.append(time.perf_counter())
    if go is not None:
        go.wait()
    stop.wait(rng.uniform(0.0, 3.0))  # everyone clicks within ~3 s
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
            out = call_once(client, name, args, watch_s=min(train_steps, 5))
            for u in file_urls(out) if pool is not None else ():
                stats.add_file(pool.fetch(u))
            stats.add(name, time.perf_counter() - t0, None, t0)
        except Exception as exc:  # noqa: BLE001 - every error counts
            stats.add(name, time.perf_counter() - t0, f"{type(exc).__name__}: {str(exc)[:120]}", t0)
        stop.wait(rng.uniform(*think))  # think time


def call_once(client, name: str, args: list[Any], watch_s: float) -> Any:  # noqa: ANN001
    """One student action: a prediction (its result), or a training watched for ``watch_s``
    seconds and then left (None), as students do."""
    if any(w in name for w in TRAIN_WORDS):
        job = client.submit(*args, api_name=name)
        time.sleep(watch_s)
        job.cancel()
        return None
    return client.predict(*args, api_name=name)


def warm_up(client, eps: list[tuple[str, list[dict], int]]) -> float:  # noqa: ANN001
    """Call each endpoint once (a training: start it and cancel it); return the seconds taken."""
    t0 = time.perf_counter()
    img = sample_image()
    for name, params, _ in eps:
        try:
            call_once(client, name, call_args(params, img), watch_s=1.0)
        except Exception as exc:  # noqa: BLE001 - reported; the run itself counts errors
            print(f"warm-up {name}: {type(exc).__name__}: {str(exc)[:120]}", flush=True)
    return time.perf_counter() - t0


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
    ap.add_argument("--no-warmup", action="store_true",
                    help="skip the one call per endpoint before the clock starts (then the first users "
                         "also pay the lazy model loading)")
    ap.add_argument("--connections", choices=("pooled", "fresh"), default="pooled",
                    help="pooled: gradio_client's requests over shared keep-alive connections, as "
                         "browsers do (default); fresh: a new httpx.Client per request (the library's own)")
    ap.add_argument("--think", type=parse_think, default=(0.5, 2.0), metavar="MIN,MAX",
                    help="seconds a user waits between two actions, uniform in [MIN, MAX] (default 0.5,2)")
    ap.add_argument("--skip", action="append", default=[], metavar="NAME",
                    help="leave the endpoints whose name contains NAME out of the mix (repeatable), "
                         "e.g. --skip train to see what the trainings cost the others")
    ap.add_argument("--app-env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment variable for the started app (repeatable)")
    args = ap.parse_args(argv)
    try:
        app_env = parse_env(args.app_env)
    except ValueError as exc:
        ap.error(str(exc))
    pool = use_pooled_connections(max_connections=max(10, 4 * args.users)) if args.connections == "pooled" else None

    proc = None
    url = args.url
    if url is None:
        port = free_port()
        proc = start_app(port, extra_env=app_env)
        url = f"http://127.0.0.1:{port}/"
    try:
        wait_ready(url, proc)
        from gradio_client import Client

        warm_client = Client(url, verbose=False)
        info = warm_client.view_api(return_format="dict", print_info=False)
        eps = [e for e in pick_endpoints(info) if not any(k in e[0] for k in args.skip)]
        if not args.no_warmup:
            print(f"warm-up: one call per endpoint in {warm_up(warm_client, eps):.1f} s (models load lazily; "
                  f"not counted below)", flush=True)
        print(f"{args.users} users for {args.seconds:.0f} s ({args.connections} connections, think "
              f"{args.think[0]:g}-{args.think[1]:g} s) over {len(eps)} endpoints: "
              f"{', '.join(e[0] for e in eps)}", flush=True)
        stats, stop = Stats(), threading.Event()
        go = threading.Event()
        threads = [threading.Thread(target=user, daemon=True,
                                    args=(url, eps, stats, stop, args.max_requests, i, args.train_seconds, pool,
                                          args.think, go))
                   for i in range(args.users)]
        c0, ccpu0 = time.perf_counter(), cpu_seconds(proc.pid if proc is not None else None)
        for th in threads:  # the whole class opens the page at once
            th.start()
        while len(stats.connected) < args.users and time.perf_counter() - c0 < 120:
            time.sleep(0.05)
        ccpu1 = cpu_seconds(proc.pid if proc is not None else None)
        print(f"page loads: {len(stats.connected)} users opened the app (gradio_client.Client()) at once in "
              f"{time.perf_counter() - c0:.1f} s; server CPU {ccpu1[0] - ccpu0[0]:.1f} core-s, the clients' "
              f"{ccpu1[1] - ccpu0[1]:.1f} core-s (not counted below)", flush=True)
        t0 = time.perf_counter()
        cpu0 = cpu_seconds(proc.pid if proc is not None else None)
        go.set()
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
    if pool is not None:
        print(f"output files fetched by the users: {stats.files} ({stats.file_bytes / 2**20:.1f} MiB)")
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
    for label, lo, hi in (("first half", t0, t0 + args.seconds / 2), ("second half", t0 + args.seconds / 2, float("inf"))):
        print(f"requests started in the {label} of the run: worst interactive p95 "
              f"{1e3 * window_p95(stats, eps, lo, hi):.0f} ms")


def window_p95(stats: Stats, eps: list[tuple[str, list[dict], int]], after: float, before: float) -> float:
    """Worst p95 over the interactive endpoints, counting only requests started in [after, before)."""
    worst = 0.0
    for name, _, _ in eps:
        lat = [d for d, t in zip(stats.lat.get(name, []), stats.started.get(name, [])) if after <= t < before]
        if lat and not any(w in name for w in SLOW_OK):
            worst = max(worst, percentile(lat, 0.95))
    return worst


if __name__ == "__main__":
    main()
