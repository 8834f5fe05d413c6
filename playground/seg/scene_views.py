"""Render a :class:`~playground.seg.taxonomy.SceneResult` six ways, and as JSON for the API.

Colours: each digit class has a fixed colour (matplotlib's ``tab10``); instances get distinct
hues (``hsv`` spaced by the golden ratio); panoptic colours an instance with its class colour,
shaded per instance, and the background "stuff" dark grey.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageDraw

from playground.render import _font  # shared DejaVu font (has the glyphs we need)
from playground.seg.taxonomy import DEFINITIONS, METHOD, SceneResult

CLASS_COLOURS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40],
                          [148, 103, 189], [140, 86, 75], [227, 119, 194], [127, 127, 127],
                          [188, 189, 34], [23, 190, 207]], np.uint8)  # tab10, digit d -> row d
STUFF = np.array([60, 60, 60], np.uint8)
VIEW_ORDER = ("classification", "localisation", "detection", "semantic", "instance", "panoptic")


def _instance_colour(k: int) -> np.ndarray:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb((k * 0.618034) % 1.0, 0.75, 0.95)
    return np.array([r * 255, g * 255, b * 255], np.uint8)


def _ink_rgb(res: SceneResult) -> np.ndarray:
    grey = (255 - np.clip(res.ink, 0, 1) * 255).astype(np.uint8)  # dark strokes on white
    return np.stack([grey] * 3, -1)


def _draw_box(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, ...],
              text: str | None) -> None:
    x0, y0, x1, y1 = box
    d.rectangle([x0, y0, x1 - 1, y1 - 1], outline=colour, width=3)
    if text:
        tw = int(d.textlength(text, font=_font())) + 6
        ty = max(0, y0 - 16)
        d.rectangle([x0, ty, x0 + tw, ty + 15], fill=colour)
        d.text((x0 + 3, ty + 1), text, fill=(255, 255, 255), font=_font())


def _banner(img: Image.Image, title: str) -> Image.Image:
    out = Image.new("RGB", (img.width, img.height + 20), (255, 255, 255))
    out.paste(img, (0, 20))
    ImageDraw.Draw(out).text((4, 3), title, fill=(20, 20, 20), font=_font())
    return out


def render_views(res: SceneResult) -> list[tuple[Image.Image, str]]:
    """Six (image, caption) pairs in :data:`VIEW_ORDER`, captions quoting each definition."""
    base = _ink_rgb(res)
    main = res.main
    views: dict[str, Image.Image] = {}

    img = Image.fromarray(base)
    title = f"label: {main.label}" if main else "label: (no digit found)"
    views["classification"] = _banner(img, title)

    img = Image.fromarray(base.copy())
    if main:
        _draw_box(ImageDraw.Draw(img), main.box, (214, 39, 40), None)
    views["localisation"] = img

    img = Image.fromarray(base.copy())
    d = ImageDraw.Draw(img)
    for inst in res.instances:
        _draw_box(d, inst.box, tuple(int(c) for c in CLASS_COLOURS[inst.label]), f"{inst.label} {inst.score:.2f}")
    views["detection"] = img

    sem = np.zeros(base.shape, np.uint8)
    fg = res.semantic > 0
    sem[fg] = CLASS_COLOURS[res.semantic[fg] - 1]
    views["semantic"] = Image.fromarray(sem)

    ins = np.full(base.shape, 255, np.uint8)  # background: not labelled (left white)
    pan = np.empty(base.shape, np.uint8)
    pan[:] = STUFF
    for inst in res.instances:
        m = res.instance == inst.id
        ins[m] = _instance_colour(inst.id)
        shade = 0.65 + 0.35 * ((inst.id * 0.618034) % 1.0)
        pan[m] = (CLASS_COLOURS[inst.label] * shade).astype(np.uint8)
    views["instance"] = Image.fromarray(ins)
    img = Image.fromarray(pan)
    d = ImageDraw.Draw(img)
    for inst in res.instances:
        d.text((inst.box[0] + 2, inst.box[1] + 2), f"{inst.label}#{inst.id}", fill=(255, 255, 255), font=_font())
    views["panoptic"] = img
    return [(views[k], DEFINITIONS[k]) for k in VIEW_ORDER]


def _png_data_url(a: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(a.astype(np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def scene_json(res: SceneResult) -> dict:
    """The six views' data: labels and boxes, masks as PNG data URLs (pixel value = id)."""
    main = res.main
    inst = [{"id": i.id, "label": i.label, "box_xyxy": list(i.box), "score": i.score,
             "area_model_px": i.area} for i in res.instances]
    return {
        "method": METHOD,
        "definitions": DEFINITIONS,
        "scene_size": [int(res.ink.shape[1]), int(res.ink.shape[0])],
        "model_input_size": list(res.model_size),
        "classification": {"label": main.label if main else None,
                           "score": main.score if main else None},
        "localisation": {"box_xyxy": list(main.box) if main else None},
        "detection": [{"label": i["label"], "box_xyxy": i["box_xyxy"], "score": i["score"]} for i in inst],
        "semantic": {"classes_present": sorted({i.label for i in res.instances}),
                     "mask_png": _png_data_url(res.semantic),
                     "encoding": "pixel = 0 background, 1 + digit"},
        "instance": {"instances": inst, "mask_png": _png_data_url(res.instance),
                     "encoding": "pixel = instance id, 0 = no instance"},
        "panoptic": {"segments": [{"id": 0, "category": "background", "isthing": False}]
                     + [{"id": i["id"], "category": str(i["label"]), "isthing": True} for i in inst],
                     "mask_png": _png_data_url(res.instance),
                     "encoding": "pixel = segment id (0 = background stuff)"},
        "notes": res.notes,
        "instances_not_listed": res.n_dropped,
    }
