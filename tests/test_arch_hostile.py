"""Architectures tab under hostile API input (issue 8): clear, short messages, JSON-safe answers,
and the comparison's per-architecture cache. Each test fails on the code before the fix."""

from __future__ import annotations

import json
import math

import gradio as gr
import orjson
import pytest

from playground import limits
from playground.arch import builder, compare, concepts, views, zoo
from playground.arch.jsonsafe import MAX_SAFE_INT, json_safe
from playground.arch.shapes import parse_input_shape

CODE = builder.PRESETS["simple_cnn"].code
HUGE_SHAPE = "1,3,1000000000,1000000000"
SHORT = 400  # views.MAX_MESSAGE_CHARS: no 1 MB input echoed back


def _message(fn, *args) -> str:  # noqa: ANN001 - any callback
    with pytest.raises(gr.Error) as info:
        fn(*args)
    return str(info.value.message)


# --- JSON-safe answers ---------------------------------------------------------------------------
def test_json_safe_values() -> None:
    v = {"a": 2**70, "b": -(2**60), "c": MAX_SAFE_INT, "d": (1, math.inf), "e": [math.nan, -math.inf],
         "f": 1.5, "g": True, "h": None, "i": "x"}
    assert json_safe(v) == {"a": str(2**70), "b": str(-(2**60)), "c": MAX_SAFE_INT, "d": [1, "inf"],
                            "e": ["nan", "-inf"], "f": 1.5, "g": True, "h": None, "i": "x"}


def test_build_json_with_huge_shape_is_serialisable() -> None:
    js = builder.build(CODE, HUGE_SHAPE).to_json()
    orjson.dumps(js)  # what gr.JSON uses: refuses ints beyond 64 bits
    json.dumps(js, allow_nan=False)
    assert js["total_macs"] == str(builder.build(CODE, HUGE_SHAPE).total_macs)
    assert js["input_shape"] == [1, 3, 10**9, 10**9]
    _, _, _, view_js = views.build_view(CODE, HUGE_SHAPE)
    assert gr.JSON().postprocess(view_js) is not None
    assert gr.JSON().postprocess(views.build_network(CODE, HUGE_SHAPE)) is not None


def test_valid_build_json_unchanged() -> None:
    js = views.build_network(CODE, "1x3x32x32")
    assert js["ok"] and js["total_params"] == 268_650 and isinstance(js["total_macs"], int)


# --- builder messages ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [None, 5, {"a": 1}])
def test_build_shape_of_wrong_type(shape: object) -> None:
    msg = _message(views.build_view, CODE, shape)
    assert "input shape must be text such as 1,3,32,32" in msg and "NoneType" not in msg
    if shape is None:
        assert "got nothing" in msg


def test_builder_messages_are_short() -> None:
    huge = "a" * 1_000_000
    for fn, args in ((views.build_view, (huge, "1x3x32x32")), (views.remove_layer, (huge,)),
                     (views.build_view, (CODE.replace("padding", "pad" + "9" * 5000), "1x3x32x32")),
                     (views.table_json, ("resnet18", huge)), (views.table_view, ("resnet18", huge, False)),
                     (views.table_json, (huge, "224")), (views.add_layer, (CODE, "Conv2d", huge))):
        msg = _message(fn, *args)
        assert 8 <= len(msg) <= SHORT, (fn.__name__, len(msg))


