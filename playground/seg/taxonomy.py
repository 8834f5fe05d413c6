"""The vision-task taxonomy on a drawn multi-digit scene.

The digit U-Net gives a **semantic** mask (a class per pixel: background or a digit). Everything
else is *derived* from it, not learned, and the app says so:

- **instances** = 8-connected components of the non-background pixels; each takes the majority
  class of its pixels. A component in which a second class holds >= ``SPLIT_SHARE`` of the pixels
  (two touching or overlapping digits of different classes) is split by predicted class. Touching
  digits of the *same* class stay merged: connected components cannot tell them apart.
- **classification** = the label of the largest instance (one label for the whole image);
- **localisation** = that instance's box (one box);
- **detection** = a box and label per instance;
- **panoptic** = background as "stuff" plus each instance as a "thing" with its own id.

Drawn scenes are rescaled so that their digits are about ``TARGET_DIGIT_HEIGHT`` pixels tall, the
size of the training scenes' digits (MNIST patches of 20-40 px, digits ~70 % of the patch).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image

from playground import imageio, limits
from playground.seg import metrics
from playground.seg.components import label_components
from playground.seg.scenes import INK_THRESHOLD

TARGET_DIGIT_HEIGHT = 21.0
MIN_COMPONENT_PIXELS = 6  # model-scale specks smaller than this are dropped as noise
SPLIT_SHARE = 0.3
DEFINITIONS = {
    "classification": "Classification: one label for the whole image.",
    "localisation": "Localisation: one bounding box (for the one object the label names).",
    "detection": "Object detection: a box and a label per digit.",
    "semantic": "Semantic segmentation: a colour per class; digits of one class share it.",
    "instance": "Instance segmentation: a colour per digit instance, no background.",
    "panoptic": "Panoptic segmentation: every pixel gets a class, and instances are told apart.",
}
METHOD = ("The U-Net predicts only the semantic mask. Instances are its connected components "
          "(majority class each), not a learned instance head; boxes are the components' extents.")


def _box(m: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(m)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@dataclass
class Instance:
    """One digit instance (boxes ``x0, y0, x1, y1`` in scene pixels, ``x1``/``y1`` exclusive)."""

    id: int
    label: int
    box: tuple[int, int, int, int]
    area: int  # model-scale pixels
    score: float  # mean softmax probability of ``label`` over the instance


@dataclass
class SceneResult:
    """The analysed scene: maps at display size plus instances and notes."""

    ink: np.ndarray  # (H, W) float32 ink in [0, 1] at display size
    semantic: np.ndarray  # (H, W) int64 class 0..10 at display size
    instance: np.ndarray  # (H, W) int32 instance id at display size
    instances: list[Instance]
    model_size: tuple[int, int]  # (w, h) fed to the U-Net
    notes: list[str] = field(default_factory=list)
    n_dropped: int = 0

    @property
    def main(self) -> Instance | None:
        """The instance that classification and localisation report: the largest one."""
        return max(self.instances, key=lambda i: i.area) if self.instances else None


def ink_of(source: Any) -> tuple[np.ndarray, list[str]]:
    """Load a drawing/upload as ink in [0, 1] (light digits on dark), downscaled if huge."""
    # max_side: a huge upload is box-reduced before compositing/conversion (a 50 MP photo: ~3 s less)
    img = imageio.load_image(source, "L", background=(255, 255, 255), max_side=limits.WORK_IMAGE_SIDE)
    img, note = imageio.downscale(img, limits.WORK_IMAGE_SIDE)
    a = np.asarray(img, dtype=np.float32) / 255.0
    ink = 1.0 - a if np.median(a) > 0.5 else a  # dark strokes on a light canvas -> invert
    return ink, [note] if note else []


def _scale_for(ink: np.ndarray) -> float:
    """Scale factor making the drawn digits ~TARGET_DIGIT_HEIGHT tall; ``ValueError`` if none."""
    fg = ink >= INK_THRESHOLD
    if not fg.any():
        raise ValueError("the canvas is blank: draw one or more digits (or upload a picture of some)")
    # components on a 4x smaller grid keep the pure-Python labelling fast on big canvases
    k = max(1, max(ink.shape) // 128)
    small = fg[: fg.shape[0] // k * k, : fg.shape[1] // k * k]
    small = small.reshape(small.shape[0] // k, k, small.shape[1] // k, k).any(axis=(1, 3)) if k > 1 else fg
    lab, n = label_components(small)
    heights = [(int(np.ptp(np.nonzero((lab == i).any(1))[0])) + 1) * k for i in range(1, n + 1)]
    big = [hh for hh in heights if hh >= 0.5 * max(heights)]
    est = float(np.median(big))
    if est < 6:
        raise ValueError(f"only specks were drawn (the tallest mark is {max(heights)} px): draw digits "
                         "at least a tenth of the canvas tall")
    return TARGET_DIGIT_HEIGHT / est


def _instances(sem: np.ndarray, prob: np.ndarray, notes: list[str]) -> tuple[np.ndarray, list[tuple[int, np.ndarray, float]]]:
    """Instance map and (label, mask, score) per instance from the semantic mask (model scale)."""
    lab, n = label_components(sem > 0)
    out: list[tuple[int, np.ndarray, float]] = []
    for i in range(1, n + 1):
        comp = lab == i
        if comp.sum() < MIN_COMPONENT_PIXELS:
            continue
        counts = np.bincount(sem[comp], minlength=11)
        order = np.argsort(counts)[::-1]
        parts = [(int(order[0]), comp)]
        if counts[order[1]] >= SPLIT_SHARE * comp.sum() and counts[order[1]] >= 15:
            notes.append(f"one blob held two predicted digits ({order[0] - 1} and {order[1] - 1}): "
                         "touching/overlapping digits, split by predicted class")
            second = comp & (sem == order[1])
            parts = [(int(order[0]), comp & ~second), (int(order[1]), second)]
        for cls, m in parts:
            out.append((cls - 1, m, float(prob[cls][m].mean())))
    inst = np.zeros(sem.shape, np.int32)
    for k, (_, m, _) in enumerate(out, start=1):
        inst[m] = k
    return inst, out


def analyse(source: Any, model: torch.nn.Module) -> SceneResult:
    """Semantic mask from the digit U-Net, then instances, boxes and the six views' data."""
    ink, notes = ink_of(source)
    s = _scale_for(ink)
    h, w = ink.shape
    mw, mh = max(1, round(w * s)), max(1, round(h * s))
    if max(mw, mh) > limits.SCENE_MAX_SIDE:
        c = limits.SCENE_MAX_SIDE / max(mw, mh)
        mw, mh, s = max(1, round(mw * c)), max(1, round(mh * c)), s * c
        notes.append("the scene is very wide for its digit size: digits were shrunk below the "
                     "training size, expect errors")
    resample = Image.Resampling.BOX if s < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(ink, mode="F").resize((mw, mh), resample), dtype=np.float32)
    small = np.clip(small / max(float(small.max()), 1e-6), 0.0, 1.0)  # MNIST strokes peak at 1
    with torch.inference_mode():
        logits = metrics.predict_logits(model, small[None, None], batch=1, tile=limits.SCENE_MAX_SIDE)
    prob = metrics.class_prob(logits)[0]  # (11, h, w)
    sem = prob.argmax(0)
    inst_small, found = _instances(sem, prob, notes)
    dropped = max(0, len(found) - limits.SCENE_MAX_INSTANCES)
    found = sorted(found, key=lambda t: -int(t[1].sum()))[: limits.SCENE_MAX_INSTANCES]
    instances, inst_small = [], np.zeros_like(inst_small)
    for k, (label, m, score) in enumerate(sorted(found, key=lambda t: _box(t[1])[0]), start=1):
        inst_small[m] = k
        x0, y0, x1, y1 = _box(m)
        box = (int(np.floor(x0 / s)), int(np.floor(y0 / s)), min(w, int(np.ceil(x1 / s))),
               min(h, int(np.ceil(y1 / s))))
        instances.append(Instance(k, label, box, int(m.sum()), round(score, 4)))
    if dropped:
        notes.append(f"{dropped} more instances were found; only the {limits.SCENE_MAX_INSTANCES} "
                     "largest are listed")
    if not instances:
        notes.append("the U-Net found no digit in this drawing (everything was called background)")
    keep_sem = np.where(inst_small > 0, sem, 0)
    sem_big = np.asarray(Image.fromarray(keep_sem.astype(np.uint8)).resize((w, h), Image.Resampling.NEAREST))
    inst_big = np.asarray(Image.fromarray(inst_small.astype(np.uint8)).resize((w, h), Image.Resampling.NEAREST))
    return SceneResult(ink, sem_big.astype(np.int64), inst_big.astype(np.int32), instances, (mw, mh),
                       notes, dropped)
