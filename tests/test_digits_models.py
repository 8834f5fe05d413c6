"""LeNet-5 / MLP builders: shapes, parameter counts (61,706 classic), variants, gradients."""

from __future__ import annotations

import pytest
import torch

from playground.digits.models import (build_model, layer_param_counts, lenet5_config, lenet5_flat_size,
                                      mlp_config)


def test_classic_lenet5_has_61706_parameters_and_shapes() -> None:
    model = build_model(lenet5_config())
    assert sum(p.numel() for p in model.parameters()) == 61_706
    assert dict(layer_param_counts(model)) == {"conv1": 156, "conv2": 2416, "fc1": 48120,
                                               "fc2": 10164, "fc3": 850}
    logits, acts = model.forward_with_activations(torch.randn(3, 1, 32, 32))
    shapes = {k: tuple(v.shape[1:]) for k, v in acts.items()}
    assert shapes["conv1"] == (6, 28, 28) and shapes["pool1"] == (6, 14, 14)
    assert shapes["conv2"] == (16, 10, 10) and shapes["pool2"] == (16, 5, 5)
    assert shapes["flatten"] == (400,) and shapes["fc1"] == (120,) and shapes["fc2"] == (84,)
    assert logits.shape == (3, 10)


def test_padding_variant_on_28x28_has_same_parameters() -> None:
    cfg = lenet5_config(in_size=28, padding=2)
    model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) == 61_706
    _, acts = model.forward_with_activations(torch.randn(2, 1, 28, 28))
    assert tuple(acts["conv1"].shape[1:]) == (6, 28, 28)


@pytest.mark.parametrize("cfg", [
    lenet5_config(), lenet5_config(activation="tanh", pool="avg"), lenet5_config(num_classes=7),
    lenet5_config(in_size=28), mlp_config(), mlp_config(hidden=(64, 32), num_classes=5),
])
def test_every_variant_runs_and_gets_gradients(cfg: dict) -> None:
    model = build_model(cfg)
    x = torch.randn(4, 1, cfg["in_size"], cfg["in_size"])
    out = model(x)
    assert out.shape == (4, cfg["num_classes"]) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_param_count_matches_formula_for_variants() -> None:
    cfg = lenet5_config(in_size=28)  # no padding: 28 → 24 → 12 → 8 → 4, flatten 16·4·4 = 256
    assert lenet5_flat_size(cfg) == (16, 4)
    expected = 6 * 26 + 16 * 151 + 120 * (256 + 1) + 84 * 121 + 10 * 85
    assert sum(p.numel() for p in build_model(cfg).parameters()) == expected
    assert sum(p.numel() for p in build_model(mlp_config()).parameters()) == 784 * 300 + 300 + 3010


def test_invalid_configs_are_explained() -> None:
    with pytest.raises(ValueError, match="activation"):
        lenet5_config(activation="swish")
    with pytest.raises(ValueError, match="pool"):
        lenet5_config(pool="median")
    with pytest.raises(ValueError, match="too small"):
        build_model(lenet5_config(in_size=12))
    with pytest.raises(ValueError, match="arch"):
        build_model({"arch": "alexnet"})
