"""Predictions and per-layer activations of the shipped digit models (cached, lazy, read-only).

Each model is rebuilt from its metadata (``meta["config"]``), never from assumptions, and loaded
once per process with ``weights_only=True`` (:func:`playground.weights.load_into`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from playground import weights
from playground.digits.models import Net, build_model
from playground.digits.preprocess import Prepared

LENET = "lenet5_mnist"
MLP = "mlp_mnist"
TRAIN_HINT = {LENET: "python -m playground.digits.train --model lenet5",
              MLP: "python -m playground.digits.train --model mlp"}


@functools.lru_cache(maxsize=4)
def load_model(name: str) -> tuple[Net, dict[str, Any]]:
    """The model ``name`` (eval mode, no gradients) and its metadata; ``ValueError`` if missing."""
    try:
        meta = weights.load_meta(name)
        model = weights.load_into(build_model(meta["config"]), name)
    except FileNotFoundError as exc:
        hint = TRAIN_HINT.get(name, "train it first")
        raise ValueError(f"the {name} weights are missing ({exc}); create them with: {hint}") from None
    model.requires_grad_(False)
    return model, meta


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread in this (server worker) thread, then restore the setting.

    A single 28×28 image is far too small to split across threads: on the shared 2-core machine a
    LeNet-5 forward took ~120–230 ms with 2 OpenMP threads (spin-waiting for a busy core) and
    ~2 ms with one. ``torch.set_num_threads`` acts on the calling thread's OpenMP setting.
    """
    n = torch.get_num_threads()
    if n == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(n)


@dataclass(frozen=True)
class Prediction:
    """Softmax probabilities (10,), the predicted class, and each layer's output (batch dim dropped)."""

    probs: np.ndarray
    label: int
    activations: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def confidence(self) -> float:
        """Probability of the predicted class."""
        return float(self.probs[self.label])


def predict(prepared: Prepared, name: str = LENET, activations: bool = True) -> Prediction:
    """Run model ``name`` on a prepared digit: ``softmax(logits)_k = e^{z_k} / Σ_j e^{z_j}``."""
    model, meta = load_model(name)
    x = prepared.tensor(meta["config"]["in_size"])
    with one_thread(), torch.inference_mode():
        if activations:
            logits, acts = model.forward_with_activations(x)
        else:
            logits, acts = model(x), {}
        probs = torch.softmax(logits.float(), dim=1)[0].numpy()
    return Prediction(probs, int(probs.argmax()),
                      {k: v[0].numpy() for k, v in acts.items()} if activations else {})


def label_value(pred: Prediction) -> dict[str, float]:
    """The ten probabilities as a ``gr.Label`` value ``{"0": p0, …, "9": p9}``."""
    return {str(k): float(p) for k, p in enumerate(pred.probs)}
