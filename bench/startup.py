"""Cold start and footprint: ``python app.py`` → first successful request, against bare imports.

Usage::

    python bench/startup.py                 # 3 alternating rounds, then warm-up and footprint
    python bench/startup.py --rounds 5 --importtime

Each round times, one after the other (alternating, so that a busy machine penalises both alike):

* **bare**: ``python -c "import torch, gradio"`` from start to exit;
* **app**: ``python app.py`` in a subprocess on a free port (``GRADIO_SERVER_PORT``) from start to
  the first successful request: HTTP 200 on ``/`` *and* a cheap API call through
  ``gradio_client`` answered.

It prints the medians and the app's own overhead ``(app - bare) / bare`` (target < 30 %). Then it
warms the app up (one call to every non-streaming endpoint with its defaults, a sample image for
image parameters) and reports the resident memory (psutil RSS of the server process and its
children) and the size of ``assets/``. ``--importtime`` lists the slowest modules ``import app``
pulls in beyond torch and gradio (the place to look if the overhead is high).

The helpers ``start_app``, ``wait_http``, ``wait_ready``, ``stop_app`` and ``call_defaults`` are
shared with ``bench/load.py`` and ``tests/test_hosting.py``; ``free_port`` lives in
``bench/_common.py`` and is re-exported here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench._common import free_port  # noqa: E402 - tests/test_hosting.py imports it from here

IMAGE_COMPONENTS = {"Image", "ImageEditor", "Sketchpad", "Paint", "File"}


def is_image_component(name: str | None) -> bool:
    """Image-like parameters, including tabs' subclasses (``LenientImage``, ``LenientSketchpad``)."""
    return bool(name) and any(k in str(name) for k in ("Image", "Sketchpad", "Paint", "File"))


def start_app(port: int, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = (),
              log: Path | None = None) -> subprocess.Popen:
    """Start ``python app.py`` from the repository root with ``GRADIO_SERVER_PORT=port``."""
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), PYTHONUNBUFFERED="1")
    env.update(extra_env or {})
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "app.py", *args], cwd=REPO_ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_app(proc: subprocess.Popen) -> None:
    """Terminate the app (its own process only), then kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> float:
    """Poll ``url`` until HTTP 200; return the monotonic time it answered."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"app exited with code {proc.returncode} before answering")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic()
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def sample_image() -> Path:
    """A small RGB PNG for warm-up calls (in the temp dir)."""
    from PIL import Image

    p = Path(tempfile.gettempdir()) / "cnn-playground-bench-sample.png"
    if not p.exists():
        Image.radial_gradient("L").convert("RGB").resize((64, 64)).save(p)
    return p


def call_args(params: list[dict], image: Path | None = None) -> list[Any]:
    """Arguments for an endpoint from ``view_api`` parameters: defaults, examples, a sample image."""
    from gradio_client import handle_file

    args: list[Any] = []
    for p in params:
        comp = p.get("component")
        if is_image_component(comp):
            f = handle_file(str(image or sample_image()))
            args.append({"background": f, "layers": [], "composite": f}
                        if any(k in comp for k in ("Editor", "Sketchpad", "Paint")) else f)
        elif p.get("parameter_has_default"):
            args.append(p.get("parameter_default"))
        else:
            args.append(p.get("example_input"))
    return args


