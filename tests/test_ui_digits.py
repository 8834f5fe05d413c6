"""Digits tab callbacks called directly, the public API through gradio_client, and bad input."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground.digits import view
from playground.digits.strokes import Placement, digit_strokes, render
from playground.ui import digits as ui


def drawn(d: int, **kw) -> np.ndarray:
    return np.asarray(render(digit_strokes(d, Placement(**kw))))


def sketch_value(gray: np.ndarray) -> dict:
    """What gr.Sketchpad(type="numpy") sends: opaque RGBA composite, white background."""
    rgba = np.dstack([gray, gray, gray, np.full_like(gray, 255)])
    bg = np.dstack([np.full_like(gray, 255)] * 3 + [np.full_like(gray, 255)])
    return {"background": bg, "layers": [rgba], "composite": rgba}


def save_png(tmp_path, name: str, img: Image.Image) -> str:  # noqa: ANN001
    p = tmp_path / name
    img.save(p)
    return str(p)


@pytest.mark.parametrize("digit", range(10))
def test_classify_sketch_reads_each_drawn_digit(digit: int) -> None:
    out = ui.classify_sketch(sketch_value(drawn(digit)))
    assert len(out) == 8
    probs, mlp, status = out[0], out[1], out[2]
    assert set(probs) == {str(k) for k in range(10)} and abs(sum(probs.values()) - 1) < 1e-4
    assert max(probs, key=probs.get) == str(digit)
    assert max(mlp, key=mlp.get) == str(digit)
    assert status.startswith(f"LeNet-5 reads **{digit}**")
    assert all(isinstance(im, Image.Image) for im in out[3:])
    assert out[3].size == (280, 280) and out[4].size == (288, 288)


@pytest.mark.parametrize("value", [None, {"background": None, "layers": [], "composite": None},
                                   sketch_value(np.full((280, 280), 255, np.uint8))])
def test_blank_canvas_prompts_instead_of_guessing(value) -> None:  # noqa: ANN001
    out = ui.classify_sketch(value)
    assert out[0] == view.PROMPT and out[1] == "—" and "Draw a digit" in out[2]
    assert all(im is None for im in out[3:])


def test_upload_callback_good_and_bad_files(tmp_path) -> None:  # noqa: ANN001
    photo = save_png(tmp_path, "three.png", Image.fromarray(255 - drawn(3)))  # light on dark
    out = ui.classify_digit(photo)
    assert max(out[0], key=out[0].get) == "3" and "inverted" not in out[2]
    black = save_png(tmp_path, "black.png", Image.new("RGB", (64, 64), 0))
    assert ui.classify_digit(black)[0] == view.PROMPT
    tiny = save_png(tmp_path, "tiny.png", Image.new("RGB", (1, 1), 0))
    with pytest.raises(gr.Error, match="too small"):
        ui.classify_digit(tiny)
    text = tmp_path / "notes.png"
    text.write_text("not an image at all")
    with pytest.raises(gr.Error, match="not an image"):
        ui.classify_digit(str(text))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(gr.Error, match="empty"):
        ui.classify_digit(str(empty))


def test_huge_and_transparent_uploads(tmp_path) -> None:  # noqa: ANN001
    big = Image.fromarray(drawn(5)).resize((4000, 4000), Image.Resampling.NEAREST)
    out = ui.classify_digit(save_png(tmp_path, "big.png", big))
    assert max(out[0], key=out[0].get) == "5" and "downscaled from 4000×4000" in out[2]
    mask = drawn(7) < 128
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[mask] = (255, 255, 255, 255)  # white ink on a transparent background
    out = ui.classify_digit(save_png(tmp_path, "clear.png", Image.fromarray(rgba, "RGBA")))
    assert max(out[0], key=out[0].get) == "7"


def test_model_card_callback() -> None:
    summary, table, curves, classes, f1, f2 = ui.model_card()
    assert "61,706" in table and "238,510" in table and "LeNet-5" in summary
    assert curves is not None and classes is not None
    assert f1.size[0] > 0 and f2.size[1] > f1.size[1]


def test_classify_digit_through_gradio_client(client, tmp_path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    path = save_png(tmp_path, "two.png", Image.fromarray(drawn(2)))
    result = client.predict(handle_file(path), api_name="/classify_digit")
    label = result[0]
    assert label["label"] == "2"
    probs = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert set(probs) == {str(k) for k in range(10)} and abs(sum(probs.values()) - 1) < 1e-3


def test_bad_uploads_through_gradio_client_keep_server_up(client, tmp_path) -> None:  # noqa: ANN001
    from gradio_client import handle_file

    blank = save_png(tmp_path, "blank.png", Image.new("L", (200, 200), 255))
    assert client.predict(handle_file(blank), api_name="/classify_digit")[0]["label"] == view.PROMPT
    bad = tmp_path / "bad.txt"
    bad.write_text("hello")
    for path in (str(bad), save_png(tmp_path, "one_px.png", Image.new("RGB", (1, 1), 0))):
        with pytest.raises(Exception) as info:
            client.predict(handle_file(path), api_name="/classify_digit")
        assert "Traceback" not in str(info.value)
    good = save_png(tmp_path, "eight.png", Image.fromarray(drawn(8)))
    assert client.predict(handle_file(good), api_name="/classify_digit")[0]["label"] == "8"
