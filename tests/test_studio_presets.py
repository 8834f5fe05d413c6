"""Studio networks: presets on every data shape, custom networks checked before building."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground.studio import presets
from playground.studio.presets import CUSTOM, DataShape

SHAPES = [DataShape(1, 28, 28, 10), DataShape(3, 32, 32, 10), DataShape(3, 32, 32, 7),
          DataShape(1, 28, 28, 2)]


@pytest.mark.parametrize("name", list(presets.PRESETS))
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s.channels}x{s.height}-{s.num_classes}")
def test_presets_shapes_grads(name, shape) -> None:
    model = presets.build_preset(name, shape)
    x = torch.randn(3, shape.channels, shape.height, shape.width)
    out = model(x)
    assert out.shape == (3, shape.num_classes) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_lenet5_is_the_course_network() -> None:
    m = presets.build_preset("LeNet-5", DataShape(1, 28, 28, 10))
    assert sum(p.numel() for p in m.parameters()) == 61_706
    assert presets.count_macs(m, DataShape(1, 28, 28, 10)) == 416_520


def test_seeded_build_is_reproducible() -> None:
    a = presets.build_preset("SimpleCNN", DataShape(1, 28, 28, 10), seed=3)
    b = presets.build_preset("SimpleCNN", DataShape(1, 28, 28, 10), seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_custom_network_builds_and_matches_the_core() -> None:
    from playground import arith

    shape = DataShape(1, 28, 28, 10)
    m = presets.build_network(CUSTOM, shape, presets.EXAMPLE_CUSTOM)
    report = arith.analyze(presets.EXAMPLE_CUSTOM, shape.input_shape)
    assert sum(p.numel() for p in m.parameters()) == report.total_params
    assert m(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("code,match", [
    ("", "empty"),
    ("import os", "not allowed"),
    ("nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(5408, 10))", "does not fit"),
    ("nn.Sequential(nn.Conv2d(1, 8, 30), nn.Flatten(), nn.Linear(8, 10))", "does not fit"),
    ("nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU())", "ends with shape"),
    ("nn.Sequential(nn.Flatten(), nn.Linear(784, 7))", "10 classes"),
    ("nn.Sequential(nn.ReLU(), nn.Flatten())", "ends with shape|classes"),
    ("nn.Sequential(nn.Flatten(), nn.Linear(784, 4000), nn.Linear(4000, 10))", "parameters"),
])
def test_custom_network_refused_with_reason(code, match) -> None:
    with pytest.raises(ValueError, match=match):
        presets.build_network(CUSTOM, DataShape(1, 28, 28, 10), code)


def test_step_budget() -> None:
    with pytest.raises(ValueError, match="batch size <= "):
        presets.check_budget(1000, 10_000_000, 512)
    presets.check_budget(61_706, 416_520, 512)


def test_model_code_round_trips_through_the_parser() -> None:
    from playground import arith

    for name in presets.PRESETS:
        shape = DataShape(1, 28, 28, 10)
        model = presets.build_preset(name, shape)
        text = presets.model_code(model)
        specs = arith.parse_network(text)
        assert arith.analyze_specs(specs, shape.input_shape).total_params == sum(
            p.numel() for p in model.parameters())
    with pytest.raises(ValueError):
        presets.model_code(nn.Sequential(nn.Sequential(nn.ReLU())))
