"""Fast PIL/numpy pictures for the Digits tab (no matplotlib on the per-draw path).

- :func:`crisp` — a small grey image upscaled with nearest neighbour (every pixel a visible square);
- :func:`map_grid` — a layer's feature maps as a titled grid, one colour scale shared by the layer
  (so maps can be compared; 0 is black);
- :func:`filter_grid` — conv weights with a diverging scale (blue < 0 < red, symmetric around 0);
- :func:`bar_strip` — a vector of activations (e.g. FC 120 and 84) as bars.
Matplotlib is only used for the model card's curves and confusion matrix, built once on demand.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

TITLE_H = 20
GAP = 2


@functools.lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (shipped with matplotlib; has × and →), else PIL's default font."""
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        path = Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return ImageFont.truetype(str(path), 12)
    return ImageFont.load_default(size=13)


@functools.lru_cache(maxsize=4)
def _lut(name: str) -> np.ndarray:
    """256×3 uint8 colour table (a small inferno-like ramp or a blue–white–red diverging one)."""
    t = np.linspace(0.0, 1.0, 256)
    if name == "diverging":
        r = np.where(t < 0.5, 2 * t, 1.0)
        b = np.where(t > 0.5, 2 * (1 - t), 1.0)
        g = 1.0 - np.abs(2 * t - 1)
        rgb = np.stack([r * 0.9 + 0.1 * (t > 0.5), g, b * 0.9 + 0.1 * (t < 0.5)], 1)
    else:  # black → purple → orange → light yellow
        r = np.clip(1.6 * t, 0, 1)
        g = np.clip(1.6 * t - 0.55, 0, 1) ** 1.2
        b = np.clip(np.sin(np.pi * t) * 0.75 + np.clip(2 * t - 1.6, 0, 1), 0, 1)
        rgb = np.stack([r, g, b], 1)
    return (np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def colorize(v: np.ndarray, lo: float, hi: float, cmap: str = "seq") -> np.ndarray:
    """Map values to RGB with ``(v − lo) / (hi − lo)`` through the colour table."""
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    idx = np.clip((v - lo) * scale, 0, 255).astype(np.uint8)
    return _lut(cmap)[idx]


@functools.lru_cache(maxsize=256)
def _title_strip(title: str, width: int) -> np.ndarray:
    """The title bar as pixels (cached: text rendering costs ~2 ms, and titles repeat)."""
    bar = Image.new("RGB", (width, TITLE_H), (255, 255, 255))
    ImageDraw.Draw(bar).text((4, 3), title, fill=(30, 30, 30), font=_font())
    out = np.asarray(bar)
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=256)
def _title_width(title: str) -> int:
    return int(_font().getlength(title)) + 8


def _titled(body: np.ndarray, title: str) -> Image.Image:
    h, w = body.shape[:2]
    width = max(w, _title_width(title))
    out = np.full((h + TITLE_H, width, 3), 255, dtype=np.uint8)
    out[:TITLE_H] = _title_strip(title, width)
    out[TITLE_H:, :w] = body
    return Image.fromarray(out)


def crisp(pixels: np.ndarray, side: int = 280) -> Image.Image:
    """Grey pixels in [0, 1] (ink white on black, as the model sees them) upscaled crisply."""
    a = (np.clip(pixels, 0, 1) * 255).astype(np.uint8)
    k = max(1, side // a.shape[0])
    return Image.fromarray(np.kron(a, np.ones((k, k), dtype=np.uint8)))


def _tile(maps: np.ndarray, cols: int, cell: int, rgb: np.ndarray) -> np.ndarray:
    """Arrange per-map RGB images (C, h, w, 3) in a grid with cells of ``cell`` px."""
    c, h, _, _ = rgb.shape
    k = max(1, cell // h)
    big = rgb.repeat(k, axis=1).repeat(k, axis=2)
    s = h * k
    rows = -(-c // cols)
    out = np.full((rows * (s + GAP) - GAP, cols * (s + GAP) - GAP, 3), 255, dtype=np.uint8)
    for i in range(c):
        r, q = divmod(i, cols)
        out[r * (s + GAP):r * (s + GAP) + s, q * (s + GAP):q * (s + GAP) + s] = big[i]
    return out


def map_grid(maps: np.ndarray, title: str, cols: int = 8, cell: int = 56) -> Image.Image:
    """Feature maps (C, H, W) as a grid, one shared colour scale from min to max of the layer."""
    lo, hi = float(maps.min()), float(maps.max())
    return _titled(_tile(maps, min(cols, len(maps)), cell, colorize(maps, min(lo, 0.0), hi)), title)


def filter_grid(w: np.ndarray, title: str, cell: int = 30) -> Image.Image:
    """Conv weights (C_out, C_in, k, k): one row per output channel, one column per input channel."""
    c_out, c_in, k, _ = w.shape
    m = float(np.abs(w).max()) or 1.0
    rgb = colorize(w.reshape(c_out * c_in, k, k), -m, m, "diverging")
    return _titled(_tile(w.reshape(c_out * c_in, k, k), c_in if c_in > 1 else c_out, cell, rgb), title)


def bar_strip(values: np.ndarray, title: str, height: int = 60, bar: int = 4) -> Image.Image:
    """A vector as vertical bars (height ∝ value / max), coloured by value, 1 px gaps."""
    v = np.asarray(values, dtype=np.float32).ravel()
    hi = float(v.max()) if v.size and v.max() > 0 else 1.0
    heights = np.clip(v / hi, 0, 1) * (height - 1)
    mask = np.arange(height)[:, None] >= (height - 1 - heights[None, :])  # (height, n)
    img = np.where(mask[..., None], colorize(v, 0.0, hi)[None, :, :], np.uint8(245)).astype(np.uint8)
    img = img.repeat(bar, axis=1)
    if bar > 2:
        img[:, bar - 1::bar] = 255
    return _titled(img, title)


def stack(images: list[Image.Image], gap: int = 6) -> Image.Image:
    """Images one below the other on white."""
    w = max(i.width for i in images)
    h = sum(i.height for i in images) + gap * (len(images) - 1)
    out = Image.new("RGB", (w, h), (255, 255, 255))
    y = 0
    for im in images:
        out.paste(im, (0, y))
        y += im.height + gap
    return out
