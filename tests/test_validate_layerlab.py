"""Issue 8: the Layer Lab's endpoints answer hostile API input with a short, clear message.

Each test calls the pure core (``playground.layerlab.report``) or the thin callback directly with
what a script can send: lists where a dropdown value is expected, numbers where text is expected,
shapes whose totals JSON cannot carry, and corrupt drawings that Gradio could not decode.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import gradio as gr
import orjson
import pytest

from playground.layerlab import callbacks as cb
from playground.layerlab import report
from playground.layerlab.controls import CONTROLS

FEATURE_ARGS = dict(presets=["sobel x"], custom="", n_random=0, seed=0, kernel_h=3, kernel_w=3,
                    stride_h=1, stride_w=1, padding="1", dilation_h=1, dilation_w=1,
                    padding_mode="zeros", activation="relu", pool="max", cmap="viridis")
ALEXNET = ("nn.Sequential(\n    nn.Conv2d(3, 96, kernel_size=11, stride=4),\n    nn.ReLU(),\n"
           "    nn.MaxPool2d(kernel_size=3, stride=2),\n)")


def _short_and_clear(msg: str) -> None:
    assert 8 <= len(msg) <= 300, msg[:400]
    for internal in ("unhashable", "TypeError", "NoneType", "not iterable", "Traceback"):
        assert internal not in msg, msg


# layer_controls ------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [[], ["Conv2d"], {"a": 1}, 3, None, "Conv3d", "x" * 100_000])
def test_layer_controls_refuses_a_non_choice(bad) -> None:  # noqa: ANN001
    with pytest.raises(gr.Error) as info:
        cb.layer_controls(bad)
    assert "layer type must be one of Conv2d" in info.value.message
    _short_and_clear(info.value.message)


def test_layer_controls_still_answers_every_layer() -> None:
    for layer in ("Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"):
        assert len(cb.layer_controls(layer)) == len(CONTROLS) - 1


# send_to_paste -------------------------------------------------------------------------------------
def test_send_to_paste_valid_values_are_unchanged() -> None:
    assert cb.send_to_paste("nn.ReLU()", 1, 3, 32, 32) == ("nn.ReLU()", "1,3,32,32")
    assert cb.send_to_paste(None, 1.0, "3", 32.0, 32) == ("", "1,3,32,32")


@pytest.mark.parametrize("args, name", [
    ((-1.5, 1, 3, 32, 32), "the generated code"), (([1, 2], 1, 3, 32, 32), "the generated code"),
    ((True, 1, 3, 32, 32), "the generated code"), (("", math.nan, 3, 32, 32), "batch N"),
    (("", 1, 3, math.inf, 32), "height H"), (("", 1, 3, 32, "a" * 1_000_000), "width W"),
    (("", 1, [3], 32, 32), "channels C"), (("", 1, 3, 32, 0), "width W"),
])
def test_send_to_paste_names_the_bad_value(args, name: str) -> None:  # noqa: ANN001
    with pytest.raises(gr.Error) as info:
        cb.send_to_paste(*args)
    assert info.value.message.startswith(name)
    _short_and_clear(info.value.message)


# analyze / analyze_table ---------------------------------------------------------------------------
def test_json_safe_makes_huge_ints_strings_and_drops_non_finite() -> None:
    out = report.json_safe({"a": 2**53, "b": 2**53 + 1, "c": -(10**30), "d": math.inf,
                            "e": math.nan, "f": (1, 2.5), "g": True, "h": None})
    assert out == {"a": 2**53, "b": str(2**53 + 1), "c": str(-(10**30)), "d": None, "e": None,
                   "f": [1, 2.5], "g": True, "h": None}
    json.dumps(out, allow_nan=False)


def test_analyze_of_a_huge_input_is_json_safe_and_tabulated() -> None:
    rep = cb.analyze_json(ALEXNET, "1,3,1000000000,1000000000")
    orjson.dumps(rep)  # what Gradio's JSON component does; raised for ints beyond 64 bits
    json.dumps(rep, allow_nan=False)
    assert isinstance(rep["total_macs"], str) and int(rep["total_macs"]) > 2**53
    assert rep["output_shape"][1] == 96
    rows, totals = cb.analyze_table(rep)
    assert len(rows) == 3 and "," in rows[0][6] and "**MACs** " in totals
    assert f"{int(rep['total_macs']):,}" in totals


def test_analyze_small_answers_are_unchanged() -> None:
    rep = cb.analyze_json("nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU())", "1,1,28,28")
    assert rep["total_params"] == 832 and rep["total_macs"] == 460_800
    rows, totals = cb.analyze_table(rep)
    assert rows[0][:6] == ["0", "Conv2d", "(1, 1, 28, 28)", "(1, 32, 24, 24)", "(32, 1, 5, 5)", "832"]
    assert totals == "**Output** `(1, 32, 24, 24)` · **parameters** 832 · **MACs** 460,800"


@pytest.mark.parametrize("code, shape, name", [
    ([1, 2], "1,3,32,32", "PyTorch code"), (3.5, "1,3,32,32", "PyTorch code"),
    ("nn.ReLU()", ["1,3,32,32"], "input shape"), ("nn.ReLU()", "1," * 500_000, "input shape"),
])
def test_analyze_names_a_wrong_typed_or_huge_argument(code, shape, name: str) -> None:  # noqa: ANN001
    with pytest.raises(gr.Error) as info:
        cb.analyze_json(code, shape)
    assert info.value.message.startswith(name)
    _short_and_clear(info.value.message)


@pytest.mark.parametrize("bad", [1, -1.5, True, "x" * 10_000, [1, 2], {"layers": 5},
                                 {"layers": [1]}, {"layers": [{"name": "a"}]},
                                 {"layers": [], "output_shape": [1]}])
def test_analyze_table_refuses_what_is_not_an_analyze_answer(bad) -> None:  # noqa: ANN001
    with pytest.raises(gr.Error) as info:
        cb.analyze_table(bad)
    _short_and_clear(info.value.message)


def test_analyze_table_of_nothing_is_empty() -> None:
    assert cb.analyze_table(None) == ([], "")
    assert cb.analyze_table({}) == ([], "")


# pictures: a drawing Gradio could not decode arrives as a path ------------------------------------
@pytest.mark.parametrize("data, match", [(b"", "empty"), (b"not an image at all", "not an image"),
                                         (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not an image|corrupt")])
def test_feature_and_separable_views_explain_an_undecodable_drawing(tmp_path: Path, data: bytes,
                                                                    match: str) -> None:
    import re

    f = tmp_path / "drawing.png"
    f.write_bytes(data)
    *_, err = cb.feature_view("drawing", None, "house", str(f), **FEATURE_ARGS)
    assert "error-box" in err and re.search(match, err), err
    *_, err = cb.separable_view("drawing", None, "house", str(f), "sobel x", "")
    assert "error-box" in err and re.search(match, err), err


def test_layer_lab_uses_lenient_upload_components() -> None:
    from playground.ui.components import LenientImage, LenientSketchpad
    from playground.ui.layer_lab import build_layer_lab

    with gr.Blocks() as demo:
        build_layer_lab()
    kinds = {}
    for fn in demo.fns.values():
        if fn.api_name in ("feature_maps", "separable", "feature_maps_load", "separable_load"):
            kinds[fn.api_name] = {type(b).__name__ for b in fn.inputs}
    assert len(kinds) == 4
    for names in kinds.values():
        assert LenientSketchpad.__name__ in names and LenientImage.__name__ in names
        assert "Sketchpad" not in names and "Image" not in names
