"""Weight and bias shapes, parameter counts and MACs of a layer.

Parameters are the tensors in ``module.parameters()`` (BatchNorm2d's running mean/var are buffers
and are not counted; its weight and bias exist only with ``affine=True``).

MACs (multiply-accumulates) of the layer's main product, defined to equal
``torch.utils.flop_counter.FlopCounterMode`` total ÷ 2 for every layer the counter counts
(bias additions are not counted, as in the counter):

- Conv2d:          ``N · C_out · H_out · W_out · (C_in / groups) · k_h · k_w``
- ConvTranspose2d: ``N · C_in · H_in · W_in · (C_out / groups) · k_h · k_w`` (torch counts the
  transposed convolution over *input* positions: each input value is multiplied by every weight
  of its group once)
- Linear:          ``prod(leading dims) · in_features · out_features``

``N`` is the batch size (1 for an unbatched 3-D input). Pooling, adaptive pooling, unpooling,
BatchNorm2d, Dropout, Flatten and activations are not counted by ``FlopCounterMode`` and report 0.
"""

from __future__ import annotations

import math

from .specs import BatchNorm2d, Conv2d, ConvTranspose2d, LayerSpec, Linear

Shape = tuple[int, ...]


def weight_shape(spec: LayerSpec) -> Shape | None:
    """Shape of ``module.weight`` (None if the layer has no weight)."""
    if isinstance(spec, Conv2d):
        return (spec.out_channels, spec.in_channels // spec.groups, *spec.kernel_size)
    if isinstance(spec, ConvTranspose2d):
        return (spec.in_channels, spec.out_channels // spec.groups, *spec.kernel_size)
    if isinstance(spec, Linear):
        return (spec.out_features, spec.in_features)
    if isinstance(spec, BatchNorm2d) and spec.affine:
        return (spec.num_features,)
    return None


def bias_shape(spec: LayerSpec) -> Shape | None:
    """Shape of ``module.bias`` (None if the layer has no bias)."""
    if isinstance(spec, (Conv2d, ConvTranspose2d)) and spec.bias:
        return (spec.out_channels,)
    if isinstance(spec, Linear) and spec.bias:
        return (spec.out_features,)
    if isinstance(spec, BatchNorm2d) and spec.affine:
        return (spec.num_features,)
    return None


def param_count(spec: LayerSpec) -> int:
    """``sum(p.numel() for p in module.parameters())``."""
    return sum(math.prod(s) for s in (weight_shape(spec), bias_shape(spec)) if s is not None)


def macs(spec: LayerSpec, input_shape: Shape, output_shape: Shape) -> int:
    """Multiply-accumulates = FlopCounterMode total // 2 (0 for layers it does not count)."""
    if isinstance(spec, Conv2d):
        n = math.prod(input_shape[:-3])
        kh, kw = spec.kernel_size
        return (n * spec.out_channels * output_shape[-2] * output_shape[-1]
                * (spec.in_channels // spec.groups) * kh * kw)
    if isinstance(spec, ConvTranspose2d):
        n = math.prod(input_shape[:-3])
        kh, kw = spec.kernel_size
        return (n * spec.in_channels * input_shape[-2] * input_shape[-1]
                * (spec.out_channels // spec.groups) * kh * kw)
    if isinstance(spec, Linear):
        return math.prod(input_shape[:-1]) * spec.in_features * spec.out_features
    return 0
