"""Transfer learning: the project's CIFAR ResNet as a frozen backbone with a new head, against the
same network trained from scratch for the same training time.

Frozen backbone: every backbone parameter has ``requires_grad=False`` and its BatchNorm layers stay
in eval mode (running statistics frozen); only the new head ``fc: Linear(256, K)`` is trained, so
backward stops at the head and a step costs about one forward pass. From scratch: the same
architecture, freshly initialised (whitening stem fitted to the new task's images), all trainable.

The two runs are interleaved step by step, always advancing the one with less training time, so
their curves grow side by side and each gets the same ``seconds`` of training.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import torch
from torch import nn

from playground import config, limits, validate, weights
from playground.studio import datasets
from playground.studio.loop import Optim, Progress, TrainRun, TrainSettings, evaluate, train

TASK_MNIST = "MNIST digits as 3x32x32"
TASK_CATDOG = "CIFAR-10: cat vs dog"
TASKS: tuple[str, ...] = (TASK_MNIST, TASK_CATDOG)
FROZEN, SCRATCH = "frozen backbone + new head", "from scratch"
HELDOUT_IMAGES = 128
TEST_IMAGES = 500


def find_resnet_weights() -> str | None:
    """Name of the shipped CIFAR ResNet weights (``assets/<name>.json`` with arch "resnet")."""
    for meta_path in sorted(config.ASSETS_DIR.glob("*.json")):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and (meta.get("config") or {}).get("arch") == "resnet" \
                and (config.ASSETS_DIR / f"{meta_path.stem}.pt").is_file():
            return meta_path.stem
    return None


DEFAULT_CONFIG: dict = {"arch": "resnet", "cfg": "resnet_air_wide", "num_classes": 10}


def load_backbone(pretrained: bool = True) -> tuple[nn.Module, dict, str]:
    """The CIFAR ResNet rebuilt from its metadata's ``config`` and loaded (when shipped), its
    config, and a note; a randomly initialised ``DEFAULT_CONFIG`` ResNet when no weights exist."""
    from playground.cifar import models as cm

    name = find_resnet_weights() if pretrained else None
    if name is None:
        note = ("backbone: CIFAR ResNet, randomly initialised (no trained weights in assets/ yet; "
                "the comparison is then only about speed)") if pretrained else "random init"
        return cm.build(DEFAULT_CONFIG), dict(DEFAULT_CONFIG), note
    meta = weights.load_meta(name)
    try:
        model = weights.load_into(cm.build(meta["config"]), name)
    except (ValueError, RuntimeError, OSError) as e:  # weights that don't match their metadata
        return cm.build(DEFAULT_CONFIG), dict(DEFAULT_CONFIG), (
            f"backbone: CIFAR ResNet, randomly initialised ({name} could not be loaded: {e})")
    acc = meta.get("test_acc") or meta.get("test_accuracy")
    acc_s = f", {100 * acc:.1f} % CIFAR-10 test accuracy" if isinstance(acc, float) and acc <= 1 else ""
    note = f"backbone: {name} ({meta['param_count']:,} parameters{acc_s}), frozen"
    return model, dict(meta["config"]), note


class FrozenBackbone(nn.Module):
    """``net`` with all parameters frozen, its ``fc`` replaced by a trainable ``Linear(in, K)``;
    ``train()`` keeps everything but the head in eval mode (BatchNorm statistics frozen)."""

    def __init__(self, net: nn.Module, num_classes: int) -> None:
        super().__init__()
        for p in net.parameters():
            p.requires_grad = False
        net.fc = nn.Linear(net.fc.in_features, num_classes)
        self.net = net

    def train(self, mode: bool = True) -> FrozenBackbone:
        super().train(mode)
        self.net.eval()
        self.net.fc.train(mode)
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (N, K)


def scratch_model(config: dict, data: datasets.DataSplit, seed: int = 0) -> nn.Module:
    """The same ResNet (``config``), freshly initialised for ``K`` classes, whitening fitted to
    ``data`` (as the CIFAR recipe initialises it)."""
    from playground.cifar import models as cm

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = cm.build({**config, "num_classes": len(data.classes)})
    cm.init_whitening(model.stem, data.normalize(data.x_train[:2000]))
    return model


def param_counts(model: nn.Module) -> tuple[int, int]:
    """(trainable, frozen) parameter counts."""
    t = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return t, sum(p.numel() for p in model.parameters()) - t


def task_data(task: str, data_dir: str | None = None) -> datasets.DataSplit:
    """The small new task, with a small held-out split for cheap curve points."""
    if task == TASK_MNIST:
        d = datasets.mnist_rgb32(data_dir)
    elif task == TASK_CATDOG:
        d = datasets.cifar_two_classes("cat", "dog", data_dir)
    else:
        raise ValueError(f"unknown task {validate.echo(task)}; choose one of {', '.join(TASKS)}")
    return replace(d, x_held=d.x_held[:HELDOUT_IMAGES], y_held=d.y_held[:HELDOUT_IMAGES],
                   x_test=d.x_test[:TEST_IMAGES], y_test=d.y_test[:TEST_IMAGES])


@dataclass(frozen=True)
class Row:
    """One line of the comparison table."""

    run: str
    trainable: int
    frozen: int
    steps: int
    seconds_per_step: float
    heldout_acc: float | None
    test_acc: float | None


def compare(data: datasets.DataSplit, backbone: nn.Module, config: dict, seconds: float,
            batch_size: int = 32,
            lr: float = 1e-3, seed: int = 0, should_stop: Callable[[], bool] = lambda: False,
            ) -> Iterator[tuple[dict[str, TrainRun], str, Progress]]:
    """Train the frozen-backbone model and the from-scratch one for ``seconds`` of training each,
    interleaved; yields (runs, name of the run that stepped, its progress)."""
    if not 0 < seconds <= limits.TRANSFER_MAX_SECONDS:
        raise ValueError(f"seconds per model must be in (0, {limits.TRANSFER_MAX_SECONDS:g}], "
                         f"got {seconds}")
    settings = TrainSettings(optimizer=Optim.ADAM, lr=lr, batch_size=batch_size,
                             steps=limits.MAX_TRAIN_STEPS, augment=False, seed=seed, eval_every=5,
                             checkpoints=2)
    runs = {FROZEN: TrainRun(FrozenBackbone(backbone, len(data.classes)), data, settings),
            SCRATCH: TrainRun(scratch_model(config, data, seed), data, settings)}
    gens = {k: train(r, lambda r=r: should_stop() or r.train_seconds >= seconds)
            for k, r in runs.items()}
    active = set(gens)
    while active:
        k = min(active, key=lambda name: runs[name].train_seconds)
        p = next(gens[k])
        if p.status != "running":
            active.discard(k)
        yield runs, k, p


def table(runs: dict[str, TrainRun], with_test: bool = False) -> list[Row]:
    """Parameter counts, steps, seconds per step and accuracies of both runs."""
    rows = []
    for name, r in runs.items():
        t, f = param_counts(r.model)
        held = next((p.heldout_acc for p in reversed(r.points) if p.heldout_acc is not None), None)
        test = evaluate(r.model, r.data, r.data.x_test, r.data.y_test)[0] if with_test else None
        rows.append(Row(name, t, f, r.step, r.train_seconds / max(r.step, 1), held, test))
    return rows
