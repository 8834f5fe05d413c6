"""Separable kernels: Sobel = [1,2,1]ᵀ ⊗ [−1,0,1]; two 1-D passes equal the 2-D pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.layerlab.kernels import preset
from playground.layerlab.separable import SOBEL_X_FACTORS, SOBEL_Y_FACTORS, separable_maps, separate


def test_sobel_is_an_outer_product() -> None:
    np.testing.assert_array_equal(np.outer(*SOBEL_X_FACTORS), preset("sobel x"))
    np.testing.assert_array_equal(np.outer(*SOBEL_Y_FACTORS), preset("sobel y"))
    col, row = separate(preset("sobel x"))
    assert col.tolist() == [1, 2, 1] and row.tolist() == [-1, 0, 1]
    for name in ("gaussian", "box blur", "identity", "sobel y"):
        c, r = separate(preset(name))
        np.testing.assert_allclose(np.outer(c, r), preset(name), atol=1e-7)
    for name in ("sharpen", "laplacian", "emboss", "outline"):
        assert separate(preset(name)) is None
    assert separate(np.zeros((3, 3))) is None


@pytest.mark.parametrize("shape", [(37, 53), (5, 3), (512, 512)])
def test_two_passes_equal_the_2d_kernel(shape) -> None:
    img = np.random.default_rng(0).random(shape)
    r = separable_maps(img)
    ref = F.conv2d(torch.from_numpy(img)[None, None], torch.from_numpy(preset("sobel x").astype(float))[None, None],
                   padding=1)[0, 0].numpy()
    np.testing.assert_allclose(r.full, ref, atol=1e-12)
    np.testing.assert_allclose(r.two_pass, ref, atol=1e-12)
    assert r.max_abs_diff < 1e-12
    h, w = shape
    assert r.macs_2d == h * w * 9 and r.macs_separable == h * w * 3 + h * w * 3
    assert r.saving == pytest.approx(1.5)


def test_larger_kernel_savings_and_errors() -> None:
    img = np.random.default_rng(1).random((64, 64))
    g = np.array([1, 4, 6, 4, 1], float)
    r = separable_maps(img, g, g, padding=(0, 0))
    assert r.full.shape == (60, 60) and r.max_abs_diff < 1e-9
    assert r.macs_2d == 60 * 60 * 25 and r.macs_separable == 60 * 64 * 5 + 60 * 60 * 5
    with pytest.raises(ValueError, match="does not fit"):
        separable_maps(np.ones((2, 2)), g, g, padding=(0, 0))
    with pytest.raises(ValueError, match="finite"):
        separable_maps(img, [np.nan], [1.0])
