"""The shipped U-Net weights load strictly, match their recorded parameter count and config."""

from __future__ import annotations

import pytest
import torch

from playground import weights
from playground.seg.tasks import WEIGHT_NAMES
from playground.seg.unet import UNet, UNetConfig


@pytest.mark.parametrize("task", sorted(WEIGHT_NAMES))
def test_shipped_weights_load(task: str) -> None:
    meta = weights.load_meta(WEIGHT_NAMES[task])
    for key in ("config", "param_count", "seed", "recipe", "data_hash", "code_hash", "metrics", "curves",
                "train_seconds", "steps_done"):
        assert key in meta, key
    model = UNet(UNetConfig(**meta["config"]))
    weights.load_into(model, WEIGHT_NAMES[task])  # strict, weights_only, checks the param count
    assert weights.param_count(model) == meta["param_count"]
    assert "test" in meta["metrics"]
    with torch.no_grad():
        out = model(torch.rand(1, meta["config"]["in_channels"], 40, 56))
    assert out.shape == (1, meta["config"]["num_classes"], 40, 56) and torch.isfinite(out).all()
