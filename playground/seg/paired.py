"""Paired comparison of two recipes on the same patients: mean difference, bootstrap interval, sign test.

Cross-validation folds move by up to 0.04 between two runs of one recipe, so two recipes are
compared patient by patient on the same folds (:func:`paired`), not by their fold means.
"""

from __future__ import annotations

import math

import numpy as np


def paired(a: dict[str, float], b: dict[str, float], n_boot: int = 10_000, seed: int = 0) -> dict:
    """Paired comparison of two per-patient Dice maps over their common patients: ``a - b``.

    Returns ``{"n", "mean_a", "mean_b", "mean_diff", "wins", "losses", "ties", "ci95", "sign_p"}``:
    ``mean_diff = mean_p (a_p - b_p)``; ``wins``/``losses``: patients with ``a_p > b_p`` /
    ``a_p < b_p``; ``ci95``: the 2.5 and 97.5 percentiles of the mean difference over ``n_boot``
    bootstrap resamples of the patients (a recipe change whose interval holds 0 is not shown to
    help); ``sign_p``: the two-sided exact sign test of the wins against the losses (ties
    dropped), ``min(1, 2 * P(X <= min(wins, losses)))`` for ``X ~ Binomial(wins + losses, 1/2)``:
    it asks whether most patients move one way, whatever the size of the moves."""
    common = sorted(a.keys() & b.keys())
    if not common:
        raise ValueError("the two per-patient maps share no patient")
    diff = np.array([a[p] - b[p] for p in common])
    boot = np.random.default_rng(seed).choice(diff, size=(n_boot, len(diff))).mean(1)
    return {"n": len(common), "mean_a": float(np.mean([a[p] for p in common])),
            "mean_b": float(np.mean([b[p] for p in common])), "mean_diff": float(diff.mean()),
            "wins": int((diff > 0).sum()), "losses": int((diff < 0).sum()), "ties": int((diff == 0).sum()),
            "ci95": (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))),
            "sign_p": sign_test(int((diff > 0).sum()), int((diff < 0).sum()))}


def mean_map(maps: list[dict[str, float]]) -> dict[str, float]:
    """Per-patient mean of several per-patient Dice maps, ``m_p = (1/R) Σ_r d_{r,p}``.

    Several runs (seeds) of one recipe averaged patient by patient: a reference with less
    run-to-run noise than one run. Every map must hold the same patients."""
    if not maps:
        raise ValueError("mean_map needs at least one per-patient map")
    keys = set(maps[0])
    for m in maps[1:]:
        if set(m) != keys:
            raise ValueError(f"the maps cover different patients: {sorted(keys ^ set(m))[:5]}")
    return {p: float(np.mean([m[p] for m in maps])) for p in sorted(keys)}


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test: ``min(1, 2 * sum_{i <= k} C(n, i) / 2^n)`` with ``n = wins +
    losses`` and ``k = min(wins, losses)``; 1.0 when ``n = 0``."""
    if wins < 0 or losses < 0:
        raise ValueError(f"wins and losses must be >= 0, got {wins} and {losses}")
    n, k = wins + losses, min(wins, losses)
    return 1.0 if n == 0 else min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def print_paired(c: dict, against: str) -> None:
    """Print one :func:`paired` comparison (this run minus ``against``) on one line."""
    print(f"paired against {against} over {c['n']} patients: {c['mean_a']:.3f} vs {c['mean_b']:.3f}, "
          f"difference {c['mean_diff']:+.3f} (95 % bootstrap interval {c['ci95'][0]:+.3f} to "
          f"{c['ci95'][1]:+.3f}); better on {c['wins']}, worse on {c['losses']} patients "
          f"(sign test p = {c['sign_p']:.3g})")
