"""CIFAR-10 models: shapes, finiteness, gradients, builders, MACs, whitening, shipped weights."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from playground import weights
from playground.cifar import models

ARCHS = [("vgg", "vgg_air_wide"), ("vgg", "vgg_air"), ("vgg", "vgg_tiny"), ("resnet", "resnet_air_wide"),
         ("resnet", "resnet_air"), ("resnet", "resnet_tiny")]


@pytest.mark.parametrize("arch,cfg", ARCHS)
@pytest.mark.parametrize("num_classes", [10, 7])
def test_forward_backward(arch: str, cfg: str, num_classes: int) -> None:
    torch.manual_seed(0)
    model = models.BUILDERS[arch](num_classes=num_classes, cfg=cfg)
    x = torch.randn(2, 3, 32, 32)
    out = model(x)
    assert out.shape == (2, num_classes)
    assert torch.isfinite(out).all()
    out.logsumexp(1).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(p.grad).all(), name
    assert any(float(p.grad.abs().sum()) > 0 for p in model.parameters())


@pytest.mark.parametrize("arch,cfg", ARCHS)
def test_forward_stages_matches_forward(arch: str, cfg: str) -> None:
    model = models.BUILDERS[arch](cfg=cfg).eval()
    x = torch.randn(2, 3, 32, 32)
    logits, feats = model.forward_stages(x)
    torch.testing.assert_close(logits, model(x))
    assert len(feats) == len(model.stages)
    sides = [f.shape[-1] for f in feats]
    assert sides == sorted(sides, reverse=True)  # every stage downsamples


def test_wide_variants_build() -> None:
    for arch in ("vgg", "resnet"):
        m = models.BUILDERS[arch](num_classes=3, cfg=f"{arch}_air_wide").eval()
        assert m(torch.zeros(1, 3, 32, 32)).shape == (1, 3)


def test_shipped_shapes() -> None:
    """The shape comments in forward: 32 → 31 (2×2 stem) → 15 → 7 → 3 (the shipped wide cfgs)."""
    for b in (models.vgg, models.resnet):
        _, feats = b().eval().forward_stages(torch.zeros(1, 3, 32, 32))
        assert [tuple(f.shape[1:]) for f in feats] == [(64, 15, 15), (256, 7, 7), (256, 3, 3)]


def test_make_layers_groups_stages_at_downsampling_convs() -> None:
    seq = models.make_layers([8, "M", 8, 16, "M", 16], batch_norm=True, in_channels=3)
    assert len(seq) == 2
    kinds = [type(m).__name__ for m in seq[0]]
    assert kinds == ["Conv", "MaxPool2d", "BatchNorm", "GELU", "Conv", "BatchNorm", "GELU"]
    no_bn = models.make_layers([8, "M"], batch_norm=False, in_channels=3)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in no_bn.modules())


@pytest.mark.parametrize("cfg", [[], ["M", 8], [8, "M", "M"], [8, 0], [8, "X"]])
def test_make_layers_rejects_bad_cfg(cfg: list) -> None:
    with pytest.raises(ValueError):
        models.make_layers(cfg)


def test_builders_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num_classes"):
        models.vgg(num_classes=0)
    with pytest.raises(ValueError, match="unknown VGG cfg"):
        models.vgg(cfg="nope")
    with pytest.raises(ValueError, match="widths and blocks"):
        models.ResNet([8, 16], [1])
    with pytest.raises(ValueError, match="unknown arch"):
        models.build({"arch": "alexnet", "cfg": "x"})


def test_basic_block_shortcuts() -> None:
    assert len(models.BasicBlock(8, 8).shortcut) == 0  # identity
    kinds = [type(m).__name__ for m in models.BasicBlock(8, 16, pool=True).shortcut]
    assert kinds == ["AvgPool2d", "Conv2d", "BatchNorm"]  # ResNet-D projection
    kinds = [type(m).__name__ for m in models.BasicBlock(8, 8, pool=True).shortcut]
    assert kinds == ["AvgPool2d"]
    x = torch.randn(2, 8, 8, 8)
    assert models.BasicBlock(8, 16, pool=True)(x).shape == (2, 16, 4, 4)


def test_count_macs_by_hand() -> None:
    """vgg_tiny: stem 31²·24·12, conv 31²·8·216, conv 15²·8·72, conv 15²·16·72, conv 7²·16·144, fc 16·10."""
    want = 31**2 * 24 * 12 + 31**2 * 8 * 216 + 15**2 * 8 * 72 + 15**2 * 16 * 72 + 7**2 * 16 * 144 + 16 * 10
    assert models.count_macs(models.vgg(cfg="vgg_tiny")) == want


def test_whitening_init_whitens_patches() -> None:
    torch.manual_seed(0)
    imgs = torch.randn(64, 3, 16, 16) * torch.tensor([1.0, 2.0, 0.5]).view(1, 3, 1, 1)
    imgs = imgs + 0.8 * imgs.roll(1, dims=3)  # correlated neighbours
    stem = models.WhiteningStem()
    models.init_whitening(stem, imgs, eps=0.0)
    out = torch.nn.functional.conv2d(imgs, stem.weight)[:, :12]  # the +V half
    flat = out.permute(0, 2, 3, 1).reshape(-1, 12).double()
    cov = flat.T @ flat / len(flat)
    torch.testing.assert_close(cov, torch.eye(12, dtype=torch.float64), atol=2e-3, rtol=0)


@pytest.mark.parametrize("name", ["cifar_vgg", "cifar_resnet"])
def test_shipped_weights_load_and_match_metadata(name: str) -> None:
    meta = weights.load_meta(name)
    for key in ("config", "param_count", "macs", "test_accuracy", "per_class_accuracy", "confusion_matrix",
                "curves", "train_seconds", "hardware", "seed", "recipe", "data_hash", "code_hash",
                "hardest_test_images"):
        assert key in meta, key
    model = models.build(meta["config"])
    weights.load_into(model, name)
    assert weights.param_count(model) == meta["param_count"]
    assert models.count_macs(model) == meta["macs"]
    assert (weights.ASSETS_DIR / f"{name}.pt").stat().st_size <= 20 * 1024 * 1024
    cm = meta["confusion_matrix"]
    assert sum(map(sum, cm)) == 10_000
    acc = sum(cm[i][i] for i in range(10)) / 10_000
    assert acc == pytest.approx(meta["test_accuracy"], abs=1e-6)
    json.dumps(meta)  # plain JSON
