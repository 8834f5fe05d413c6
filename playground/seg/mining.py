"""Hard-example sampling: draw the training slices the network currently gets wrong more often.

A pool of ``N`` items keeps a score ``s_i`` per item, the running loss of its last visits. Item
``i`` is drawn with probability

    p_i = (1 - m) / N + m * s_i / Σ_j s_j

so every item keeps at least ``(1 - m)`` of its uniform share, and the hard ones get up to the
whole mined share ``m``. This is online hard-example mining over the whole pool, close to
Loshchilov & Hutter's "online batch selection" (2015), which draws by the rank of each item's
latest loss where this draws in proportion to it. After a visit,

    s_i <- (1 - β) s_i + β * loss_i

Unvisited items keep their initial score ``init``, set above a trained loss so that every item
is visited early.
"""

from __future__ import annotations

import numpy as np
import torch

MINED = 0.5  # m: the share of each draw given by the scores
BETA = 0.5  # β: how far one visit moves a score toward its new loss


class HardPool:
    """Scores and draws over ``n`` items (indices ``0 .. n-1``)."""

    def __init__(self, n: int, mined: float = MINED, beta: float = BETA, init: float = 1.0) -> None:
        if n < 1:
            raise ValueError(f"a pool needs at least 1 item, got {n}")
        if not 0.0 <= mined <= 1.0:
            raise ValueError(f"mined share must be in [0, 1], got {mined}")
        if not 0.0 < beta <= 1.0:
            raise ValueError(f"beta must be in (0, 1], got {beta}")
        if not init > 0.0:
            raise ValueError(f"init must be > 0, got {init}")
        self.mined, self.beta = mined, beta
        self.scores = torch.full((n,), float(init), dtype=torch.float64)

    def probabilities(self) -> torch.Tensor:
        """``p_i = (1 - m) / N + m * s_i / Σ s`` (float64, sums to 1)."""
        n = len(self.scores)
        return (1.0 - self.mined) / n + self.mined * self.scores / self.scores.sum()

    def draw(self, g: torch.Generator, k: int) -> np.ndarray:
        """``k`` item indices drawn with replacement from :meth:`probabilities`."""
        return torch.multinomial(self.probabilities(), k, replacement=True, generator=g).numpy()

    def update(self, items: np.ndarray, losses: torch.Tensor) -> None:
        """``s_i <- (1 - β) s_i + β * loss_i`` for each visited item (in order, so a repeat counts
        twice). Negative or non-finite losses are refused: a score must stay positive."""
        losses = losses.detach().double().reshape(-1)
        if len(items) != len(losses):
            raise ValueError(f"{len(items)} items but {len(losses)} losses")
        if not bool(torch.isfinite(losses).all()) or bool((losses < 0).any()):
            raise ValueError("losses must be finite and >= 0")
        for i, v in zip(np.asarray(items).tolist(), losses.tolist()):
            self.scores[i] = (1.0 - self.beta) * self.scores[i] + self.beta * v
        # keep every score positive, so no item's mined share collapses to exactly zero
        self.scores.clamp_(min=1e-6)
