"""Hard-example sampling (`playground/seg/mining.py`) and its wiring into the LGG task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.seg.mining import HardPool
from playground.seg.tasks import bce_dice, lgg_task, loss_per_image


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 30), mined=st.floats(0.0, 1.0), seed=st.integers(0, 10_000))
def test_probabilities_follow_the_formula(n: int, mined: float, seed: int) -> None:
    pool = HardPool(n, mined=mined)
    g = torch.Generator().manual_seed(seed)
    pool.scores = torch.rand(n, generator=g, dtype=torch.float64) * 5 + 1e-3
    p = pool.probabilities()
    s = pool.scores
    want = [(1 - mined) / n + mined * float(s[i]) / float(s.sum()) for i in range(n)]
    assert np.allclose(p.numpy(), want, atol=1e-12)
    assert abs(float(p.sum()) - 1.0) < 1e-9
    assert float(p.min()) >= (1 - mined) / n - 1e-12  # every item keeps its floor


def test_equal_scores_draw_uniformly() -> None:
    p = HardPool(7).probabilities()
    assert torch.allclose(p, torch.full((7,), 1 / 7, dtype=torch.float64))


def test_update_moves_each_visited_score_halfway_and_repeats_count_twice() -> None:
    pool = HardPool(4, beta=0.5, init=1.0)
    pool.update(np.array([0, 2, 2]), torch.tensor([3.0, 0.0, 0.0]))
    assert pool.scores.tolist() == [2.0, 1.0, 0.25, 1.0]


def test_a_hard_item_is_drawn_as_often_as_its_probability_says() -> None:
    pool = HardPool(10, mined=0.5)
    pool.scores[:] = 1.0
    pool.scores[3] = 10.0  # p_3 = 0.05 + 0.5 * 10 / 19
    want = 0.05 + 0.5 * 10 / 19
    got = np.bincount(pool.draw(torch.Generator().manual_seed(0), 20_000), minlength=10) / 20_000
    assert abs(got[3] - want) < 0.015
    assert np.all(np.abs(np.delete(got, 3) - (1 - want) / 9) < 0.01)


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "at least 1 item"),
    ({"n": 3, "mined": 1.5}, "mined share must be in [0, 1]"),
    ({"n": 3, "beta": 0.0}, "beta must be in (0, 1]"),
    ({"n": 3, "init": 0.0}, "init must be > 0"),
])
def test_bad_pool_settings_name_the_constraint(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(")):
        HardPool(**kwargs)


def test_bad_losses_are_refused() -> None:
    pool = HardPool(3)
    with pytest.raises(ValueError, match="2 items but 1 losses"):
        pool.update(np.array([0, 1]), torch.tensor([1.0]))
    for bad in (float("nan"), -1.0, float("inf")):
        with pytest.raises(ValueError, match="finite and >= 0"):
            pool.update(np.array([0]), torch.tensor([bad]))
    assert pool.scores.tolist() == [1.0, 1.0, 1.0]  # a refused update changes nothing


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 5))
def test_loss_per_image_is_bce_dice_of_each_image_alone(seed: int, n: int) -> None:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 1, 8, 8, generator=g) * 3
    y = (torch.rand(n, 1, 8, 8, generator=g) < 0.3).float()
    got = loss_per_image(logits, y)
    want = torch.stack([bce_dice(logits[i:i + 1], y[i:i + 1]) for i in range(n)])
    assert torch.allclose(got, want, atol=1e-5)


def test_lgg_task_mines_only_when_asked(small_lgg_root: Path) -> None:
    plain = lgg_task(str(small_lgg_root), fold=(0, 2))
    assert plain.feedback is None and plain.pools == ()
    task = lgg_task(str(small_lgg_root), fold=(0, 2), hard_mining=True)
    with pytest.raises(ValueError, match="last batch that sample"):
        task.feedback(torch.zeros(4, 1, 128, 128))
    g = torch.Generator().manual_seed(0)
    x, y = task.sample(g, 8)
    assert x.shape == (8, 3, 128, 128) and y[:4].flatten(1).any(1).all() and not y[4:].any()
    pos, neg = task.pools
    # A network that predicts no tumour anywhere: each tumour slice costs 1 + its BCE, each
    # tumour-free one almost nothing, so their scores move away from the initial 1.0.
    task.feedback(torch.full((8, 1, 128, 128), -20.0))
    seen_pos = pos.scores != 1.0
    seen_neg = neg.scores != 1.0
    assert 1 <= int(seen_pos.sum()) <= 4 and 1 <= int(seen_neg.sum()) <= 4
    assert bool((pos.scores[seen_pos] > 1.0).all()) and bool((neg.scores[seen_neg] < 0.51).all())
    p = pos.probabilities()
    assert bool((p[seen_pos] > p[~seen_pos].max()).all())  # the missed tumour slices come up more
    with pytest.raises(ValueError, match="last batch that sample"):
        task.feedback(torch.zeros(3, 1, 128, 128))
