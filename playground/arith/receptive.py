"""Receptive field (size, jump, start) of stacked layers, per spatial dim (H, W).

Coordinates are input-pixel indices: the input itself has ``size=1, jump=1, start=0`` (the centre
of output cell 0 sits on input pixel 0). For a window layer with kernel ``k``, stride ``s``,
padding ``p`` (top/left) and dilation ``d``, with ``k_eff = d·(k-1) + 1``::

    j_out     = j_in · s
    r_out     = r_in + (k_eff - 1) · j_in
    start_out = start_in + ((k_eff - 1) / 2 - p) · j_in

``start`` may be negative (the first window is centred in the padding) and ``size`` may exceed
the input (part of the window sees padding).

Choices for layers that are not a sliding window (documented here and flagged in ``RF.note``):

- ConvTranspose2d / MaxUnpool2d: the output grid is ``s`` times finer, so ``j_out = j_in / s``;
  an output cell is fed by at most ``ceil(k_eff / s)`` input cells, so
  ``r_out = r_in + (ceil(k_eff / s) - 1) · j_in``; output cell 0 sits at input coordinate
  ``(p - (k_eff - 1) / 2) / s``, so ``start_out = start_in + (p - (k_eff-1)/2) / s · j_in``.
  (An upper bound: with ``s > k_eff`` some output cells see no input at all.)
- AdaptiveAvg/MaxPool2d: exact when the output size divides the input size (then it *is* a pool
  with ``k = s = in / out``); otherwise windows differ in size and the field is taken as the
  whole input (``whole_input=True``).
- Linear: every output sees every input: the whole input (``whole_input=True``). Softmax along a
  spatial dim likewise.
- Flatten, BatchNorm2d, Dropout and element-wise activations keep the field unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .shapes import conv_padding_lr, softmax_dim
from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, Conv2d, ConvTranspose2d,
    LayerSpec, Linear, MaxPool2d, MaxUnpool2d,
)

Num = float | int


def _num(x: float) -> Num:
    return int(x) if float(x).is_integer() else round(float(x), 6)


@dataclass(frozen=True)
class RF:
    """Receptive field of one output cell, per dim (H, W), in input-pixel units."""

    size: tuple[Num, Num] = (1, 1)
    jump: tuple[Num, Num] = (1, 1)
    start: tuple[Num, Num] = (0, 0)
    whole_input: bool = False
    note: str = ""

    def to_json(self) -> dict:
        return {"size": list(self.size), "jump": list(self.jump), "start": list(self.start),
                "whole_input": self.whole_input, "note": self.note}


def _window(rf: RF, k: tuple[int, int], s: tuple[int, int], p: tuple[int, int],
            d: tuple[int, int]) -> RF:
    size, jump, start = [], [], []
    for i in range(2):
        keff = d[i] * (k[i] - 1) + 1
        size.append(_num(rf.size[i] + (keff - 1) * rf.jump[i]))
        jump.append(_num(rf.jump[i] * s[i]))
        start.append(_num(rf.start[i] + ((keff - 1) / 2 - p[i]) * rf.jump[i]))
    return RF(tuple(size), tuple(jump), tuple(start), rf.whole_input, rf.note)  # type: ignore[arg-type]


def _transposed(rf: RF, k: tuple[int, int], s: tuple[int, int], p: tuple[int, int],
                d: tuple[int, int], what: str) -> RF:
    size, jump, start = [], [], []
    for i in range(2):
        keff = d[i] * (k[i] - 1) + 1
        size.append(_num(rf.size[i] + (math.ceil(keff / s[i]) - 1) * rf.jump[i]))
        jump.append(_num(rf.jump[i] / s[i]))
        start.append(_num(rf.start[i] + (p[i] - (keff - 1) / 2) / s[i] * rf.jump[i]))
    note = rf.note or f"{what}: upper bound (an output cell is fed by at most ceil(k_eff/s) inputs)"
    return RF(tuple(size), tuple(jump), tuple(start), rf.whole_input, note)  # type: ignore[arg-type]


def whole(input_hw: tuple[int, int], rf: RF, why: str) -> RF:
    """The field covering the whole network input."""
    h, w = input_hw
    return RF((h, w), rf.jump, (_num((h - 1) / 2), _num((w - 1) / 2)), True, rf.note or why)


def rf_step(spec: LayerSpec, rf: RF, in_shape: tuple[int, ...], input_hw: tuple[int, int]) -> RF:
    """Receptive field after ``spec``, given the field ``rf`` of its input cells."""
    if rf.whole_input:
        return rf
    if isinstance(spec, Conv2d):
        pads = conv_padding_lr(spec)
        return _window(rf, spec.kernel_size, spec.stride, (pads[0][0], pads[1][0]), spec.dilation)
    if isinstance(spec, MaxPool2d):
        return _window(rf, spec.kernel_size, spec.stride, spec.padding, spec.dilation)
    if isinstance(spec, AvgPool2d):
        return _window(rf, spec.kernel_size, spec.stride, spec.padding, (1, 1))
    if isinstance(spec, ConvTranspose2d):
        return _transposed(rf, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                           "ConvTranspose2d")
    if isinstance(spec, MaxUnpool2d):
        return _transposed(rf, spec.kernel_size, spec.stride, spec.padding, (1, 1), "MaxUnpool2d")
    if isinstance(spec, (AdaptiveAvgPool2d, AdaptiveMaxPool2d)):
        hw = in_shape[-2:]
        outs = spec.out_hw(hw)
        if all(hw[i] % outs[i] == 0 for i in range(2)):  # type: ignore[operator]
            k = (hw[0] // outs[0], hw[1] // outs[1])  # type: ignore[operator]
            return _window(rf, k, k, (0, 0), (1, 1))
        return whole(input_hw, rf, "adaptive pooling with uneven windows: taken as the whole input")
    if isinstance(spec, Linear):
        return whole(input_hw, rf, "Linear mixes all its inputs: the whole input")
    if isinstance(spec, Activation) and spec.kind == ActKind.SOFTMAX:
        nd = len(in_shape)
        if nd >= 3 and softmax_dim(spec, nd) >= nd - 2:
            return whole(input_hw, rf, "Softmax over a spatial dim mixes the whole input")
    return rf


def input_hw(shape: tuple[int, ...]) -> tuple[int, int]:
    """Spatial size of a network input ((1, 1) if it has no spatial dims)."""
    return (shape[-2], shape[-1]) if len(shape) >= 3 else (1, 1)


def receptive_field(specs, input_shape) -> list[RF]:
    """Receptive field after each layer of ``specs`` (a sequence of specs or (name, spec) pairs)."""
    from .shapes import check_shape, output_shape

    shape = check_shape(tuple(input_shape))
    hw = input_hw(shape)
    rf, out = RF(), []
    for item in specs:
        spec = item[1] if isinstance(item, tuple) else item
        rf = rf_step(spec, rf, shape, hw)
        shape = output_shape(spec, shape)
        out.append(rf)
    return out
