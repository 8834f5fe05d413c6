"""Parity of the arithmetic core with real PyTorch layers (hypothesis, >= 2,000 configs per layer).

For every random configuration the real ``torch.nn`` layer is built and a real (tiny) tensor is
run through it. We assert that the core raises a ValueError exactly when torch raises (at
construction or in forward), and otherwise that the output shape, the parameter count and the
weight/bias shapes are equal. For Conv2d, ConvTranspose2d and Linear the forward runs under
``FlopCounterMode`` and the core's MACs must equal its total // 2.

Domain notes (documented deviations, outside the random domain on purpose):
- torch returns an *empty* tensor (no error) for MaxUnpool2d when the output size is 0; the core
  refuses any output size < 1, so an empty torch output counts as a refusal here;
- negative padding and 0 kernel/stride for MaxUnpool2d, and negative padding with a non-'zeros'
  Conv2d padding_mode (which torch turns into cropping), are refused by the core; they are covered
  by the unit tests in test_arith_layers.py instead.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from playground import arith as A
from playground.arith.parse import LAYERS

N = 2000
SETTINGS = settings(max_examples=N, deadline=None, suppress_health_check=[HealthCheck.too_slow])

torch.set_num_threads(1)
warnings.filterwarnings("ignore")


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
def pair(lo: int, hi: int, zero_p: float = 0.0):
    """An int or a pair in [lo, hi]; with zero_p > 0 sometimes a 0 sneaks in."""
    v = st.integers(lo, hi)
    if zero_p:
        v = st.one_of(v, v, v, v, v, v, v, v, v, st.just(0))
    return st.one_of(v, st.tuples(v, v))


def spatial_shape(c=st.integers(1, 6), hw=st.integers(1, 20), ndims=(3, 4, 4)):
    @st.composite
    def make(draw):
        nd = draw(st.sampled_from(ndims))
        h, w, ch = draw(hw), draw(hw), draw(c)
        if nd == 4:
            return (draw(st.integers(1, 2)), ch, h, w)
        if nd == 3:
            return (ch, h, w)
        return (h, w)
    return make()


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
            if count_flops:
                with FlopCounterMode(display=False) as fc:
                    y = module(*args)
                flops = fc.get_total_flops()
            else:
                y, flops = module(*args), None
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
    cin=st.integers(1, 6), cout=st.integers(1, 6), groups=st.integers(1, 3),
    k=pair(1, 6, zero_p=0.05), s=pair(1, 4, zero_p=0.05),
    p=st.one_of(pair(0, 4), st.sampled_from(["same", "valid"])), d=pair(1, 3, zero_p=0.05),
    bias=st.booleans(), mode=st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]),
    shape=spatial_shape(ndims=(2, 3, 4, 4, 4)), match=st.booleans(),
)
def test_conv2d(cin, cout, groups, k, s, p, d, bias, mode, shape, match):
    if match and len(shape) >= 3:
        shape = (*shape[:-3], cin, *shape[-2:])
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k, stride=s, padding=p, dilation=d,
              groups=groups, bias=bias, padding_mode=mode)
    check("Conv2d", kw, shape, count_flops=True)


@SETTINGS
@given(
    cin=st.integers(1, 6), cout=st.integers(1, 6), groups=st.integers(1, 3),
    k=pair(1, 5, zero_p=0.05), s=pair(1, 4, zero_p=0.05), p=pair(0, 4), op=pair(0, 3),
    d=pair(1, 3, zero_p=0.05), bias=st.booleans(),
    shape=spatial_shape(hw=st.integers(1, 12), ndims=(2, 3, 4, 4, 4)), match=st.booleans(),
)
def test_conv_transpose2d(cin, cout, groups, k, s, p, op, d, bias, shape, match):
    if match and len(shape) >= 3:
        shape = (*shape[:-3], cin, *shape[-2:])
    kw = dict(in_channels=cin, out_channels=cout, kernel_size=k, stride=s, padding=p,
              output_padding=op, groups=groups, bias=bias, dilation=d)
    check("ConvTranspose2d", kw, shape, count_flops=True)


@SETTINGS
@given(k=pair(1, 6, zero_p=0.05), s=st.one_of(st.none(), pair(1, 4, zero_p=0.05)), p=pair(0, 3),
       d=pair(1, 3, zero_p=0.05), ceil=st.booleans(), ri=st.booleans(),
       shape=spatial_shape(ndims=(2, 3, 4, 4)))
def test_maxpool2d(k, s, p, d, ceil, ri, shape):
    kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, return_indices=ri, ceil_mode=ceil)
    check("MaxPool2d", kw, shape)


@SETTINGS
@given(k=pair(1, 6, zero_p=0.05), s=st.one_of(st.none(), pair(1, 4, zero_p=0.05)), p=pair(0, 3),
       ceil=st.booleans(), cip=st.booleans(),
       div=st.one_of(st.none(), st.integers(-2, 5)), shape=spatial_shape(ndims=(2, 3, 4, 4)))
def test_avgpool2d(k, s, p, ceil, cip, div, shape):
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=cip,
              divisor_override=div)
    check("AvgPool2d", kw, shape)


out_size = st.one_of(st.integers(1, 8),
                     st.tuples(st.one_of(st.none(), st.integers(1, 8)),
                               st.one_of(st.none(), st.integers(1, 8))))


@SETTINGS
@given(o=out_size, shape=spatial_shape(ndims=(2, 3, 4, 4)))
def test_adaptive_avgpool2d(o, shape):
    check("AdaptiveAvgPool2d", dict(output_size=o), shape)


@SETTINGS
@given(o=out_size, ri=st.booleans(), shape=spatial_shape(ndims=(2, 3, 4, 4)))
def test_adaptive_maxpool2d(o, ri, shape):
    check("AdaptiveMaxPool2d", dict(output_size=o, return_indices=ri), shape)


@SETTINGS
@given(k=pair(1, 5), s=st.one_of(st.none(), pair(1, 4)), p=pair(0, 4),
       shape=spatial_shape(hw=st.integers(1, 10), ndims=(2, 3, 4, 4)))
def test_maxunpool2d(k, s, p, shape):
    check("MaxUnpool2d", dict(kernel_size=k, stride=s, padding=p), shape)


@SETTINGS
@given(fin=st.integers(1, 8), fout=st.integers(1, 8), bias=st.booleans(),
       lead=st.lists(st.integers(1, 3), min_size=0, max_size=3), match=st.booleans(),
       last=st.integers(1, 8))
def test_linear(fin, fout, bias, lead, match, last):
    shape = (*lead, fin if match else last)
    check("Linear", dict(in_features=fin, out_features=fout, bias=bias), shape, count_flops=True)


@SETTINGS
@given(sd=st.integers(-5, 4), ed=st.integers(-5, 4),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
def test_flatten(sd, ed, shape):
    check("Flatten", dict(start_dim=sd, end_dim=ed), shape)


@SETTINGS
@given(p=st.floats(-0.5, 1.5, allow_nan=False), inplace=st.booleans(),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
def test_dropout(p, inplace, shape):
    check("Dropout", dict(p=p, inplace=inplace), shape)


@SETTINGS
@given(nf=st.integers(1, 5), affine=st.booleans(), track=st.booleans(),
       eps=st.floats(1e-6, 1e-2), mom=st.one_of(st.none(), st.floats(0.0, 1.0)),
       shape=spatial_shape(c=st.integers(1, 5), hw=st.integers(1, 6), ndims=(2, 3, 4, 4, 4)),
       match=st.booleans())
def test_batchnorm2d(nf, affine, track, eps, mom, shape, match):
    if match and len(shape) >= 3:
        shape = (*shape[:-3], nf, *shape[-2:])
    kw = dict(num_features=nf, eps=eps, momentum=mom, affine=affine, track_running_stats=track)
    check("BatchNorm2d", kw, shape)


@SETTINGS
@given(kind=st.sampled_from(["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "GELU"]),
       slope=st.floats(-2, 2, allow_nan=False), dim=st.one_of(st.none(), st.integers(-5, 4)),
       approx=st.sampled_from(["none", "tanh"]), inplace=st.booleans(),
       shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple))
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