def test_short_message_cuts_long_quotes() -> None:
    msg = views.short_message("bad value 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                              + "x" * 5000 + "' here")
    assert len(msg) < 200 and "(5,059 characters)" in msg and msg.endswith("here")
    assert views.short_message("short 'ok'") == "short 'ok'"


@pytest.mark.parametrize("fn,args,words", [
    (views.preset, ([],), "preset must be one of"),
    (views.add_layer, (CODE, [], ""), "unknown layer type"),
    (views.add_layer, (CODE, "ReLU", 5), "layer arguments must be text"),
    (views.course_view, ([],), "course table must be one of"),
    (views.compare_view, ([[1]],), "unknown architecture"),
])
def test_dropdown_values_of_wrong_type(fn, args, words) -> None:  # noqa: ANN001
    assert words in _message(fn, *args)


def test_shape_and_name_messages_echo_at_most_80_chars() -> None:
    for value in ("9" * 5000, "(" * 10_000, "1**1" * 2000):
        with pytest.raises(ValueError) as info:
            parse_input_shape(value, (3, 224, 224))
        assert len(str(info.value)) < 200
    with pytest.raises(ValueError) as info:
        zoo.get("a" * 10_000)
    assert "a" * (limits.MAX_ECHO_CHARS + 1) not in str(info.value)


# --- concept views -------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,args,words", [
    (views.stacked_view, (math.nan, False), "channels C must be a finite number"),
    (views.stacked_view, (None, True), "channels C must be a number; got nothing"),
    (views.mlp_view, (None, 200, 3, 3, 64), "H must be a number; got nothing"),
    (views.mlp_view, (200, 200, [1], 3, 64), "C must be a number"),
    (views.inception_view, (28, 28, 192, 16, None, 5), "C_out must be a number"),
    (views.residual_view, (64, 128, 56, 56, None), "stride must be a number"),
    (views.residual_view, (64, math.inf, 56, 56, 2), "C_out must be a finite number"),
    (views.activation_view, ("1 2", "LeakyReLU", None, 1), "negative_slope must be a number"),
    (views.activation_view, ("1 2", "Softmax", 0.01, "abc"), "Softmax dim must be a number"),
    (views.activation_view, ("1 2", [], 0.01, 1), "activation must be one of"),
    (views.activation_view, ("[" * 5000, "ReLU", 0.01, 1), "nested too deeply"),
    (views.activation_view, ("9" * 5000, "ReLU", 0.01, 1), "numbers must be finite"),
    (views.norm_view, (2, 4, 2, 2, 0, [], 2, 1), "layer must be one of"),
    (views.norm_view, (2, 4, 2, 2, 0, "BatchNorm2d", 2, math.nan), "passes must be a finite number"),
    (views.norm_view, (2, 4, 2, 2, 0, "GroupNorm", math.nan, 1), "groups must be a finite number"),
    (views.norm_view, (2, 4, 2, 2, None, "BatchNorm2d", 2, 1), "seed must be a number"),
])
def test_concept_views_explain_bad_values(fn, args, words) -> None:  # noqa: ANN001
    msg = _message(fn, *args)
    assert words in msg and len(msg) <= SHORT
    assert "int()" not in msg and "unhashable" not in msg and "NaN to integer" not in msg


def test_concept_views_still_work_for_valid_values() -> None:
    assert views.stacked_view(1, False)[0][:4] == ["1", "3×3", "9", "9"]
    assert "**14,400,000,000**" in views.mlp_view(200, 200, 3, 3, 64)
    assert "Softmax(dim=1)" in views.activation_view("1 2 3 4 5\n6 7 8 9 10", "Softmax", "junk", 1)
    html, md = views.norm_view(2, 4, 2, 2, 0, "BatchNorm2d", 2, 1)
    assert html and "running_mean" in md
    with pytest.raises(ValueError, match="nested too deeply"):
        concepts.parse_tensor("[" * 5000)


# --- compare: per-architecture cache -------------------------------------------------------------
def test_check_keys() -> None:
    assert compare.check_keys(None) == compare.DEFAULT_SET == compare.check_keys([])
    assert compare.check_keys(["alexnet", "vgg16", "alexnet"]) == ("alexnet", "vgg16")
    assert compare.check_keys("vgg16") == ("vgg16",)
    for bad in ([[1]], ["a" * 10_000], 5):
        with pytest.raises(ValueError) as info:
            compare.check_keys(bad)
        assert len(str(info.value)) < 600


def test_points_are_cached_per_architecture(monkeypatch: pytest.MonkeyPatch) -> None:
    first = compare.points(["alexnet", "vgg11"])
    monkeypatch.setattr(compare, "architecture_table",
                        lambda *a, **k: pytest.fail("traced again: the summary is not cached"))
    assert compare.points(["vgg11", "alexnet"]) == first[::-1]
    assert compare.point.cache_info().hits >= 2
