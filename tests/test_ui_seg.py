"""Segmentation tab: callbacks called directly, bad inputs, and the public API via gradio_client."""

from __future__ import annotations

import io
import json
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import config
from playground.digits.strokes import Placement, digit_strokes, render
from playground.seg import view
from playground.ui import segmentation as ui

DATA = config.data_dir()


def draw_scene(digits: list[int], size: tuple[int, int] = ui.CANVAS, gap: float = 1.0,
               height: float = 150.0) -> Image.Image:
    """Digits drawn with the project's pen paths side by side (white paper, black ink)."""
    strokes = []
    step = height * 0.7 * (1 + gap)
    x0 = size[0] / 2 - step * (len(digits) - 1) / 2
    for i, d in enumerate(digits):
        strokes += digit_strokes(d, Placement(cx=x0 + i * step, cy=size[1] / 2, height=height))
    return render(strokes, size=size, brush=2 * ui.BRUSH_RADIUS)


def sketch_value(img: Image.Image) -> dict:
    """What gr.Sketchpad(type="numpy") hands the callback."""
    a = np.asarray(img.convert("RGBA"))
    return {"background": a, "layers": [], "composite": a}


@pytest.fixture(scope="module")
def lgg_slice(tmp_path_factory) -> Path:  # noqa: ANN001
    """A held-out LGG slice copied to a temp file (never into the repository)."""
    name = view.example_choices("lgg")[0]
    dst = tmp_path_factory.mktemp("seg") / name
    dst.write_bytes((DATA / "lgg_mri" / "images" / name).read_bytes())
    return dst


# ---- Medical / EM callbacks ----------------------------------------------------------------
def test_segment_example_has_truth_and_metrics() -> None:
    name = view.example_choices("lgg")[0]
    over, mask, truth, prob, metrics, notes, state = ui.segment(None, "lgg", name, 0.5)
    assert over.size == mask.size == truth.size == prob.size == (128, 128)
    assert set(metrics) >= {"dice", "iou", "pixel_error"}
    assert 0 <= metrics["dice"] <= 1
    assert state["mask"].shape == (128, 128)
    assert "neighbouring slices" in notes and "(below)" in notes  # the shipped model takes slice context
    assert state["x"].shape == (5, 128, 128)
    gallery = ui.seg_features(state)
    caps = [c for _, c in gallery]
    assert any("Skip 0 carries" in c for c in caps) and any("bottleneck" in c for c in caps)
    assert any("cat(skip 0" in c for c in caps)
    assert ui.seg_opacity(state, 0.0).size == (128, 128)


def test_native_256_grey_upload_and_reverse(lgg_slice: Path, tmp_path: Path) -> None:
    grey = tmp_path / "grey256.png"
    Image.open(lgg_slice).convert("L").resize((256, 256)).save(grey)
    over, mask, truth, _, metrics, notes, _ = ui.segment(str(grey), "lgg", None, 0.4)
    assert over.size == mask.size == (256, 256) and truth is None
    assert "copied into the 3 channels" in notes and "resized 256x256 to 128x128" in notes
    assert "ground truth unknown" in metrics["note"]
    rgb = tmp_path / "colour.png"
    Image.open(lgg_slice).resize((200, 150)).save(rgb)  # a colour image given to the EM model
    over, mask, *_rest = ui.segment(str(rgb), "em", None, 0.4)
    assert mask.size == (200, 150) and "converted to grey" in _rest[3]


def test_em_example_full_size() -> None:
    name = view.example_choices("em")[0]
    over, mask, truth, _, metrics, _, _ = ui.segment(None, "em", name, 0.5)
    assert mask.size == (512, 512) and metrics["positive_class"] == "membrane"


@pytest.mark.parametrize("content,msg", [
    (b"this is not an image", "not an image"),
    (b"", "empty"),
])
def test_segment_bad_files(tmp_path: Path, content: bytes, msg: str) -> None:
    p = tmp_path / "bad.png"
    p.write_bytes(content)
    with pytest.raises(gr.Error, match=msg):
        ui.segment(str(p), "lgg", None, 0.5)


def test_a_failed_run_clears_every_result_and_the_feature_maps() -> None:
    """After a bad upload, nothing of the image before it stays on screen: ``segment``'s failure
    event empties all of its outputs and the gallery, and the gallery is filled only on success."""
    with gr.Blocks() as demo:
        ui.build_segmentation()
    deps = {d["api_name"]: d for d in demo.get_config_file()["dependencies"]}
    run, feats, cleared = deps["segment"], deps["seg_features"], deps["seg_cleared"]
    assert feats["trigger_after"] == run["id"] and feats["trigger_only_on_success"]
    assert cleared["trigger_after"] == run["id"] and cleared["trigger_only_on_failure"]
    assert cleared["outputs"] == run["outputs"] + feats["outputs"]
    values = ui.seg_cleared()
    assert len(values) == len(cleared["outputs"])
    assert values[-1] == [] and all(v in (None, "") for v in values[:-1])


def test_segment_bad_choices(tmp_path: Path) -> None:
    with pytest.raises(gr.Error, match="no image"):
        ui.segment(None, "lgg", None, 0.5)
    with pytest.raises(gr.Error, match="not a held-out"):
        ui.segment(None, "lgg", "../../etc/passwd", 0.5)
    with pytest.raises(gr.Error, match="unknown dataset"):
        ui.segment(None, "cifar", None, 0.5)
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1)).save(tiny)
    with pytest.raises(gr.Error, match="at least 16"):
        ui.segment(str(tiny), "lgg", None, 0.5)


