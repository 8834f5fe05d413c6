"""Parity of the arithmetic core with real PyTorch layers (hypothesis, >= 2,000 configs per layer).

For every random configuration the real ``torch.nn`` layer is built and a real (tiny) tensor is
run through it. We assert that the core raises a ValueError exactly when torch raises (at
construction or in forward), and otherwise that the output shape, the parameter count and the
weight/bias shapes are equal. For Conv2d, ConvTranspose2d and Linear the forward runs under
``FlopCounterMode`` and the core's MACs must equal its total // 2.

Domain notes (documented deviations, outside the random domain on purpose):
- torch returns an *empty* tensor (no error) for MaxUnpool2d and ConvTranspose2d when the output
  size is 0; the core refuses any output size < 1, so an empty torch output counts as a refusal here;
- negative padding and 0 kernel/stride for MaxUnpool2d, and negative padding with a non-'zeros'
  Conv2d padding_mode (which torch turns into cropping), are refused by the core (torch does not
  validate them); they are covered by the unit tests in test_arith_layers.py instead;
- dilation 0 for ConvTranspose2d: torch refuses it ("dilation should be greater than zero") except
  on the CPU oneDNN path for grouped transposed convolutions when that dim's kernel is 1, a
  backend quirk; the core always refuses dilation 0 (Conv2d dilation 0 *is* in the domain).
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import dataclass

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis.control import currently_in_test_context
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from playground import arith as A
from playground.arith.parse import LAYERS

N = 2000
SETTINGS = settings(max_examples=N, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

torch.set_num_threads(1)
warnings.filterwarnings("ignore")


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
# Strategies draw from precomputed lists with ``sampled_from`` (one draw each): hypothesis'
# per-draw cost dominates this file's run time. Hypothesis favours both ends of such a list, so
# the lists are shuffled (fixed seed) to keep the rare invalid entries at their intended share.
def mixed(values: list):
    values = list(values)
    random.Random(0).shuffle(values)
    return st.sampled_from(values)


def pair(lo: int, hi: int, zero: bool = False):
    """An int or an (h, w) tuple in [lo, hi]; with zero=True a 0 (invalid) appears now and then."""
    ints = list(range(lo, hi + 1))
    values: list = ints * 3 + [(a, b) for a in ints for b in ints]
    if zero:
        values += [0, (0, lo)]
    return mixed(values)


def spatial_shape(c: int = 6, hw: int = 20, ndims=(3, 4)):
    """(N, C, H, W), (C, H, W) or (H, W) with tiny sizes."""
    shapes: list = []
    sizes = list(range(1, hw + 1)) + list(range(hw // 2, hw + 1))  # larger sizes twice as likely
    for nd in ndims:
        for h in sizes:
            for w in sizes:
                if nd == 2:
                    shapes.append((h, w))
                for ch in range(1, c + 1):
                    if nd == 3:
                        shapes.append((ch, h, w))
                    if nd == 4:
                        shapes += [(1, ch, h, w), (2, ch, h, w)]
    return mixed(shapes)


ANY_SHAPES = ([(a,) for a in range(1, 5)] + [(a, b) for a in range(1, 5) for b in range(1, 5)]
              + [(a, b, c) for a in range(1, 4) for b in range(1, 4) for c in range(1, 4)]
              + [(a, b, c, d) for a in range(1, 3) for b in range(1, 4) for c in range(1, 4)
                 for d in range(1, 4)])
ANY_SHAPE = mixed(ANY_SHAPES)
# (in_channels, out_channels, groups): mostly divisible, sometimes not
CHANNELS = mixed(
    [(g * a, g * b, g) for g in (1, 2, 3) for a in (1, 2) for b in (1, 2)] * 4
    + [(ci, co, g) for ci in range(1, 7) for co in range(1, 7) for g in (2, 3) if ci % g or co % g][::3])
MATCH = mixed([True] * 7 + [False])  # input channels equal to in_channels?


# ---------------------------------------------------------------------------------------------
# the comparison
# ---------------------------------------------------------------------------------------------
@dataclass
class Core:
    output_shape: tuple
    params: int
    weight_shape: tuple | None
    bias_shape: tuple | None
    macs: int


def core_result(layer: str, kwargs: dict, shape: tuple) -> Core | None:
    """The core's answer (the same functions ``layer_report`` uses, without formula text)."""
    factory = LAYERS[layer][0]
    try:
        spec = factory(**kwargs)
        out = A.output_shape(spec, shape)
    except ValueError as e:
        assert str(e), "errors must carry a message"
        return None
    return Core(out, A.param_count(spec), A.weight_shape(spec), A.bias_shape(spec),
                A.macs(spec, shape, out))


