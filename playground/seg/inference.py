"""Run the shipped U-Nets on one image: input preparation, prediction, features, metrics.

Pure functions under the Segmentation tab. Models are built from their metadata's ``config``
and loaded lazily (``lru_cache``, read-only, ``weights_only=True``).

Input preparation (each step is reported in ``notes``):
- **LGG** was trained on 128x128 RGB slices (pre-contrast, FLAIR, post-contrast) of 256x256
  originals. Any image is resized so that its longer side is 128 (the training scale; a native
  256x256 slice becomes 128x128), predicted, and the probability map is resized back
  (bilinear). A greyscale image is replicated into the 3 channels (and we say so). A model
  trained with slice context (5 input channels) also gets the FLAIR of the slices below and above
  (:mod:`playground.seg.slice_context`): read beside a held-out example, the slice's own for an
  upload.
- **EM** was trained on 512x512 grey images at native scale. Colour images are converted to grey
  (ITU-R 601-2 luma, PIL's ``convert("L")``); images are run at their size, in 512x512 tiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from playground import config, imageio, limits, weights
from playground.seg import data, metrics, slice_context
from playground.seg.tasks import LGG_CONTEXT_CHANNELS, WEIGHT_NAMES
from playground.seg.unet import UNet, UNetConfig

DATASETS = {"lgg": "LGG brain MRI: FLAIR abnormality", "em": "EM membranes (ISBI 2012)"}
LGG_SIDE = 128


@lru_cache(maxsize=4)
def load_model(task: str) -> tuple[UNet, dict]:
    """The shipped U-Net for ``task`` and its metadata; ``ValueError`` if it is not trained yet."""
    if task not in WEIGHT_NAMES:
        raise ValueError(f"unknown model {task!r}; choose from {sorted(WEIGHT_NAMES)}")
    name = WEIGHT_NAMES[task]
    try:
        return load_unet(name)
    except FileNotFoundError:
        raise ValueError(f"no trained weights for {task!r} (assets/{name}.pt is missing): run "
                         f"python -m playground.seg.train --task {task}") from None


def load_unet(name: str, assets_dir: Path = weights.ASSETS_DIR) -> tuple[UNet, dict]:
    """The U-Net saved as ``<assets_dir>/<name>.pt`` (eval mode, frozen) and its metadata,
    rebuilt from the config in the metadata; ``FileNotFoundError`` if it is missing."""
    meta = weights.load_meta(name, assets_dir)
    model = UNet(UNetConfig(**meta["config"]))
    weights.load_into(model, name, assets_dir)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval(), meta


@dataclass
class SegResult:
    """One prediction: the image as shown, probabilities, mask, optional truth and metrics."""

    image: np.ndarray  # (H, W, 3) uint8, as shown
    prob: np.ndarray  # (H, W) float32 probability of the positive class
    mask: np.ndarray  # (H, W) bool, prob >= 0.5
    truth: np.ndarray | None = None  # (H, W) bool
    metrics: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    model_input: np.ndarray | None = None  # (C, h, w) float32 fed to the network


def _is_grey(img: Image.Image) -> bool:
    if img.mode == "L":
        return True
    a = np.asarray(img.convert("RGB"), dtype=np.int16)
    return bool(np.abs(a[..., 0] - a[..., 1]).max() <= 2 and np.abs(a[..., 1] - a[..., 2]).max() <= 2)


def prepare(source: Any, task: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Load an upload for ``task``: (shown RGB uint8 (H, W, 3), model input (C, h, w), notes)."""
    if task not in DATASETS:
        raise ValueError(f"unknown dataset {task!r}; choose from {sorted(DATASETS)}")
    raw = imageio.load_image(source, "RGB", background=(0, 0, 0))
    img, note = imageio.downscale(raw, limits.WORK_IMAGE_SIDE)
    notes = [note] if note else []
    if min(img.size) < limits.SEG_MIN_SIDE:
        raise ValueError(f"image is {img.width}x{img.height}; the U-Net needs at least "
                         f"{limits.SEG_MIN_SIDE} pixels on each side")
    grey = _is_grey(raw)
    if task == "lgg":
        if grey:
            notes.append("greyscale image: read as a FLAIR slice and copied into the 3 channels "
                         "(pre-contrast, FLAIR, post-contrast) the LGG model expects. It was also "
                         "trained on such FLAIR-only slices, but expect a weaker mask than from all "
                         "three sequences")
        w, h = img.size
        s = LGG_SIDE / max(w, h)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        small = img.resize(size, Image.Resampling.BILINEAR) if size != img.size else img
        if size != img.size:
            notes.append(f"resized {w}x{h} to {size[0]}x{size[1]} (the 128-pixel training scale); "
                         "the mask is resized back")
        x = np.asarray(small, dtype=np.float32).transpose(2, 0, 1) / 255.0
    else:
        if not grey:
            notes.append("colour image: converted to grey (luma) for the EM model, trained on "
                         "greyscale electron micrographs")
        x = np.asarray(img.convert("L"), dtype=np.float32)[None] / 255.0
    return np.asarray(img), x, notes


