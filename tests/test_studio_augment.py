"""Augmentation preview: seeded determinism, the code really produces the grid, Normalize stats."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from playground.studio import augment
from playground.studio.augment import AugSettings

ALL_ON = dict(crop_padding=6, resized_crop_min_scale=0.5, hflip=True, vflip=True, rotation=25,
              translate=0.1, scale=0.1, shear=8, jitter=0.4, blur_sigma=1.5, n=6, size=48)


@pytest.fixture(scope="module")
def img() -> Image.Image:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (70, 90, 3), dtype=np.uint8)
    a[10:30, 10:40] = (255, 0, 0)  # an asymmetric red block makes flips visible
    return Image.fromarray(a)


def test_same_seed_same_grid_other_seed_differs(img) -> None:
    a = augment.preview(img, AugSettings(**ALL_ON, seed=5))
    b = augment.preview(img, AugSettings(**ALL_ON, seed=5))
    c = augment.preview(img, AugSettings(**ALL_ON, seed=6))
    assert np.array_equal(a.grid, b.grid)
    assert not np.array_equal(a.grid, c.grid)
    assert len(a.samples) == 6 and a.samples[0].shape == (48, 48, 3)


def test_code_reproduces_the_samples(img, tmp_path, monkeypatch) -> None:
    s = AugSettings(**ALL_ON, seed=11, normalize="CIFAR-10")
    p = augment.preview(img, s)
    for line in ("RandomCrop(48, padding=6)", "RandomResizedCrop(48", "RandomHorizontalFlip",
                 "RandomVerticalFlip", "RandomRotation(degrees=25)", "RandomAffine", "ColorJitter",
                 "GaussianBlur", "Normalize(mean=[0.4914"):
        assert line in p.code
    img.save(tmp_path / "image.png")
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(p.code, "generated", "exec"), ns)  # our generated code, not user text
    mean, std = augment.NORM_PRESETS["CIFAR-10"]
    for sample, shown in zip(ns["samples"], p.samples):
        back = sample * torch.tensor(std).view(3, 1, 1) + torch.tensor(mean).view(3, 1, 1)
        ref = torch.from_numpy(shown.copy()).permute(2, 0, 1).float() / 255
        assert torch.allclose(back, ref, atol=1e-5)


def test_normalize_stats_follow_the_formula(img) -> None:
    p = augment.preview(img, AugSettings(hflip=True, normalize="ImageNet", n=2))
    mean, std = augment.NORM_PRESETS["ImageNet"]
    for c, (b, a) in enumerate(zip(p.stats["before_normalize"], p.stats["after_normalize"])):
        assert a["mean"] == pytest.approx((b["mean"] - mean[c]) / std[c], abs=2e-3)
        assert a["std"] == pytest.approx(b["std"] / std[c], abs=2e-3)
        assert 0 <= b["min"] <= b["max"] <= 1
    assert "x' = (x - mean) / std" in augment.stats_markdown(p.stats)
    off = augment.preview(img, AugSettings(normalize="", n=1))
    assert "after_normalize" not in off.stats and "T.Normalize" not in off.code


@pytest.mark.parametrize("bad,match", [
    (dict(n=0), "samples"), (dict(n=10_000), "samples"), (dict(size=4), "size"),
    (dict(blur_kernel=4), "odd"), (dict(rotation=-5), "rotation"), (dict(normalize="x"), "normalize"),
    (dict(resized_crop_min_scale=0.01), "min scale"), (dict(crop_padding=1000), "padding"),
])
def test_bad_settings_refused(bad, match) -> None:
    with pytest.raises(ValueError, match=match):
        AugSettings(**bad)
