"""Layer Lab callbacks called directly, then the served app through gradio_client: /analyze
(valid and invalid), bad input of every kind, and the server still answering afterwards."""

from __future__ import annotations

import io
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground.layerlab import callbacks as cb
from playground.layerlab.controls import CONTROLS, LabSettings

DEFAULTS = [getattr(LabSettings(), n) for n in CONTROLS]
FEATURE_ARGS = dict(presets=["sobel x", "sobel y"], custom="", n_random=0, seed=0, kernel_h=3,
                    kernel_w=3, stride_h=1, stride_w=1, padding="1", dilation_h=1, dilation_w=1,
                    padding_mode="zeros", activation="relu", pool="max", cmap="viridis")
SLIDE_DEFAULTS = dict(layer="Conv2d", grid_text="1 2 3\n4 5 6\n7 8 9", kernel_text="", bias=0,
                      kernel_h=2, kernel_w=2, stride_h=1, stride_w=1, padding="1", dilation_h=1,
                      dilation_w=1, padding_mode="zeros", output_padding_h=0, output_padding_w=0,
                      ceil_mode=False, count_include_pad=True, divisor_override=0)


def _values(**changes) -> list:
    return [changes.get(n, v) for n, v in zip(CONTROLS, DEFAULTS)]


# callbacks as plain functions ----------------------------------------------------------------------
def test_lab_summary_valid_and_invalid() -> None:
    shape, formula, counts, code, err = cb.lab_summary(*_values())
    assert "(1, 16, 32, 32)" in shape and "⌊" in formula and "448" in counts and err == ""
    assert code == "nn.Conv2d(3, 16, kernel_size=3, padding=1)"
    shape, formula, counts, code, err = cb.lab_summary(*_values(h=4, w=4, kernel_h=7, kernel_w=7, padding="0"))
    assert "invalid" in shape and code == "" and 'class="error-box"' in err
    assert "output height would be" in err and "padding &gt;= 2" in err


def test_layer_controls_visibility() -> None:
    ups = cb.layer_controls("AdaptiveAvgPool2d")
    vis = dict(zip(CONTROLS[1:], (u["visible"] for u in ups)))
    assert vis["output_size"] and not vis["kernel_h"] and vis["h"]


def test_analyze_json_and_table() -> None:
    rep = cb.analyze_json("nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU())", "1,1,28,28")
    assert rep["output_shape"] == [1, 32, 24, 24] and rep["total_params"] == 832
    assert rep["total_macs"] == 460_800
    rows, totals = cb.analyze_table(rep)
    assert len(rows) == 2 and rows[0][1] == "Conv2d" and "832" in totals
    assert cb.analyze_table(None) == ([], "")
    with pytest.raises(gr.Error, match="in_features"):
        cb.analyze_json("nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(10, 2))", "1,1,8,8")


def test_feature_view_with_every_source(tmp_path: Path) -> None:
    top, maps, after, kern, notes, err = cb.feature_view("sample", None, "checkerboard", None, **FEATURE_ARGS)
    assert err == "" and maps.width > top.width / 2 and after is not None and "256×256" in notes
    assert kern.count("<table") == 2
    path = tmp_path / "big.png"
    Image.new("RGB", (1200, 300), (200, 10, 10)).save(path)
    *_, notes, err = cb.feature_view("upload / clipboard", str(path), "house", None, **FEATURE_ARGS)
    assert err == "" and "downscaled from 1200×300" in notes
    sketch = {"background": None, "layers": [], "composite": np.full((64, 64, 4), 255, np.uint8)}
    *_, err = cb.feature_view("drawing", None, "house", sketch, **FEATURE_ARGS)
    assert err == ""


@pytest.mark.parametrize("changes, match", [
    ({"custom": "1 2\n3"}, "ragged"), ({"custom": "__import__('os')"}, "not a number"),
    ({"custom": "nan 1"}, "finite"), ({"stride_h": "abc"}, "whole number"), ({"stride_h": 0}, "stride"),
    ({"padding": "same", "stride_h": 2}, "same"), ({"presets": [], "custom": ""}, "at least one"),
    ({"n_random": 99}, "between"), ({"dilation_h": float("nan")}, "finite"),
])
def test_feature_view_bad_input_is_explained(changes, match) -> None:
    args = {**FEATURE_ARGS, **changes}
    out = cb.feature_view("sample", None, "house", None, **args)
    assert out[0] is None and 'class="error-box"' in out[-1]
    assert pytest.importorskip("re").search(match, out[-1]), out[-1]


