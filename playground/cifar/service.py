"""Pure functions behind the CIFAR-10 tab: load an upload, run both models, describe the models.

Everything here takes plain values (paths, PIL images, strings) and returns plain values or PIL
images; ``ValueError`` carries a message for the student. ``playground/ui/cifar.py`` only wires
these to Gradio components.
"""

from __future__ import annotations

import functools
import html
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from playground import imageio, validate
from playground.cifar import data, inference, viz

GALLERY_PER_CLASS = 4


@dataclass(frozen=True)
class ModelView:
    """Everything the tab shows for one model."""

    label: dict[str, float]
    cam: Image.Image
    features: list[tuple[Image.Image, str]]
    json: dict[str, Any]


@dataclass(frozen=True)
class Analysis:
    """The 32×32 input, a note about the upload, the agreement banner and each model's view."""

    seen: Image.Image
    note: str
    agreement_html: str
    views: dict[str, ModelView]


def load_upload(source: Any) -> tuple[Image.Image, str]:
    """Any upload (path, bytes, PIL, array) → an upright RGB image ≤ WORK_IMAGE_SIDE, and a note."""
    img = imageio.load_image(source, "RGB")
    small, note = inference.fast_downscale(img)
    return small, note


def _require_models() -> dict[str, str]:
    avail = inference.available()
    if not avail:
        raise ValueError("no trained CIFAR-10 weights in assets/: run "
                         "`python -m playground.cifar.train --model vgg` (and --model resnet) first")
    return avail


def agreement_html(preds: dict[str, inference.Prediction]) -> str:
    """A green banner when the models agree on the top-1 class, an orange one when they differ."""
    if len(preds) < 2:
        return ""
    tops = {k: p.top5[0] for k, p in preds.items()}
    labels = {t[0] for t in tops.values()}
    parts = ", ".join(f"{html.escape(k)}: <b>{html.escape(t[0])}</b> ({t[1]:.0%})" for k, t in tops.items())
    if len(labels) == 1:
        return f'<div class="cifar-agree" style="background:#dcfce7;padding:8px;border-radius:6px">✅ The models agree: {parts}</div>'
    return f'<div class="cifar-disagree" style="background:#ffedd5;padding:8px;border-radius:6px">⚠️ The models disagree: {parts}</div>'


def analyze(source: Any, mode: str = "resize", stage: str | None = None) -> Analysis:
    """Run both shipped models on an upload: top-5, Grad-CAM overlay and stage feature maps."""
    mode = check_mode(mode)
    img, note = load_upload(source)
    prep = inference.prepare(img, mode)
    preds: dict[str, inference.Prediction] = {}
    views: dict[str, ModelView] = {}
    for disp, name in _require_models().items():
        model, meta = inference.load_model(name)
        st = stage if stage in _stage_choices(model) else None
        pred = inference.predict(name, prep.small, st)
        preds[disp] = pred
        feats = [(viz.feature_grid(f), f"stage{i + 1}: {f.shape[0]}×{f.shape[1]}×{f.shape[2]} (top {min(16, f.shape[0])} channels)")
                 for i, f in enumerate(pred.features)]
        views[disp] = ModelView({k: v for k, v in pred.top5}, viz.overlay(prep.image, pred.cam.heatmap, prep.box),
                                feats, inference.to_json(pred, meta))
    w, h = img.size
    note = f"{w}×{h} input" + (f" ({note})" if note else "") + f"; the model sees a 32×32 {_mode_text(mode)}"
    return Analysis(viz.upscale(prep.small, 160), note, agreement_html(preds), views)


def check_mode(mode: Any) -> str:
    """The preprocess mode ("resize" or "crop"); ``ValueError`` naming the choices otherwise."""
    return validate.choice(mode, [m.value for m in inference.Preprocess], "preprocess")


def _mode_text(mode: str) -> str:
    return "centre crop" if inference.Preprocess(mode) is inference.Preprocess.CROP else "resize of the whole image"


def _stage_choices(model: Any) -> list[str]:
    return [f"stage{i + 1}" for i in range(len(model.stages))]


def classify_json(source: Any, mode: str = "resize") -> dict[str, Any]:
    """The ``/classify_cifar`` answer: per model, top-5 labels with probabilities (+ Grad-CAM)."""
    mode = check_mode(mode)
    img, note = load_upload(source)
    prep = inference.prepare(img, mode)
    out: dict[str, Any] = {"input_size": list(img.size), "note": note, "preprocess": inference.Preprocess(mode).value}
    preds = {}
    for disp, name in _require_models().items():
        _, meta = inference.load_model(name)
        preds[disp] = inference.predict(name, prep.small)
        out[disp] = inference.to_json(preds[disp], meta)
    out["agree"] = len({p.top5[0][0] for p in preds.values()}) == 1
    return out


