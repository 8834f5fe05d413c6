"""What the Digits tab shows for one image: predictions, the model's input, and every layer.

:func:`classify` is the pure core of the tab's live prediction (the UI only maps its fields to
components). A blank canvas is not an error: it gives the "draw a digit" state, with no guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from playground.digits import render
from playground.digits.inference import LENET, MLP, Prediction, label_value, load_model, predict
from playground.digits.preprocess import BlankCanvas, Prepared, prepare

PROMPT = "✏️ draw a digit"


@dataclass(frozen=True)
class DigitView:
    """Everything the tab shows for one input (``None`` images in the blank state)."""

    lenet: dict[str, float] | str
    mlp: dict[str, float] | str
    status: str
    seen28: Image.Image | None = None
    seen32: Image.Image | None = None
    conv: Image.Image | None = None
    pool: Image.Image | None = None
    fc: Image.Image | None = None

    def as_tuple(self) -> tuple[Any, ...]:
        """The field values in the order of the tab's outputs."""
        return (self.lenet, self.mlp, self.status, self.seen28, self.seen32, self.conv, self.pool, self.fc)


def blank(reason: str = "") -> DigitView:
    """The "draw a digit" state: no probabilities, no pictures."""
    why = f" ({reason})" if reason else ""
    return DigitView(PROMPT, "—", f"**Draw a digit** on the canvas or upload a photo of one{why}.")


def _shape(a: np.ndarray) -> str:
    return "×".join(str(d) for d in a.shape)


def inside(pred: Prediction) -> tuple[Image.Image, Image.Image, Image.Image]:
    """Conv maps, pooled maps and FC strips of LeNet-5 as three images, titles with shapes."""
    acts = pred.activations
    convs = [k for k in acts if k.startswith("act") and acts[k].ndim == 3]
    pools = [k for k in acts if k.startswith("pool")]
    conv = render.stack([
        render.map_grid(acts[k], f"conv{k[3:]} + ReLU → {_shape(acts[k])}", cols=8,
                        cell=84 if acts[k].shape[-1] > 20 else 50) for k in convs])
    pool = render.stack([
        render.map_grid(acts[k], f"{k} (2×2 max) → {_shape(acts[k])}", cols=8,
                        cell=56 if acts[k].shape[-1] > 10 else 40) for k in pools])
    fcs = [k for k in acts if k.endswith("_act")]
    last = next(reversed(acts))
    strips = [render.bar_strip(acts[k], f"{k[:-4]} + ReLU → {acts[k].size} units", bar=4) for k in fcs]
    strips.append(render.bar_strip(pred.probs, f"{last} → softmax, {pred.probs.size} classes", bar=24))
    return conv, pool, render.stack(strips)


def classify(source: Any) -> DigitView:
    """Prepare ``source`` as MNIST was, run LeNet-5 (with activations) and the MLP.

    Raises ``ValueError`` for an unusable file (not an image, too small, too many pixels).
    """
    if source is None or (isinstance(source, dict) and not any(source.get(k) is not None
                                                                for k in ("composite", "background"))):
        return blank()
    try:
        prep: Prepared = prepare(source)
    except BlankCanvas as exc:
        return blank(str(exc).split(": ", 1)[-1])
    lenet = predict(prep, LENET, activations=True)
    mlp = predict(prep, MLP, activations=False)
    notes = [f"LeNet-5 reads **{lenet.label}** ({100 * lenet.confidence:.1f} %), "
             f"the MLP reads **{mlp.label}** ({100 * mlp.confidence:.1f} %)."]
    if prep.inverted:
        notes.append("Dark ink on a light background: inverted to MNIST's light ink on black.")
    if prep.note:
        notes.append(f"The upload was {prep.note}.")
    conv, pool, fc = inside(lenet)
    in32 = load_model(LENET)[1]["config"]["in_size"]
    return DigitView(label_value(lenet), label_value(mlp), " ".join(notes),
                     render.crisp(prep.pixels, 280), render.crisp(prep.padded(in32), 288), conv, pool, fc)