def test_feature_view_missing_or_corrupt_upload(tmp_path: Path) -> None:
    assert "no picture uploaded" in cb.feature_view("upload / clipboard", None, "house", None, **FEATURE_ARGS)[-1]
    assert "nothing drawn" in cb.feature_view("drawing", None, "house", None, **FEATURE_ARGS)[-1]
    bad = tmp_path / "x.png"
    bad.write_bytes(b"<html>not an image</html>")
    assert "not an image" in cb.feature_view("upload / clipboard", str(bad), "house", None, **FEATURE_ARGS)[-1]


def test_separable_view() -> None:
    img, md, err = cb.separable_view("sample", None, "house", None, "sobel x", "")
    assert err == "" and "[1, 2, 1]" in md and "[−1, 0, 1]" in md and "1.50×" in md and "589,824" in md
    assert "rank &gt; 1" in cb.separable_view("sample", None, "house", None, "custom (rank 1)", "0 -1 0; -1 5 -1; 0 -1 0")[2]


@pytest.mark.parametrize("layer", ["Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d"])
def test_sliding_view_every_layer(layer: str) -> None:
    html, upd, n = cb.sliding_view(3, **{**SLIDE_DEFAULTS, "layer": layer, "padding": "0" if "Pool" in layer else "1",
                                         "stride_h": 2, "stride_w": 2, "ceil_mode": True})
    assert "error-box" not in html and n >= 2 and upd["maximum"] == n - 1 and 'id="sliding-grid"' in html


@pytest.mark.parametrize("changes, match", [
    ({"layer": "AdaptiveAvgPool2d"}, "no fixed window"), ({"kernel_text": "1 2 3"}, "typed kernel is 1×3"),
    ({"grid_text": "1 2\n3"}, "ragged"), ({"grid_text": "\n".join(["1 " * 17] * 3)}, "limit"),
    ({"bias": "x"}, "bias must be a number"), ({"layer": "MaxPool2d", "padding": "same"}, "pooling padding"),
    # found by FUZZ_FULL=1: the default kernel for a 3×2³¹ kernel size was a 48 GiB allocation
    ({"kernel_w": 2**31}, "kernels of at most 15×15"),
    ({"layer": "ConvTranspose2d", "kernel_h": 10**12, "padding": "0"}, "the kernel size is 1000000000000×"),
])
def test_sliding_view_errors(changes, match) -> None:
    html, _, n = cb.sliding_view(0, **{**SLIDE_DEFAULTS, **changes})
    assert n == 1 and "error-box" in html and match in html


def test_volume_view_and_player() -> None:
    from playground.layerlab.volume import default_volume, filters_to_text, volume_to_text
    x, w, _ = default_volume()
    html, upd, n = cb.volume_step_view(40, volume_to_text(x), filters_to_text(w), "1, 0", 2, 1)
    assert n == 18 and upd["value"] == 17 and "step 18 of 18" in html
    assert "error-box" in cb.volume_step_view(0, "1 2", filters_to_text(w), "1, 0", 2, 1)[0]
    step, timer = cb.tick(3, 18)
    assert step == 4 and timer.active
    step, timer = cb.tick(16, 18)
    assert step == 17 and not timer.active
    step, timer = cb.play(17, 18)
    assert step == 0 and timer.active
    assert cb.stop().active is False


def test_load_example_fills_everything() -> None:
    out = cb.load_example("alexnet")
    md, code, shape, report, rows, totals = out[:6]
    assert "34,944" in md and report["output_shape"] == [1, 96, 27, 27] and len(rows) == 2
    settings = dict(zip(CONTROLS, out[6:]))
    assert settings["h"] == 227 and settings["out_channels"] == 96 and settings["stride_h"] == 4
    with pytest.raises(gr.Error):
        cb.load_example("nope")
    assert cb.ping() == "pong"


