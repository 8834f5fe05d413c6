"""Grad-CAM (Selvaraju et al. 2017) for the CIFAR models, on any stage, without hooks.

For class c and the target stage's activations ``A`` (C, h, w):

    α_k = (1 / hw) Σ_ij ∂y^c / ∂A^k_ij          (global-average-pooled gradients)
    L   = ReLU(Σ_k α_k A^k)                       (h, w)

``L`` is upsampled bilinearly to the input's H×W and divided by its maximum (all zeros when the
map is ≤ 0 everywhere). The default target is the last conv stage. Gradients are taken with
``torch.autograd.grad`` w.r.t. the activations only, so a shared, cached model is never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class CamResult:
    """A Grad-CAM heatmap (H×W in [0, 1]), the explained class, the stage index and the raw map."""

    heatmap: np.ndarray
    class_idx: int
    stage: int
    raw: np.ndarray


def stage_names(model: nn.Module) -> list[str]:
    """``["stage1", ...]``: the selectable Grad-CAM targets (the last one is the default)."""
    return [f"stage{i + 1}" for i in range(len(model.stages))]


def resolve_stage(model: nn.Module, stage: int | str | None) -> int:
    """Index of ``stage`` (``None`` = last; an int index or a name like ``"stage2"``)."""
    n = len(model.stages)
    if stage is None:
        return n - 1
    if isinstance(stage, str):
        names = stage_names(model)
        if stage not in names:
            raise ValueError(f"unknown Grad-CAM target {stage!r}; choose from {names}")
        return names.index(stage)
    if not -n <= stage < n:
        raise ValueError(f"stage must be in [0, {n}), got {stage}")
    return stage % n


def cam_from(acts: torch.Tensor, grads: torch.Tensor, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The Grad-CAM formula on one image's activations/gradients (C, h, w) → (heatmap H×W, raw h×w)."""
    alpha = grads.mean(dim=(1, 2))  # (C,)
    raw = F.relu((alpha[:, None, None] * acts).sum(0))  # (h, w)
    up = F.interpolate(raw[None, None], size=size, mode="bilinear", align_corners=False)[0, 0]
    m = float(up.max())
    heat = (up / m) if m > 0 else torch.zeros_like(up)
    return heat.clamp_(0, 1).numpy(), raw.numpy()


def grad_cam(model: nn.Module, x: torch.Tensor, stage: int | str | None = None,
             class_idx: int | None = None) -> CamResult:
    """Grad-CAM of ``model`` for one normalised image ``x`` (1, 3, H, W); default class = top-1."""
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"x must be one image (1, 3, H, W), got {tuple(x.shape)}")
    s = resolve_stage(model, stage)
    with torch.enable_grad():
        # x needs grad so that a frozen (requires_grad=False) model still records a graph
        logits, feats = model.forward_stages(x.detach().clone().requires_grad_(True))
        c = int(logits[0].argmax()) if class_idx is None else int(class_idx)
        if not 0 <= c < logits.shape[1]:
            raise ValueError(f"class_idx must be in [0, {logits.shape[1]}), got {c}")
        (g,) = torch.autograd.grad(logits[0, c], feats[s])
    heat, raw = cam_from(feats[s][0].detach(), g[0], (x.shape[2], x.shape[3]))
    return CamResult(heat, c, s, raw)
