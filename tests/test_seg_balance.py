"""Patient-balanced sampling (`playground/seg/balance.py`)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.seg.balance import PatientPool


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=40))
def test_probabilities_give_each_patient_an_equal_share(ids: list[str]) -> None:
    pool = PatientPool(np.array(ids))
    p = pool.probabilities()
    q = len(set(ids))
    assert pool.n_patients == q and abs(p.sum() - 1.0) < 1e-12
    for pid in set(ids):
        mine = [i for i, x in enumerate(ids) if x == pid]
        assert np.allclose(p[mine], 1.0 / (q * len(mine)))  # 1 / (Q n_q) each, 1 / Q together


def test_draws_follow_the_probabilities() -> None:
    ids = np.array(["big"] * 30 + ["small"] * 3 + ["mid"] * 7)
    pool = PatientPool(ids)
    got = np.bincount(pool.draw(torch.Generator().manual_seed(0), 30_000), minlength=len(ids)) / 30_000
    share = {pid: got[ids == pid].sum() for pid in ("big", "small", "mid")}
    assert all(abs(v - 1 / 3) < 0.015 for v in share.values()), share  # a uniform slice draw: 0.75 / 0.075
    assert np.all(np.abs(got - pool.probabilities()) < 0.01)


def test_draws_stay_inside_the_pool_and_repeat_with_the_seed() -> None:
    pool = PatientPool(np.array([3, 1, 3, 2, 1, 3]))
    a = pool.draw(torch.Generator().manual_seed(5), 500)
    b = pool.draw(torch.Generator().manual_seed(5), 500)
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 5 and set(a.tolist()) == set(range(6))


@pytest.mark.parametrize("bad", [np.array([]), np.array([["a", "b"]])])
def test_an_empty_or_2d_pool_is_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="non-empty 1-D array of patient ids"):
        PatientPool(bad)


def test_lgg_task_draws_patient_by_patient_when_asked(small_lgg_root) -> None:  # noqa: ANN001
    from playground.seg.tasks import lgg_task

    with pytest.raises(ValueError, match="pick one"):
        lgg_task(str(small_lgg_root), fold=(0, 2), hard_mining=True, patient_balanced=True)
    plain = lgg_task(str(small_lgg_root), fold=(0, 2))
    task = lgg_task(str(small_lgg_root), fold=(0, 2), patient_balanced=True)
    xs = [t.sample(torch.Generator().manual_seed(3), 8) for t in (plain, task)]
    for x, y in xs:  # the same halves: tumour slices first, then tumour-free ones
        assert x.shape == (8, 3, 128, 128) and y[:4].flatten(1).any(1).all() and not y[4:].any()
    assert not torch.equal(xs[0][0], xs[1][0])  # another draw than the uniform one