def test_segment_huge_image_is_downscaled(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("L", (3000, 2000), 30).save(big)
    over, mask, *_rest, notes, _ = ui.segment(str(big), "em", None, 0.5)
    assert mask.size == (512, 341) and "downscaled from 3000x2000" in notes.replace("×", "x")


def test_architecture_one_click_paper() -> None:
    md = ui.unet_architecture("paper", 572)
    assert "**23 conv layers**" in md and "31,030,658 parameters" in md and "(2, 388, 388)" in md
    with pytest.raises(gr.Error, match="cannot take side"):
        ui.unet_architecture("paper", 571)


def test_model_card_and_examples() -> None:
    choices, card = ui.seg_examples("em")
    assert card and "EM membranes" in card


# ---- Taxonomy canvas -------------------------------------------------------------------------
def test_digit_scene_two_digits_six_views() -> None:
    views, data, summary = ui.digit_scene(sketch_value(draw_scene([1, 7])))
    assert len(views) == 6
    assert [c.split(":")[0] for _, c in views] == ["Classification", "Localisation", "Object detection",
                                                   "Semantic segmentation", "Instance segmentation",
                                                   "Panoptic segmentation"]
    labels = [d["label"] for d in data["detection"]]
    assert labels == [1, 7], (labels, summary)
    assert data["classification"]["label"] in (1, 7)
    assert data["localisation"]["box_xyxy"] in [d["box_xyxy"] for d in data["detection"]]
    assert "connected components" in data["method"]
    b1, b7 = (d["box_xyxy"] for d in data["detection"])
    assert b1[2] <= b7[0]  # left to right, not overlapping
    assert data["semantic"]["mask_png"].startswith("data:image/png;base64,")


def test_digit_scene_masks_decode_and_agree() -> None:
    import base64

    _, data, _ = ui.digit_scene(sketch_value(draw_scene([3, 0, 4])))
    sem = np.asarray(Image.open(io.BytesIO(base64.b64decode(data["semantic"]["mask_png"].split(",")[1]))))
    ins = np.asarray(Image.open(io.BytesIO(base64.b64decode(data["instance"]["mask_png"].split(",")[1]))))
    assert sem.shape == ins.shape == (ui.CANVAS[1], ui.CANVAS[0]) or sem.shape == ins.shape
    assert ((sem > 0) == (ins > 0)).all()
    for inst in data["instance"]["instances"]:
        m = ins == inst["id"]
        assert (sem[m] == 1 + inst["label"]).all()


def test_digit_scene_bad_inputs() -> None:
    blank = Image.new("L", ui.CANVAS, 255)
    with pytest.raises(gr.Error, match="blank"):
        ui.digit_scene(sketch_value(blank))
    speck = blank.copy()
    speck.putpixel((100, 100), 0)
    with pytest.raises(gr.Error, match="specks"):
        ui.digit_scene(sketch_value(speck))
    with pytest.raises(gr.Error, match="no image"):
        ui.digit_scene(None)
    with pytest.raises(gr.Error, match="not an image"):
        ui.digit_scene(b"not an image at all")


def test_digit_scene_overlapping_digits_handled() -> None:
    views, data, summary = ui.digit_scene(sketch_value(draw_scene([2, 5], gap=-0.6)))
    assert len(views) == 6 and "detected" in summary
    assert 1 <= len(data["detection"]) <= 3  # merged or split, never a crash; the note says which


def test_digit_scene_huge_and_light_on_dark(tmp_path: Path) -> None:
    big = draw_scene([4, 2], size=(4000, 2000), height=1000)
    inv = Image.fromarray(255 - np.asarray(big))
    p = tmp_path / "big.png"
    inv.save(p)
    views, data, summary = ui.digit_scene(str(p))
    assert len(data["detection"]) >= 1 and data["scene_size"] == [512, 256]


# ---- public API via gradio_client ------------------------------------------------------------
def test_api_segment(client, lgg_slice: Path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    name = view.example_choices("lgg")[0]
    res = client.predict(None, "lgg", name, 0.5, api_name="/segment")
    overlay, mask, truth, prob, metrics, notes = res
    assert Image.open(mask).size == (128, 128) and truth is not None
    metrics = metrics if isinstance(metrics, dict) else json.loads(metrics)
    assert "dice" in metrics
    assert "(below)" in notes and "(above)" in notes  # a held-out example gets its neighbours from the data dir
    res = client.predict(handle_file(str(lgg_slice)), "lgg", None, 0.5, api_name="/segment")
    assert Image.open(res[1]).size == (128, 128) and res[2] is None
    assert "has no neighbouring slices" in res[5]  # an upload: its own FLAIR stands in


def test_api_segment_non_image(client, tmp_path: Path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    p = tmp_path / "x.png"
    p.write_bytes(b"definitely not a png")
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(p)), "lgg", None, 0.5, api_name="/segment")


def test_api_digit_scene(client, tmp_path: Path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    p = tmp_path / "scene.png"
    draw_scene([1, 7]).save(p)
    value = {"background": handle_file(str(p)), "layers": [], "composite": handle_file(str(p))}
    views, data, summary = client.predict(value, api_name="/digit_scene")
    data = data if isinstance(data, dict) else json.loads(data)
    assert [d["label"] for d in data["detection"]] == [1, 7]
    assert len(views) == 6