def torch_result(layer: str, kwargs: dict, shape: tuple, count_flops: bool):
    """(output shape, module, flops) or None if torch raises (or returns an empty output)."""
    try:
        module = getattr(nn, layer)(**kwargs)
        module.eval()
        x = torch.zeros(shape)
        args = (x,)
        if layer == "MaxUnpool2d":
            args = (x, torch.zeros(shape, dtype=torch.long))
        with torch.no_grad():
            y, flops = module(*args), None
            if count_flops:  # counted only once torch has accepted (the counter costs ~1 ms)
                with FlopCounterMode(display=False) as fc:
                    module(*args)
                flops = fc.get_total_flops()
    except Exception:  # any torch failure is a refusal
        return None
    if isinstance(y, tuple):  # return_indices=True
        y = y[0]
    if y.numel() == 0:
        return None
    return tuple(y.shape), module, flops


def check(layer: str, kwargs: dict, shape: tuple, count_flops: bool = False) -> None:
    ours = core_result(layer, kwargs, shape)
    theirs = torch_result(layer, kwargs, shape, count_flops)
    ctx = f"nn.{layer}(**{kwargs}) on {shape}"
    if currently_in_test_context():  # counts shown by --hypothesis-show-statistics
        event("torch raised" if theirs is None else "torch accepted")
    if theirs is None:
        assert ours is None, f"torch raised but the core accepted: {ctx} -> {ours and ours.output_shape}"
        return
    assert ours is not None, f"torch accepted but the core raised: {ctx} -> {theirs[0]}\n" + str(
        _why(layer, kwargs, shape))
    out, module, flops = theirs
    assert ours.output_shape == out, ctx
    assert ours.params == sum(p.numel() for p in module.parameters()), ctx
    w = getattr(module, "weight", None)
    b = getattr(module, "bias", None)
    assert ours.weight_shape == (tuple(w.shape) if isinstance(w, torch.Tensor) else None), ctx
    assert ours.bias_shape == (tuple(b.shape) if isinstance(b, torch.Tensor) else None), ctx
    if count_flops:
        assert ours.macs * 2 == flops, f"{ctx}: MACs {ours.macs} vs flops {flops}"
    else:
        assert ours.macs == 0


def _why(layer, kwargs, shape):
    try:
        A.layer_report(LAYERS[layer][0](**kwargs), shape)
    except ValueError as e:
        return e


# ---------------------------------------------------------------------------------------------
# one property per layer type
# ---------------------------------------------------------------------------------------------
@SETTINGS
@given(
    chans=CHANNELS,
    k=pair(1, 6, zero=True), s=pair(1, 3, zero=True),
    p=mixed(list(range(5)) * 4 + [(a, b) for a in range(5) for b in range(5)] + ["same", "valid"] * 5),
    d=pair(1, 3, zero=True),
    bias=st.booleans(), mode=st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]),
    shape=spatial_shape(ndims=(2, 3, 4)), match=MATCH,
)
def test_conv2d(chans, k, s, p, d, bias, mode, shape, match):
    cin, cout, groups = chans
    if match and len(shape) >= 3:
        shape = (*shape[:-3], cin, *shape[-2:])
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k, stride=s, padding=p, dilation=d,
              groups=groups, bias=bias, padding_mode=mode)
    check("Conv2d", kw, shape, count_flops=True)


@SETTINGS
@given(
    chans=CHANNELS,
    k=pair(1, 5, zero=True), s=pair(1, 4, zero=True), p=pair(0, 3), op=pair(0, 2),
    d=pair(1, 3), bias=st.booleans(),
    shape=spatial_shape(hw=12, ndims=(2, 3, 4)), match=MATCH,
)
def test_conv_transpose2d(chans, k, s, p, op, d, bias, shape, match):
    cin, cout, groups = chans
    if match and len(shape) >= 3:
        shape = (*shape[:-3], cin, *shape[-2:])
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k, stride=s, padding=p,
              output_padding=op, groups=groups, bias=bias, dilation=d)
    check("ConvTranspose2d", kw, shape, count_flops=True)


@SETTINGS
@given(k=pair(1, 6, zero=True), s=pair(1, 4, zero=True) | st.none(), p=pair(0, 2),
       d=pair(1, 3, zero=True), ceil=st.booleans(), ri=st.booleans(),
       shape=spatial_shape(ndims=(2, 3, 4)))
def test_maxpool2d(k, s, p, d, ceil, ri, shape):
    kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, return_indices=ri, ceil_mode=ceil)
    check("MaxPool2d", kw, shape)


