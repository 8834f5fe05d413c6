"""Concept views: course numbers, and every figure checked against real torch layers."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from playground.arch import concepts


def test_stacked_3x3_against_one_kernel() -> None:
    rows = {r.layers: r for r in concepts.stacked_vs_big()}
    assert [(rows[n].stacked_params, rows[n].big_params, rows[n].rf) for n in (2, 3, 5)] == [
        (18, 25, 5), (27, 49, 7), (45, 121, 11)]
    assert [round(100 * rows[n].saving, 1) for n in (2, 3, 5)] == [28.0, 44.9, 62.8]
    c = concepts.stacked_vs_big(channels=64, bias=True)[1]
    real = sum(p.numel() for m in (nn.Conv2d(64, 64, 3), nn.Conv2d(64, 64, 3)) for p in m.parameters())
    assert c.stacked_params == real and c.big_params == sum(p.numel() for p in nn.Conv2d(64, 64, 5).parameters())
    with pytest.raises(ValueError):
        concepts.stacked_vs_big(channels=0)


def test_mlp_against_cnn() -> None:
    m = concepts.mlp_vs_cnn(200, 200, 3, 3, 64)
    assert m.fc_weights == 14_400_000_000 and m.fc_bytes == 57_600_000_000
    assert m.conv_params == sum(p.numel() for p in nn.Conv2d(3, 64, 3, padding=1).parameters())
    with pytest.raises(ValueError):
        concepts.mlp_vs_cnn(-1)


def test_inception_reduction_matches_torch() -> None:
    r = concepts.inception_reduction()
    assert r.direct_macs == 120_422_400 and r.reduced_macs == 12_443_648
    direct = nn.Conv2d(192, 32, 5, padding=2)
    reduced = nn.Sequential(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 32, 5, padding=2))
    assert r.direct_params == sum(p.numel() for p in direct.parameters())
    assert r.reduced_params == sum(p.numel() for p in reduced.parameters())
    x = torch.zeros(1, 192, 28, 28)
    assert tuple(reduced(x).shape) == r.reduced[-1].output_shape == tuple(direct(x).shape)


@pytest.mark.parametrize(("c_in", "c_out", "stride"), [(64, 64, 1), (64, 128, 2), (64, 64, 2),
                                                       (32, 64, 1)])
def test_residual_block_matches_torchvision(c_in: int, c_out: int, stride: int) -> None:
    r = concepts.residual_block(c_in, c_out, 16, 16, stride)
    down = None
    if not r.identity_ok:
        down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
    assert r.identity_ok == (c_in == c_out and stride == 1)
    block = BasicBlock(c_in, c_out, stride, downsample=down).eval()
    assert r.params == sum(p.numel() for p in block.parameters())
    assert tuple(block(torch.zeros(1, c_in, 16, 16)).shape) == r.output_shape


def test_activations_course_examples() -> None:
    x = torch.tensor(concepts.EXAMPLE_SOFTMAX, dtype=torch.float32)
    for dim in (0, 1):
        y = concepts.activate(concepts.EXAMPLE_SOFTMAX, "Softmax", dim=dim)
        assert torch.equal(torch.tensor(y), torch.softmax(x, dim=dim))
        assert torch.allclose(torch.tensor(y).sum(dim=dim), torch.ones(x.shape[1 - dim]))
    assert concepts.activate(concepts.EXAMPLE_SOFTMAX, "Softmax", dim=0)[0][0] == pytest.approx(
        0.0066929, abs=1e-6)
    x4 = torch.tensor(concepts.EXAMPLE_4x5, dtype=torch.float32)
    assert concepts.activate(concepts.EXAMPLE_4x5, "ReLU")[0] == [0.0] * 5
    assert torch.equal(torch.tensor(concepts.activate(concepts.EXAMPLE_4x5, "LeakyReLU", slope=0.1)),
                       nn.functional.leaky_relu(x4, 0.1))
    for kind, f in (("Sigmoid", torch.sigmoid), ("Tanh", torch.tanh), ("GELU", nn.functional.gelu)):
        assert torch.equal(torch.tensor(concepts.activate(concepts.EXAMPLE_4x5, kind)), f(x4))
    with pytest.raises(ValueError, match="dim must be"):
        concepts.activate(concepts.EXAMPLE_4x5, "Softmax", dim=2)
    with pytest.raises(ValueError):
        concepts.activate(concepts.EXAMPLE_4x5, "Swish")


def test_parse_tensor() -> None:
    assert concepts.parse_tensor("1 2 3; 4 5 6") == [[1, 2, 3], [4, 5, 6]]
    assert concepts.parse_tensor("[[1, 2], [3, 4]]") == [[1, 2], [3, 4]]
    for bad in ("", "1 2; 3", "a b", "[[1, 2], [3]]", "1 nan", "[1, [2]]", "1 " * 500):
        with pytest.raises(ValueError):
            concepts.parse_tensor(bad)


@pytest.mark.parametrize("kind", concepts.NORMS)
def test_normalisation_groups_and_outputs(kind: str) -> None:
    x = concepts.sample_tensor(2, 4, 3, 2, seed=1)
    v = concepts.normalise(x, kind, groups=2)
    t, gid, out = torch.tensor(x, dtype=torch.float64), torch.tensor(v.group), torch.tensor(v.out_train, dtype=torch.float64)
    n_groups = {"BatchNorm2d": 4, "LayerNorm": 2, "InstanceNorm2d": 8, "GroupNorm": 4}[kind]
    assert len(v.stats) == n_groups
    for g, mean, var in v.stats:  # each group is normalised with its own biased statistics
        sel = gid == g
        manual = (t[sel] - mean) / (var + 1e-5) ** 0.5
        assert torch.allclose(out[sel], manual, atol=1e-9)
    if kind == "BatchNorm2d":
        assert v.running is not None and v.out_eval is not None
        rm = torch.tensor(v.running[0], dtype=torch.float64)
        assert torch.allclose(rm, 0.1 * t.mean(dim=(0, 2, 3)))
        assert not torch.allclose(torch.tensor(v.out_eval, dtype=torch.float64), out)


def test_normalisation_errors() -> None:
    with pytest.raises(ValueError, match="divisible"):
        concepts.group_ids("GroupNorm", (1, 3, 2, 2), groups=2)
    with pytest.raises(ValueError, match="more than one value"):
        concepts.normalise(concepts.sample_tensor(1, 2, 1, 1), "BatchNorm2d")
    with pytest.raises(ValueError):
        concepts.sample_tensor(10, 10, 10, 10)
