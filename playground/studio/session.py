"""One browser session of the training studio: its trainings, its stop flag, its results.

A ``StudioSession`` lives in a ``gr.State`` (one per browser tab), so two sessions never share
curves or weights. ``live_training`` is the generator behind the ``/train`` event: it validates
everything before training, refuses a second training in the same session, streams ``Update``s a
few times per second and finishes with the results. Nothing here imports Gradio.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from playground import activity, limits, validate
from playground.studio import datasets, plots, presets, results
from playground.studio.loop import Optim, Progress, TrainRun, TrainSettings, train

STREAM_EVERY_S = 0.4
"""Seconds between streamed updates (each also bounds how long Gradio waits to notice a closed tab)."""
ABANDON_S = 5.0
"""A training nobody has polled for this long (the tab was closed) stops itself."""
SLOT_WAIT_S = 3.0
"""How long a new training waits for one of the server's training slots (a cancelled training may
still be finishing its last step) before it is refused."""
_CLAIM = threading.Lock()
"""Makes "is this session idle? then it is mine" one step: two requests of one session (two tabs,
a script) must not both start a training."""
_TRAINING_SLOTS = threading.BoundedSemaphore(limits.MAX_CONCURRENT_TRAININGS)
"""Server-wide: at most ``MAX_CONCURRENT_TRAININGS`` training threads alive, all users together.
Held by the thread itself, so a training whose client disconnected counts until it has stopped
(Gradio's per-event ``concurrency_limit`` only counts the events still streaming)."""


@dataclass
class StudioSession:
    """Per-session state; Stop flips ``stop_requested``, which the loop checks before each step."""

    running: bool = False
    stop_requested: bool = False
    run: TrainRun | None = None
    title: str = ""
    results: results.Results | None = None
    transfer: dict[str, Any] = field(default_factory=dict)
    last_poll: float = 0.0
    cancelled: bool = False
    """The client went away mid-training: stop, and skip the final (expensive) evaluation."""

    def abandoned(self) -> bool:
        """True when nobody has listened to the running training for ``ABANDON_S`` (tab closed)."""
        return self.running and time.monotonic() - self.last_poll > ABANDON_S

    def request_stop(self) -> str:
        """Ask the running training to stop (idempotent; stopping twice is harmless)."""
        if not self.running:
            return "Nothing is training in this session."
        if self.stop_requested:
            return "Already stopping…"
        self.stop_requested = True
        return "Stopping: the weights learned so far are kept."


def new_session() -> StudioSession:
    """A fresh session object (``gr.State(new_session)`` calls it once per browser session)."""
    return StudioSession()


@dataclass(frozen=True)
class Update:
    """What one streamed update carries; the final one also carries the results."""

    progress: Progress
    points: int
    html: str
    loss_df: Any
    acc_df: Any
    final: dict[str, Any] | None = None


def parse_settings(optimizer: str, lr: float | str, batch_size: float | str, amount: float | str,
                   unit: str, augment: bool, seed: float | str = 0,
                   max_seconds: float | str | None = None) -> TrainSettings:
    """Turn raw UI values into ``TrainSettings`` (``ValueError`` with the broken constraint)."""
    unit = validate.choice(unit, ("steps", "epochs"), "train for")
    opt = Optim(validate.choice(optimizer, [o.value for o in Optim], "optimiser"))
    b = validate.integer(batch_size, "batch size")
    a = validate.number(amount, f"the number of {unit}")
    if a <= 0:
        raise ValueError(f"the number of {unit} must be > 0, got {a:g}")
    if unit == "steps" and a != int(a):
        raise ValueError(f"steps must be a whole number, got {a:g}")
    steps, epochs = (int(a), 0.0) if unit == "steps" else (0, a)
    secs = (limits.MAX_TRAIN_SECONDS if max_seconds is None or max_seconds == ""
            else validate.number(max_seconds, "time limit"))
    seed_i = validate.integer(0 if seed is None or seed == "" else seed, "seed", -(2**63), 2**63 - 1)
    return TrainSettings(optimizer=opt, lr=validate.number(lr, "learning rate"), batch_size=b,
                         steps=steps, epochs=epochs, augment=bool(augment), seed=seed_i,
                         max_seconds=secs)


def parse_transfer(task: Any, seconds: Any, batch_size: Any, lr: Any) -> tuple[str, float, int, float]:
    """(task, seconds, batch size, learning rate) of the transfer comparison, validated."""
    from playground.studio import transfer

    task = validate.choice(task, transfer.TASKS, "task")
    secs = validate.number(seconds, "training seconds")
    if not 0 < secs <= limits.TRANSFER_MAX_SECONDS:  # refused before any data is loaded
        raise ValueError(f"training seconds per model must be in (0, {limits.TRANSFER_MAX_SECONDS:g}], "
                         f"got {secs:g}")
    return task, secs, validate.integer(batch_size, "batch size"), validate.number(lr, "learning rate")


def parse_index(value: Any, name: str) -> int:
    """A whole-number index from the UI (empty → 0)."""
    return validate.integer(0 if value is None or value == "" else value, name, 0, 2**31)


def prepare(network: str, code: str, dataset: str, settings: TrainSettings,
            data_dir: str | None = None) -> tuple[torch.nn.Module, datasets.DataSplit, str]:
    """Load the data and build the network; everything that can be refused is refused here."""
    network = validate.choice(network, presets.NETWORK_CHOICES, "network")
    dataset = validate.choice(dataset, datasets.DATASET_CHOICES, "dataset")
    code = validate.text(code, "network code")
    data = datasets.load(dataset, data_dir)
    model = presets.build_network(network, data.shape, code, settings.seed)
    macs = presets.count_macs(model, data.shape)
    presets.check_budget(sum(p.numel() for p in model.parameters()), macs, settings.batch_size)
    return model, data, network


def describe(model: torch.nn.Module, data: datasets.DataSplit) -> str:
    """Markdown: parameters and MACs of the network on this data."""
    params = sum(p.numel() for p in model.parameters())
    macs = presets.count_macs(model, data.shape)
    return (f"**{params:,} parameters**, {macs:,} MACs per image · {data.describe()}\n\n"
            f"```python\n{presets.model_code(model)}\n```")


def progress_html(p: Progress, points: int) -> str:
    """A progress bar with step, elapsed time and ETA (and the status message when finished)."""
    frac = p.step / max(p.total_steps, 1)
    held = f" · held-out acc {100 * p.heldout_acc:.1f} %" if p.heldout_acc is not None else ""
    loss = f"{p.loss:.4f}" if math.isfinite(p.loss) else str(p.loss)
    colour = {"diverged": "#d62728", "stopped": "#ff7f0e", "time": "#ff7f0e"}.get(p.status, "#2a7ae2")
    msg = f"<div class='studio-msg'>{p.message}</div>" if p.message else ""
    return (f"<div id='studio-progress-box' data-step='{p.step}' data-points='{points}' "
            f"data-status='{p.status}'>"
            f"<div style='background:#e5e7eb;border-radius:4px;height:14px'>"
            f"<div style='width:{100 * frac:.1f}%;background:{colour};height:14px;border-radius:4px'>"
            f"</div></div><div>step {p.step} / {p.total_steps} · loss {loss}{held} · "
            f"{p.elapsed_s:.1f} s elapsed · ETA {p.eta_s:.0f} s · {p.status}</div>{msg}</div>")


def _update(run: TrainRun, p: Progress) -> Update:
    loss_df, acc_df = plots.curve_frames(run.points)
    return Update(p, len(run.points), progress_html(p, len(run.points)), loss_df, acc_df)


def _lower_priority() -> None:
    """Renice the calling OS thread (Linux: per thread) so inference requests win the CPU."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), limits.TRAIN_NICE)
    except (AttributeError, OSError):  # not Linux, or not permitted: run at normal priority
        pass


@contextmanager
def _claimed(sess: StudioSession) -> Iterator[None]:
    """Mark ``sess`` as training, or raise ``ValueError`` if it already is (atomic); give it back
    if the body (validation, loading) raises. On success the training thread releases it."""
    with _CLAIM:
        if sess.running:
            raise ValueError("a training is already running in this session: stop it first "
                             "(one training per session)")
        sess.running = True
    try:
        yield
    except BaseException:
        sess.running = False
        raise


def _in_background(sess: StudioSession, work: Callable[[], Iterator[Any]]) -> Iterator[Any]:
    """Run ``work()`` in a low-priority thread of its own; every ``STREAM_EVERY_S`` yield its
    latest item (or None), and finally its last item. Between two items the thread waits while
    interactive requests are in flight (:func:`activity.yield_to_interactive`). Each resume
    refreshes ``sess.last_poll``: if nobody resumes us for ``ABANDON_S`` (the tab was closed),
    ``sess.abandoned()`` turns true and the work stops itself."""
    box: dict[str, Any] = {"item": None, "error": None}
    if not _TRAINING_SLOTS.acquire(timeout=SLOT_WAIT_S):
        sess.running = False  # claimed by the caller; give the session back
        raise ValueError(f"the server is already running its maximum of "
                         f"{limits.MAX_CONCURRENT_TRAININGS} trainings (all users together); "
                         f"try again in a moment")
    sess.cancelled = False

    def worker() -> None:
        _lower_priority()
        torch.set_num_threads(limits.TRAIN_THREADS)
        try:
            last = time.monotonic()
            for item in work():
                box["item"] = item
                # let the students' requests have the GIL first (at least 1/(1+factor) duty)
                activity.yield_to_interactive(time.monotonic() - last)
                last = time.monotonic()
        except Exception as e:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = e
        finally:  # the session and the slot are free only once the thread has really stopped
            sess.running = False
            _TRAINING_SLOTS.release()

    sess.last_poll = time.monotonic()
    thread = threading.Thread(target=worker, name="studio-training", daemon=True)
    try:
        thread.start()
    except RuntimeError:  # no thread could be started: give the slot back
        sess.running = False
        _TRAINING_SLOTS.release()
        raise
    try:
        while thread.is_alive():
            thread.join(STREAM_EVERY_S)
            sess.last_poll = time.monotonic()
            if thread.is_alive():
                yield box["item"]
        if box["error"] is not None:
            raise box["error"]
        yield box["item"]
    finally:
        if thread.is_alive():  # the client disconnected (the generator was closed)
            sess.cancelled = sess.stop_requested = True


def live_training(sess: StudioSession, network: str, code: str, dataset: str, settings: TrainSettings,
                  data_dir: str | None = None, image_index: int = 0) -> Iterator[Update]:
    """Validate, train in a background thread (streaming ``Update``s every ``STREAM_EVERY_S``),
    then compute the results."""
    with _claimed(sess):
        model, data, title = prepare(network, code, dataset, settings, data_dir)
    sess.stop_requested, sess.results = False, None
    run = sess.run = TrainRun(model, data, settings)
    sess.title = title if network != presets.CUSTOM else "custom network"
    start = time.monotonic()

    def stop() -> bool:
        return (sess.stop_requested or sess.abandoned()
                or time.monotonic() - start > limits.MAX_TRAIN_SECONDS + 5)

    def work() -> Iterator[tuple[Progress, dict[str, Any] | None]]:
        p = None
        for p in train(run, stop):
            yield p, None
        if p is not None and not sess.cancelled:
            yield p, finish(sess, image_index)

    for item in _in_background(sess, work):
        if item is None:
            continue
        p, final = item
        u = _update(run, p)
        yield u if final is None else Update(p, u.points, u.html, u.loss_df, u.acc_df, final)


def finish(sess: StudioSession, image_index: int = 0) -> dict[str, Any]:
    """Results of the session's last run: test accuracy, figures, checkpoints and export files."""
    run = sess.run
    assert run is not None
    if run.status == "diverged":
        return {"summary": f"**Diverged.** {run.message}", "confusion": None, "predictions": None,
                "filters": plots.filters_image(None), "checkpoints": len(run.checkpoints),
                "checkpoint_view": None, "files": None}
    res = sess.results = results.test_results(run)
    per = ", ".join(f"{c}: {100 * a:.0f} %" for c, a in zip(run.data.classes, res.per_class_acc)
                    if not np.isnan(a))
    wpath, cpath = results.export(run, sess.title, test_acc=res.test_acc)
    summary = (f"**Test accuracy {100 * res.test_acc:.2f} %** on {res.n_test:,} test images "
               f"(loss {res.test_loss:.4f}) after {run.step} steps in {run.busy_seconds:.1f} s "
               f"({run.step / max(run.busy_seconds, 1e-9):.1f} steps/s; "
               f"{1000 * run.train_seconds / max(run.step, 1):.1f} ms per step without evaluation)"
               f" — {run.message}.\n\n"
               f"Per class: {per}")
    conv = results.first_conv(run.model)
    return {"summary": summary, "confusion": plots.confusion_image(res.confusion, run.data.classes),
            "predictions": plots.prediction_grid(run.data, res.preds),
            "filters": plots.filters_image(conv.weight if conv is not None else None),
            "checkpoints": len(run.checkpoints),
            "checkpoint_view": checkpoint_view(sess, len(run.checkpoints) - 1, image_index)[0],
            "files": [str(wpath), str(cpath)]}


def checkpoint_view(sess: StudioSession, index: Any, image_index: Any = 0) -> tuple[np.ndarray, str]:
    """Filters (top) and one test image's first-block feature maps (bottom) at checkpoint ``index``
    (raw UI values; ``ValueError`` for a non-integer or out-of-range index)."""
    run = sess.run
    if run is None or not run.checkpoints:
        raise ValueError("train a network first: there are no checkpoints in this session")
    n = len(run.data.x_test)
    image_index = parse_index(image_index, "test image #")
    if not image_index < n:
        raise ValueError(f"test image index must be in 0..{n - 1}, got {image_index}")
    index = parse_index(index, "checkpoint")
    if not index < len(run.checkpoints):
        raise ValueError(f"checkpoint must be in 0..{len(run.checkpoints) - 1}, got {index}")
    model = results.model_at(run, index)
    conv = results.first_conv(model)
    x = run.data.normalize(run.data.x_test[int(image_index): int(image_index) + 1])
    maps = results.first_block_maps(model, x)
    img = plots.stack(plots.stack(plots.tile([plots.to_display(run.data, run.data.x_test[int(image_index)])],
                                             1, side=64),
                                  plots.filters_image(conv.weight if conv is not None else None)),
                      plots.maps_image(maps))
    step = run.checkpoints[index][0]
    return img, (f"checkpoint {index + 1} / {len(run.checkpoints)} at step {step}: the test image, "
                 f"the first-layer filters, and its feature maps after the first conv block")


def live_transfer(sess: StudioSession, task: str, seconds: float, batch_size: int, lr: float,
                  data_dir: str | None = None) -> Iterator[tuple[str, Any, list, str | None]]:
    """Frozen backbone vs from scratch, streamed: (progress html, comparison frame, table rows,
    final note or None)."""
    from playground.studio import transfer

    with _claimed(sess):
        TrainSettings(lr=lr, batch_size=batch_size, steps=1)  # validates lr and batch size
        if batch_size > limits.TRANSFER_MAX_BATCH:
            raise ValueError(f"batch size must be at most {limits.TRANSFER_MAX_BATCH} here (a "
                             f"ResNet step must stay near a second), got {batch_size}")
        data = transfer.task_data(task, data_dir)
        backbone, cfg, note = transfer.load_backbone(pretrained=True)
    sess.stop_requested = False

    def work() -> Iterator[tuple[dict[str, TrainRun], list | None]]:
        runs: dict[str, TrainRun] = {}
        for runs, _, _ in transfer.compare(data, backbone, cfg, float(seconds), int(batch_size),
                                           float(lr), should_stop=lambda: sess.stop_requested
                                           or sess.abandoned()):
            yield runs, None
        if not sess.cancelled:
            yield runs, transfer.table(runs, with_test=True)

    for item in _in_background(sess, work):
        if item is None:
            continue
        runs, rows = item
        if rows is None:
            yield (_transfer_html(runs, seconds), _compare_df(runs),
                   _rows(transfer.table(runs)), None)
        else:
            sess.transfer = {"rows": rows, "note": note}
            yield (_transfer_html(runs, seconds), _compare_df(runs), _rows(rows),
                   f"{note}. Task: {data.describe()}. Test accuracy on {len(data.x_test)} "
                   f"test images.")


def _compare_df(runs: dict[str, TrainRun]) -> Any:
    return plots.compare_frame({k: r.points for k, r in runs.items()})


def _transfer_html(runs: dict[str, TrainRun], seconds: float) -> str:
    def status(r: TrainRun) -> str:
        return "time budget used" if r.train_seconds >= seconds else r.status

    parts = [f"{k}: step {r.step}, {r.train_seconds:.1f} / {seconds:g} s of training, {status(r)}"
             for k, r in runs.items()]
    return "<div id='studio-transfer-box'>" + "<br>".join(parts) + "</div>"


TRANSFER_COLUMNS = ["run", "trainable params", "frozen params", "steps", "s / step",
                    "held-out acc", "test acc"]


def _rows(rows: list) -> list[list[Any]]:
    def pct(v: float | None) -> str:
        return "–" if v is None else f"{100 * v:.1f} %"

    return [[r.run, f"{r.trainable:,}", f"{r.frozen:,}", r.steps, round(r.seconds_per_step, 3),
             pct(r.heldout_acc), pct(r.test_acc)] for r in rows]
