"""Rendering for the training studio: curve tables for ``gr.LinePlot`` and small RGB images
(numpy ``uint8 (H, W, 3)``) for the confusion matrix, predictions, filters and feature maps.

Images are tiled with numpy/PIL (no pyplot: it is not thread-safe); the confusion matrix uses a
matplotlib ``Figure`` on the Agg canvas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from PIL import Image, ImageDraw

from playground.studio.datasets import DataSplit
from playground.studio.loop import Point

GREEN, RED = (40, 160, 70), (220, 40, 40)


def curve_frames(points: list[Point]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long-format tables (step, value, series) for the loss and accuracy plots."""
    loss_rows, acc_rows = [], []
    for p in points:
        if np.isfinite(p.loss):
            loss_rows.append((p.step, float(p.loss), "train"))
        if p.heldout_loss is not None:
            loss_rows.append((p.step, float(p.heldout_loss), "held-out"))
        if np.isfinite(p.train_acc):
            acc_rows.append((p.step, float(p.train_acc), "train"))
        if p.heldout_acc is not None:
            acc_rows.append((p.step, float(p.heldout_acc), "held-out"))
    cols = ["step", "value", "series"]
    return pd.DataFrame(loss_rows, columns=cols), pd.DataFrame(acc_rows, columns=cols)


def compare_frame(curves: dict[str, list[Point]]) -> pd.DataFrame:
    """Held-out accuracy against training seconds for several runs (transfer comparison)."""
    rows = [(round(p.seconds, 2), float(p.heldout_acc), name)
            for name, pts in curves.items() for p in pts if p.heldout_acc is not None]
    return pd.DataFrame(rows, columns=["seconds", "accuracy", "run"])


def to_display(data: DataSplit, x: torch.Tensor) -> np.ndarray:
    """uint8 (C, H, W) → (H, W, 3) uint8 for display."""
    a = x.numpy()
    a = np.repeat(a, 3, 0) if a.shape[0] == 1 else a[:3]
    return a.transpose(1, 2, 0).astype(np.uint8)


def _upscale(a: np.ndarray, side: int) -> np.ndarray:
    f = max(1, side // max(a.shape[0], a.shape[1]))
    return np.kron(a, np.ones((f, f, 1), dtype=a.dtype)) if a.ndim == 3 else np.kron(a, np.ones((f, f)))


def prediction_grid(data: DataSplit, preds: np.ndarray, n: int = 32, cols: int = 8,
                    wrong_first: bool = False) -> np.ndarray:
    """The first ``n`` test images with "pred (true)" labels; wrong ones get a red frame."""
    idx = np.arange(min(n, len(preds)))
    if wrong_first:
        wrong = np.flatnonzero(preds != data.y_test.numpy())
        idx = np.concatenate([wrong, np.setdiff1d(np.arange(len(preds)), wrong)])[:n]
    tile, label_h = 84, 16
    rows = max(1, int(np.ceil(len(idx) / cols)))
    canvas = Image.new("RGB", (cols * (tile + 6), rows * (tile + 6 + label_h)), "white")
    draw = ImageDraw.Draw(canvas)
    for k, i in enumerate(idx):
        r, c = divmod(k, cols)
        x0, y0 = c * (tile + 6), r * (tile + 6 + label_h)
        img = Image.fromarray(to_display(data, data.x_test[i])).resize((tile, tile), Image.NEAREST)
        ok = int(preds[i]) == int(data.y_test[i])
        draw.rectangle([x0, y0, x0 + tile + 5, y0 + tile + 5], fill=GREEN if ok else RED)
        canvas.paste(img, (x0 + 3, y0 + 3))
        name = data.classes
        text = f"{name[int(preds[i])][:7]}" + ("" if ok else f" ({name[int(data.y_test[i])][:7]})")
        draw.text((x0 + 2, y0 + tile + 6), text, fill=(0, 0, 0) if ok else RED)
    return np.asarray(canvas)


def _norm01(a: np.ndarray) -> np.ndarray:
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a) + 0.5


def _colormap(a: np.ndarray) -> np.ndarray:
    """Values in [0, 1] → viridis RGB uint8."""
    from matplotlib import colormaps

    return (colormaps["viridis"](a)[..., :3] * 255).astype(np.uint8)


def tile(images: list[np.ndarray], cols: int, side: int = 48, gap: int = 4) -> np.ndarray:
    """Tile (h, w, 3) uint8 images, each upscaled (nearest) to about ``side`` pixels."""
    if not images:
        return np.full((side, side, 3), 255, np.uint8)
    ups = [_upscale(im, side) for im in images]
    h, w = max(u.shape[0] for u in ups), max(u.shape[1] for u in ups)
    rows = int(np.ceil(len(ups) / cols))
    out = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap, 3), 255, np.uint8)
    for k, u in enumerate(ups):
        r, c = divmod(k, cols)
        out[gap + r * (h + gap): gap + r * (h + gap) + u.shape[0],
            gap + c * (w + gap): gap + c * (w + gap) + u.shape[1]] = u
    return out


def filters_image(weight: torch.Tensor | None, max_filters: int = 32) -> np.ndarray:
    """First-layer filters (out, in, k, k): RGB when in == 3, else the channel mean in viridis;
    each filter is min-max scaled on its own."""
    if weight is None:
        return tile([], 1)
    w = weight.detach().float().numpy()[:max_filters]
    ims = []
    for f in w:
        if f.shape[0] == 3:
            ims.append((_norm01(f.transpose(1, 2, 0)) * 255).astype(np.uint8))
        else:
            ims.append(_colormap(_norm01(f.mean(0))))
    return tile(ims, cols=min(8, len(ims)), side=40)


def maps_image(maps: torch.Tensor | None, max_maps: int = 16) -> np.ndarray:
    """Feature maps (C, H, W), each min-max scaled, in viridis."""
    if maps is None:
        return tile([], 1)
    return tile([_colormap(_norm01(m)) for m in maps.detach().float().numpy()[:max_maps]],
                cols=8, side=64)


def stack(top: np.ndarray, bottom: np.ndarray, gap: int = 10) -> np.ndarray:
    """Two images one above the other (left-aligned, white background)."""
    w = max(top.shape[1], bottom.shape[1])
    out = np.full((top.shape[0] + gap + bottom.shape[0], w, 3), 255, np.uint8)
    out[: top.shape[0], : top.shape[1]] = top
    out[top.shape[0] + gap:, : bottom.shape[1]] = bottom
    return out


def confusion_image(cm: np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """The confusion matrix as a heatmap with counts (rows = true class, columns = predicted)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    k = len(classes)
    fig = Figure(figsize=(1.6 + 0.45 * k, 1.4 + 0.45 * k), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(k), [c[:6] for c in classes], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), [c[:6] for c in classes], fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = cm.max() if cm.size else 0
    for t in range(k):
        for p in range(k):
            ax.text(p, t, str(int(cm[t, p])), ha="center", va="center", fontsize=7,
                    color="white" if cm[t, p] > top / 2 else "black")
    fig.tight_layout()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