def _resize_prob(prob: np.ndarray, h: int, w: int) -> np.ndarray:
    if prob.shape == (h, w):
        return prob
    t = torch.from_numpy(prob)[None, None]
    return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)[0, 0].numpy()


def load_truth(path: str | Path | None, shape: tuple[int, int], task: str) -> np.ndarray | None:
    """Ground truth for a data-dir image (``images/x.png -> masks/x.png``) at ``shape``, if any."""
    m = data.mask_path_for(path) if path else None
    if m is None:
        return None
    a = np.asarray(Image.open(m).convert("L").resize(shape[::-1], Image.Resampling.NEAREST))
    return a < 128 if task == "em" else a > 127  # EM: membrane is black (0) in the masks


def segment(source: Any, task: str, truth_path: str | Path | None = None,
            slice_path: str | Path | None = None) -> SegResult:
    """Predict the mask of one image; add Dice / IoU / pixel error when the truth is known.

    ``slice_path``: the data-directory file the image is (a held-out LGG example), whose
    neighbouring slices give a slice-context model its two extra channels."""
    shown, x, notes = prepare(source, task)
    model, _ = load_model(task)
    if task == "lgg" and model.cfg.in_channels == LGG_CONTEXT_CHANNELS:
        x, note = slice_context.with_context(x, slice_context.neighbour_paths(slice_path) if slice_path else None)
        notes.append(note)
    with torch.inference_mode():
        logits = metrics.predict_logits(model, x[None], batch=1, tile=limits.SEG_TILE)
    prob = _resize_prob(metrics.binary_prob(logits)[0], shown.shape[0], shown.shape[1])
    mask = prob >= 0.5
    res = SegResult(shown, prob, mask, notes=notes, model_input=x)
    truth = load_truth(truth_path, mask.shape, task)
    if truth is not None:
        res.truth = truth
        res.metrics = {"dice": round(metrics.dice(mask, truth), 4), "iou": round(metrics.iou(mask, truth), 4),
                       "pixel_error": round(float((mask != truth).mean()), 4),
                       "truth_pixels": int(truth.sum()), "predicted_pixels": int(mask.sum())}
        if task == "em":
            res.metrics["positive_class"] = "membrane"
    return res


@lru_cache(maxsize=4)
def _examples(task: str, root: str) -> tuple[Path, ...]:
    try:
        return tuple(data.lgg_examples(data_root=root) if task == "lgg" else data.em_examples(root))
    except FileNotFoundError:
        return ()


def examples(task: str) -> list[Path]:
    """Held-out examples in the data directory (empty when there is none)."""
    root = config.data_dir()
    return [] if root is None else list(_examples(task, str(root)))
