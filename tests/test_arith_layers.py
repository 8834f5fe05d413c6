"""Unit tests of the arithmetic core: the course's numbers, formulas, explanations of invalid
settings, plain-value validation, receptive fields and MACs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from playground import arith as A
from playground.arith import (
    ActKind, Activation, AdaptiveAvgPool2d, AvgPool2d, Conv2d, ConvTranspose2d, Linear, MaxPool2d,
    MaxUnpool2d, ShapeError, explain_invalid, formula_steps, layer_report, receptive_field,
)


# ---------------------------------------------------------------------------------------------
# the course's numbers
# ---------------------------------------------------------------------------------------------
def test_alexnet_first_layer_and_pool():
    conv = layer_report(Conv2d(3, 96, kernel_size=11, stride=4), "1,3,227,227")
    assert conv.output_shape == (1, 96, 55, 55)
    assert conv.params == (11 * 11 * 3 + 1) * 96 == 34_944
    assert conv.weight_shape == (96, 3, 11, 11) and conv.bias_shape == (96,)
    pool = layer_report(MaxPool2d(3, stride=2), conv.output_shape)
    assert pool.output_shape == (1, 96, 27, 27)
    assert pool.params == 0 and pool.macs == 0


def test_unbatched_course_shapes():
    assert layer_report(Conv2d(3, 96, 11, stride=4), (3, 227, 227)).output_shape == (96, 55, 55)
    assert layer_report(MaxPool2d(3, 2), (96, 55, 55)).output_shape == (96, 27, 27)


def test_transposed_conv_course_example():
    r = layer_report(ConvTranspose2d(3, 16, 3, stride=2, padding=1), (1, 3, 64, 64))
    assert r.output_shape == (1, 16, 127, 127)
    assert r.weight_shape == (3, 16, 3, 3)


def test_mnist_conv_course_example():
    r = layer_report(Conv2d(1, 32, 5), (1, 1, 28, 28))
    assert r.output_shape == (1, 32, 24, 24)
    assert r.params == 832
    assert r.macs == 460_800 == 32 * 24 * 24 * 5 * 5


@pytest.mark.parametrize("spec,shape,out", [
    (MaxPool2d(2, 2, return_indices=True), (1, 1, 4, 4), (1, 1, 2, 2)),
    (MaxUnpool2d(2, 2), (1, 1, 2, 2), (1, 1, 4, 4)),
    (AvgPool2d(2, 2), (1, 1, 4, 5), (1, 1, 2, 2)),
    (AdaptiveAvgPool2d((2, 2)), (1, 1, 4, 5), (1, 1, 2, 2)),
])
def test_pool_unpool_course_shapes(spec, shape, out):
    assert layer_report(spec, shape).output_shape == out
    m = A.to_torch(spec)
    x = torch.arange(1.0, 1 + math.prod(shape)).reshape(shape)
    y = m(x, torch.zeros(shape, dtype=torch.long)) if isinstance(spec, MaxUnpool2d) else m(x)
    y = y[0] if isinstance(y, tuple) else y
    assert tuple(y.shape) == out


# ---------------------------------------------------------------------------------------------
# formulas
# ---------------------------------------------------------------------------------------------
def test_formula_steps_conv():
    steps = formula_steps(Conv2d(3, 96, 11, stride=4), "1,3,227,227")
    assert steps[0] == "H_out = ⌊(H_in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1"
    assert steps[1] == "H_out = ⌊(227 + 2·0 − 1·(11 − 1) − 1) / 4⌋ + 1"
    assert steps[2] == "H_out = ⌊216 / 4⌋ + 1 = ⌊54⌋ + 1 = 54 + 1 = 55"
    assert any(s.startswith("W_out = ⌊216 / 4⌋") for s in steps)
    assert "params = weight (96, 3, 11, 11) + bias (96,) = 96·3·11·11 + 96 = 34,944" in steps


def test_formula_steps_floor_and_ceil_rule():
    floor = formula_steps(MaxPool2d(2, 2), (1, 1, 5, 5))
    assert "H_out = ⌊3 / 2⌋ + 1 = ⌊1.5⌋ + 1 = 1 + 1 = 2" in floor
    ceil = formula_steps(MaxPool2d(2, 2, ceil_mode=True), (1, 1, 5, 5))
    assert "H_out = ⌈3 / 2⌉ + 1 = ⌈1.5⌉ + 1 = 2 + 1 = 3" in ceil
    assert any("inside → keep H_out = 3" in s for s in ceil)
    # the last window would start in the right padding: torch drops it
    dropped = formula_steps(MaxPool2d(2, 2, padding=1, ceil_mode=True), (1, 1, 5, 5))
    assert any("would start at (4 − 1)·2 = 6 ≥ H_in + padding = 6, outside the input → H_out = 3" in s
               for s in dropped)
    assert layer_report(MaxPool2d(2, 2, padding=1, ceil_mode=True), (1, 1, 5, 5)).output_shape == (1, 1, 3, 3)


def test_formula_steps_same_and_transposed():
    same = formula_steps(Conv2d(1, 1, 4, padding="same"), (1, 1, 9, 9))
    assert any("1·(4 − 1) = 3 (1 top, 2 bottom)" in s for s in same)
    t = formula_steps(ConvTranspose2d(3, 16, 3, stride=2, padding=1), (1, 3, 64, 64))
    assert "H_out = (64 − 1)·2 − 2·1 + 1·(3 − 1) + 0 + 1" in t
    assert "H_out = 126 − 2 + 2 + 0 + 1 = 127" in t


def test_formula_steps_marks_invalid_without_raising():
    steps = formula_steps(Conv2d(1, 1, 5), (1, 1, 4, 4))
    assert any(s.startswith("✗ output height would be 0") for s in steps)


@pytest.mark.parametrize("spec,shape", [
    (AdaptiveAvgPool2d((None, 3)), (1, 2, 7, 7)), (MaxUnpool2d(2), (1, 1, 2, 2)),
    (Linear(4, 2), (3, 4)), (A.Flatten(), (2, 3, 4, 5)), (A.BatchNorm2d(3), (1, 3, 2, 2)),
    (A.Dropout(0.3), (1, 4)), (Activation(ActKind.SOFTMAX, dim=1), (2, 5)),
    (Activation(ActKind.GELU), (2, 5)), (AvgPool2d(3, 2, 1, ceil_mode=True), (1, 1, 8, 8)),
])
def test_formula_steps_every_layer(spec, shape):
    steps = formula_steps(spec, shape)
    assert steps and steps[-1] != ""
    assert any(s.startswith("output shape:") for s in steps)


# ---------------------------------------------------------------------------------------------
# invalid settings explained with the nearest valid values
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,layer,shape,needles", [
    (dict(in_channels=1, out_channels=1, kernel_size=5), "Conv2d", "1,1,4,4",
     ["output height would be 0", "use padding >= 1 or kernel_size <= 4"]),
    (dict(in_channels=1, out_channels=1, kernel_size=(5, 2)), "Conv2d", "1,1,4,4",
     ["output height would be 0", "kernel_size[0] <= 4"]),
    (dict(in_channels=1, out_channels=1, kernel_size=3, dilation=3), "Conv2d", "1,1,5,5",
     ["dilation <= 2"]),
    (dict(in_channels=4, out_channels=6, kernel_size=3, groups=4), "Conv2d", "1,4,8,8",
     ["out_channels must be divisible by groups", "groups in {1, 2}"]),
    (dict(in_channels=1, out_channels=1, kernel_size=3, stride=2, padding="same"), "Conv2d", "1,1,8,8",
     ["padding='same' is not supported for strided convolutions", "stride=1"]),
    (dict(in_channels=1, out_channels=1, kernel_size=3, padding=4, padding_mode="reflect"), "Conv2d",
     "1,1,4,4", ["padding_mode='reflect' needs padding < input height", "padding <= 3"]),
    (dict(in_channels=1, out_channels=1, kernel_size=3, stride=2, output_padding=2), "ConvTranspose2d",
     "1,1,4,4", ["output_padding must be smaller than either stride or dilation", "output_padding <= 1"]),
    (dict(kernel_size=3, padding=2), "MaxPool2d", "1,1,8,8",
     ["at most half the kernel size", "padding <= 1 or kernel_size >= 4"]),
    (dict(kernel_size=5), "MaxPool2d", "1,1,3,3", ["output height would be 0", "padding >= 1"]),
    (dict(kernel_size=2, divisor_override=0), "AvgPool2d", "1,1,4,4", ["divisor_override must not be zero"]),
    (dict(in_features=400, out_features=10), "Linear", "1,1250", ["in_features=400", "in_features=1250"]),
    (dict(in_channels=3, out_channels=8, kernel_size=3), "Conv2d", "1,1,8,8",
     ["expects 3 input channels", "receives 1", "in_channels=1"]),
    (dict(in_channels=3, out_channels=8, kernel_size=0), "Conv2d", "1,3,8,8", ["kernel_size must be >= 1, got 0"]),
    (dict(in_channels=3, out_channels=8, kernel_size=3, stride=0), "Conv2d", "1,3,8,8", ["stride must be >= 1, got 0"]),
    (dict(in_channels=3, out_channels=8, kernel_size=3, padding=-1), "Conv2d", "1,3,8,8",
     ["padding must be >= 0, got -1"]),
    (dict(in_channels=3, out_channels=8, kernel_size=float("nan")), "Conv2d", "1,3,8,8",
     ["kernel_size must be a finite integer, got nan"]),
    (dict(in_channels=3, out_channels=8, kernel_size=float("inf")), "Conv2d", "1,3,8,8", ["finite integer"]),
    (dict(in_channels=3, out_channels=8, kernel_size=3.0), "Conv2d", "1,3,8,8",
     ["got the float 3.0", "use kernel_size=3"]),
    (dict(in_channels=3, out_channels=8, kernel_size="3"), "Conv2d", "1,3,8,8", ["must be an integer, got '3'"]),
    (dict(in_channels=3, out_channels=8, kernel_size=10**12), "Conv2d", "1,3,8,8", ["<= 1,000,000,000"]),
    (dict(in_channels=3, out_channels=8, kernel_size=3, bias="yes"), "Conv2d", "1,3,8,8", ["True or False"]),
    (dict(in_channels=True, out_channels=8, kernel_size=3), "Conv2d", "1,3,8,8", ["must be an integer"]),
    (dict(p=1.5), "Dropout", "1,4", ["between 0 and 1"]),
    (dict(p=float("nan")), "Dropout", "1,4", ["between 0 and 1"]),
    (dict(in_channels=3), "Conv2d", "1,3,8,8", ["missing"]),
    (dict(foo=1), "ReLU", "1,4", ["unexpected keyword argument 'foo'"]),
    ({}, "LSTM", "1,4", ["unknown layer type"]),
    (dict(in_channels=1, out_channels=1, kernel_size=3), "Conv2d", "1,1,a,4", ["must be an integer"]),
    (dict(num_features=2), "BatchNorm2d", "2,3", ["4-D"]),
    (dict(dim=3), "Softmax", "2,3", ["out of range"]),
    (dict(start_dim=2, end_dim=1), "Flatten", "2,3,4", ["cannot come after"]),
    (dict(kernel_size=2, stride=0), "MaxUnpool2d", "1,1,2,2", ["stride must be >= 1, got 0"]),
    (dict(kernel_size=2, padding=2), "MaxUnpool2d", "1,1,2,2", ["output height would be 0", "padding <= 1"]),
])
def test_explain_invalid(kwargs, layer, shape, needles):
    msg = explain_invalid(kwargs, layer, shape)
    assert msg is not None
    for needle in needles:
        assert needle in msg, msg


def test_explain_invalid_none_when_valid():
    assert explain_invalid(dict(in_channels=3, out_channels=8, kernel_size=3), "Conv2d", "1,3,8,8") is None
    assert explain_invalid({}, "nn.ReLU", "1,4") is None


def test_explain_invalid_huge_values_are_fast():
    msg = explain_invalid(dict(in_channels=3, out_channels=8, kernel_size=10**9), "Conv2d", "1,3,100000,100000")
    assert "use padding >= 499950000 or kernel_size <= 100000" in msg


def test_torch_would_refuse_what_the_core_refuses_outside_the_property_domain():
    """The core refuses negative padding in every mode; torch crops with reflect (documented)."""
    with pytest.raises(ShapeError, match="padding must be >= 0"):
        Conv2d(1, 1, 3, padding=-1, padding_mode="reflect")
    with pytest.raises(ShapeError, match="stride must be >= 1"):
        MaxUnpool2d(2, stride=0)


def test_shape_error_is_value_error_with_fields():
    with pytest.raises(ValueError) as err:
        layer_report(Conv2d(1, 1, 5), (1, 1, 4, 4))
    e = err.value
    assert isinstance(e, ShapeError)
    assert e.layer_index is None and e.suggestion == "use padding >= 1 or kernel_size <= 4"


# ---------------------------------------------------------------------------------------------
# receptive field
# ---------------------------------------------------------------------------------------------
def test_receptive_field_vgg_like_stack():
    specs = [Conv2d(3, 8, 3, padding=1), Conv2d(8, 8, 3, padding=1), MaxPool2d(2),
             Conv2d(8, 8, 3, padding=1), MaxPool2d(2)]
    rfs = receptive_field(specs, (1, 3, 32, 32))
    assert [r.size[0] for r in rfs] == [3, 5, 6, 10, 12]
    assert [r.jump[0] for r in rfs] == [1, 1, 2, 2, 4]
    assert [r.start[0] for r in rfs] == [0, 0, 0.5, 0.5, 1.5]


def test_receptive_field_dilation_nonsquare_and_padding_start():
    rf = receptive_field([Conv2d(1, 1, (3, 5), stride=(2, 1), padding=(0, 2), dilation=(2, 1))], (1, 1, 9, 9))[0]
    assert rf.size == (5, 5) and rf.jump == (2, 1) and rf.start == (2, 0)


def test_receptive_field_flags_whole_input():
    rfs = receptive_field([Conv2d(1, 2, 3), AdaptiveAvgPool2d((3, 3)), A.Flatten(), Linear(18, 2)], (1, 1, 10, 10))
    assert not rfs[0].whole_input and rfs[1].whole_input and rfs[3].whole_input
    assert rfs[3].size == (10, 10)
    even = receptive_field([AdaptiveAvgPool2d(2)], (1, 1, 8, 8))[0]
    assert even.size == (4, 4) and even.jump == (4, 4) and not even.whole_input


def test_receptive_field_transposed_is_documented_upper_bound():
    rf = receptive_field([Conv2d(1, 1, 3, stride=2), ConvTranspose2d(1, 1, 3, stride=2)], (1, 1, 9, 9))
    assert rf[1].jump == (1, 1) and rf[1].size == (5, 5)
    assert "upper bound" in rf[1].note


# ---------------------------------------------------------------------------------------------
# MACs and huge inputs
# ---------------------------------------------------------------------------------------------
def test_macs_definitions():
    r = layer_report(Conv2d(4, 8, 3, groups=2), (2, 4, 10, 10))
    assert r.macs == 2 * 8 * 8 * 8 * 2 * 9
    t = layer_report(ConvTranspose2d(4, 8, 3, stride=2, groups=2), (2, 4, 5, 5))
    assert t.macs == 2 * 4 * 5 * 5 * 4 * 9
    lin = layer_report(Linear(5, 3), (2, 7, 5))
    assert lin.macs == 2 * 7 * 5 * 3
    for spec in (MaxPool2d(2), A.BatchNorm2d(4), Activation(ActKind.RELU), A.Dropout()):
        assert layer_report(spec, (2, 4, 10, 10)).macs == 0


def test_huge_shape_symbolic_and_json():
    r = layer_report(Conv2d(3, 64, 3, padding=1), "1,3,100000,100000")
    assert r.output_shape == (1, 64, 100000, 100000)
    assert r.macs == 64 * 10**10 * 27
    j = r.to_json()
    assert j["output_shape"] == [1, 64, 100000, 100000] and j["padding"] == [1, 1]


def test_from_torch_sequential_matches_analyze():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    specs = A.specs_from_torch(model)
    rep = A.analyze_specs(specs, (2, 1, 8, 8))
    assert rep.output_shape == tuple(model(torch.zeros(2, 1, 8, 8)).shape)
    assert rep.total_params == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="not supported"):
        A.specs_from_torch(nn.Sequential(nn.LSTM(2, 2)))


# ---------------------------------------------------------------------------------------------
# robustness: wild values never escape as anything but ValueError
# ---------------------------------------------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WILD = st.one_of(st.integers(-3, 12), st.sampled_from([0, 10**10, -10**10, 2**63]),
                 st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
                 st.text(max_size=5), st.tuples(st.integers(-2, 9), st.integers(-2, 9)),
                 st.sampled_from(["same", "valid", "reflect", "circular", "tanh", (1, 2, 3), ()]))


@settings(max_examples=400, deadline=None, database=None)
@given(layer=st.sampled_from(sorted(A.LAYERS)), data=st.data(),
       shape=st.one_of(st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 12), st.integers(1, 12)),
                       st.sampled_from(["1,3,100000,100000", "2,8", "x", "", "1,2,3,4,5,6,7"])))
def test_wild_values_only_raise_value_error(layer, data, shape):
    params = A.LAYERS[layer][1]
    kwargs = {p: data.draw(WILD, label=p) for p in params if data.draw(st.booleans(), label=f"set {p}")}
    msg = explain_invalid(kwargs, layer, shape)
    assert msg is None or isinstance(msg, str) and msg
    try:
        spec = A.LAYERS[layer][0](**kwargs)
    except (ValueError, TypeError):
        return
    try:
        rep = layer_report(spec, shape)
    except ValueError as e:
        assert msg is not None and str(e)
        try:
            parsed = A.parse_shape(shape)
        except ValueError:
            return
        assert formula_steps(spec, parsed)  # explains the failure, never raises
        return
    assert msg is None
    assert A.parse_network(rep.code) == [("0", spec)]
    assert rep.params >= 0 and rep.macs >= 0
