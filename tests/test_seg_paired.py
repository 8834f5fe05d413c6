"""The paired comparison of two recipes' per-patient Dice (``playground.seg.paired``)."""

from __future__ import annotations

import math

import pytest

from playground.seg.paired import paired, sign_test


def test_paired_comparison_of_two_recipes() -> None:
    a = {"p1": 0.9, "p2": 0.8, "p3": 0.5, "only_a": 1.0}
    b = {"p1": 0.7, "p2": 0.8, "p3": 0.6, "only_b": 0.0}
    r = paired(a, b, n_boot=2000)
    assert r["n"] == 3 and (r["wins"], r["losses"], r["ties"]) == (1, 1, 1)
    assert r["mean_diff"] == pytest.approx((0.2 + 0.0 - 0.1) / 3)
    assert r["mean_a"] - r["mean_b"] == pytest.approx(r["mean_diff"])
    assert -0.1 - 1e-9 <= r["ci95"][0] < r["mean_diff"] < r["ci95"][1] <= 0.2 + 1e-9  # resamples of (0.2, 0, -0.1)
    up = paired({k: v + 0.05 for k, v in b.items()}, b)
    assert up["ci95"][0] == pytest.approx(0.05) and up["wins"] == 4  # a uniform gain has no spread
    assert r["sign_p"] == 1.0 and up["sign_p"] == pytest.approx(2 / 16)  # 1 win 1 loss; 4 of 4 wins: 2 * 1/2^4
    assert sign_test(28, 9) == pytest.approx(2 * sum(math.comb(37, i) for i in range(10)) / 2**37)
    assert sign_test(0, 0) == 1.0 and sign_test(3, 3) == 1.0
    with pytest.raises(ValueError, match=">= 0"):
        sign_test(-1, 2)
    with pytest.raises(ValueError, match="no patient"):
        paired({"x": 1.0}, {"y": 1.0})


def test_mean_map_averages_each_patient_and_refuses_mismatched_maps() -> None:
    from playground.seg.paired import mean_map

    a, b = {"p1": 0.2, "p2": 0.9}, {"p1": 0.6, "p2": 0.5}
    assert mean_map([a, b]) == {"p1": pytest.approx(0.4), "p2": pytest.approx(0.7)}
    assert mean_map([a]) == a
    with pytest.raises(ValueError, match="at least one"):
        mean_map([])
    with pytest.raises(ValueError, match="different patients"):
        mean_map([a, {"p1": 0.1}])
