"""Inference for the shipped CIFAR-10 models: what the model sees, top-5, Grad-CAM, stage features.

Models are rebuilt from their metadata (``meta["config"]``) and loaded lazily, once, read-only
(``functools.lru_cache``). Prediction is exactly what the evaluation measured: the mean of the
logits of the 32×32 image and of its mirror image, then a softmax. Grad-CAM explains the predicted
class on the un-mirrored view.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from playground import limits, weights
from playground.cifar import data, gradcam, models

MODELS: dict[str, str] = {"VGG": "cifar_vgg", "ResNet": "cifar_resnet"}
"""Display name → asset name of the shipped models (shown side by side)."""
INPUT_SIDE = 32


class Preprocess(str, enum.Enum):
    """How an arbitrary image becomes the model's 32×32 input."""

    RESIZE = "resize"  # the whole image squeezed to 32×32 (aspect ratio not kept)
    CROP = "crop"  # the largest centred square, then resized to 32×32


@dataclass(frozen=True)
class Prepared:
    """The 32×32 input and where it came from: ``box`` (left, top, right, bottom) in ``image``."""

    image: Image.Image
    small: Image.Image
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Prediction:
    """One model's answer: class probabilities, top-5, Grad-CAM and each stage's activations."""

    model: str
    probs: np.ndarray
    top5: list[tuple[str, float]]
    cam: gradcam.CamResult
    features: list[np.ndarray]  # per stage (C, h, w), un-mirrored view


def fast_downscale(img: Image.Image, max_side: int = limits.WORK_IMAGE_SIDE) -> tuple[Image.Image, str]:
    """Shrink so the longer side is ≤ ``max_side`` (box-reduce first: fast on 50-megapixel images)."""
    w, h = img.size
    if max(w, h) <= max_side:
        return img, ""
    scale = max_side / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img.resize(new, Image.Resampling.LANCZOS, reducing_gap=2.0), f"downscaled from {w}×{h} to {new[0]}×{new[1]}"


def prepare(img: Image.Image, mode: Preprocess | str = Preprocess.RESIZE) -> Prepared:
    """Turn an RGB image into the model's 32×32 input ("what the model sees")."""
    mode = Preprocess(mode)
    if img.mode != "RGB":
        raise ValueError(f"expected an RGB image, got mode {img.mode}")
    w, h = img.size
    if mode is Preprocess.CROP:
        s = min(w, h)
        box = ((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)
    else:
        box = (0, 0, w, h)
    small = img.resize((INPUT_SIDE, INPUT_SIDE), Image.Resampling.LANCZOS, box=box, reducing_gap=2.0)
    return Prepared(img, small, box)


def available() -> dict[str, str]:
    """The shipped models whose weights and metadata exist (display name → asset name)."""
    from playground.config import ASSETS_DIR

    return {k: v for k, v in MODELS.items()
            if (ASSETS_DIR / f"{v}.pt").is_file() and (ASSETS_DIR / f"{v}.json").is_file()}


@functools.lru_cache(maxsize=None)
def load_model(name: str) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild ``name`` from its metadata, load its weights (weights_only, strict), eval mode."""
    meta = weights.load_meta(name)
    model = models.build(meta["config"])
    weights.load_into(model, name)
    for p in model.parameters():
        p.requires_grad_(False)  # read-only; Grad-CAM differentiates w.r.t. activations only
    return model, meta


def to_tensor(small: Image.Image | np.ndarray) -> torch.Tensor:
    """32×32 RGB → normalised (1, 3, 32, 32)."""
    arr = np.asarray(small, dtype=np.uint8)
    if arr.shape != (INPUT_SIDE, INPUT_SIDE, 3):
        raise ValueError(f"the model input must be 32×32 RGB, got shape {arr.shape}")
    return data.normalize(arr.copy())


def predict(name: str, small: Image.Image | np.ndarray, stage: int | str | None = None) -> Prediction:
    """Flip-averaged class probabilities, top-5, Grad-CAM (at 32×32) and stage activations."""
    model, meta = load_model(name)
    classes = meta["config"]["classes"]
    x = to_tensor(small)
    s = gradcam.resolve_stage(model, stage)
    with torch.enable_grad():
        x2 = torch.cat([x, x.flip(-1)]).requires_grad_(True)  # a leaf that needs grad: acts get a graph
        logits, feats = model.forward_stages(x2)  # (2, 10), [(2, C, h, w) per stage]
        mean = 0.5 * (logits[0] + logits[1])  # flip averaging, as in evaluate.py
        c = int(mean.argmax())
        (g,) = torch.autograd.grad(logits[0, c], feats[s])
    heat, raw = gradcam.cam_from(feats[s][0].detach(), g[0], (INPUT_SIDE, INPUT_SIDE))
    probs = torch.softmax(mean.detach(), 0).numpy()
    order = np.argsort(-probs)[:5]
    return Prediction(name, probs, [(classes[i], float(probs[i])) for i in order],
                      gradcam.CamResult(heat, c, s, raw), [f[0].detach().numpy() for f in feats])


def to_json(pred: Prediction, meta: dict[str, Any]) -> dict[str, Any]:
    """The API's per-model answer: top-5 with probabilities, and the Grad-CAM summary."""
    cam = pred.cam
    peak = np.unravel_index(int(np.argmax(cam.heatmap)), cam.heatmap.shape)
    return {
        "prediction": pred.top5[0][0],
        "top5": [{"label": k, "probability": round(p, 6)} for k, p in pred.top5],
        "gradcam": {"stage": f"stage{cam.stage + 1}", "class": meta["config"]["classes"][cam.class_idx],
                    "map": np.round(cam.raw / max(float(cam.raw.max()), 1e-12), 4).tolist(),
                    "peak_xy_in_32x32": [int(peak[1]), int(peak[0])]},
        "test_accuracy": meta.get("test_accuracy"),
    }
