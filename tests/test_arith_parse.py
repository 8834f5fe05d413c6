"""Safe parsing of pasted PyTorch text, analyze() with mismatches pinned to a layer, parse_shape."""

from __future__ import annotations

import json
import time

import pytest

from playground import arith as A
from playground.arith import ShapeError, analyze, parse_network, parse_shape

LENET_ORDERED = """
from collections import OrderedDict
import torch.nn as nn
model = nn.Sequential(OrderedDict([
    ("conv1", nn.Conv2d(1, 6, kernel_size=5, padding=2)),
    ("relu1", nn.ReLU()),
    ("pool1", nn.MaxPool2d(2, 2)),
    ("conv2", nn.Conv2d(6, 16, 5)),
    ("relu2", nn.ReLU()),
    ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
    ("flat", nn.Flatten()),
    ("fc1", nn.Linear(16 * 5 * 5 if False else 400, 120)),
]))
"""

TWENTY = """nn.Sequential(
    nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
    nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.LeakyReLU(0.1),
    nn.Conv2d(64, 64, (3, 1), padding=(1, 0), groups=2), nn.GELU(), nn.AvgPool2d(2, ceil_mode=True),
    nn.Dropout(0.25), nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(),
    nn.Linear(256, 64), nn.Tanh(), nn.Linear(64, 10), nn.Softmax(dim=1),
)"""


def test_ordered_dict_form_is_refused_with_an_expression_inside():
    with pytest.raises(ValueError, match="line 12, col 23: .*if-expression"):
        parse_network(LENET_ORDERED)


def test_ordered_dict_form():
    code = LENET_ORDERED.replace("16 * 5 * 5 if False else 400", "400")
    layers = parse_network(code)
    assert [n for n, _ in layers] == ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flat", "fc1"]
    rep = analyze(code, "1,1,28,28")
    assert rep.output_shape == (1, 120)
    assert rep.layers[0].output_shape == (1, 6, 28, 28)
    assert rep.layers[5].output_shape == (1, 16, 5, 5)
    assert rep.total_params == (5 * 5 * 1 + 1) * 6 + (5 * 5 * 6 + 1) * 16 + 400 * 120 + 120


@pytest.mark.parametrize("code", [
    "nn.Conv2d(3, 96, kernel_size=11, stride=4)",
    "torch.nn.Conv2d(3, 96, 11, 4)",
    "Conv2d(3, 96, 11, stride=4)",
    "conv = nn.Conv2d(3, 96, (11, 11), stride=(4, 4), padding=0)",
])
def test_single_layer_text(code):
    rep = analyze(code, "1,3,227,227")
    assert len(rep.layers) == 1
    assert rep.output_shape == (1, 96, 55, 55)
    assert rep.total_params == 34_944


def test_round_trip_to_code_parse_network():
    specs = parse_network(TWENTY)
    text = A.to_sequential_code(specs)
    assert parse_network(text) == specs
    for _, spec in specs:
        assert parse_network(A.to_code(spec)) == [("0", spec)]
    named = [(f"layer{i}", s) for i, (_, s) in enumerate(specs)]
    assert parse_network(A.to_sequential_code(named)) == named


def test_twenty_layer_sequential():
    rep = analyze(TWENTY, "2,3,32,32")
    assert len(rep.layers) == 20
    assert rep.output_shape == (2, 10)
    assert rep.layers[6].output_shape == (2, 32, 16, 16)
    assert rep.layers[12].output_shape == (2, 64, 8, 8)
    assert rep.layers[15].output_shape == (2, 256)
    data = json.loads(json.dumps(rep.to_json()))
    assert data["output_shape"] == [2, 10]
    assert {"name", "type", "input_shape", "output_shape", "params", "macs", "weight_shape",
            "bias_shape", "kernel", "stride", "padding", "receptive_field", "formula"} <= set(data["layers"][0])
    assert data["total_params"] == sum(layer["params"] for layer in data["layers"])
    assert data["receptive_field"]["whole_input"] is True


