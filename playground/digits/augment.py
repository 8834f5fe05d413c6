"""Batch augmentation for MNIST training, vectorised in torch (no per-image Python loop).

Drawn digits differ from MNIST's scanned pen strokes: they are slanted, rotated, stretched, drawn
with a brush of any width. Each image gets a small random affine map (rotation ±12°, scale
0.85–1.15 per axis, shear ±12°, shift ±2 px), a smooth elastic displacement (random 4×4 field,
bicubically upsampled, amplitude ≤ 1.5 px) and, for 40 % of the images, a stroke-width change:
a blend with a 3×3 grey dilation (thicker, weight 0.3–1) or erosion (thinner, weight 0.2–0.5).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


RECIPE: dict[str, object] = {
    "rotation_deg": 12.0, "scale": [0.85, 1.15], "shear_deg": 12.0, "shift_px": 2.0,
    "elastic": "4x4 random field, bicubic upsampling, <= 1.5 px",
    "stroke_width": "40 %: blend with 3x3 dilation (0.3-1) or erosion (0.2-0.5)",
}
"""The augmentation as recorded in the weights' metadata."""


def _uniform(n: int, lo: float, hi: float, gen: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=gen) * (hi - lo) + lo


def affine_elastic(x: torch.Tensor, gen: torch.Generator, max_rot: float = 12.0,
                   scale: tuple[float, float] = (0.85, 1.15), max_shear: float = 12.0,
                   max_shift: float = 2.0, elastic_px: float = 1.5) -> torch.Tensor:
    """Warp (N, 1, H, W) images with a random affine map plus a smooth elastic field."""
    n, _, h, w = x.shape
    rot = torch.deg2rad(_uniform(n, -max_rot, max_rot, gen))
    shear = torch.deg2rad(_uniform(n, -max_shear, max_shear, gen))
    sx, sy = _uniform(n, *scale, gen), _uniform(n, *scale, gen)
    tx, ty = (_uniform(n, -max_shift, max_shift, gen) * 2 / w, _uniform(n, -max_shift, max_shift, gen) * 2 / h)
    cos, sin, tan = torch.cos(rot), torch.sin(rot), torch.tan(shear)
    # theta maps output coordinates to input coordinates; the random rotation/shear/scale are drawn
    # for that inverse map directly (the distribution of small warps is the same either way).
    a = torch.stack([cos / sx, (-sin + cos * tan) / sx, tx], dim=1)
    b = torch.stack([sin / sy, (cos + sin * tan) / sy, ty], dim=1)
    theta = torch.stack([a, b], dim=1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, H, W, 2)
    if elastic_px > 0:
        field = torch.rand(n, 2, 4, 4, generator=gen) * 2 - 1
        field = F.interpolate(field, size=(h, w), mode="bicubic", align_corners=False)
        field = field.permute(0, 2, 3, 1) * (elastic_px * 2 / max(h, w))
        grid = grid + field
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def stroke_width(x: torch.Tensor, gen: torch.Generator, p: float = 0.4) -> torch.Tensor:
    """Thicken or thin the strokes of a random fraction ``p`` of the images (3×3 grey morphology)."""
    n = x.shape[0]
    dil = F.max_pool2d(x, 3, 1, 1)
    ero = -F.max_pool2d(-x, 3, 1, 1)
    u = torch.rand(n, generator=gen)
    # erosion erases MNIST's 2–3 px strokes quickly, so it is applied more gently than dilation
    thick_amt = _uniform(n, 0.3, 1.0, gen).view(n, 1, 1, 1)
    thin_amt = _uniform(n, 0.2, 0.5, gen).view(n, 1, 1, 1)
    thick = (u < p / 2).view(n, 1, 1, 1).float()
    thin = ((u >= p / 2) & (u < p)).view(n, 1, 1, 1).float()
    out = x + thick * thick_amt * (dil - x) + thin * thin_amt * (ero - x)
    return out.clamp_(0.0, 1.0)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The training augmentation: stroke width, then affine + elastic warp. Pixels stay in [0, 1]."""
    return affine_elastic(stroke_width(x, gen), gen).clamp_(0.0, 1.0)

