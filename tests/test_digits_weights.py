"""The shipped weights: they load (weights_only), match their recorded parameter count and
metadata, and reach their recorded accuracy on (part of) the real MNIST test set."""

from __future__ import annotations

import pytest
import torch

from playground import config, weights
from playground.digits.data import raw_dir
from playground.digits.inference import LENET, MLP, load_model
from playground.digits.models import build_model

EXPECTED = {LENET: ("lenet5", 61_706, 0.993), MLP: ("mlp", 238_510, 0.975)}


@pytest.mark.parametrize("name", [LENET, MLP])
def test_shipped_weights_load_and_match_metadata(name: str) -> None:
    meta = weights.load_meta(name)
    arch, params, target = EXPECTED[name]
    assert meta["config"]["arch"] == arch
    model = weights.load_into(build_model(meta["config"]), name)
    assert weights.param_count(model) == meta["param_count"] == params
    assert meta["weights_sha256"] == weights.file_hash([config.ASSETS_DIR / f"{name}.pt"])
    for key in ("test_accuracy", "history", "per_class_accuracy", "confusion_matrix", "seed", "recipe",
                "data_hash", "code_hash", "training_seconds", "hardware"):
        assert key in meta, key
    assert meta["test_accuracy"] >= target
    cm = torch.tensor(meta["confusion_matrix"])
    assert cm.shape == (10, 10) and int(cm.sum()) == 10_000
    assert abs(cm.diag().sum().item() / 10_000 - meta["test_accuracy"]) < 1e-4
    assert len(meta["history"]) == meta["recipe"]["epochs"]


@pytest.mark.skipif(raw_dir() is None, reason="needs the MNIST data directory (../shared/data)")
def test_shipped_lenet5_on_real_test_images() -> None:
    from playground.digits.data import load_mnist
    from playground.digits.train import evaluate

    data = load_mnist()
    model, meta = load_model(LENET)
    _, acc, _ = evaluate(model, data.x_test[:2000], data.y_test[:2000], meta["config"]["in_size"])
    assert acc >= 0.99
    assert weights.file_hash(data.gz_files) == meta["data_hash"]