def test_nested_sequential_names():
    layers = parse_network("nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU(), nn.MaxPool2d(2)))")
    assert [n for n, _ in layers] == ["0", "1.0", "1.1"]


def test_bare_tuple_of_layers():
    assert [n for n, _ in parse_network("nn.Conv2d(1, 2, 3), nn.ReLU()")] == ["0", "1"]
    lines = parse_network("    nn.Conv2d(1, 2, 3),\n    nn.ReLU(),\n    nn.Flatten()")
    assert [n for n, _ in lines] == ["0", "1", "2"]


MALICIOUS = [
    ("__import__('os').system('ls')", "__import__"),
    ("nn.Conv2d.__class__", "attribute access"),
    ("nn.Conv2d.__class__(1)", "nn.Conv2d.__class__"),
    ("lambda x: x", "lambda"),
    ("open('f')", "open"),
    ("(1).__class__", "attribute access"),
    ("nn.Conv2d(1, 2, (1).__class__)", "attribute access"),
    ("os.system('ls')", "os.system"),
    ("nn.Conv2d(x, 2, 3)", "the name `x`"),
    ("nn.Conv2d(*[1, 2, 3])", "unpacking"),
    ("nn.Conv2d(**{'in_channels': 1})", "unpacking"),
    ("nn.Sequential(*[nn.ReLU() for _ in range(3)])", "unpacking"),
    ("[nn.ReLU() for _ in range(3)]", "comprehension"),
    ("nn.Conv2d(1, 2, [3][0])", "subscripting"),
    ("nn.Conv2d(1, 2, f'{3}')", "f-string"),
    ("nn.Conv2d(1, 2, 3 ** 100000)", "arithmetic"),
    ("import os", "statement"),
    ("x = nn.ReLU(); nn.ReLU()", "second statement"),
    ("nn.ReLU(); x = nn.ReLU()", "assignment after"),
    ("exec('1')", "exec"),
    ("eval('1')", "eval"),
    ("getattr(nn, 'ReLU')()", "getattr"),
    ("nn.LSTM(2, 3)", "not supported"),
    ("nn.Conv2d(1, 2, 3, device='cuda')", "unexpected keyword"),
    ("nn.Conv2d(1, 2, 3, ((1, 2), 3))", "tuple"),
    ("def f(): pass", "FunctionDef"),
    ("nn.ReLU(", "syntax error"),
    ("", "empty"),
    ("x" * 1_000_000, "too long"),
    ("(" * 5000 + "1" + ")" * 5000, "nested too deeply"),
    ("[" * 100 + "]" * 100, "nested too deeply"),
    ("nn.Conv2d(1, 2, 'a' * 10)", "arithmetic"),
    ("nn.Conv2d(1, 2, 3, padding_mode='x' )", "padding_mode"),
]


@pytest.mark.parametrize("code,needle", MALICIOUS)
def test_malicious_or_unsupported_text_is_refused(code, needle, monkeypatch):
    import builtins

    def boom(*a, **k):  # pragma: no cover - must never run
        raise AssertionError("user text was executed")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as err:
        parse_network(code)
    assert needle.lower() in str(err.value).lower(), str(err.value)
    assert time.perf_counter() - t0 < 2.0
    with pytest.raises(ValueError):
        analyze(code, "1,3,32,32")


def test_refusal_names_line_and_column():
    with pytest.raises(ValueError, match=r"line 3, col 5: .*lambda"):
        parse_network("nn.Sequential(\n    nn.ReLU(),\n    lambda x: x,\n)")


def test_in_channels_mismatch_is_pinned():
    code = "nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 64, 3))"
    with pytest.raises(ShapeError) as err:
        analyze(code, "1,3,32,32")
    e = err.value
    assert (e.layer_index, e.layer_name, e.layer_type) == (3, "3", "Conv2d")
    assert "expects 16 input channels" in str(e) and "receives 32" in str(e)
    assert e.suggestion == "use nn.Conv2d(32, 64, kernel_size=3)"
    assert str(e).startswith("layer 3 (Conv2d):")


