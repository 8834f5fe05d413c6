"""What the Segmentation tab shows, as plain functions (the UI module only wires them).

Every function takes plain values and returns plain values / PIL images / dicts, raising
``ValueError`` with a message for the user when the input is unusable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from playground import config, imageio, validate, weights
from playground.seg import arch_table, inference, scene_views, taxonomy, viz
from playground.seg.inference import DATASETS
from playground.seg.tasks import LGG_CONTEXT_CHANNELS, WEIGHT_NAMES
from playground.seg.unet import CONFIGS

DEFAULT_OPACITY = 0.45


def data_status() -> str:
    """A line saying where the data directory is, or that there is none (uploads still work)."""
    root = config.data_dir()
    if root is None:
        return ("**No data directory found** (set `CNN_PLAYGROUND_DATA` or pass `--data-dir`): the "
                "held-out examples and their ground truth are unavailable, but you can still upload "
                "an image.")
    return f"Data directory: `{root}`. Pick a held-out example (ground truth known) or upload an image."


def check_task(task: Any) -> str:
    """``task`` if it is a dataset key; else ``ValueError`` ("unknown dataset …")."""
    if not isinstance(task, str) or task not in DATASETS:
        raise ValueError(f"unknown dataset {validate.echo(task)}; choose from {', '.join(sorted(DATASETS))}")
    return task


def example_choices(task: str) -> list[str]:
    """File names of the held-out examples of ``task`` (patients / images never trained on)."""
    return [p.name for p in inference.examples(check_task(task))]


def _example_path(task: str, name: str) -> Path:
    task = check_task(task)
    if isinstance(name, str):
        for p in inference.examples(task):
            if p.name == name:
                return p
    raise ValueError(f"{validate.echo(name)} is not a held-out {task} example; choose one from the list")


def example_image(task: str, name: str) -> Image.Image:
    """The held-out example ``name`` as an RGB image, for the image box.

    An image, not the file's path: Gradio serves only files it created or that were uploaded, so
    a path inside the data directory would be refused ("Cannot move … to the gradio cache dir").
    """
    return imageio.load_image(_example_path(task, name), "RGB", background=(0, 0, 0))


def model_card(task: str) -> str:
    """Markdown: the shipped model's config, parameter count and held-out metrics."""
    task = check_task(task)
    try:
        meta = weights.load_meta(WEIGHT_NAMES[task])  # metadata only: the model loads on first use
    except FileNotFoundError:
        return (f"**{DATASETS[task]}**: no trained weights yet (assets/{WEIGHT_NAMES[task]}.pt): "
                f"run `python -m playground.seg.train --task {task}`.")
    m = meta.get("metrics", {}).get("test", {})
    shown = ", ".join(f"{k} {v:.3f}" for k, v in m.items() if isinstance(v, float))
    c = meta["config"]
    status = "" if meta.get("complete", True) else " (training was cut short: see the metadata)"
    context = (" 2.5-D input: the 3 sequences plus the FLAIR of the slices below and above (an upload's "
               "own FLAIR stands in for them)." if task == "lgg" and c["in_channels"] == LGG_CONTEXT_CHANNELS else "")
    return (f"**{DATASETS[task]}**: U-Net depth {c['depth']}, base {c['base']}, "
            f"{'BatchNorm, ' if c['batch_norm'] else ''}padded convs, {meta['param_count']:,} parameters, "
            f"{meta.get('steps_done', '?')} steps in {meta.get('train_seconds', 0) / 60:.1f} min{status}. "
            f"Held-out test: {shown or 'not recorded'}.{context}")


def segment(image: Any, task: str, example: str | None, opacity: float = DEFAULT_OPACITY) -> tuple:
    """Run the U-Net: (overlay, mask, truth or None, probability map, metrics, notes, state)."""
    task = check_task(task)
    opacity = validate.number(opacity, "mask overlay opacity", 0.0, 1.0)
    truth_path = None
    if example:
        source = truth_path = _example_path(task, example)
    elif image is not None:
        source = image
    else:
        raise ValueError("no image: upload one or pick a held-out example")
    res = inference.segment(source, task, truth_path, slice_path=truth_path)
    notes = "\n".join(f"- {n}" for n in res.notes) or "- input used as is"
    metrics = dict(res.metrics) if res.truth is not None else {"note": "ground truth unknown for uploads"}
    metrics["predicted_fraction"] = round(float(res.mask.mean()), 4)
    state = {"task": task, "image": res.image, "mask": res.mask, "truth": res.truth,
             "x": res.model_input}
    return (viz.overlay(res.image, res.mask, opacity, res.truth), viz.mask_image(res.mask),
            viz.mask_image(res.truth) if res.truth is not None else None, viz.prob_image(res.prob),
            metrics, notes, state)


def reblend(state: dict | None, opacity: float) -> Any:
    """Re-draw the overlay at a new opacity without re-running the network."""
    if not state:
        return None
    opacity = validate.number(opacity, "mask overlay opacity", 0.0, 1.0)
    return viz.overlay(state["image"], state["mask"], opacity, state["truth"])


def features(state: dict | None) -> list[tuple[Any, str]]:
    """Encoder / bottleneck / up-conv / decoder maps of the last segmented image."""
    if not state or state.get("x") is None:
        return []
    model, _ = inference.load_model(state["task"])
    return viz.feature_gallery(model, state["x"])


def architecture(which: str, side: int) -> str:
    """Markdown layer table of ``which`` ("paper" or a trained model's name) at ``side``."""
    which = validate.choice(which, list(CONFIGS), "U-Net")
    side = validate.integer(side, "input side", 1, 4096)
    cfg = CONFIGS[which]
    if which != "paper":
        try:
            cfg = type(cfg)(**weights.load_meta(WEIGHT_NAMES[which])["config"])
        except FileNotFoundError:
            pass  # not trained yet: the default config
    return arch_table.table_markdown(cfg, side, side)


def digit_scene(drawing: Any) -> tuple[list[tuple[Any, str]], dict, str]:
    """The taxonomy canvas: (six views with definitions, JSON data, one-line summary)."""
    model, _ = inference.load_model("digits")
    res = taxonomy.analyse(drawing, model)
    data = scene_views.scene_json(res)
    labels = ", ".join(str(i.label) for i in res.instances) or "none"
    summary = (f"**{len(res.instances)} digit instance{'s' if len(res.instances) != 1 else ''} "
               f"detected**: {labels} (left to right). {taxonomy.METHOD}")
    if res.notes:
        summary += "\n\n" + "\n".join(f"- {n}" for n in res.notes)
    return scene_views.render_views(res), data, summary


def blank_views() -> list:
    """Nothing to show yet."""
    return []


def as_uint8(a: np.ndarray) -> np.ndarray:
    """Helper for tests: a bool/float mask as 0/255 uint8."""
    return (np.asarray(a) > 0).astype(np.uint8) * 255
