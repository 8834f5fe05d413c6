"""The live panel: control values → shape/params/MACs/code equal to torch's, or a message that
names the broken constraint (and the nearest valid values); never clamped, never allocated."""

from __future__ import annotations

import tracemalloc

import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st
from torch import nn

from playground import arith
from playground.layerlab.controls import (CONTROLS, LAYER_TYPES, RELEVANT, LabSettings, as_int,
                                          settings_from_values, spec_kwargs, summarize)


def _torch_layer(s: LabSettings) -> nn.Module:
    kw = spec_kwargs(s)
    return getattr(nn, s.layer)(**kw)


@settings(max_examples=150, deadline=None)
@given(layer=st.sampled_from(LAYER_TYPES), h=st.integers(1, 12), w=st.integers(1, 12),
       c=st.sampled_from([1, 2, 4]), k=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), p=st.sampled_from(["0", "1", "2", "1, 0", "same", "valid"]),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)), groups=st.sampled_from([1, 2]),
       op=st.tuples(st.integers(0, 2), st.integers(0, 2)), ceil=st.booleans(), cip=st.booleans(),
       div=st.sampled_from([0, 3]), out=st.sampled_from(["1", "3", "2, 5", "None, 4"]),
       mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
@example(layer="ConvTranspose2d", h=1, w=1, c=1, k=(4, 4), s=(1, 1), p="2", d=(1, 1), groups=1,
         op=(0, 0), ceil=False, cip=False, div=0, out="1", mode="zeros")  # torch: empty (2, 4, 0, 0)
def test_summary_matches_torch(layer, h, w, c, k, s, p, d, groups, op, ceil, cip, div, out, mode) -> None:
    st_ = LabSettings(layer=layer, n=2, c=c, h=h, w=w, out_channels=4, kernel_h=k[0], kernel_w=k[1],
                      stride_h=s[0], stride_w=s[1], padding=p, dilation_h=d[0], dilation_w=d[1],
                      groups=groups, padding_mode=mode, output_padding_h=op[0], output_padding_w=op[1],
                      ceil_mode=ceil, count_include_pad=cip, divisor_override=div, output_size=out)
    r = summarize(st_)
    try:
        m = _torch_layer(st_)
        with torch.no_grad():
            y = m(torch.zeros(2, c, h, w))
        if y.numel() == 0:  # ConvTranspose2d / MaxUnpool2d: torch returns an EMPTY tensor for an
            raise ValueError("empty output")  # output size of 0; the core refuses it (as in
            # tests/test_arith_parity.py: a documented deviation). Found by hypothesis in CI.
    except (RuntimeError, ValueError, TypeError):
        assert not r.ok, f"torch refused but the lab accepted {st_}"
        assert len(r.error) > 10 and "Traceback" not in r.error
        return
    assert r.ok, r.error
    assert r.output_shape == tuple(y.shape)
    assert r.params == sum(p_.numel() for p_ in m.parameters())
    assert r.formula and r.code
    again = arith.analyze(r.code, r.input_shape)  # the paste box accepts the code back
    assert tuple(again.output_shape) == r.output_shape and again.total_params == r.params


def test_conv2d_default_and_formula() -> None:
    r = summarize(LabSettings())
    assert r.output_shape == (1, 16, 32, 32) and r.params == 448 and r.macs == 16 * 32 * 32 * 27
    assert r.weight_shape == (16, 3, 3, 3) and r.bias_shape == (16,)
    assert any("⌊" in line and "32" in line for line in r.formula)
    assert r.code == "nn.Conv2d(3, 16, kernel_size=3, padding=1)"


@pytest.mark.parametrize("changes, pieces", [
    ({"h": 4, "w": 4, "kernel_h": 7, "kernel_w": 7, "padding": "0"}, ["output height", "padding >= 2"]),
    ({"stride_h": 2, "padding": "same"}, ["same", "stride"]),
    ({"groups": 2}, ["divisible by groups"]),
    ({"layer": "ConvTranspose2d", "output_padding_h": 1}, ["output_padding", "smaller than"]),
    ({"layer": "MaxPool2d", "padding": "2"}, ["half"]),
    ({"layer": "MaxPool2d", "h": 5, "w": 5, "kernel_h": 2, "kernel_w": 2, "stride_h": 2, "stride_w": 2,
      "padding": "0", "dilation_h": 9}, ["output"]),
    ({"stride_h": 0}, ["stride", ">= 1"]), ({"kernel_h": -3}, ["kernel_size", ">= 1"]),
    ({"h": 0}, ["height H", "between 1"]), ({"h": 10**30}, ["height H", "between"]), ({"h": float("nan")}, ["finite"]),
    ({"h": "abc"}, ["height H", "whole number"]), ({"stride_w": 1.5}, ["whole number", "use 1 or 2"]),
    ({"h": ""}, ["empty"]), ({"padding": "lots"}, ["padding"]),
    ({"layer": "AdaptiveAvgPool2d", "output_size": "0"}, [">= 1"]),
    ({"layer": "AdaptiveMaxPool2d", "output_size": "1,2,3"}, ["output_size"]),
    ({"layer": "Linear"}, ["layer type"]),
])
def test_invalid_settings_are_explained(changes, pieces) -> None:
    r = summarize(LabSettings(**changes))
    assert not r.ok and r.output_shape is None
    for piece in pieces:
        assert piece in r.error, (piece, r.error)


def test_huge_input_is_answered_symbolically() -> None:
    tracemalloc.start()
    try:
        r = summarize(LabSettings(h=100_000, w=100_000, c=3, out_channels=64))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.output_shape == (1, 64, 100_000, 100_000)
    assert r.macs == 64 * 100_000 * 100_000 * 27
    assert peak < 5_000_000  # a few MB at most: nothing of the 10^10-element tensor is allocated


def test_relevant_controls_and_value_order() -> None:
    assert CONTROLS[0] == "layer" and set(RELEVANT) == set(LAYER_TYPES)
    assert "output_padding_h" in RELEVANT["ConvTranspose2d"] and "output_padding_h" not in RELEVANT["Conv2d"]
    values = [getattr(LabSettings(), n) for n in CONTROLS]
    assert settings_from_values(*values) == LabSettings()
    with pytest.raises(ValueError, match="control values"):
        settings_from_values(1, 2)


def test_as_int() -> None:
    assert as_int(3, "x") == 3 and as_int(3.0, "x") == 3 and as_int(" 4 ", "x") == 4
    for bad in (True, None, "", "3.5", float("inf"), "1e400x"):
        with pytest.raises(ValueError):
            as_int(bad, "x")
