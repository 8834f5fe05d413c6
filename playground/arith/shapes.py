"""Output shape of each layer: PyTorch's formulas in pure integer math (nothing is allocated).

Formulas (from the ``torch.nn`` docs and ATen's ``Pool.h`` / ``ConvUtils.h``), per spatial dim:

- Conv2d:           ``out = floor((in + 2*padding - dilation*(kernel-1) - 1) / stride + 1)``;
  torch first checks ``in + 2*padding >= dilation*(kernel-1) + 1`` ("kernel size can't be greater
  than actual input size"). ``padding='same'`` pads ``dilation*(kernel-1)`` in total (left half
  rounded down) so ``out = in``; ``'valid'`` means padding 0. With a non-'zeros' padding_mode the
  input is padded by ``F.pad`` first: 'reflect' needs each pad < in, 'circular' needs each pad <= in.
- ConvTranspose2d:  ``out = (in-1)*stride - 2*padding + dilation*(kernel-1) + output_padding + 1``,
  must be >= 1 (torch returns an empty tensor when this is 0 and raises below 0; the core refuses
  any out < 1).
- MaxPool2d / AvgPool2d (``pooling_output_shape``, AvgPool has dilation 1):
  ``out = floor_or_ceil((in + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``, and with
  ceil_mode, ``if (out-1)*stride >= in + padding: out -= 1`` (the last window must start inside
  the input or the left padding). ``out`` must be >= 1.
- AdaptiveAvg/MaxPool2d: ``out = output_size`` (``None`` keeps ``in``).
- MaxUnpool2d:      ``out = (in-1)*stride - 2*padding + kernel`` (torch returns an empty tensor
  when this is 0; the core refuses any out < 1).
- Linear:           ``(*, in_features) -> (*, out_features)``.
- Flatten:          ``shape[:start] + (prod(shape[start:end+1]),) + shape[end+1:]``.
- BatchNorm2d, Dropout, activations: shape unchanged. BatchNorm2d needs a 4-D input and is taken in
  eval mode; with track_running_stats=False it always uses batch statistics and needs N·H·W > 1.

Spatial layers accept 3-D unbatched ``(C, H, W)`` and 4-D ``(N, C, H, W)`` inputs, as torch does.
"""

from __future__ import annotations

import math

from playground.limits import MAX_DIM

from .errors import ShapeError
from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm2d, Conv2d,
    ConvTranspose2d, Dropout, Flatten, LayerSpec, Linear, MaxPool2d, MaxUnpool2d, PaddingMode, Pair,
    type_name,
)

DIMS = ("height", "width")
Shape = tuple[int, ...]


def check_shape(shape: object) -> Shape:
    """A tensor shape: 1 to 6 ints, each in [1, MAX_DIM]."""
    if not isinstance(shape, (tuple, list)) or not 1 <= len(shape) <= 6:
        raise ShapeError(f"input shape must have 1 to 6 dimensions, got {shape!r}")
    out = []
    for i, v in enumerate(shape):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ShapeError(f"input shape entry {i} must be an integer, got {v!r}")
        if v < 1:
            raise ShapeError(f"input shape entry {i} must be >= 1, got {v}")
        if v > MAX_DIM:
            raise ShapeError(f"input shape entry {i} must be <= {MAX_DIM:,}, got {v:,}")
        out.append(v)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# per-dimension formulas
# ---------------------------------------------------------------------------------------------
def conv_dim(n: int, k: int, s: int, p: int, d: int) -> int:
    """``floor((n + 2p - d(k-1) - 1) / s + 1)``."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def same_padding(k: int, d: int) -> tuple[int, int]:
    """(left, right) padding of ``padding='same'``: total ``d(k-1)``, left half rounded down."""
    total = d * (k - 1)
    return total // 2, total - total // 2


def conv_transpose_dim(n: int, k: int, s: int, p: int, d: int, op: int) -> int:
    """``(n-1)s - 2p + d(k-1) + op + 1``."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def pool_dim(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's ``pooling_output_shape`` (ceil_mode: the last window must start inside)."""
    out = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def unpool_dim(n: int, k: int, s: int, p: int) -> int:
    """``(n-1)s - 2p + k``."""
    return (n - 1) * s - 2 * p + k


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def _spatial(spec: LayerSpec, shape: Shape) -> None:
    if len(shape) not in (3, 4):
        raise ShapeError(
            f"{type_name(spec)} expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, "
            f"got a {len(shape)}-D input {shape}",
            suggestion="add nn.Flatten() only after the last spatial layer" if len(shape) == 2 else None,
        )


