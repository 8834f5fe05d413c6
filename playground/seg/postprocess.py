"""Post-processing of a binary tumour probability map: per slice, and per patient volume.

Candidates that the LGG cross-validation sweep (``python -m playground.seg.crossval --sweep``)
scores on out-of-fold predictions. The app uses none of them: on the 2026-12-04 fold models all
18 combinations scored 0.727-0.734 and the nested choice 0.728, against 0.731 for plain ``>= 0.5``.
On the 6000-step fold models (2026-12-05) the slice candidates alone scored 0.746-0.757 (plain
0.752); with the 3-D step below they reach 0.768 (nested), which a single slice cannot use.

- **threshold** ``t``: ``mask = prob >= t``;
- **small-component removal**: drop every 8-connected component with fewer than ``min_area``
  pixels (a false-positive speck on a tumour-free slice costs a whole patient's 3-D Dice through
  ``|P|`` in ``2|P∩G| / (|P|+|G|)``);
- **flip test-time augmentation**: ``p(x) = (f(x) + flip(f(flip(x)))) / 2`` with ``flip`` the
  horizontal mirror (the training augmentation flips horizontally, brains are near-symmetric).

One step needs a patient's whole volume, so it applies to the per-patient evaluation only, never
to a single uploaded slice:

- **largest 3-D component** (:func:`volume_largest_component`): stack a patient's slices in slice
  order and keep only the largest 6-connected (face-connected) component of the predicted
  tumour. This is the published pipeline's step: Buda et al. (2019), whose per-patient Dice of
  about 0.82 on this data issue 5 quotes, apply ``largest_connected_component`` to each
  predicted volume before scoring it (``inference.py``, ``postprocess_per_volume``, of
  mateuszbuda/brain-segmentation-pytorch).
"""

from __future__ import annotations

import numpy as np
import torch

from playground.seg import metrics
from playground.seg.components import label_components, largest_component


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
def flip_pair_prob(model: torch.nn.Module, x: np.ndarray | torch.Tensor,
                   batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Sigmoid probabilities (N, H, W) of ``x`` and, mirrored back, of its horizontal mirror:
    ``(f(x), flip(f(flip(x))))``."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    p = metrics.binary_prob(metrics.predict_logits(model, xt, batch))
    q = metrics.binary_prob(metrics.predict_logits(model, xt.flip(-1), batch))[..., ::-1]
    return p, np.ascontiguousarray(q)


def flip_tta_prob(model: torch.nn.Module, x: np.ndarray | torch.Tensor, batch: int = 16) -> np.ndarray:
    """Sigmoid probabilities (N, H, W), averaged over ``x`` and its horizontal mirror
    (:func:`flip_pair_prob`)."""
    p, q = flip_pair_prob(model, x, batch)
    return (p + q) / 2


def volume_largest_component(pred: np.ndarray, patients: np.ndarray, slices: np.ndarray) -> np.ndarray:
    """``pred`` (N, H, W) bool with each patient's volume cut to its largest 6-connected component.

    ``patients[i]`` and ``slices[i]`` name slice ``i``; a patient's slices are stacked in
    increasing slice number (whatever their order in ``pred``) to form the volume (S, H, W)."""
    pred = np.asarray(pred, dtype=bool)
    patients, slices = np.asarray(patients), np.asarray(slices)
    if not (len(pred) == len(patients) == len(slices)) or pred.ndim != 3:
        raise ValueError(f"pred must be (N, H, W) with N patients and slice numbers, got {pred.shape}, "
                         f"{len(patients)} patients, {len(slices)} slice numbers")
    out = np.zeros_like(pred)
    for pid in sorted(set(patients.tolist())):
        idx = np.flatnonzero(patients == pid)
        idx = idx[np.argsort(slices[idx], kind="stable")]
        if len(set(slices[idx].tolist())) != len(idx):
            raise ValueError(f"patient {pid} has repeated slice numbers")
        out[idx] = largest_component(pred[idx], connectivity=1)
    return out


def volume_mask(prob: np.ndarray, patients: np.ndarray, slices: np.ndarray, threshold: float = 0.5,
                min_area: int = 0, lcc: bool = False) -> np.ndarray:
    """The predicted tumour (N, H, W) bool of probabilities ``prob`` (N, H, W): :func:`binarize`
    at ``threshold`` with ``min_area``, then, with ``lcc``, :func:`volume_largest_component` of each
    patient's volume (slice ``i`` is ``patients[i]``'s slice number ``slices[i]``)."""
    pred = binarize(prob, threshold, min_area)
    return volume_largest_component(pred, patients, slices) if lcc else pred