# test images ----------------------------------------------------------------------------------
def test_image(index: int) -> tuple[Image.Image, str]:
    """Test image ``index`` (32×32) and its caption with the true label."""
    x, y = data.load_split("test")
    if not 0 <= index < len(y):
        raise ValueError(f"test image index must be in [0, {len(y)}), got {index}")
    return Image.fromarray(np.array(x[index])), f"CIFAR-10 test image #{index}: true label **{data.CLASSES[int(y[index])]}**"


def gallery_image(position: Any) -> tuple[Image.Image, str]:
    """The test image at ``position`` in the gallery (a click's ``SelectData.index``).

    ``None`` (an API call with no click) or a position outside the gallery is a ``ValueError``.
    """
    if position is None:
        raise ValueError("no test image selected: click an image in the CIFAR-10 gallery")
    if data.cifar_dir() is None:
        raise ValueError(data.DATA_HINT)
    idx = gallery_indices()
    i = validate.integer(position, "gallery position", 0, len(idx) - 1)
    return test_image(idx[i])


def random_test_image(rng: random.Random | None = None) -> tuple[Image.Image, str]:
    """A uniformly random test image (the data directory must be present)."""
    if data.cifar_dir() is None:
        raise ValueError(data.DATA_HINT)
    return test_image((rng or random.Random()).randrange(10_000))


@functools.lru_cache(maxsize=1)
def gallery_indices() -> tuple[int, ...]:
    """The first ``GALLERY_PER_CLASS`` test images of each class, class by class."""
    _, y = data.load_split("test")
    return tuple(int(i) for c in range(10) for i in np.flatnonzero(y == c)[:GALLERY_PER_CLASS])


def gallery_items() -> list[tuple[Image.Image, str]]:
    """Thumbnails (64×64) and true labels for the gallery; empty without the data directory."""
    if data.cifar_dir() is None:
        return []
    x, y = data.load_split("test")
    return [(viz.upscale(Image.fromarray(np.array(x[i])), 64), f"#{i} {data.CLASSES[int(y[i])]}")
            for i in gallery_indices()]


# model cards ----------------------------------------------------------------------------------
def card_markdown(disp: str) -> str:
    """Parameters, MACs, test accuracy, training time and recipe of one shipped model."""
    name = inference.MODELS[disp]
    try:
        from playground.weights import load_meta

        m = load_meta(name)
    except FileNotFoundError:
        return f"**{disp}**: no weights shipped yet (`python -m playground.cifar.train --model {disp.lower()}`)."
    cfg = m["config"]
    return (f"**{disp}** (`{cfg['cfg']}`): {m['param_count']:,} parameters, {m['macs'] / 1e6:.1f} M MACs per image.  \n"
            f"Test accuracy **{m['test_accuracy']:.2%}** (10,000 test images, mean of image + mirror logits as here; "
            f"single view {m['test_accuracy_no_tta']:.2%}); validation {m['val_accuracy']:.2%}.  \n"
            f"Trained {m['epochs']:.2f} epochs in {m['train_seconds'] / 60:.1f} min on {m['hardware']}, seed {m['seed']}.  \n"
            f"Why this architecture: {m.get('architecture_reason', '')}")


@functools.lru_cache(maxsize=4)
def card_images(disp: str) -> tuple[Image.Image | None, Image.Image | None]:
    """(training curves, per-class accuracy + confusion matrix) from the metadata; cached."""
    from playground.weights import load_meta

    try:
        m = load_meta(inference.MODELS[disp])
    except FileNotFoundError:
        return None, None
    return viz.curves_image(m), viz.confusion_image(m)


def hardest_items(disp: str, n: int = 12) -> list[tuple[Image.Image, str]]:
    """The model's most confidently wrong test images (precomputed in the metadata)."""
    from playground.weights import load_meta

    try:
        m = load_meta(inference.MODELS[disp])
    except FileNotFoundError:
        return []
    if data.cifar_dir() is None:
        return []
    x, _ = data.load_split("test")
    cls = m["config"]["classes"]
    return [(viz.upscale(Image.fromarray(np.array(x[h["index"]])), 64),
             f"#{h['index']} {cls[h['label']]} → {cls[h['pred']]} {h['confidence']:.0%}")
            for h in m["hardest_test_images"][:n]]