@SETTINGS
@given(k=pair(1, 6, zero=True), s=pair(1, 4, zero=True) | st.none(), p=pair(0, 2),
       ceil=st.booleans(), cip=st.booleans(),
       div=st.sampled_from([None] * 6 + list(range(-2, 6))), shape=spatial_shape(ndims=(2, 3, 4)))
def test_avgpool2d(k, s, p, ceil, cip, div, shape):
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip,
              divisor_override=div)
    check("AvgPool2d", kw, shape)


out_size = mixed(list(range(1, 9)) * 8 + [(a, b) for a in [None, *range(1, 9)]
                                                      for b in [None, *range(1, 9)]])


@SETTINGS
@given(o=out_size, shape=spatial_shape(ndims=(2, 3, 4)))
def test_adaptive_avgpool2d(o, shape):
    check("AdaptiveAvgPool2d", dict(output_size=o), shape)


@SETTINGS
@given(o=out_size, ri=st.booleans(), shape=spatial_shape(ndims=(2, 3, 4)))
def test_adaptive_maxpool2d(o, ri, shape):
    check("AdaptiveMaxPool2d", dict(output_size=o, return_indices=ri), shape)


@SETTINGS
@given(k=pair(1, 5), s=pair(1, 4) | st.none(), p=pair(0, 4),
       shape=spatial_shape(hw=10, ndims=(2, 3, 4)))
def test_maxunpool2d(k, s, p, shape):
    check("MaxUnpool2d", dict(kernel_size=k, stride=s, padding=p), shape)


@SETTINGS
@given(fin=st.integers(1, 8), fout=st.integers(1, 8), bias=st.booleans(),
       lead=st.sampled_from([()] + [s for s in ANY_SHAPES if len(s) <= 3]),
       match=st.booleans(),
       last=st.integers(1, 8))
def test_linear(fin, fout, bias, lead, match, last):
    shape = (*lead, fin if match else last)
    check("Linear", dict(in_features=fin, out_features=fout, bias=bias), shape, count_flops=True)


@SETTINGS
@given(sd=st.integers(-5, 4), ed=st.integers(-5, 4), shape=ANY_SHAPE)
def test_flatten(sd, ed, shape):
    check("Flatten", dict(start_dim=sd, end_dim=ed), shape)


@SETTINGS
@given(p=st.sampled_from([0, 1, 0.0, 1.0, 0.5, -0.0, 1e-9, 0.999, -0.1, 1.0001, -1, 2, 0.25]),
       inplace=st.booleans(), shape=ANY_SHAPE)
def test_dropout(p, inplace, shape):
    check("Dropout", dict(p=p, inplace=inplace), shape)


@SETTINGS
@given(nf=st.integers(1, 5), affine=st.booleans(), track=st.booleans(),
       eps=st.sampled_from([1e-5, 1e-3, 0.1]), mom=st.sampled_from([0.1, None, 0.0, 1.0]),
       shape=spatial_shape(c=5, hw=6, ndims=(2, 3, 4)),
       match=MATCH)
def test_batchnorm2d(nf, affine, track, eps, mom, shape, match):
    if match and len(shape) >= 3:
        shape = (*shape[:-3], nf, *shape[-2:])
    kw = dict(num_features=nf, eps=eps, momentum=mom, affine=affine, track_running_stats=track)
    check("BatchNorm2d", kw, shape)


