"""Per-layer reports and whole-network analysis ("paste PyTorch"), with mismatches pinned to the
exact layer that breaks (index, name, reason and a suggested fix).

Layer indices are 0-based positions, as in ``model[i]``; names are the Sequential's names
("0", "1", ... or the OrderedDict keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Sequence

from playground.limits import MAX_LAYERS

from .codegen import to_code
from .counts import bias_shape, macs, param_count, weight_shape
from .errors import ShapeError
from .formulas import formula_steps
from .parse import parse_network
from .receptive import RF, input_hw, rf_step
from .shapes import check_shape, conv_padding_lr, output_shape
from .specs import (
    AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, LayerSpec, Linear, MaxPool2d,
    MaxUnpool2d, type_name,
)
from .suggest import suggest

Shape = tuple[int, ...]


def parse_shape(text: Any) -> Shape:
    """"1,3,227,227", "3x32x32", "(1, 3, 32, 32)", "1 3 32 32" or a tuple -> a validated shape."""
    if isinstance(text, (tuple, list)):
        return check_shape(tuple(text))
    if not isinstance(text, str):
        raise ShapeError(f"input shape must be text such as 1,3,32,32, got {type(text).__name__}")
    s = text.strip()
    if not s:
        raise ShapeError("input shape is empty; type e.g. 1,3,32,32")
    if len(s) > 200:
        raise ShapeError("input shape text is too long")
    s = s.strip("()[] ")
    parts = [p for p in re.split(r"[,x×*\s]+", s) if p]
    if not parts:
        raise ShapeError("input shape is empty; type e.g. 1,3,32,32")
    out = []
    for i, p in enumerate(parts):
        if not re.fullmatch(r"[+-]?\d{1,12}", p):
            raise ShapeError(f"input shape entry {i} must be an integer, got {p!r}")
        out.append(int(p))
    return check_shape(tuple(out))


@dataclass(frozen=True)
class LayerReport:
    """Everything about one layer on one input."""

    name: str
    type: str
    input_shape: Shape
    output_shape: Shape
    weight_shape: Shape | None
    bias_shape: Shape | None
    params: int
    macs: int
    kernel: tuple[int, int] | None
    stride: tuple[int, int] | None
    padding: tuple[int, int] | str | None
    dilation: tuple[int, int] | None
    rf: RF
    formula: list[str]
    code: str
    padding_lr: tuple[tuple[int, int], tuple[int, int]] | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "name": self.name, "type": self.type, "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape), "params": self.params, "macs": self.macs,
            "weight_shape": _list(self.weight_shape), "bias_shape": _list(self.bias_shape),
            "kernel": _list(self.kernel), "stride": _list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else _list(self.padding),
            "dilation": _list(self.dilation), "receptive_field": self.rf.to_json(),
            "formula": list(self.formula), "code": self.code, "notes": list(self.notes),
        }


def _list(v: Any) -> Any:
    return None if v is None else list(v)


@dataclass(frozen=True)
class NetworkReport:
    """Per-layer reports and totals of a network on one input."""

    layers: tuple[LayerReport, ...]
    input_shape: Shape
    output_shape: Shape
    total_params: int
    total_macs: int
    receptive_field: RF

    def to_json(self) -> dict:
        return {"layers": [r.to_json() for r in self.layers], "input_shape": list(self.input_shape),
                "output_shape": list(self.output_shape), "total_params": self.total_params,
                "total_macs": self.total_macs, "receptive_field": self.receptive_field.to_json()}


def _geometry(spec: LayerSpec) -> tuple[Any, Any, Any, Any, Any]:
    """(kernel, stride, padding, dilation, padding_lr) of window layers, else Nones."""
    if isinstance(spec, Conv2d):
        lr = conv_padding_lr(spec)
        return spec.kernel_size, spec.stride, spec.padding, spec.dilation, lr
    if isinstance(spec, (ConvTranspose2d, MaxPool2d)):
        p = spec.padding
        return spec.kernel_size, spec.stride, p, spec.dilation, ((p[0], p[0]), (p[1], p[1]))
    if isinstance(spec, (AvgPool2d, MaxUnpool2d)):
        p = spec.padding
        return spec.kernel_size, spec.stride, p, (1, 1), ((p[0], p[0]), (p[1], p[1]))
    return None, None, None, None, None


def _notes(spec: LayerSpec, shape: Shape) -> tuple[str, ...]:
    notes = []
    if isinstance(spec, BatchNorm2d) and spec.track_running_stats and shape[0] * shape[2] * shape[3] == 1:
        notes.append("in training mode torch needs more than 1 value per channel (N·H·W > 1); "
                     "shapes here are for eval mode")
    if isinstance(spec, MaxPool2d) and spec.return_indices:
        notes.append("return_indices=True: the layer returns (output, indices); the indices feed "
                     "a later MaxUnpool2d")
    if isinstance(spec, Conv2d) and spec.padding == "same" and any(
            (d * (k - 1)) % 2 for k, d in zip(spec.kernel_size, spec.dilation)):
        notes.append("padding='same' with an even dilated kernel pads one more on the bottom/right")
    return tuple(notes)


def _report(spec: LayerSpec, shape: Shape, name: str, rf: RF, in_hw: tuple[int, int]) -> LayerReport:
    out = output_shape(spec, shape)
    k, s, p, d, lr = _geometry(spec)
    return LayerReport(
        name=name, type=type_name(spec), input_shape=shape, output_shape=out,
        weight_shape=weight_shape(spec), bias_shape=bias_shape(spec), params=param_count(spec),
        macs=macs(spec, shape, out), kernel=k, stride=s, padding=p, dilation=d,
        rf=rf_step(spec, rf, shape, in_hw), formula=formula_steps(spec, shape), code=to_code(spec),
        padding_lr=lr, notes=_notes(spec, shape),
    )


def layer_report(spec: LayerSpec, input_shape: Any, name: str = "") -> LayerReport:
    """Report of one layer on ``input_shape`` (raises ShapeError with a suggestion if invalid)."""
    shape = parse_shape(input_shape)
    try:
        return _report(spec, shape, name, RF(), input_hw(shape))
    except ShapeError as e:
        if e.suggestion is None:
            raise ShapeError(e.reason, suggestion=suggest(spec, shape)) from None
        raise


def _fix(spec: LayerSpec, err: ShapeError, shape: Shape, prev: tuple[LayerSpec, Shape] | None) -> ShapeError:
    """The error of one layer in a network, with a fix written as code."""
    reason, hint = err.reason, err.suggestion
    if isinstance(spec, (Conv2d, ConvTranspose2d)) and "input channels" in reason:
        hint = f"use {to_code(replace(spec, in_channels=shape[-3]))}"
    elif isinstance(spec, BatchNorm2d) and "num_features" in reason:
        hint = f"use {to_code(replace(spec, num_features=shape[1]))}"
    elif isinstance(spec, Linear) and "in_features" in reason:
        size = shape[-1]
        if prev is not None and isinstance(prev[0], Flatten):
            before = prev[1]
            fs, fe = prev[0].start_dim % len(before), prev[0].end_dim % len(before)
            factors = "·".join(map(str, before[fs:fe + 1]))
            reason = (f"Linear expects in_features={spec.in_features} but the flattened size is "
                      f"{size:,} (={factors})")
        else:
            reason = (f"Linear expects in_features={spec.in_features} but the input's last "
                      f"dimension is {size:,}")
        hint = f"use {to_code(replace(spec, in_features=size))}"
    elif hint is None:
        hint = suggest(spec, shape)
    return ShapeError(reason, suggestion=hint)


def analyze_specs(specs: Sequence[tuple[str, LayerSpec]] | Sequence[LayerSpec], input_shape: Any) -> NetworkReport:
    """Run the shapes of ``specs`` (a list of (name, spec) or of specs) on ``input_shape``.
    Raises ShapeError pinned to the first layer that breaks."""
    shape0 = parse_shape(input_shape)
    if len(specs) > MAX_LAYERS:
        raise ShapeError(f"too many layers: {len(specs)} (at most {MAX_LAYERS})")
    shape, rf, hw = shape0, RF(), input_hw(shape0)
    reports: list[LayerReport] = []
    prev: tuple[LayerSpec, Shape] | None = None
    for i, item in enumerate(specs):
        name, spec = item if isinstance(item, tuple) else (str(i), item)
        try:
            rep = _report(spec, shape, name, rf, hw)
        except ShapeError as e:
            raise _fix(spec, e, shape, prev).pinned(i, name, type_name(spec)) from None
        reports.append(rep)
        prev, shape, rf = (spec, shape), rep.output_shape, rep.rf
    if not reports:
        raise ShapeError("the network has no layers")
    return NetworkReport(
        layers=tuple(reports), input_shape=shape0, output_shape=shape,
        total_params=sum(r.params for r in reports), total_macs=sum(r.macs for r in reports),
        receptive_field=rf,
    )


def analyze(code: str, input_shape: Any) -> NetworkReport:
    """Parse pasted PyTorch text (safely, no eval) and analyze it on ``input_shape`` ("1,3,227,227")."""
    shape = parse_shape(input_shape)
    return analyze_specs(parse_network(code), shape)
