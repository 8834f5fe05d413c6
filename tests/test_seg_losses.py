"""The segmentation losses: whole-batch soft Dice against the per-tumour-slice soft Dice."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.seg.tasks import bce_dice, dice_loss, dice_loss_per_image


def _one_dice(p: torch.Tensor, g: torch.Tensor, eps: float = 1.0) -> float:
    """1 - (2 Σ p g + eps) / (Σ p + Σ g + eps), written out for one image."""
    return 1 - (2 * float((p * g).sum()) + eps) / (float(p.sum()) + float(g.sum()) + eps)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 6), side=st.integers(2, 9))
def test_per_image_dice_is_the_mean_over_images_with_foreground(seed: int, n: int, side: int) -> None:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 1, side, side, generator=g) * 3
    y = (torch.rand(n, 1, side, side, generator=g) < 0.3).float()
    y[torch.rand(n, generator=g) < 0.4] = 0.0  # some images without foreground
    p = torch.sigmoid(logits)
    per = [_one_dice(p[i], y[i]) for i in range(n) if y[i].sum() > 0]
    got = float(dice_loss_per_image(logits, y))
    assert abs(got - (sum(per) / len(per) if per else 0.0)) < 1e-5
    every = [_one_dice(p[i], y[i]) for i in range(n)]
    assert abs(float(dice_loss_per_image(logits, y, empty=True)) - sum(every) / n) < 1e-5


def test_a_missed_small_lesion_weighs_as_much_as_a_large_one() -> None:
    y = torch.zeros(2, 1, 32, 32)
    y[0, 0, :, :16] = 1.0  # a large lesion, found
    y[1, 0, 3:5, 3:5] = 1.0  # a 4-pixel lesion, missed
    logits = torch.full_like(y, -12.0)
    logits[0] = torch.where(y[0].bool(), 12.0, -12.0)  # image 1 predicts nothing
    assert float(dice_loss(logits, y)) < 0.01  # one Dice over the batch barely sees the miss
    assert abs(float(dice_loss_per_image(logits, y)) - 0.5 * (1 - 1 / 5)) < 0.01  # (found 0 + missed 0.8) / 2


def test_images_without_foreground_are_left_to_the_cross_entropy() -> None:
    y = torch.zeros(3, 1, 8, 8)
    y[0, 0, 2:6, 2:6] = 1.0
    logits = torch.randn(3, 1, 8, 8, requires_grad=True)
    loss = dice_loss_per_image(logits, y)
    loss.backward()
    assert torch.count_nonzero(logits.grad[1:]) == 0 and torch.count_nonzero(logits.grad[0]) > 0
    empty = torch.zeros_like(y)
    logits.grad = None
    zero = dice_loss_per_image(logits, empty)
    zero.backward()
    assert zero.item() == 0.0 and torch.count_nonzero(logits.grad) == 0
    # the cross-entropy term is the same in both losses; on one image they agree
    assert torch.allclose(bce_dice(logits[:1], y[:1], dice=dice_loss_per_image), bce_dice(logits[:1], y[:1]))


def test_every_slice_variant_charges_mass_on_tumour_free_slices() -> None:
    y = torch.zeros(2, 1, 16, 16)
    y[0, 0, 4:12, 4:12] = 1.0
    clean = torch.where(y.bool(), 12.0, -12.0)
    speck = clean.clone()
    speck[1, 0, :3, :3] = 12.0  # a 9-pixel false positive on the tumour-free slice
    assert float(dice_loss_per_image(speck, y)) == float(dice_loss_per_image(clean, y))  # unseen by default
    assert float(dice_loss_per_image(clean, y, empty=True)) < 0.01
    assert abs(float(dice_loss_per_image(speck, y, empty=True)) - 0.5 * (1 - 1 / 10)) < 0.01  # 1 - eps/(9 + eps)


def test_lgg_task_loss_options() -> None:
    from playground.seg.tasks import lgg_task

    with pytest.raises(ValueError, match="needs dice_per_image"):
        lgg_task(dice_empty=True)
    y = torch.zeros(4, 1, 8, 8)
    y[0, 0, 1:4, 1:4] = 1.0  # one tumour slice, three without
    logits = torch.randn(4, 1, 8, 8)
    ce = float(torch.nn.functional.binary_cross_entropy_with_logits(logits, y))
    for flags, dice in (({}, dice_loss(logits, y)),
                        ({"dice_per_image": True}, dice_loss_per_image(logits, y)),
                        ({"dice_per_image": True, "dice_empty": True}, dice_loss_per_image(logits, y, empty=True))):
        assert float(lgg_task(**flags).loss(logits, y)) == pytest.approx(ce + float(dice))
