"""Slice-level post-processing of a binary tumour probability map (pure numpy / torch).

Candidates that the LGG cross-validation sweep (``python -m playground.seg.crossval --sweep``)
scores on out-of-fold predictions. The app uses none of them: on the 2026-12-04 fold models all
18 combinations scored 0.727-0.734 and the nested choice 0.728, against 0.731 for plain ``>= 0.5``.

- **threshold** ``t``: ``mask = prob >= t``;
- **small-component removal**: drop every 8-connected component with fewer than ``min_area``
  pixels (a false-positive speck on a tumour-free slice costs a whole patient's 3-D Dice through
  ``|P|`` in ``2|P∩G| / (|P|+|G|)``);
- **flip test-time augmentation**: ``p(x) = (f(x) + flip(f(flip(x)))) / 2`` with ``flip`` the
  horizontal mirror (the training augmentation flips horizontally, brains are near-symmetric).
"""

from __future__ import annotations

import numpy as np
import torch

from playground.seg import metrics
from playground.seg.taxonomy import label_components


def remove_small(mask: np.ndarray, min_area: int) -> np.ndarray:
    """``mask`` (H, W) bool without its 8-connected components of fewer than ``min_area`` pixels."""
    if min_area < 0:
        raise ValueError(f"min_area must be >= 0, got {min_area}")
    m = np.asarray(mask, dtype=bool)
    if min_area <= 1 or not m.any():
        return m.copy()
    lab, n = label_components(m)
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    keep = sizes >= min_area
    keep[0] = False
    return keep[lab]


def binarize(prob: np.ndarray, threshold: float = 0.5, min_area: int = 0) -> np.ndarray:
    """``prob >= threshold`` per slice, then :func:`remove_small`; ``prob`` is (H, W) or (N, H, W)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be in (0, 1), got {threshold}")
    p = np.asarray(prob)
    mask = p >= threshold
    if min_area <= 1:
        return mask
    if mask.ndim == 2:
        return remove_small(mask, min_area)
    return np.stack([remove_small(m, min_area) for m in mask])


@torch.no_grad()
def flip_tta_prob(model: torch.nn.Module, x: np.ndarray | torch.Tensor, batch: int = 16) -> np.ndarray:
    """Sigmoid probabilities (N, H, W), averaged over ``x`` and its horizontal mirror."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    p = metrics.binary_prob(metrics.predict_logits(model, xt, batch))
    q = metrics.binary_prob(metrics.predict_logits(model, xt.flip(-1), batch))[..., ::-1]
    return (p + q) / 2