def test_linear_in_features_mismatch_after_flatten():
    code = """nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(400, 500), nn.ReLU(), nn.Linear(500, 10))"""
    with pytest.raises(ShapeError) as err:
        analyze(code, "1,1,32,32")
    e = err.value
    assert e.layer_index == 7 and e.layer_type == "Linear"
    assert "Linear expects in_features=400 but the flattened size is 1,250 (=50·5·5)" in str(e)
    assert e.suggestion == "use nn.Linear(1250, 500)"
    fixed = analyze(code.replace("Linear(400", "Linear(1250"), "1,1,32,32")
    assert fixed.output_shape == (1, 10)


def test_ordered_dict_mismatch_names_the_layer():
    code = 'nn.Sequential(OrderedDict([("c1", nn.Conv2d(1, 4, 3)), ("bn", nn.BatchNorm2d(8))]))'
    with pytest.raises(ShapeError) as err:
        analyze(code, "1,1,8,8")
    assert err.value.layer_name == "bn" and "layer 1 'bn' (BatchNorm2d)" in str(err.value)
    assert err.value.suggestion == "use nn.BatchNorm2d(4)"


def test_shape_error_pins_output_too_small():
    with pytest.raises(ShapeError) as err:
        analyze("nn.Sequential(nn.Conv2d(1, 4, 3), nn.MaxPool2d(2), nn.Conv2d(4, 4, 4))", "1,1,8,8")
    e = err.value
    assert e.layer_index == 2
    assert "output height would be 0" in str(e)
    assert "padding >= 1" in e.suggestion and "kernel_size <= 3" in e.suggestion


def test_invalid_hyperparameter_is_pinned_at_parse_time():
    with pytest.raises(ShapeError) as err:
        parse_network("nn.Sequential(nn.ReLU(), nn.Conv2d(1, 4, 3, stride=0))")
    assert err.value.layer_index == 1
    assert "stride must be >= 1, got 0" in str(err.value)


@pytest.mark.parametrize("text,expected", [
    ("1,3,227,227", (1, 3, 227, 227)),
    ("3x32x32", (3, 32, 32)),
    ("(1, 3, 32, 32)", (1, 3, 32, 32)),
    (" 1 3 28 28 ", (1, 3, 28, 28)),
    ("2×1×28×28", (2, 1, 28, 28)),
    ((1, 3, 8, 8), (1, 3, 8, 8)),
    ("1,3,100000,100000", (1, 3, 100000, 100000)),
])
def test_parse_shape_ok(text, expected):
    assert parse_shape(text) == expected


@pytest.mark.parametrize("text,needle", [
    ("", "empty"), ("   ", "empty"), ("a,b", "entry 0 must be an integer, got 'a'"),
    ("1,-3,4,4", "entry 1 must be >= 1, got -3"), ("1,3,nan,4", "got 'nan'"),
    ("1,3,inf,4", "got 'inf'"), ("1,3,4.5,4", "got '4.5'"), ("1,0,4,4", ">= 1, got 0"),
    ("1,3,99999999999,4", "<= 1,000,000,000"), ("1,2,3,4,5,6,7", "1 to 6 dimensions"),
    ((1, 3.0, 4, 4), "must be an integer"), ((1, True, 4, 4), "must be an integer"),
    (None, "must be text"), ("9" * 300, "too long"),
])
def test_parse_shape_errors(text, needle):
    with pytest.raises(ValueError, match=None) as err:
        parse_shape(text)
    assert needle in str(err.value)


def test_huge_input_is_symbolic():
    t0 = time.perf_counter()
    rep = analyze("nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.MaxPool2d(3, 2, 1),"
                  " nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))", "1,3,100000,100000")
    assert time.perf_counter() - t0 < 1.0
    assert rep.layers[0].output_shape == (1, 64, 50000, 50000)
    assert rep.layers[0].macs == 64 * 50000 * 50000 * 3 * 49
    assert rep.output_shape == (1, 10)
