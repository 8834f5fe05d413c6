"""Feature maps equal nn.Conv2d (every padding mode, 'same', stride, dilation), then activation
and pooling; pictures are loaded safely and large ones downscaled with a note."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from playground import limits
from playground.layerlab.features import feature_maps, image_to_array
from playground.layerlab.kernels import kernel_bank
from playground.samples.make_samples import BUILDERS, NAMES, sample_path


def _ref(img: np.ndarray, k: np.ndarray, **kw) -> np.ndarray:
    conv = nn.Conv2d(1, k.shape[0], k.shape[1:], bias=False, **kw)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(k)[:, None])
        return conv(torch.from_numpy(img)[None, None])[0].numpy()


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, (1, 2), 1), ((1, 3), 2, (2, 1)),
                                                       (1, "same", 2), (1, "valid", 1)])
def test_maps_equal_nn_conv2d(mode: str, stride, padding, dilation) -> None:
    rng = np.random.default_rng(0)
    img = rng.random((23, 31), dtype=np.float32)
    bank = kernel_bank(["sobel x", "sharpen"], custom="1 2\n3 4", n_random=1, random_size=(3, 3))
    res = feature_maps(img, bank.kernels, stride, padding, dilation, mode, titles=bank.titles)
    ref = _ref(img, bank.kernels, stride=stride, padding=padding, dilation=dilation, padding_mode=mode)
    np.testing.assert_allclose(res.maps, ref, rtol=1e-5, atol=1e-5)
    assert res.titles == bank.titles
    pt, pb, pl, pr = res.padding
    assert res.padded.shape == (23 + pt + pb, 31 + pl + pr)
    np.testing.assert_array_equal(res.padded[pt:pt + 23, pl:pl + 31], img)


def test_activation_and_pooling_follow_the_maps() -> None:
    img = np.random.default_rng(1).random((20, 20), dtype=np.float32)
    k = np.stack([np.eye(3, dtype=np.float32) - 0.5])
    res = feature_maps(img, k, activation="relu", pool="max", pool_size=2)
    t = torch.from_numpy(res.maps)
    np.testing.assert_allclose(res.activated, torch.relu(t).numpy())
    np.testing.assert_allclose(res.pooled, torch.nn.functional.max_pool2d(torch.relu(t), 2).numpy())
    assert res.pooled.shape == (1, 9, 9)
    res = feature_maps(img, k, activation="none", pool="avg")
    assert res.activated is None and res.pooled.shape == (1, 9, 9)


@pytest.mark.parametrize("kw, match", [
    ({"stride": 0}, "stride"), ({"stride": 2, "padding": "same"}, "same"),
    ({"padding": -1}, "padding"), ({"dilation": float("nan")}, "whole number"),
    ({"padding_mode": "mirror"}, "padding_mode"), ({"activation": "swish"}, "activation"),
    ({"pool": "median"}, "pool"), ({"padding": 9, "padding_mode": "reflect"}, "reflect"),
    ({"dilation": 20}, "output would be"),
])
def test_invalid_settings_are_explained(kw, match) -> None:
    img = np.zeros((8, 8), dtype=np.float32)
    with pytest.raises(ValueError, match=match):
        feature_maps(img, np.ones((1, 3, 3), dtype=np.float32), **kw)


def test_non_finite_kernels_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        feature_maps(np.zeros((5, 5), np.float32), np.full((1, 3, 3), np.nan, np.float32))


def test_samples_exist_and_are_small_and_reproducible() -> None:
    for name in NAMES:
        path = sample_path(name)
        assert path.is_file() and path.stat().st_size < 50_000
        arr, note = image_to_array(path)
        assert arr.shape == (256, 256) and note == "" and 0 <= arr.min() <= arr.max() <= 1
        np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")),
                                      np.asarray(BUILDERS[name]()))
    with pytest.raises(ValueError, match="unknown sample"):
        sample_path("../../etc/passwd")


def test_large_picture_is_downscaled_with_a_note() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (1500, 600), (10, 200, 30)).save(buf, "PNG")
    arr, note = image_to_array(buf.getvalue())
    assert max(arr.shape) == limits.WORK_IMAGE_SIDE and "downscaled from 1500×600" in note


@pytest.mark.parametrize("data, match", [(b"", "empty"), (b"not an image at all", "not an image"),
                                         (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image|corrupt|truncated")])
def test_corrupt_uploads_give_clear_messages(data: bytes, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        image_to_array(data)