@SETTINGS
@given(kind=st.sampled_from(["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "GELU"]),
       slope=st.sampled_from([0.01, 0.2, -1.0, 0, 3]), dim=st.sampled_from([None, *range(-5, 5)]),
       approx=st.sampled_from(["none", "tanh"]), inplace=st.booleans(), shape=ANY_SHAPE)
def test_activations(kind, slope, dim, approx, inplace, shape):
    kw = {"ReLU": dict(inplace=inplace), "LeakyReLU": dict(negative_slope=slope, inplace=inplace),
          "Sigmoid": {}, "Tanh": {}, "Softmax": dict(dim=dim), "GELU": dict(approximate=approx)}[kind]
    check(kind, kw, shape)


# ---------------------------------------------------------------------------------------------
# round trips with real modules
# ---------------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(cin=st.integers(1, 6), cout=st.integers(1, 6), k=pair(1, 5), s=pair(1, 3), p=pair(0, 3),
       d=pair(1, 2), bias=st.booleans(), mode=st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
def test_to_torch_from_torch_round_trip(cin, cout, k, s, p, d, bias, mode):
    spec = A.Conv2d(cin, cout, k, s, p, d, 1, bias, mode)
    module = A.to_torch(spec)
    assert A.from_torch(module) == spec
    assert A.parse_network(A.to_code(spec)) == [("0", spec)]
    assert sum(x.numel() for x in module.parameters()) == A.param_count(spec)


@pytest.mark.parametrize("layer,kwargs", [
    ("ConvTranspose2d", dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=2, padding=1,
                             output_padding=1, groups=2, bias=False, dilation=(1, 2))),
    ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ("AvgPool2d", dict(kernel_size=(3, 2), stride=1, padding=(1, 0), ceil_mode=True,
                       count_include_pad=False, divisor_override=3)),
    ("AdaptiveAvgPool2d", dict(output_size=(None, 3))),
    ("AdaptiveMaxPool2d", dict(output_size=2, return_indices=True)),
    ("MaxUnpool2d", dict(kernel_size=2, stride=2)),
    ("Linear", dict(in_features=3, out_features=2, bias=False)),
    ("Flatten", dict(start_dim=0, end_dim=2)),
    ("Dropout", dict(p=0.25)),
    ("BatchNorm2d", dict(num_features=3, eps=1e-3, momentum=None, affine=False)),
    ("LeakyReLU", dict(negative_slope=0.2)),
    ("Softmax", dict(dim=1)),
    ("GELU", dict(approximate="tanh")),
    ("Sigmoid", {}), ("Tanh", {}), ("ReLU", dict(inplace=True)),
])
def test_round_trips(layer, kwargs):
    spec = LAYERS[layer][0](**kwargs)
    module = A.to_torch(spec)
    assert type(module) is getattr(nn, layer)
    assert A.from_torch(module) == spec
    assert A.parse_network(A.to_code(spec)) == [("0", spec)]
    assert A.from_torch(nn.LSTM(2, 2)) is None


def test_macs_match_flop_counter_on_a_network():
    code = """nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, stride=2, groups=2), nn.ConvTranspose2d(16, 4, 3, stride=2),
        nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Linear(24, 10), nn.Softmax(dim=1))"""
    rep = A.analyze(code, "2,3,32,32")
    model = nn.Sequential(*(A.to_torch(s) for _, s in A.parse_network(code))).eval()
    with FlopCounterMode(display=False) as fc:
        y = model(torch.zeros(2, 3, 32, 32))
    assert tuple(y.shape) == rep.output_shape
    assert rep.total_macs * 2 == fc.get_total_flops()
    assert rep.total_params == sum(p.numel() for p in model.parameters())
    assert math.prod(rep.output_shape) == 20


# ---------------------------------------------------------------------------------------------
# the course's numbers, checked against torch too
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code,shape,out,params,macs", [
    ("nn.Conv2d(3, 96, kernel_size=11, stride=4)", (1, 3, 227, 227), (1, 96, 55, 55),
     (11 * 11 * 3 + 1) * 96, 96 * 55 * 55 * 3 * 11 * 11),
    ("nn.MaxPool2d(3, stride=2)", (1, 96, 55, 55), (1, 96, 27, 27), 0, 0),
    ("nn.ConvTranspose2d(3, 16, 3, stride=2, padding=1)", (1, 3, 64, 64), (1, 16, 127, 127),
     3 * 16 * 9 + 16, 3 * 64 * 64 * 16 * 9),
    ("nn.Conv2d(1, 32, 5)", (1, 1, 28, 28), (1, 32, 24, 24), 832, 460_800),
    ("nn.Conv2d(1, 32, 5)", (1, 28, 28), (32, 24, 24), 832, 460_800),
    ("nn.MaxPool2d(2, 2, return_indices=True)", (1, 1, 4, 4), (1, 1, 2, 2), 0, 0),
    ("nn.MaxUnpool2d(2, 2)", (1, 1, 2, 2), (1, 1, 4, 4), 0, 0),
    ("nn.AvgPool2d(2, 2)", (1, 1, 4, 5), (1, 1, 2, 2), 0, 0),
    ("nn.AdaptiveAvgPool2d((2, 2))", (1, 1, 4, 5), (1, 1, 2, 2), 0, 0),
])
def test_course_numbers(code, shape, out, params, macs):
    rep = A.analyze(code, shape)
    assert (rep.output_shape, rep.total_params, rep.total_macs) == (out, params, macs)
    (_, spec), = A.parse_network(code)
    kwargs = {k: getattr(spec, k) for k in LAYERS[type(spec).__name__][1]}
    check(type(spec).__name__, kwargs, shape, count_flops=macs > 0)
