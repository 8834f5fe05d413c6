"""The training loop: a pure generator that yields progress after every optimiser step.

One step (PyTorch's recipe):
    logits = model(x);  loss = CrossEntropy(logits, y) = mean_i(-log softmax(logits_i)[y_i])
    optimizer.zero_grad(); loss.backward(); optimizer.step()
SGD:           w ← w - lr · g
SGD+momentum:  v ← 0.9 · v + g;  w ← w - lr · v
Adam:          m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  w ← w - lr · m̂ / (√v̂ + ε)

The caller owns a ``TrainRun`` that the loop fills in place (history, checkpoints taken at the
curve points, at most ``settings.checkpoints`` of them, status), and a
``should_stop()`` callable checked before every step, so a Stop is honoured within one step.
Steps and wall time are capped by ``playground.limits``; a non-finite or exploding loss stops the
run with status ``"diverged"`` and a message.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import torch
from torch import nn

from playground import limits
from playground.studio.datasets import DataSplit


class Optim(str, Enum):
    """The optimisers the studio offers."""

    SGD = "SGD"
    MOMENTUM = "SGD + momentum"
    ADAM = "Adam"


EVAL_MIN_S = 0.5
"""Least training time between two held-out points when ``eval_every`` is 0 (automatic)."""
DIVERGENCE_FACTOR = 20.0
"""A loss above this many times max(first loss, ln classes) counts as diverged."""


@dataclass(frozen=True)
class TrainSettings:
    """Validated training settings (``ValueError`` names the broken constraint)."""

    optimizer: Optim = Optim.ADAM
    lr: float = 2e-3
    batch_size: int = 128
    steps: int = 0
    epochs: float = 0.0
    augment: bool = False
    seed: int = 0
    max_seconds: float = limits.MAX_TRAIN_SECONDS
    eval_every: int = 0
    checkpoints: int = limits.MAX_CHECKPOINTS

    def __post_init__(self) -> None:
        object.__setattr__(self, "optimizer", Optim(self.optimizer))
        lr = float(self.lr)
        if not math.isfinite(lr):
            raise ValueError(f"learning rate must be a finite number, got {self.lr}")
        if lr <= 0:
            raise ValueError(f"learning rate must be > 0, got {self.lr} (try 1e-3 for Adam, "
                             f"0.05 for SGD)")
        if self.batch_size != int(self.batch_size) or not 1 <= self.batch_size <= limits.MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be an integer in 1..{limits.MAX_BATCH_SIZE}, "
                             f"got {self.batch_size}")
        if (self.steps or 0) < 0 or (self.epochs or 0) < 0 or not math.isfinite(self.epochs or 0):
            raise ValueError(f"steps and epochs must be >= 0, got {self.steps} and {self.epochs}")
        if not self.steps and not self.epochs:
            raise ValueError("give a number of steps or of epochs (> 0)")
        if not 0 < self.max_seconds <= limits.MAX_TRAIN_SECONDS:
            raise ValueError(f"time limit must be in (0, {limits.MAX_TRAIN_SECONDS:g}] s, "
                             f"got {self.max_seconds}")

    def total_steps(self, n_train: int) -> int:
        """Steps requested (epochs × ceil(n / batch) when given in epochs), capped by the limit."""
        if self.steps:
            want = int(self.steps)
        else:
            want = math.ceil(float(self.epochs) * math.ceil(n_train / self.batch_size))
        return max(1, min(want, limits.MAX_TRAIN_STEPS))


@dataclass
class Point:
    """One point of the curves: means over the steps since the previous point."""

    step: int
    loss: float
    train_acc: float
    heldout_acc: float | None
    heldout_loss: float | None
    seconds: float


@dataclass
class TrainRun:
    """What one training produced; filled in place by ``train``."""

    model: nn.Module
    data: DataSplit
    settings: TrainSettings
    total_steps: int = 0
    step: int = 0
    status: str = "pending"        # running | done | stopped | time | diverged
    message: str = ""
    points: list[Point] = field(default_factory=list)
    checkpoints: list[tuple[int, dict[str, torch.Tensor]]] = field(default_factory=list)
    train_seconds: float = 0.0     # forward + backward + update only
    busy_seconds: float = 0.0      # everything the loop did (steps, evaluation, checkpoints)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "time", "diverged")


@dataclass(frozen=True)
class Progress:
    """What the loop yields after each step (JSON-ready via ``to_json``)."""

    step: int
    total_steps: int
    loss: float
    train_acc: float
    heldout_acc: float | None
    elapsed_s: float
    eta_s: float
    status: str
    message: str = ""

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        for k in ("loss", "train_acc", "heldout_acc", "elapsed_s", "eta_s"):
            if isinstance(d[k], float):
                d[k] = round(d[k], 5) if math.isfinite(d[k]) else str(d[k])
        return d


def make_optimizer(kind: Optim, params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """SGD, SGD with momentum 0.9, or Adam (default betas) over ``params``."""
    if kind == Optim.SGD:
        return torch.optim.SGD(params, lr=lr)
    if kind == Optim.MOMENTUM:
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def augment_batch(x: torch.Tensor, pad: int, flip: bool, g: torch.Generator) -> torch.Tensor:
    """RandomCrop(size, padding=pad) (zero fill) and, if ``flip``, RandomHorizontalFlip, per image.

    Vectorised: pad to (H+2p, W+2p), gather each image's window at a random offset in [0, 2p].
    """
    n, _, h, w = x.shape
    if pad > 0:
        xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
        oy = torch.randint(0, 2 * pad + 1, (n, 1), generator=g) + torch.arange(h)  # (N, H)
        ox = torch.randint(0, 2 * pad + 1, (n, 1), generator=g) + torch.arange(w)  # (N, W)
        x = xp[torch.arange(n)[:, None, None], :, oy[:, :, None], ox[:, None, :]]  # (N, H, W, C)
        x = x.permute(0, 3, 1, 2)
    if flip:
        m = torch.rand(n, generator=g) < 0.5
        x = torch.where(m[:, None, None, None], x.flip(3), x)
    return x.contiguous()


@torch.no_grad()
def evaluate(model: nn.Module, data: DataSplit, x: torch.Tensor, y: torch.Tensor,
             batch: int = 500) -> tuple[float, float, torch.Tensor]:
    """(accuracy, mean loss, predictions) of ``model`` on uint8 ``x`` with labels ``y``."""
    was = model.training
    model.eval()
    preds, loss = [], 0.0
    for i in range(0, len(x), batch):
        logits = model(data.normalize(x[i:i + batch]))
        loss += float(nn.functional.cross_entropy(logits, y[i:i + batch], reduction="sum"))
        preds.append(logits.argmax(1))
    model.train(was)
    p = torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)
    n = max(len(y), 1)
    return float((p == y).float().sum()) / n, loss / n, p


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class _Threads:
    """Use ``limits.TRAIN_THREADS`` torch threads while working, restore before yielding
    (torch's OpenMP thread count is per OS thread, and Gradio reuses worker threads)."""

    def __enter__(self) -> None:
        self.prev = torch.get_num_threads()
        torch.set_num_threads(limits.TRAIN_THREADS)

    def __exit__(self, *exc: object) -> None:
        torch.set_num_threads(self.prev)


def train(run: TrainRun, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Progress]:
    """Train ``run.model`` on ``run.data.x_train`` with ``run.settings``; yield after each step.

    Ends (last yield has ``status`` in done/stopped/time/diverged) when the steps are done,
    ``should_stop()`` is true, the time cap is reached, or the loss diverges.
    """
    s, data, model = run.settings, run.data, run.model
    n = len(data.x_train)
    total = run.total_steps = s.total_steps(n)
    # held-out points: every ``eval_every`` steps if given, else whenever the training time since
    # the last point reaches max(EVAL_MIN_S, 9 × the last evaluation's cost): about 10 % overhead
    eval_every, since_eval, eval_cost = s.eval_every, 0.0, 0.0
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the network has no trainable parameters")
    opt = make_optimizer(s.optimizer, params, float(s.lr))
    g = torch.Generator().manual_seed(s.seed)
    x_he, y_he = data.x_held[: limits.HELDOUT_EVAL_IMAGES], data.y_held[: limits.HELDOUT_EVAL_IMAGES]
    perm, pos = torch.randperm(n, generator=g), 0
    first_loss, acc_l, acc_a, acc_n = None, 0.0, 0.0, 0
    run.status, run.checkpoints = "running", [(0, _snapshot(model))]
    size = sum(v.numel() * v.element_size() for v in run.checkpoints[0][1].values())
    keep = max(2, min(s.checkpoints, limits.MAX_CHECKPOINT_BYTES // max(size, 1)))
    model.train()
    while True:
        with _Threads():
            t0 = time.perf_counter()
            status = ""
            if should_stop():
                status, run.message = "stopped", f"stopped by the user at step {run.step}"
            elif run.step >= total:
                status, run.message = "done", f"finished {total} steps"
            elif run.busy_seconds >= s.max_seconds:
                status, run.message = "time", (f"time limit of {s.max_seconds:g} s reached at "
                                               f"step {run.step} of {total}")
            if status:
                if run.step and (not run.points or run.points[-1].step != run.step):
                    _record(run, data, x_he, y_he, acc_l, acc_a, acc_n)
                if run.step and run.checkpoints[-1][0] != run.step:
                    _checkpoint(run, keep)
                run.status = status
                run.busy_seconds += time.perf_counter() - t0
                yield _progress(run, status)
                return
            if pos + s.batch_size > n:
                perm, pos = torch.randperm(n, generator=g), 0
            idx = perm[pos: pos + s.batch_size]
            pos += s.batch_size
            xb = data.x_train[idx]
            if s.augment:
                xb = augment_batch(xb, data.pad, data.flip, g)
            xb, yb = data.normalize(xb), data.y_train[idx]
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            lv = float(loss.detach())
            run.step += 1
            run.train_seconds += time.perf_counter() - t0
            if first_loss is None:
                first_loss = lv
            limit = DIVERGENCE_FACTOR * max(first_loss, math.log(max(len(data.classes), 2)))
            if not math.isfinite(lv) or lv > limit:
                run.status = "diverged"
                run.message = (f"training diverged at step {run.step}: the loss became {lv:.4g} "
                               f"(learning rate {s.lr:g} is too high for {s.optimizer.value}; try "
                               f"{'1e-3' if s.optimizer == Optim.ADAM else '0.01'})")
                run.points.append(Point(run.step, lv, float("nan"), None, None, run.busy_seconds))
                run.busy_seconds += time.perf_counter() - t0
                yield _progress(run, "diverged")
                return
            acc_l += lv
            acc_a += float((logits.argmax(1) == yb).float().mean())
            acc_n += 1
            since_eval += time.perf_counter() - t0
            due = (run.step % eval_every == 0) if eval_every else (
                since_eval >= max(EVAL_MIN_S, 9 * eval_cost))
            if due or run.step == total:
                t1 = time.perf_counter()
                _record(run, data, x_he, y_he, acc_l, acc_a, acc_n)
                acc_l, acc_a, acc_n, since_eval = 0.0, 0.0, 0, 0.0
                _checkpoint(run, keep)
                eval_cost = time.perf_counter() - t1
            run.busy_seconds += time.perf_counter() - t0
        yield _progress(run, "running", lv, float((logits.argmax(1) == yb).float().mean()))


def _checkpoint(run: TrainRun, keep: int) -> None:
    """Snapshot the weights at a curve point; past ``keep`` snapshots, drop the inner one whose
    neighbours are closest (the first and the newest stay), so they stay spread over the run."""
    run.checkpoints.append((run.step, _snapshot(run.model)))
    ck = run.checkpoints
    if len(ck) > max(keep, 2):
        i = min(range(1, len(ck) - 1), key=lambda j: ck[j + 1][0] - ck[j - 1][0])
        del ck[i]


def _record(run: TrainRun, data: DataSplit, x_he: torch.Tensor, y_he: torch.Tensor,
            acc_l: float, acc_a: float, acc_n: int) -> None:
    ha, hl, _ = evaluate(run.model, data, x_he, y_he) if len(x_he) else (None, None, None)
    k = max(acc_n, 1)
    run.points.append(Point(run.step, acc_l / k, acc_a / k, ha, hl, run.busy_seconds))


def _progress(run: TrainRun, status: str, loss: float | None = None,
              acc: float | None = None) -> Progress:
    last = run.points[-1] if run.points else None
    held = next((p.heldout_acc for p in reversed(run.points) if p.heldout_acc is not None), None)
    if loss is None:
        loss = last.loss if last else float("nan")
    if acc is None:
        acc = last.train_acc if last else float("nan")
    per_step = run.busy_seconds / max(run.step, 1)
    remaining = 0.0 if status != "running" else min(
        (run.total_steps - run.step) * per_step, max(run.settings.max_seconds - run.busy_seconds, 0))
    return Progress(run.step, run.total_steps, loss, acc, held, run.busy_seconds, remaining, status,
                    run.message)
