"""Batch augmentations for segmentation, applied identically to images and masks (torch, CPU).

The U-Net paper trains on 30 EM images with "shift and rotation invariance as well as robustness
to deformations": **flips, rotations and elastic deformations**. Its elastic deformation:
"random displacement vectors on a coarse 3 by 3 grid ... sampled from a Gaussian distribution
with 10 pixels standard deviation. Per-pixel displacements are then computed using bicubic
interpolation." :func:`elastic` does exactly that with ``F.interpolate(mode="bicubic")`` and
``F.grid_sample``.

Images are resampled bilinearly; masks with ``mode="nearest"`` so labels stay labels.
All functions take ``x`` (N, C, H, W) float and ``y`` (N, K, H, W) float/long-as-float and a
``torch.Generator`` so that a run is reproducible.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from playground.seg.data import BRAIN_FLAIR_MIN


def flips(x: torch.Tensor, y: torch.Tensor, g: torch.Generator,
          vertical: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Random horizontal (and optionally vertical) flips, per sample."""
    n = x.shape[0]
    h = torch.rand(n, generator=g) < 0.5
    x, y = x.clone(), y.clone()
    x[h], y[h] = x[h].flip(-1), y[h].flip(-1)
    if vertical:
        v = torch.rand(n, generator=g) < 0.5
        x[v], y[v] = x[v].flip(-2), y[v].flip(-2)
    return x, y


