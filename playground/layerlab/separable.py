"""Separable kernels: a rank-1 kernel ``K = col ⊗ row`` is two 1-D passes.

Sobel x is ``[1, 2, 1]ᵀ ⊗ [−1, 0, 1]``. With zero padding ``(p_h, p_w)``:

- 2-D pass: ``Ho·Wo·kh·kw`` multiply-accumulates (k² per output pixel);
- separable: a column pass ``(kh×1, padding (p_h, 0))`` on the full width, ``Ho·W·kh`` MACs, then a
  row pass ``(1×kw, padding (0, p_w))``, ``Ho·Wo·kw`` MACs (≈ 2k per output pixel).

Both maps are computed with ``F.conv2d`` in float64 and compared (max |difference|).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["SOBEL_X_FACTORS", "SOBEL_Y_FACTORS", "separate", "SeparableResult", "separable_maps"]

SOBEL_X_FACTORS: tuple[tuple[float, ...], tuple[float, ...]] = ((1.0, 2.0, 1.0), (-1.0, 0.0, 1.0))
"""(column, row): ``outer([1,2,1], [-1,0,1])`` is Sobel x."""
SOBEL_Y_FACTORS: tuple[tuple[float, ...], tuple[float, ...]] = ((-1.0, 0.0, 1.0), (1.0, 2.0, 1.0))
"""(column, row): ``outer([-1,0,1], [1,2,1])`` is Sobel y."""


def separate(kernel: np.ndarray, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray] | None:
    """Return ``(col, row)`` with ``outer(col, row) == kernel`` if the kernel has rank 1, else None.

    The row is scaled so that its smallest non-zero |entry| is 1 and the signs so that the column
    (else the row) sums to a positive number: Sobel x gives ``([1,2,1], [-1,0,1])``."""
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or not np.isfinite(k).all():
        raise ValueError(f"kernel must be a finite 2-D matrix, got shape {k.shape}")
    if not k.any():
        return None
    u, s, vt = np.linalg.svd(k)
    if s.size > 1 and s[1] > tol * s[0]:
        return None
    col, row = u[:, 0] * s[0], vt[0]
    nz = np.abs(row)[np.abs(row) > tol * np.abs(row).max()]
    scale = float(nz.min())
    col, row = col * scale, row / scale
    sign = np.sign(np.round(col.sum(), 9)) or np.sign(np.round(row.sum(), 9)) or 1.0
    col, row = col * sign + 0.0, row * sign + 0.0
    if np.allclose(col, np.round(col), atol=1e-9):
        col = np.round(col)
    if np.allclose(row, np.round(row), atol=1e-9):
        row = np.round(row)
    return col + 0.0, row + 0.0


@dataclass(frozen=True)
class SeparableResult:
    """Both maps, their max |difference|, the factors and exact MAC counts."""

    full: np.ndarray          # (Ho, Wo) from the 2-D kernel
    two_pass: np.ndarray      # (Ho, Wo) from column pass then row pass
    intermediate: np.ndarray  # (Ho, W) after the column pass
    max_abs_diff: float
    col: np.ndarray
    row: np.ndarray
    macs_2d: int
    macs_separable: int

    @property
    def saving(self) -> float:
        """``macs_2d / macs_separable`` (how many times fewer MACs)."""
        return self.macs_2d / self.macs_separable


def separable_maps(image: np.ndarray, col=SOBEL_X_FACTORS[0], row=SOBEL_X_FACTORS[1],
                   padding: tuple[int, int] | None = None) -> SeparableResult:
    """Apply ``outer(col, row)`` as one 2-D convolution and as two 1-D passes on ``image (H, W)``.

    ``padding`` defaults to ``(kh // 2, kw // 2)`` (same size for odd kernels)."""
    img = np.asarray(image, dtype=np.float64)
    c = np.asarray(col, dtype=np.float64).reshape(-1)
    r = np.asarray(row, dtype=np.float64).reshape(-1)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ValueError(f"image must be a non-empty 2-D array, got shape {img.shape}")
    if c.size < 1 or r.size < 1 or not (np.isfinite(c).all() and np.isfinite(r).all()):
        raise ValueError("the 1-D factors must be non-empty finite vectors")
    kh, kw = c.size, r.size
    ph, pw = padding if padding is not None else (kh // 2, kw // 2)
    H, W = img.shape
    if H + 2 * ph < kh or W + 2 * pw < kw:
        raise ValueError(f"the {kh}×{kw} kernel does not fit the padded {H + 2 * ph}×{W + 2 * pw} image")
    x = torch.from_numpy(img)[None, None]
    k2 = torch.from_numpy(np.outer(c, r))[None, None]
    full = F.conv2d(x, k2, padding=(ph, pw))
    mid = F.conv2d(x, torch.from_numpy(c).view(1, 1, kh, 1), padding=(ph, 0))
    two = F.conv2d(mid, torch.from_numpy(r).view(1, 1, 1, kw), padding=(0, pw))
    ho, wo = full.shape[-2:]
    return SeparableResult(
        full=full[0, 0].numpy(), two_pass=two[0, 0].numpy(), intermediate=mid[0, 0].numpy(),
        max_abs_diff=float((full - two).abs().max()), col=c, row=r,
        macs_2d=int(ho * wo * kh * kw), macs_separable=int(ho * W * kh + ho * wo * kw))
