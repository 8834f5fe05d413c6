"""The course's "how convolution kernels work" demo: a C×H×W volume, K filters C×k×k, cell by cell.

Each output cell is ``out[f, i, j] = Σ_c Σ_ab w[f, c, a, b] · x_pad[c, i·s + a, j·s + b] + bias[f]``:
one dot product per input channel, summed over channels, plus the filter's bias. The output volume
is ``F.conv2d``'s; each step recomputes its cell from the printed numbers (tests check they agree).
Output size: ``floor((H + 2p − k) / s) + 1`` per dimension.

Text format (for editable values): rows of numbers, one matrix per channel separated by a blank
line; filters separated by a line ``---``; lines starting with ``#`` are comments.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from playground import limits
from playground.layerlab.geometry import pair
from playground.layerlab.kernels import parse_kernel
from playground.render import format_value

__all__ = ["VolumeStep", "VolumeView", "volume_view", "default_volume", "parse_volume",
           "parse_filters", "parse_biases", "volume_to_text", "filters_to_text"]


@dataclass(frozen=True)
class VolumeStep:
    """One output cell: filter ``f`` at ``(i, j)``; per-channel dot products, bias and total."""

    filter: int
    out: tuple[int, int]
    top_left: tuple[int, int]          # window origin in padded coordinates
    per_channel: tuple[float, ...]
    terms: tuple[str, ...]             # per channel: "w·x + …" written out
    bias: float
    result: float


@dataclass(frozen=True)
class VolumeView:
    input: np.ndarray     # (C, H, W)
    padded: np.ndarray    # (C, H + 2p, W + 2p)
    filters: np.ndarray   # (K, C, kh, kw)
    biases: np.ndarray    # (K,)
    stride: tuple[int, int]
    padding: tuple[int, int]
    output: np.ndarray    # (K, Ho, Wo) from F.conv2d
    steps: tuple[VolumeStep, ...]  # filter-major, then row-major


def default_volume(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The course's example: a 5×5×3 input with values 0..2, two 3×3×3 filters with values
    −1..1, biases (1, 0). Use with padding 1 and stride 2 → a 3×3×2 output."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(3, 5, 5)).astype(np.float64)
    w = rng.integers(-1, 2, size=(2, 3, 3, 3)).astype(np.float64)
    return x, w, np.array([1.0, 0.0])


def _blocks(text: str, sep: str) -> list[str]:
    lines = [ln for ln in str(text).replace("\r", "").split("\n") if not ln.strip().startswith("#")]
    return [b for b in re.split(sep, "\n".join(lines)) if b.strip()]


def parse_volume(text: str, what: str = "input volume") -> np.ndarray:
    """Channels (matrices separated by blank lines) → ``(C, H, W)``."""
    if len(str(text)) > limits.MAX_KERNEL_TEXT:
        raise ValueError(f"the {what} text is too long (limit {limits.MAX_KERNEL_TEXT} characters)")
    chans = _blocks(text, r"\n\s*\n")
    if not chans:
        raise ValueError(f"the {what} is empty: type one matrix per channel, separated by a blank line")
    if len(chans) > limits.MAX_VOLUME_CHANNELS:
        raise ValueError(f"the {what} has {len(chans)} channels; the limit is {limits.MAX_VOLUME_CHANNELS}")
    mats = [parse_kernel(c, limits.MAX_GRID_SIDE, f"{what} channel {i}") for i, c in enumerate(chans)]
    shapes = {m.shape for m in mats}
    if len(shapes) != 1:
        raise ValueError(f"every channel of the {what} must have the same size, got {sorted(shapes)}")
    return np.stack(mats).astype(np.float64)


def parse_filters(text: str) -> np.ndarray:
    """Filters separated by ``---`` lines, each a volume → ``(K, C, kh, kw)``."""
    filt = _blocks(text, r"\n\s*-{3,}\s*(?:\n|$)")
    if not filt:
        raise ValueError("the filters are empty: one volume per filter, filters separated by ---")
    if len(filt) > limits.MAX_VOLUME_CHANNELS:
        raise ValueError(f"{len(filt)} filters; the limit is {limits.MAX_VOLUME_CHANNELS}")
    vols = [parse_volume(f, f"filter {i}") for i, f in enumerate(filt)]
    shapes = {v.shape for v in vols}
    if len(shapes) != 1:
        raise ValueError(f"every filter must have the same shape C×k×k, got {sorted(shapes)}")
    return np.stack(vols)


def parse_biases(text: str, k: int) -> np.ndarray:
    """``"1, 0"`` → ``(K,)``; empty text means zero biases."""
    if not str(text).strip():
        return np.zeros(k)
    b = parse_kernel(str(text), max(limits.MAX_VOLUME_CHANNELS, 1), "biases").reshape(-1)
    if b.size != k:
        raise ValueError(f"{b.size} bias value(s) given for {k} filter(s); give one per filter")
    return b.astype(np.float64)


def volume_to_text(v: np.ndarray, label: str = "channel") -> str:
    """``(C, H, W)`` → the editable text format (with ``# channel c`` comments)."""
    out = []
    for c, m in enumerate(np.asarray(v)):
        rows = "\n".join(" ".join(format_value(x, 4).replace("−", "-") for x in row) for row in m)
        out.append(f"# {label} {c}\n{rows}")
    return "\n\n".join(out)


def filters_to_text(w: np.ndarray) -> str:
    """``(K, C, kh, kw)`` → filters separated by ``---``."""
    return "\n---\n".join(f"# filter {f}\n" + volume_to_text(v) for f, v in enumerate(np.asarray(w)))


def volume_view(x: np.ndarray, filters: np.ndarray, biases: np.ndarray, stride=2, padding=1
                ) -> VolumeView:
    """Build every output cell of ``F.conv2d(x, filters, biases, stride, padding)`` step by step."""
    xv = np.asarray(x, dtype=np.float64)
    w = np.asarray(filters, dtype=np.float64)
    b = np.asarray(biases, dtype=np.float64).reshape(-1)
    if xv.ndim != 3 or w.ndim != 4:
        raise ValueError(f"input must be C×H×W and filters K×C×k×k, got {xv.shape} and {w.shape}")
    if w.shape[1] != xv.shape[0]:
        raise ValueError(f"each filter must have as many channels as the input: filters have "
                         f"{w.shape[1]}, the input has {xv.shape[0]}")
    if b.size != w.shape[0]:
        raise ValueError(f"{b.size} bias value(s) for {w.shape[0]} filter(s)")
    if not (np.isfinite(xv).all() and np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("values must be finite numbers (no NaN or infinity)")
    s = pair(stride, "stride")
    p = pair(padding, "padding", minimum=0, maximum=limits.MAX_GRID_SIDE)
    C, H, W = xv.shape
    kh, kw = w.shape[2:]
    ho, wo = (H + 2 * p[0] - kh) // s[0] + 1, (W + 2 * p[1] - kw) // s[1] + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"the output would be {ho}×{wo}: the {kh}×{kw} filter does not fit the "
                         f"padded {H + 2 * p[0]}×{W + 2 * p[1]} input; use padding >= "
                         f"{max(0, -(-(kh - H) // 2), -(-(kw - W) // 2))}")
    t = torch.from_numpy(xv)[None]
    y = F.conv2d(t, torch.from_numpy(w), torch.from_numpy(b), stride=s, padding=p)[0].numpy()
    xp = np.pad(xv, ((0, 0), (p[0], p[0]), (p[1], p[1])))
    steps = []
    for f in range(w.shape[0]):
        for i in range(ho):
            for j in range(wo):
                r0, c0 = i * s[0], j * s[1]
                per, terms = [], []
                for c in range(C):
                    patch = xp[c, r0:r0 + kh, c0:c0 + kw]
                    per.append(math.fsum((patch * w[f, c]).reshape(-1)))
                    terms.append(" + ".join(f"({format_value(a, 2)})·({format_value(v, 2)})"
                                            for a, v in zip(w[f, c].reshape(-1), patch.reshape(-1))))
                total = math.fsum(per) + float(b[f])
                steps.append(VolumeStep(f, (i, j), (r0, c0), tuple(per), tuple(terms), float(b[f]), total))
    return VolumeView(xv, xp, w, b, s, p, y, tuple(steps))
