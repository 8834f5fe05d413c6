"""MNIST-faithful preprocessing of a drawn or photographed digit.

MNIST's digits were size-normalised to fit a 20×20 box (keeping the aspect ratio, anti-aliased)
and centred in a 28×28 field by their centre of mass (LeCun et al.). We do the same:

1. grey levels in [0, 1]; the background is the median of the image's outer frame;
2. ink = |grey − background| in the ink's direction: dark on light is inverted automatically, so the
   result is always light ink on black, like MNIST;
3. contrast: ``ink ← clip((ink − 0.2·peak) / (0.8·peak), 0, 1)`` drops paper texture and shadows;
   a peak below ``limits.DIGIT_MIN_CONTRAST`` (or almost no ink pixels) means a blank canvas;
4. crop to the ink's bounding box, scale its longer side to 20 px (bilinear, anti-aliased);
5. paste into 28×28 so that the centre of mass ``(Σ i·v / Σ v, Σ j·v / Σ v)`` lands on (14, 14)
   (MNIST's training images have their centre of mass at 14.0 ± 0.3 in these index coordinates);
6. normalise ``x̂ = (x − 0.1307) / 0.3081``; LeNet-5 gets the 28×28 padded by 2 to 32×32.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image

from playground import imageio, limits
from playground.digits.data import to_model_input

BOX: int = 20
FIELD: int = 28


class BlankCanvas(ValueError):
    """The image holds no digit (blank, one uniform colour, or too faint): prompt "draw a digit"."""


@dataclass(frozen=True)
class Prepared:
    """A digit prepared as MNIST was: ``pixels`` (28×28 float32, ink 1 on background 0)."""

    pixels: np.ndarray
    inverted: bool
    bbox: tuple[int, int, int, int]
    note: str = ""

    def tensor(self, in_size: int = 28) -> torch.Tensor:
        """The normalised model input (1, 1, in_size, in_size)."""
        x = torch.from_numpy(self.pixels).view(1, 1, FIELD, FIELD)
        return to_model_input(x, in_size)

    def padded(self, in_size: int = 32) -> np.ndarray:
        """The un-normalised pixels padded with background to ``in_size`` (for display)."""
        pad = (in_size - FIELD) // 2
        return np.pad(self.pixels, pad) if pad > 0 else self.pixels


def to_gray(source: Any) -> tuple[np.ndarray, str]:
    """Any image value → grey levels in [0, 1] (H×W float32) and a note (e.g. "downscaled …").

    Transparent pixels become background: the image is composited on white, unless its opaque
    pixels are mostly light (light ink on a transparent layer), then on black.
    """
    if isinstance(source, np.ndarray) and source.ndim == 2 and source.dtype == np.uint8:
        img = Image.fromarray(source)  # fast path: an L-mode array
    else:
        img = _composite_contrasting(source)
    w, h = imageio.original_size(img)
    if min(w, h) < limits.DIGIT_MIN_SIDE:
        raise ValueError(f"the image is {w}×{h} px: too small to hold a digit "
                         f"(need at least {limits.DIGIT_MIN_SIDE} px per side)")
    img, note = imageio.downscale(img, limits.WORK_IMAGE_SIDE)
    return np.asarray(img, dtype=np.float32) / 255.0, note


def _composite_contrasting(source: Any) -> Image.Image:
    """Load ``source`` as L, compositing transparency on white or black, whichever shows the ink.

    With ``W`` and ``B`` the composites on white and on black, the opacity is ``α = 1 − (W − B)/255``
    and the opaque pixels' grey level is ``B / α``; light ink (mean > 0.5) goes on black.
    """
    side = limits.WORK_IMAGE_SIDE
    on_white = imageio.load_image(source, "L", background=(255, 255, 255), max_side=side)
    if not _may_have_alpha(source):
        return on_white
    on_black = imageio.load_image(source, "L", background=(0, 0, 0), max_side=side)
    w = np.asarray(on_white, dtype=np.float32)
    b = np.asarray(on_black, dtype=np.float32)
    alpha = 1.0 - (w - b) / 255.0
    if float(alpha.min()) > 0.99:
        return on_white
    light_ink = float(b.sum()) / 255.0 > 0.5 * max(float(alpha.sum()), 1e-6)
    return on_black if light_ink else on_white


def _may_have_alpha(source: Any) -> bool:
    """False only for values known to be opaque (RGB/L arrays, files whose header says so), to
    skip the second composite (a second decode of a big photo)."""
    if isinstance(source, np.ndarray):
        return source.ndim == 3 and source.shape[2] == 4
    if isinstance(source, Image.Image):
        return source.mode in ("RGBA", "LA", "PA", "P") or "transparency" in source.info
    if isinstance(source, (str, os.PathLike)):
        try:
            with Image.open(source) as img:  # reads the header only
                return img.mode in ("RGBA", "LA", "PA", "P") or "transparency" in img.info
        except Exception:  # noqa: BLE001 - unreadable: the loader has already explained it
            return True
    return True


def ink_map(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """Light-on-black ink in [0, 1] and whether the input was inverted (dark ink on light paper)."""
    h, w = gray.shape
    f = max(1, min(h, w) // 20)
    frame = np.concatenate([gray[:f].ravel(), gray[-f:].ravel(), gray[:, :f].ravel(), gray[:, -f:].ravel()])
    bg = float(np.median(frame))
    inverted = bg > 0.5
    ink = (bg - gray) if inverted else (gray - bg)
    peak = float(ink.max())
    if peak < limits.DIGIT_MIN_CONTRAST:
        what = "one uniform colour" if float(gray.max() - gray.min()) < 1e-3 else "too faint"
        raise BlankCanvas(f"draw a digit: the image is {what}, with no ink to read")
    ink = np.clip((ink - 0.2 * peak) / (0.8 * peak), 0.0, 1.0)
    if int((ink > 0.5).sum()) < limits.DIGIT_MIN_INK_PIXELS:
        raise BlankCanvas("draw a digit: the canvas has almost no ink")
    return ink.astype(np.float32), inverted


def center_of_mass(v: np.ndarray) -> tuple[float, float]:
    """``(Σ i·v / Σ v, Σ j·v / Σ v)`` in index coordinates (row, column)."""
    total = float(v.sum())
    if total <= 0:
        raise BlankCanvas("draw a digit: the canvas has no ink")
    i = np.arange(v.shape[0], dtype=np.float64)
    j = np.arange(v.shape[1], dtype=np.float64)
    return float(v.sum(1) @ i) / total, float(v.sum(0) @ j) / total


def mnistify(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Crop ``ink`` to its bounding box, fit the longer side to 20 px, centre by mass in 28×28."""
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = ink[y0:y1, x0:x1]
    h, w = crop.shape
    s = BOX / max(h, w)
    nh, nw = max(1, round(h * s)), max(1, round(w * s))
    small = np.asarray(Image.fromarray(crop, mode="F").resize((nw, nh), Image.Resampling.BILINEAR))
    small = np.clip(small, 0.0, 1.0)
    cy, cx = center_of_mass(small)
    top = int(np.clip(round(FIELD / 2 - cy), 0, FIELD - nh))
    left = int(np.clip(round(FIELD / 2 - cx), 0, FIELD - nw))
    out = np.zeros((FIELD, FIELD), dtype=np.float32)
    out[top:top + nh, left:left + nw] = small
    return out, (x0, y0, x1, y1)


def prepare(source: Any) -> Prepared:
    """The whole pipeline: any image value → :class:`Prepared` (raises ``BlankCanvas``/``ValueError``)."""
    gray, note = to_gray(source)
    ink, inverted = ink_map(gray)
    pixels, bbox = mnistify(ink)
    return Prepared(pixels, inverted, bbox, note)