# through gradio_client -----------------------------------------------------------------------------
def test_client_analyze(client) -> None:
    rep = client.predict("nn.Conv2d(3, 96, kernel_size=11, stride=4)", "1,3,227,227", api_name="/analyze")
    assert set(rep) >= {"layers", "output_shape", "total_params", "total_macs"}
    assert rep["output_shape"] == [1, 96, 55, 55] and rep["total_params"] == 34_944
    layer = rep["layers"][0]
    assert {"name", "type", "input_shape", "output_shape", "params", "macs"} <= set(layer)
    with pytest.raises(Exception, match="in_channels"):
        client.predict("nn.Sequential(nn.Conv2d(3, 8, 3), nn.Conv2d(4, 8, 3))", "1,3,32,32", api_name="/analyze")


@pytest.mark.parametrize("code, match", [
    ("__import__('os').system('echo hacked')", "not allowed"),
    ("nn.Conv2d(3, 8, 3).__class__.__bases__", "not allowed"),
    ("(lambda: nn.Conv2d(3, 8, 3))()", "not allowed"),
    ("nn.Conv2d(3, 8, kernel_size=float('nan'))", "."),
    ("nn.Conv2d(3, 8, -3)", "kernel_size"),
    ("nn.Conv2d(3, 8, 3)", "shape"),  # paired with a bad shape below
])
def test_client_analyze_refuses_bad_code(client, code: str, match: str) -> None:
    shape = "1,3,32,32" if match != "shape" else "1,3,abc"
    with pytest.raises(Exception) as info:
        client.predict(code, shape, api_name="/analyze")
    assert "verbose error reporting" not in str(info.value)  # our message, not Gradio's generic one


def test_client_huge_shape_is_symbolic(client) -> None:
    rep = client.predict("nn.Conv2d(3, 64, 3, padding=1)", "1,3,100000,100000", api_name="/analyze")
    assert rep["output_shape"] == [1, 64, 100_000, 100_000] and rep["total_macs"] == 64 * 27 * 10**10
    out = client.predict(*_values(h=100_000, w=100_000), api_name="/layer_summary")
    assert "100,000" in out[0] and out[4] == ""


@pytest.mark.parametrize("bad, match", [("abc", "whole number"), ("nan", "finite"), (2.5, "use 2 or 3"),
                                        (-3, "between 1"), (0, "between 1"), (10**12, "between 1")])
def test_client_bad_numbers_in_live_panel(client, bad, match: str) -> None:
    out = client.predict(*_values(h=bad), api_name="/layer_summary")
    assert "error-box" in out[4] and match in out[4]


@pytest.mark.parametrize("data, match", [(b"", "empty"), (b"not an image", "not an image"),
                                         (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not an image|corrupt")])
def test_client_corrupt_upload(client, tmp_path: Path, data: bytes, match: str) -> None:
    from gradio_client import handle_file

    f = tmp_path / "upload.png"
    f.write_bytes(data)
    out = client.predict("upload / clipboard", handle_file(str(f)), "house", None,
                         *FEATURE_ARGS.values(), api_name="/feature_maps")
    assert "error-box" in out[5] and pytest.importorskip("re").search(match, out[5])


def test_client_feature_maps_and_server_stays_up(client, tmp_path: Path) -> None:
    from gradio_client import handle_file

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 255)).save(buf, "PNG")
    f = tmp_path / "ok.png"
    f.write_bytes(buf.getvalue())
    out = client.predict("upload / clipboard", handle_file(str(f)), "house", None,
                         *{**FEATURE_ARGS, "custom": "1 0 -1"}.values(), api_name="/feature_maps")
    assert out[5] == "" and Path(out[1]).is_file()
    bad = client.predict("sample", None, "house", None, *{**FEATURE_ARGS, "custom": "1,2;3"}.values(),
                         api_name="/feature_maps")
    assert "ragged" in bad[5]
    assert client.predict(api_name="/ping") == "pong"
    rep = client.predict("nn.MaxPool2d(2)", "1,1,4,4", api_name="/analyze")
    assert rep["output_shape"] == [1, 1, 2, 2]