def rot90(x: torch.Tensor, y: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate the whole batch by a random multiple of 90 degrees (square inputs)."""
    k = int(torch.randint(0, 4, (1,), generator=g))
    return torch.rot90(x, k, (-2, -1)), torch.rot90(y, k, (-2, -1))


def _warp(x: torch.Tensor, y: torch.Tensor, grid: torch.Tensor,
          pad: str) -> tuple[torch.Tensor, torch.Tensor]:
    xo = F.grid_sample(x, grid, mode="bilinear", padding_mode=pad, align_corners=False)
    yo = F.grid_sample(y, grid, mode="nearest", padding_mode=pad, align_corners=False)
    return xo, yo


def _identity_grid(n: int, h: int, w: int) -> torch.Tensor:
    theta = torch.eye(2, 3).unsqueeze(0).expand(n, 2, 3)
    return F.affine_grid(theta, [n, 1, h, w], align_corners=False)  # (N, H, W, 2) in [-1, 1]


def affine(x: torch.Tensor, y: torch.Tensor, g: torch.Generator, max_deg: float = 15.0,
           scale: tuple[float, float] = (0.9, 1.1), pad: str = "zeros") -> tuple[torch.Tensor, torch.Tensor]:
    """Random rotation in ``[-max_deg, max_deg]`` and isotropic scale, per sample."""
    n = x.shape[0]
    ang = (torch.rand(n, generator=g) * 2 - 1) * math.radians(max_deg)
    s = scale[0] + torch.rand(n, generator=g) * (scale[1] - scale[0])
    cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros(n)], 1),
                         torch.stack([sin, cos, torch.zeros(n)], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return _warp(x, y, grid, pad)


def elastic(x: torch.Tensor, y: torch.Tensor, g: torch.Generator, sigma_px: float = 10.0,
            grid_pts: int = 3, pad: str = "reflection") -> tuple[torch.Tensor, torch.Tensor]:
    """The paper's elastic deformation: Gaussian displacements (std ``sigma_px`` pixels) on a
    coarse ``grid_pts x grid_pts`` grid, upsampled bicubically to per-pixel displacements."""
    n, _, h, w = x.shape
    coarse = torch.randn(n, 2, grid_pts, grid_pts, generator=g) * sigma_px  # pixels (dx, dy)
    disp = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=True)  # (N, 2, H, W)
    # pixels -> normalised [-1, 1] coordinates: one pixel is 2/W horizontally, 2/H vertically
    disp = torch.stack([disp[:, 0] * 2 / w, disp[:, 1] * 2 / h], dim=-1)  # (N, H, W, 2)
    return _warp(x, y, _identity_grid(n, h, w) + disp, pad)


def intensity(x: torch.Tensor, g: torch.Generator, gain: float = 0.1,
              bias: float = 0.1) -> torch.Tensor:
    """Random per-sample contrast gain and brightness shift (images only)."""
    n = x.shape[0]
    a = 1 + (torch.rand(n, 1, 1, 1, generator=g) * 2 - 1) * gain
    b = (torch.rand(n, 1, 1, 1, generator=g) * 2 - 1) * bias
    return x * a + b


def channel_gain(x: torch.Tensor, g: torch.Generator, low: float = 0.25, high: float = 1.5,
                 p: float = 0.5, share: tuple[int, ...] | None = None) -> torch.Tensor:
    """Scale each channel of a sample by its own log-uniform gain ``exp(U(ln low, ln high))``.

    Applied to a fraction ``p`` of the samples (the rest keep gain 1); the result is clipped to
    ``[0, 1]`` as an 8-bit scan would be. MRI intensities are not calibrated between scanners: one
    LGG patient's FLAIR is 3-4x darker than the others', and a model trained without this sees it
    as tumour-free. ``share[j]``: the channel whose gain channel ``j`` takes (default: its own), so
    that channels of one sequence (a slice's FLAIR and its neighbours') keep one gain.
    """
    if not 0 < low <= 1 <= high:
        raise ValueError(f"channel_gain needs 0 < low <= 1 <= high, got low={low}, high={high}")
    n, c = x.shape[:2]
    if share is not None and (len(share) != c or not all(0 <= j < c for j in share)):
        raise ValueError(f"channel_gain: share must name one of the {c} channels per channel, got {share}")
    u = torch.rand(n, c, 1, 1, generator=g)
    if share is not None:
        u = u[:, list(share)]
    gain = torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    keep = torch.rand(n, 1, 1, 1, generator=g) >= p
    gain = torch.where(keep, torch.ones_like(gain), gain)
    return (x * gain).clamp(0.0, 1.0)


def modality_dropout(x: torch.Tensor, g: torch.Generator, p_all: float = 0.2, p_post: float = 0.1,
                     keep: int = 1, post: int = 2) -> torch.Tensor:
    """Simulate missing MRI sequences the way the LGG data stores them: by copying FLAIR.

    Per sample, with probability ``p_all`` every channel becomes channel ``keep`` (FLAIR): what a
    greyscale FLAIR upload and a patient scanned with FLAIR only look like. Otherwise, with
    probability ``p_post``, only the post-contrast channel ``post`` becomes FLAIR (three LGG
    patients lack that sequence). A model trained without this finds a third of the tumour on
    greyscale FLAIR (per-patient Dice 0.81 -> 0.58 on the test patients).
    """
    if not (0 <= p_all <= 1 and 0 <= p_post <= 1):
        raise ValueError(f"modality_dropout needs probabilities in [0, 1], got p_all={p_all}, p_post={p_post}")
    n, c = x.shape[:2]
    if not (0 <= keep < c and 0 <= post < c):
        raise ValueError(f"modality_dropout: channels keep={keep}, post={post} must be < {c}")
    u = torch.rand(n, generator=g)
    every = u < p_all
    only_post = (u >= p_all) & (u < p_all + (1 - p_all) * p_post)
    x = x.clone()
    x[every] = x[every][:, keep:keep + 1].expand(-1, c, -1, -1)
    x[only_post, post] = x[only_post, keep]
    return x


def context_dropout(x: torch.Tensor, g: torch.Generator, first: int, keep: int = 1,
                    p: float = 0.25) -> torch.Tensor:
    """Per sample, with probability ``p``, channels ``first:`` (neighbouring slices) become
    channel ``keep`` (the slice's own FLAIR): what a single uploaded slice, without neighbours,
    looks like to a model that takes slice context."""
    n, c = x.shape[:2]
    if not (0 <= p <= 1 and 0 <= keep < first <= c):
        raise ValueError(f"context_dropout needs p in [0, 1] and 0 <= keep < first <= {c}, "
                         f"got p={p}, keep={keep}, first={first}")
    drop = torch.rand(n, generator=g) < p
    x = x.clone()
    x[drop, first:] = x[drop, keep:keep + 1].expand(-1, c - first, -1, -1)
    return x


def lesion_fade(x: torch.Tensor, y: torch.Tensor, g: torch.Generator, channels: tuple[int, ...] = (1,),
                p: float = 0.5, strength: float = 0.6,
                brain_min: float = BRAIN_FLAIR_MIN / 255) -> torch.Tensor:
    """Make the lesion fainter: pull its intensity toward the rest of the brain's (images only).

    Per sample with foreground in ``y``, with probability ``p``, each channel ``c`` of ``channels``
    becomes ``x_c - a * s * (x_c - m_c)`` with ``a ~ U(0, strength)``. ``m_c`` is the median of
    ``x_c`` over the brain outside the mask (pixels of the reference channel ``channels[0]`` above
    ``brain_min``, :data:`data.BRAIN_FLAIR_MIN` of 255 by default), and ``s`` a soft copy of the
    mask (dilated 3x3, then a 5x5 box blur) that is zero off the brain. A lesion of contrast
    ``k = x / m`` keeps ``1 + (1 - a)(k - 1)``; at ``a = 0.6`` the LGG median of 1.58 becomes 1.23,
    the contrast of the tumours the recipe misses (``playground.seg.difficulty``). The label
    stays: the tumour is still there, only fainter.
    """
    if not (0 <= p <= 1 and 0 <= strength < 1):
        raise ValueError(f"lesion_fade needs p in [0, 1] and strength in [0, 1), got p={p}, strength={strength}")
    n, c = x.shape[:2]
    if not channels or not all(0 <= j < c for j in channels):
        raise ValueError(f"lesion_fade: channels must name some of the {c} channels, got {channels}")
    u = torch.rand(n, generator=g)
    a = torch.rand(n, generator=g) * strength
    m = y[:, :1] > 0.5
    pick = (u < p) & m.flatten(1).any(1)
    if not bool(pick.any()):
        return x
    soft = F.avg_pool2d(F.max_pool2d(m.float(), 3, 1, 1), 5, 1, 2)  # (N, 1, H, W) in [0, 1]
    brain = x[:, channels[0]:channels[0] + 1] > brain_min
    soft = soft * brain
    x = x.clone()
    for i in torch.nonzero(pick).flatten().tolist():
        rest = brain[i, 0] & ~m[i, 0]
        if not bool(rest.any()):
            continue
        for j in channels:
            ref = x[i, j][rest].median()
            x[i, j] = x[i, j] - a[i] * soft[i, 0] * (x[i, j] - ref)
    return x
