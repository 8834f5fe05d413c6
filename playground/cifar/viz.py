"""Pictures for the CIFAR tab: heatmap overlays, feature-map grids, model-card charts.

Pure functions from arrays/metadata to PIL images (matplotlib's Agg backend for the charts).
"""

from __future__ import annotations

import functools
import io
from typing import Any

import numpy as np
from PIL import Image

from playground import limits

DISPLAY_SIDE = 256


@functools.lru_cache(maxsize=4)
def _lut(cmap: str) -> np.ndarray:
    import matplotlib

    return (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colorize(a: np.ndarray, cmap: str = "viridis") -> np.ndarray:
    """Min-max scale ``a`` (h, w) to [0, 255] and map through ``cmap`` → (h, w, 3) uint8."""
    a = np.asarray(a, dtype=np.float32)
    lo, hi = float(a.min()), float(a.max())
    idx = np.zeros(a.shape, np.uint8) if hi - lo < 1e-12 else ((a - lo) / (hi - lo) * 255).astype(np.uint8)
    return _lut(cmap)[idx]


def upscale(img: Image.Image, side: int = DISPLAY_SIDE) -> Image.Image:
    """Enlarge a small image with visible pixels (nearest neighbour) for display."""
    return img.resize((side, side), Image.Resampling.NEAREST)


def overlay(img: Image.Image, heat: np.ndarray, box: tuple[int, int, int, int], alpha: float = 0.5) -> Image.Image:
    """Blend a [0, 1] heatmap (jet) over ``img`` inside ``box``; dim what the model did not see."""
    base = img.convert("RGB")
    w, h = base.size
    if max(w, h) < DISPLAY_SIDE:  # tiny inputs (a 32×32 test image): enlarge for display
        f = DISPLAY_SIDE / max(w, h)
        base = base.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.NEAREST)
        box = tuple(round(v * f) for v in box)  # type: ignore[assignment]
    out = np.asarray(base, dtype=np.float32) * 0.35  # outside the box: dimmed
    l, t, r, b = box
    hm = Image.fromarray((np.clip(heat, 0, 1) * 255).astype(np.uint8)).resize((r - l, b - t), Image.Resampling.BILINEAR)
    col = _lut("jet")[np.asarray(hm)].astype(np.float32)
    inside = np.asarray(base, dtype=np.float32)[t:b, l:r]
    out[t:b, l:r] = (1 - alpha) * inside + alpha * col
    return Image.fromarray(out.clip(0, 255).astype(np.uint8))


def feature_grid(maps: np.ndarray, title: str = "", max_maps: int = limits.MAX_FEATURE_KERNELS,
                 cell: int = 56) -> Image.Image:
    """The ``max_maps`` most active channels of (C, h, w) as a grid of viridis tiles."""
    c = maps.shape[0]
    order = np.argsort(-maps.reshape(c, -1).mean(1))[:max_maps]
    cols = 8
    rows = int(np.ceil(len(order) / cols))
    pad = 2
    grid = np.full((rows * (cell + pad) + pad, cols * (cell + pad) + pad, 3), 255, np.uint8)
    for n, k in enumerate(order):
        tile = Image.fromarray(colorize(maps[k])).resize((cell, cell), Image.Resampling.NEAREST)
        y, x = pad + (n // cols) * (cell + pad), pad + (n % cols) * (cell + pad)
        grid[y:y + cell, x:x + cell] = np.asarray(tile)
    return Image.fromarray(grid)


def _fig_to_image(fig: Any) -> Image.Image:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def curves_image(meta: dict[str, Any]) -> Image.Image:
    """Per-epoch training/validation loss and accuracy from ``meta["curves"]``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cur = meta.get("curves") or []
    ep = [c["epoch"] for c in cur]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(7.5, 2.8))
    a1.plot(ep, [c["train_loss"] for c in cur], "o-", label="train (smoothed labels)")
    a1.plot(ep, [c["val_loss"] for c in cur], "s-", label="validation")
    a1.set(xlabel="epoch", ylabel="loss", title="loss")
    a2.plot(ep, [c["train_acc"] for c in cur], "o-", label="train (augmented)")
    a2.plot(ep, [c["val_acc"] for c in cur], "s-", label="validation (5,000 held out)")
    if meta.get("test_accuracy") is not None:
        a2.axhline(meta["test_accuracy"], color="gray", ls="--", label=f"test {meta['test_accuracy']:.2%}")
    a2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend(fontsize=7)
    return _fig_to_image(fig)


def confusion_image(meta: dict[str, Any]) -> Image.Image:
    """Per-class test accuracy (bars) and the confusion matrix (rows true, columns predicted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    classes = meta["config"]["classes"]
    cm = np.asarray(meta["confusion_matrix"])
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    acc = np.asarray(meta["per_class_accuracy"])
    a1.barh(classes[::-1], acc[::-1] * 100, color="#4c72b0")
    for i, v in enumerate(acc[::-1]):
        a1.text(v * 100 - 1, i, f"{v:.1%}", va="center", ha="right", color="white", fontsize=7)
    a1.set(xlim=(0, 100), xlabel="test accuracy per class (%)")
    a2.imshow(cm, cmap="Blues")
    a2.set_xticks(range(len(classes)), classes, rotation=60, fontsize=7, ha="right")
    a2.set_yticks(range(len(classes)), classes, fontsize=7)
    a2.set(xlabel="predicted", ylabel="true")
    for i in range(len(classes)):
        for j in range(len(classes)):
            a2.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    return _fig_to_image(fig)
