"""Grad-CAM: formula, size, non-constant maps, and localisation better than chance.

Localisation test (honest by design): take real CIFAR-10 *test* images that the shipped model
classifies correctly, shrink each into one quadrant (16×16 of the 32×32 input) of a neutral
background at the dataset mean colour, and ask Grad-CAM (default target: last conv stage) where the
evidence for the image's *true* class is. The peak must fall in the pasted quadrant clearly more
often than the 25 % chance rate (binomial tail p < 0.01 at the threshold used).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from playground.cifar import data, gradcam, inference, models


def test_cam_formula_by_hand() -> None:
    acts = torch.tensor([[[1.0, 0.0], [0.0, 2.0]], [[0.0, 3.0], [0.0, 0.0]]])
    grads = torch.tensor([[[1.0, 1.0], [1.0, 1.0]], [[-2.0, -2.0], [-2.0, -2.0]]])  # α = (1, -2)
    heat, raw = gradcam.cam_from(acts, grads, (2, 2))
    np.testing.assert_allclose(raw, [[1.0, 0.0], [0.0, 2.0]])  # ReLU([[1, -6], [0, 2]])
    np.testing.assert_allclose(heat, raw / 2)


def test_negative_map_is_all_zero() -> None:
    heat, raw = gradcam.cam_from(torch.ones(1, 2, 2), -torch.ones(1, 2, 2), (5, 7))
    assert heat.shape == (5, 7) and not heat.any()


def test_resolve_stage() -> None:
    m = models.vgg(cfg="vgg_tiny")
    assert gradcam.resolve_stage(m, None) == len(m.stages) - 1
    assert gradcam.resolve_stage(m, "stage1") == 0
    with pytest.raises(ValueError, match="unknown Grad-CAM target"):
        gradcam.resolve_stage(m, "stage9")
    with pytest.raises(ValueError, match="stage must be"):
        gradcam.resolve_stage(m, 5)


@pytest.mark.parametrize("name", list(inference.MODELS.values()))
def test_heatmap_has_image_size_and_is_not_constant(name: str) -> None:
    model, _ = inference.load_model(name)
    x, y = data.load_split("test")
    for stage in (None, "stage1", "stage2"):
        res = gradcam.grad_cam(model, data.normalize(np.array(x[0])), stage=stage)
        assert res.heatmap.shape == (32, 32)
        assert res.heatmap.max() == pytest.approx(1.0) and res.heatmap.min() >= 0
        assert res.heatmap.std() > 0.01
    # grad_cam and the app's predict() agree on the default stage
    pred = inference.predict(name, np.array(x[0]))
    assert pred.cam.stage == len(model.stages) - 1 and pred.cam.heatmap.shape == (32, 32)


def _paste(img32: np.ndarray, quadrant: int) -> np.ndarray:
    """A 64×64 mean-colour canvas with the 32×32 image in ``quadrant`` (0 TL, 1 TR, 2 BL, 3 BR)."""
    canvas = np.empty((64, 64, 3), np.uint8)
    canvas[:] = (np.array(data.MEAN) * 255).round().astype(np.uint8)
    r, c = divmod(quadrant, 2)
    canvas[r * 32:(r + 1) * 32, c * 32:(c + 1) * 32] = img32
    return canvas


@pytest.mark.parametrize("name", list(inference.MODELS.values()))
def test_gradcam_peaks_in_the_object_quadrant(name: str) -> None:
    model, _ = inference.load_model(name)
    x, y = data.load_split("test")
    # correctly classified test images, taken in index order (no cherry-picking beyond "correct")
    n, chosen = 32, []
    for i in range(400):
        if len(chosen) == n:
            break
        if int(inference.predict(name, np.array(x[i])).probs.argmax()) == int(y[i]):
            chosen.append(i)
    assert len(chosen) == n
    hits = 0
    for k, i in enumerate(chosen):
        q = k % 4
        small = inference.prepare(Image.fromarray(_paste(np.array(x[i]), q)), "resize").small
        res = gradcam.grad_cam(model, inference.to_tensor(small), class_idx=int(y[i]))
        r, c = np.unravel_index(int(res.heatmap.argmax()), res.heatmap.shape)
        hits += (2 * int(r >= 16) + int(c >= 16)) == q
    # P(X >= 15 | n=32, p=0.25) ≈ 0.006: far above chance is required
    print(f"{name}: Grad-CAM peak in the object's quadrant {hits}/{n} (chance 25%)")
    assert hits >= 15, f"{name}: only {hits}/{n} peaks in the object's quadrant"