def _channels(spec: LayerSpec, shape: Shape, expected: int, field: str) -> None:
    got = shape[-3]
    if got != expected:
        raise ShapeError(
            f"{type_name(spec)} expects {expected} input channels ({field}={expected}) but receives {got}",
            suggestion=f"use {field}={got}",
        )


def _too_small(dim: str, out: int, why: str) -> ShapeError:
    return ShapeError(f"output {dim} would be {out} (must be >= 1): {why}")


def conv_padding_lr(spec: Conv2d) -> tuple[Pair, Pair]:
    """((top, bottom), (left, right)) padding actually applied by a Conv2d."""
    if spec.padding == "same":
        return (same_padding(spec.kernel_size[0], spec.dilation[0]),
                same_padding(spec.kernel_size[1], spec.dilation[1]))
    if spec.padding == "valid":
        return ((0, 0), (0, 0))
    ph, pw = spec.padding  # type: ignore[misc]
    return ((ph, ph), (pw, pw))


# ---------------------------------------------------------------------------------------------
# per-layer shapes
# ---------------------------------------------------------------------------------------------
def _conv2d(spec: Conv2d, shape: Shape) -> Shape:
    _spatial(spec, shape)
    _channels(spec, shape, spec.in_channels, "in_channels")
    pads = conv_padding_lr(spec)
    out = []
    for i, dim in enumerate(DIMS):
        n, k, s, d = shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.dilation[i]
        lo, hi = pads[i]
        if spec.padding_mode == PaddingMode.REFLECT and max(lo, hi) >= n:
            raise ShapeError(
                f"padding_mode='reflect' needs padding < input {dim} ({max(lo, hi)} >= {n})",
                suggestion=f"use padding <= {n - 1} or padding_mode='replicate'",
            )
        if spec.padding_mode == PaddingMode.CIRCULAR and max(lo, hi) > n:
            raise ShapeError(
                f"padding_mode='circular' needs padding <= input {dim} ({max(lo, hi)} > {n})",
                suggestion=f"use padding <= {n} or padding_mode='replicate'",
            )
        keff = d * (k - 1) + 1
        if n + lo + hi < keff:
            o = (n + lo + hi - keff) // s + 1
            raise _too_small(dim, o, f"the kernel ({'dilated ' if d > 1 else ''}size {keff}) is larger "
                                     f"than the padded input {dim} ({n}+{lo}+{hi} = {n + lo + hi})")
        out.append((n + lo + hi - keff) // s + 1)
    return (*shape[:-3], spec.out_channels, *out)


def _conv_transpose2d(spec: ConvTranspose2d, shape: Shape) -> Shape:
    _spatial(spec, shape)
    _channels(spec, shape, spec.in_channels, "in_channels")
    out = []
    for i, dim in enumerate(DIMS):
        o = conv_transpose_dim(shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.padding[i],
                               spec.dilation[i], spec.output_padding[i])
        if o < 1:
            raise _too_small(dim, o, f"padding {spec.padding[i]} removes more than the transposed "
                                     f"convolution produces")
        out.append(o)
    return (*shape[:-3], spec.out_channels, *out)


def _pool(spec: MaxPool2d | AvgPool2d, shape: Shape) -> Shape:
    _spatial(spec, shape)
    dil = spec.dilation if isinstance(spec, MaxPool2d) else (1, 1)
    out = []
    for i, dim in enumerate(DIMS):
        n, k, s, p = shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.padding[i]
        o = pool_dim(n, k, s, p, dil[i], spec.ceil_mode)
        if o < 1:
            keff = dil[i] * (k - 1) + 1
            raise _too_small(dim, o, f"the {'dilated ' if dil[i] > 1 else ''}window ({keff}) is larger than "
                                     f"the padded input {dim} ({n}+2·{p} = {n + 2 * p})")
        out.append(o)
    return (*shape[:-2], *out)


def _adaptive(spec: AdaptiveAvgPool2d | AdaptiveMaxPool2d, shape: Shape) -> Shape:
    """torch quirks: a tuple output_size needs >= 3 dims (``_list_with_default``); AdaptiveAvgPool2d
    to (1, 1) is a mean over the last two dims, so it accepts any input with >= 2 dims."""
    if isinstance(spec.output_size, tuple) and len(shape) <= 2:
        raise ShapeError(f"{type_name(spec)} with a tuple output_size needs an input with at least "
                         f"3 dims, got {shape}", suggestion="use a (C, H, W) or (N, C, H, W) input")
    if len(shape) >= 2 and isinstance(spec, AdaptiveAvgPool2d) and spec.out_hw(shape[-2:]) == (1, 1):
        return (*shape[:-2], 1, 1)
    _spatial(spec, shape)
    return (*shape[:-2], *spec.out_hw(shape[-2:]))


def _unpool(spec: MaxUnpool2d, shape: Shape) -> Shape:
    _spatial(spec, shape)
    out = []
    for i, dim in enumerate(DIMS):
        o = unpool_dim(shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.padding[i])
        if o < 1:
            raise _too_small(dim, o, f"padding {spec.padding[i]} removes more than unpooling produces")
        out.append(o)
    return (*shape[:-2], *out)


def _linear(spec: Linear, shape: Shape) -> Shape:
    if shape[-1] != spec.in_features:
        raise ShapeError(
            f"Linear expects in_features={spec.in_features} but the input's last dimension is {shape[-1]}",
            suggestion=f"use in_features={shape[-1]}",
        )
    return (*shape[:-1], spec.out_features)


def wrap_dim(dim: int, ndim: int, what: str) -> int:
    """torch's dimension wrapping: dim in [-ndim, ndim-1]."""
    if not -ndim <= dim <= ndim - 1:
        raise ShapeError(f"{what} is out of range for a {ndim}-D input "
                         f"(expected to be in range of [{-ndim}, {ndim - 1}], got {dim})")
    return dim % ndim


def _flatten(spec: Flatten, shape: Shape) -> Shape:
    s = wrap_dim(spec.start_dim, len(shape), "start_dim")
    e = wrap_dim(spec.end_dim, len(shape), "end_dim")
    if s > e:
        raise ShapeError(f"Flatten start_dim ({spec.start_dim}) cannot come after end_dim ({spec.end_dim})")
    return (*shape[:s], math.prod(shape[s:e + 1]), *shape[e + 1:])


def _batchnorm(spec: BatchNorm2d, shape: Shape) -> Shape:
    if len(shape) != 4:
        raise ShapeError(f"BatchNorm2d expects a 4-D (N, C, H, W) input, got a {len(shape)}-D input {shape}")
    if (spec.affine or spec.track_running_stats) and shape[1] != spec.num_features:
        raise ShapeError(
            f"BatchNorm2d expects {spec.num_features} channels (num_features={spec.num_features}) "
            f"but receives {shape[1]}",
            suggestion=f"use num_features={shape[1]}",
        )
    if not spec.track_running_stats and shape[0] * shape[2] * shape[3] == 1:
        raise ShapeError(
            "BatchNorm2d with track_running_stats=False always uses batch statistics and needs "
            f"more than 1 value per channel (N·H·W = {shape[0]}·{shape[2]}·{shape[3]} = 1)",
            suggestion="use a batch size >= 2, a larger input, or track_running_stats=True",
        )
    return shape


def softmax_dim(spec: Activation, ndim: int) -> int:
    """Softmax's dimension; ``dim=None`` is torch's legacy choice (0 for 0/1/3-D input, else 1)."""
    if spec.dim is None:
        return 0 if ndim in (0, 1, 3) else 1
    return wrap_dim(spec.dim, ndim, "Softmax dim")


def output_shape(spec: LayerSpec, shape: Shape) -> Shape:
    """Output shape of ``spec`` on an input of ``shape`` (raises ShapeError exactly when torch would)."""
    shape = check_shape(shape)
    if isinstance(spec, Conv2d):
        return _conv2d(spec, shape)
    if isinstance(spec, ConvTranspose2d):
        return _conv_transpose2d(spec, shape)
    if isinstance(spec, (MaxPool2d, AvgPool2d)):
        return _pool(spec, shape)
    if isinstance(spec, (AdaptiveAvgPool2d, AdaptiveMaxPool2d)):
        return _adaptive(spec, shape)
    if isinstance(spec, MaxUnpool2d):
        return _unpool(spec, shape)
    if isinstance(spec, Linear):
        return _linear(spec, shape)
    if isinstance(spec, Flatten):
        return _flatten(spec, shape)
    if isinstance(spec, BatchNorm2d):
        return _batchnorm(spec, shape)
    if isinstance(spec, Activation):
        if spec.kind == ActKind.SOFTMAX:
            softmax_dim(spec, len(shape))
        return shape
    if isinstance(spec, Dropout):
        return shape
    raise ShapeError(f"unsupported layer spec {type(spec).__name__}")
