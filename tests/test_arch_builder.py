"""Network builder: presets checked against real torch layers, ``?`` inference, first break,
runnable code, the form composer and shareable links."""

from __future__ import annotations

import urllib.parse

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import limits
from playground.arch import builder


@pytest.mark.parametrize("key", list(builder.PRESETS))
def test_presets_match_real_torch(key: str) -> None:
    p = builder.PRESETS[key]
    r = builder.build(p.code, p.shape)
    assert r.error is None
    got = builder.torch_check(r, p.code)
    assert [s for _, s in got] == [rep.output_shape for rep in r.layers]
    # the runnable code really runs and prints what it claims (our own generated text)
    ns: dict = {}
    exec(compile(r.torch_code.replace("print(", "_ = ("), "<builder>", "exec"), ns)  # noqa: S102
    assert tuple(ns["y"].shape) == r.layers[-1].output_shape
    assert sum(q.numel() for q in ns["model"].parameters()) == r.total_params


def test_course_28x28_cnn_shapes() -> None:
    p = builder.PRESETS["course_28"]
    r = builder.build(p.code, p.shape)
    assert [rep.output_shape for rep in r.layers] == [
        (8, 16, 28, 28), (8, 16, 27, 27), (8, 16, 27, 27), (8, 32, 14, 14), (8, 32, 7, 7),
        (8, 64, 3, 3)]


def test_lenet_case_study_counts() -> None:
    r = builder.build(builder.PRESETS["lenet_case"].code, "1x1x28x28")
    assert r.inferred == ((7, "7", 256),)
    assert [x.params for x in r.layers if x.params] == [832, 51_264, 51_400, 2_010]
    assert r.total_params == 105_506 and r.total_macs == 1_333_200
    assert "nn.Linear(256, 200)" in r.torch_code


def test_simple_cnn_and_torch_doc_example() -> None:
    r = builder.build(builder.PRESETS["simple_cnn"].code, "1x3x32x32")
    assert r.layers[-1].output_shape == (1, 10) and r.total_params == 268_650
    r = builder.build(builder.PRESETS["torch_doc"].code, "1x1x28x28")
    assert r.layers[-1].output_shape == (1, 64, 20, 20) and r.total_params == 520 + 32_064


def test_first_break_is_reported_with_reason_and_fix() -> None:
    code = "nn.Sequential(nn.Conv2d(1, 16, 3), nn.Flatten(), nn.Linear(100, 10), nn.ReLU())"
    r = builder.build(code, "1x1x28x28")
    assert r.error_index == 2 and len(r.layers) == 2
    assert "in_features=100" in r.error and "nn.Linear(10816, 10)" in r.error
    got = builder.torch_check(r, code)
    assert "PyTorch raises" in got[-1][0]  # torch breaks at the same layer
    assert r.to_json()["ok"] is False and r.to_json()["output_shape"] is None


@pytest.mark.parametrize("text", ["nn.Linear(?, 10)", "nn.Linear(in_features=?, out_features=10)",
                                  "nn.LazyLinear(10)"])
def test_in_features_inferred(text: str) -> None:
    r = builder.build(f"nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), {text})", "2x3x10x10")
    assert r.inferred[0][2] == 8 * 8 * 8 and r.layers[-1].output_shape == (2, 10)


def test_parse_errors_are_value_errors() -> None:
    for code in ("", "import os", "nn.Sequential(nn.Conv2d(1, 2, 3), eval('1'))",
                 "nn.Sequential(nn.Conv2d(1, 2, ?))"):
        with pytest.raises(ValueError):
            builder.build(code, "1x1x8x8")
    with pytest.raises(ValueError):
        builder.build("nn.Sequential(nn.ReLU())", "1x-1x8x8")


def test_form_composer() -> None:
    code = builder.append_layer("", "Conv2d", "1, 8, 3")
    code = builder.append_layer(code, "ReLU", "")
    code = builder.append_layer(code, "Flatten", "")
    code = builder.append_layer(code, "Linear", "?, 10")
    r = builder.build(code, "1x1x6x6")
    assert r.error is None and r.layers[-1].output_shape == (1, 10) and r.inferred[0][2] == 128
    code2 = builder.remove_last_layer(code)
    assert len(builder.parse(code2)) == 3
    od = "nn.Sequential(OrderedDict([('c', nn.Conv2d(1, 4, 3))]))"
    assert len(builder.parse(builder.append_layer(od, "ReLU", ""))) == 2
    with pytest.raises(ValueError, match="unknown layer type"):
        builder.append_layer(code, "Transformer", "")
    with pytest.raises(ValueError):
        builder.append_layer(code, "Conv2d", "1, 8, kernel_size=__import__('os')")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.text(alphabet="0123456789x", min_size=1, max_size=20))
def test_share_link_round_trip(code: str, shape: str) -> None:
    q = builder.encode_share(code, shape)
    params = dict(urllib.parse.parse_qsl(q, keep_blank_values=True))
    if not code:
        assert builder.decode_share(params) is None
    else:
        assert builder.decode_share(params) == (code, shape)


def test_share_link_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="too long"):
        builder.encode_share("x" * (limits.MAX_SHARE_CODE_CHARS + 1), "1x3x8x8")
    for params in ({"net": "!!!"}, {"net": "A" * 20_000}, {"net": "_w"},
                   {"net": "YQ", "shape": "<script>"}):
        with pytest.raises(ValueError):
            builder.decode_share(params)
    assert builder.decode_share({}) is None


def test_torch_check_large_input_uses_meta() -> None:
    code = "nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.MaxPool2d(2))"
    r = builder.build(code, "1x3x100000x100000")
    got = builder.torch_check(r, code)
    assert got[-1][1] == (1, 64, 50_000, 50_000)
    assert torch.empty(0).device.type == "cpu"  # the default device is untouched


def test_torch_check_beyond_int64_storage_is_explained() -> None:
    """REGRESSION (issue 8 fuzz): a 1×3×10⁹×10⁹ input overflowed torch's storage size even on the
    meta device (RuntimeError, shown as a bare 'Error'): now a ValueError naming the 2^63 limit."""
    code = "nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU())"
    r = builder.build(code, "1,3,1000000000,1000000000")
    assert r.layers[-1].output_shape == (1, 16, 10**9, 10**9)  # the symbolic answer still stands
    with pytest.raises(ValueError, match=r"2\^63 bytes"):
        builder.torch_check(r, code)
    just_fits = builder.build(code, "1,3,40000,40000")  # 25.6e9 elements: meta handles it
    assert builder.torch_check(just_fits, code)[-1][1] == (1, 16, 40_000, 40_000)