def cheap_endpoint(info: dict) -> str | None:
    """The endpoint used as the "first successful request": ``/health`` if present, else the first
    endpoint without file parameters (a Layer Lab calculator), else any endpoint."""
    eps = info.get("named_endpoints", {})
    if "/health" in eps:
        return "/health"
    for name, ep in eps.items():
        if not any(is_image_component(p.get("component")) for p in ep["parameters"]):
            if "train" not in name:
                return name
    return next(iter(eps), None)


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 180.0) -> float:
    """HTTP 200 on ``/`` and one cheap API call answered; return the monotonic time of success."""
    from gradio_client import Client

    wait_http(url, proc, timeout)
    client = Client(url, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    name = cheap_endpoint(info)
    if name is not None:
        try:
            client.predict(*call_args(info["named_endpoints"][name]["parameters"]), api_name=name)
        except Exception as exc:  # noqa: BLE001 - a gr.Error still proves the server answers
            from gradio_client.exceptions import AppError

            if not isinstance(exc, AppError):
                raise
    return time.monotonic()


def call_defaults(url: str, skip_streaming: bool = True) -> dict[str, str]:
    """Call every endpoint once with defaults; return ``{api_name: "ok" | error text}``."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    out: dict[str, str] = {}
    for name, ep in info["named_endpoints"].items():
        if skip_streaming and "train" in name:
            continue
        try:
            client.predict(*call_args(ep["parameters"]), api_name=name)
            out[name] = "ok"
        except Exception as exc:  # noqa: BLE001
            out[name] = f"{type(exc).__name__}: {str(exc)[:120]}"
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children, in MiB."""
    import psutil

    p = psutil.Process(pid)
    procs = [p, *p.children(recursive=True)]
    return sum(q.memory_info().rss for q in procs if q.is_running()) / 2**20


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.is_dir() else 0.0


def time_bare() -> float:
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", "import torch, gradio"], check=True, cwd=REPO_ROOT)
    return time.monotonic() - t0


def time_app() -> float:
    port = free_port()
    t0 = time.monotonic()
    proc = start_app(port)
    try:
        return wait_ready(f"http://127.0.0.1:{port}/", proc) - t0
    finally:
        stop_app(proc)


def import_profile(top: int = 15) -> tuple[float, list[tuple[float, str]]]:
    """``import app`` after ``import torch, gradio``: its total seconds and the slowest modules.

    Parsed from ``python -X importtime``: every module listed after gradio's import finished was
    pulled in by app.py (cumulative seconds, nested modules included in their parents).
    """
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", "import torch, gradio, app"],
                         cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    rows: list[tuple[float, str]] = []
    after_gradio, total = False, 0.0
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = line[len("import time:"):].split("|")
        if not cum.strip().isdigit():
            continue
        if name.strip() == "gradio" and not name.startswith("  "):
            after_gradio = True
            continue
        if after_gradio:
            if name.strip() == "app":
                total = int(cum) / 1e6
            else:
                rows.append((int(cum) / 1e6, name.rstrip()))
    rows.sort(reverse=True)
    return total, rows[:top]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="alternating bare/app rounds (default 3)")
    ap.add_argument("--importtime", action="store_true", help="list the slowest imports of app.py")
    args = ap.parse_args(argv)

    bare, appt = [], []
    for r in range(args.rounds):
        bare.append(time_bare())
        appt.append(time_app())
        print(f"round {r + 1}: bare import {bare[-1]:.2f} s, app to first request {appt[-1]:.2f} s",
              flush=True)
    mb, ma = statistics.median(bare), statistics.median(appt)
    print(f"\nmedian bare `import torch, gradio`: {mb:.2f} s")
    print(f"median `python app.py` → first successful request: {ma:.2f} s")
    print(f"app's own overhead: {(ma - mb) / mb * 100:+.0f} % (target < 30 %)")

    port = free_port()
    proc = start_app(port)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_ready(url, proc)
        rss_cold = rss_mb(proc.pid)
        t0 = time.monotonic()
        results = call_defaults(url)
        warm_s = time.monotonic() - t0
        rss_warm = rss_mb(proc.pid)
    finally:
        stop_app(proc)
    bad = {k: v for k, v in results.items() if v != "ok"}
    print(f"\nRSS after first request: {rss_cold:.0f} MiB; after warm-up ({len(results)} endpoints "
          f"called once, {warm_s:.1f} s): {rss_warm:.0f} MiB")
    if bad:
        print(f"warm-up calls that answered with an error: {bad}")
    print(f"assets/: {dir_size_mb(REPO_ROOT / 'assets'):.1f} MiB")
    if args.importtime:
        total, rows = import_profile()
        print(f"\n`import app` after torch and gradio: {total:.2f} s; slowest modules it pulls in:")
        for sec, mod in rows:
            print(f"  {sec:6.2f} s {mod}")


if __name__ == "__main__":
    main()
