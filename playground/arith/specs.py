"""Layer specifications: frozen dataclasses mirroring ``torch.nn`` constructors, validated at the edge.

Each spec takes the same arguments as its ``torch.nn`` namesake and raises ``ShapeError``
(a ``ValueError``) naming the broken constraint, e.g. ``stride must be >= 1, got 0``. Pairs
(``kernel_size``, ``stride``, ...) accept an int or a 2-tuple and are stored as 2-tuples (H, W).

Constraints checked here are the ones torch checks at construction (groups dividing channels,
``padding='same'`` with stride > 1, dropout ``p`` in [0, 1], ...) plus the plain-value checks that
torch only hits in ``forward`` (stride >= 1, padding >= 0, ...). Constraints that need the input
shape live in :mod:`playground.arith.shapes`; the plain-value validators in
:mod:`playground.arith.validate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Union

from playground.limits import MAX_DIM

from .errors import ShapeError
from .validate import (
    check_bool, check_dim, check_float, check_int, check_pair, divisor_hint as _divisor_hint,
)

Pair = tuple[int, int]


class PaddingMode(str, Enum):
    """``padding_mode`` of ``nn.Conv2d``."""

    ZEROS = "zeros"
    REFLECT = "reflect"
    REPLICATE = "replicate"
    CIRCULAR = "circular"


class ActKind(str, Enum):
    """Activations of the course; the value is the ``torch.nn`` class name."""

    RELU = "ReLU"
    LEAKY_RELU = "LeakyReLU"
    SIGMOID = "Sigmoid"
    TANH = "Tanh"
    SOFTMAX = "Softmax"
    GELU = "GELU"


def _set(obj: object, **kw: object) -> None:
    for k, v in kw.items():
        object.__setattr__(obj, k, v)


# ---------------------------------------------------------------------------------------------
# specs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conv2d:
    """``nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
    groups=1, bias=True, padding_mode='zeros')``."""

    in_channels: int
    out_channels: int
    kernel_size: Pair | int
    stride: Pair | int = 1
    padding: Pair | int | str = 0
    dilation: Pair | int = 1
    groups: int = 1
    bias: bool = True
    padding_mode: PaddingMode | str = PaddingMode.ZEROS

    def __post_init__(self) -> None:
        cin = check_int("in_channels", self.in_channels)
        cout = check_int("out_channels", self.out_channels)
        k = check_pair("kernel_size", self.kernel_size)
        s = check_pair("stride", self.stride)
        d = check_pair("dilation", self.dilation)
        g = check_int("groups", self.groups)
        check_bool("bias", self.bias)
        if isinstance(self.padding, str):
            if self.padding not in ("same", "valid"):
                raise ShapeError(f"padding string must be 'same' or 'valid', got {self.padding!r}")
            p: Pair | str = self.padding
            if p == "same" and s != (1, 1):
                raise ShapeError(
                    f"padding='same' is not supported for strided convolutions (stride={s})",
                    suggestion=f"use stride=1, or an explicit padding such as padding={((k[0]-1)*d[0])//2}",
                )
        else:
            p = check_pair("padding", self.padding, minimum=0)
        try:
            mode = PaddingMode(self.padding_mode)
        except ValueError:
            raise ShapeError(
                f"padding_mode must be one of zeros, reflect, replicate, circular; got {self.padding_mode!r}"
            ) from None
        if cin % g:
            raise ShapeError(f"in_channels must be divisible by groups ({cin} % {g} = {cin % g})",
                             suggestion=_divisor_hint(cin, cout, g))
        if cout % g:
            raise ShapeError(f"out_channels must be divisible by groups ({cout} % {g} = {cout % g})",
                             suggestion=_divisor_hint(cin, cout, g))
        _set(self, kernel_size=k, stride=s, dilation=d, padding=p, padding_mode=mode)


@dataclass(frozen=True)
class ConvTranspose2d:
    """``nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)`` (padding_mode must be 'zeros')."""

    in_channels: int
    out_channels: int
    kernel_size: Pair | int
    stride: Pair | int = 1
    padding: Pair | int = 0
    output_padding: Pair | int = 0
    groups: int = 1
    bias: bool = True
    dilation: Pair | int = 1
    padding_mode: PaddingMode | str = PaddingMode.ZEROS

    def __post_init__(self) -> None:
        cin = check_int("in_channels", self.in_channels)
        cout = check_int("out_channels", self.out_channels)
        k = check_pair("kernel_size", self.kernel_size)
        s = check_pair("stride", self.stride)
        if isinstance(self.padding, str):
            raise ShapeError(f"ConvTranspose2d padding must be an int or a pair, got {self.padding!r}")
        p = check_pair("padding", self.padding, minimum=0)
        op = check_pair("output_padding", self.output_padding, minimum=0)
        d = check_pair("dilation", self.dilation)
        g = check_int("groups", self.groups)
        check_bool("bias", self.bias)
        if self.padding_mode not in (PaddingMode.ZEROS, "zeros"):
            raise ShapeError(f"only padding_mode='zeros' is supported for ConvTranspose2d, "
                             f"got {self.padding_mode!r}")
        if cin % g:
            raise ShapeError(f"in_channels must be divisible by groups ({cin} % {g} = {cin % g})",
                             suggestion=_divisor_hint(cin, cout, g))
        if cout % g:
            raise ShapeError(f"out_channels must be divisible by groups ({cout} % {g} = {cout % g})",
                             suggestion=_divisor_hint(cin, cout, g))
        for i, dim in enumerate(("height", "width")):
            if op[i] >= s[i] and op[i] >= d[i]:
                raise ShapeError(
                    f"output_padding must be smaller than either stride or dilation "
                    f"({dim}: output_padding={op[i]}, stride={s[i]}, dilation={d[i]})",
                    suggestion=f"use output_padding <= {max(s[i], d[i]) - 1} or stride >= {op[i] + 1}",
                )
        _set(self, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d,
             padding_mode=PaddingMode.ZEROS)


@dataclass(frozen=True)
class MaxPool2d:
    """``nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
    ceil_mode=False)``; ``stride=None`` means stride = kernel_size."""

    kernel_size: Pair | int
    stride: Pair | int | None = None
    padding: Pair | int = 0
    dilation: Pair | int = 1
    return_indices: bool = False
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        k = check_pair("kernel_size", self.kernel_size)
        s = k if self.stride is None else check_pair("stride", self.stride)
        p = check_pair("padding", self.padding, minimum=0)
        d = check_pair("dilation", self.dilation)
        check_bool("return_indices", self.return_indices)
        check_bool("ceil_mode", self.ceil_mode)
        _check_pool_padding(k, p)
        _set(self, kernel_size=k, stride=s, padding=p, dilation=d)


@dataclass(frozen=True)
class AvgPool2d:
    """``nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None)``."""

    kernel_size: Pair | int
    stride: Pair | int | None = None
    padding: Pair | int = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    def __post_init__(self) -> None:
        k = check_pair("kernel_size", self.kernel_size)
        s = k if self.stride is None else check_pair("stride", self.stride)
        p = check_pair("padding", self.padding, minimum=0)
        check_bool("ceil_mode", self.ceil_mode)
        check_bool("count_include_pad", self.count_include_pad)
        if self.divisor_override is not None:
            if self.divisor_override == 0 and not isinstance(self.divisor_override, bool):
                raise ShapeError("divisor_override must not be zero",
                                 suggestion="use divisor_override=None (divide by the window size)")
            check_int("divisor_override", self.divisor_override, minimum=-MAX_DIM)
        _check_pool_padding(k, p)
        _set(self, kernel_size=k, stride=s, padding=p)


def _check_pool_padding(k: Pair, p: Pair) -> None:
    """torch: ``pad should be smaller than or equal to half of kernel size`` (pad <= k // 2)."""
    for i, dim in enumerate(("height", "width")):
        if p[i] > k[i] // 2:
            raise ShapeError(
                f"pooling padding must be at most half the kernel size ({dim}: padding={p[i]} > "
                f"kernel_size//2 = {k[i]}//2 = {k[i] // 2})",
                suggestion=f"use padding <= {k[i] // 2} or kernel_size >= {2 * p[i]}",
            )


def _check_output_size(value: object) -> int | tuple[int | None, int | None]:
    """An int or a pair of (int | None); kept in the form given (torch treats them differently)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ShapeError(f"output_size must be an int or a pair (h, w), got {len(value)} values")
        return tuple(None if v is None else check_int(f"output_size[{i}]", v)  # type: ignore[return-value]
                     for i, v in enumerate(value))
    return check_int("output_size", value)


def adaptive_hw(output_size: int | tuple[int | None, int | None], hw: tuple[int, int]) -> Pair:
    """The resolved (H_out, W_out) of an adaptive pool (None keeps the input size)."""
    pair = (output_size, output_size) if isinstance(output_size, int) else output_size
    return (hw[0] if pair[0] is None else pair[0], hw[1] if pair[1] is None else pair[1])


@dataclass(frozen=True)
class AdaptiveAvgPool2d:
    """``nn.AdaptiveAvgPool2d(output_size)``; an entry ``None`` keeps that input size."""

    output_size: tuple[int | None, int | None] | int

    def __post_init__(self) -> None:
        _set(self, output_size=_check_output_size(self.output_size))

    def out_hw(self, hw: tuple[int, int]) -> Pair:
        return adaptive_hw(self.output_size, hw)


@dataclass(frozen=True)
class AdaptiveMaxPool2d:
    """``nn.AdaptiveMaxPool2d(output_size, return_indices=False)``."""

    output_size: tuple[int | None, int | None] | int
    return_indices: bool = False

    def __post_init__(self) -> None:
        check_bool("return_indices", self.return_indices)
        _set(self, output_size=_check_output_size(self.output_size))

    def out_hw(self, hw: tuple[int, int]) -> Pair:
        return adaptive_hw(self.output_size, hw)


@dataclass(frozen=True)
class MaxUnpool2d:
    """``nn.MaxUnpool2d(kernel_size, stride=None, padding=0)``."""

    kernel_size: Pair | int
    stride: Pair | int | None = None
    padding: Pair | int = 0

    def __post_init__(self) -> None:
        k = check_pair("kernel_size", self.kernel_size)
        s = k if self.stride is None else check_pair("stride", self.stride)
        p = check_pair("padding", self.padding, minimum=0)
        _set(self, kernel_size=k, stride=s, padding=p)


@dataclass(frozen=True)
class Linear:
    """``nn.Linear(in_features, out_features, bias=True)``; acts on the last dimension."""

    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        check_int("in_features", self.in_features)
        check_int("out_features", self.out_features)
        check_bool("bias", self.bias)


@dataclass(frozen=True)
class Flatten:
    """``nn.Flatten(start_dim=1, end_dim=-1)``."""

    start_dim: int = 1
    end_dim: int = -1

    def __post_init__(self) -> None:
        check_dim("start_dim", self.start_dim)
        check_dim("end_dim", self.end_dim)


@dataclass(frozen=True)
class Dropout:
    """``nn.Dropout(p=0.5, inplace=False)``."""

    p: float = 0.5
    inplace: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0 <= self.p <= 1:
            raise ShapeError(f"dropout probability p must be between 0 and 1, got {self.p!r}")
        check_bool("inplace", self.inplace)


@dataclass(frozen=True)
class BatchNorm2d:
    """``nn.BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)``."""

    num_features: int
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True

    def __post_init__(self) -> None:
        check_int("num_features", self.num_features)
        check_float("eps", self.eps, lo=0.0)
        if self.momentum is not None:
            check_float("momentum", self.momentum)
        check_bool("affine", self.affine)
        check_bool("track_running_stats", self.track_running_stats)


@dataclass(frozen=True)
class Activation:
    """An element-wise activation (or Softmax along ``dim``).

    ``negative_slope`` is used by LeakyReLU, ``dim`` by Softmax (None = torch's legacy choice),
    ``approximate`` ('none' | 'tanh') by GELU, ``inplace`` by ReLU/LeakyReLU.
    """

    kind: ActKind | str
    negative_slope: float = 0.01
    dim: int | None = None
    approximate: str = "none"
    inplace: bool = False

    def __post_init__(self) -> None:
        try:
            kind = ActKind(self.kind)
        except ValueError:
            raise ShapeError(f"unknown activation {self.kind!r}; supported: "
                             + ", ".join(a.value for a in ActKind)) from None
        check_float("negative_slope", self.negative_slope)
        if self.dim is not None:
            check_dim("dim", self.dim)
        if self.approximate not in ("none", "tanh"):
            raise ShapeError(f"GELU approximate must be 'none' or 'tanh', got {self.approximate!r}")
        check_bool("inplace", self.inplace)
        _set(self, kind=kind)


LayerSpec = Union[
    Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,
    MaxUnpool2d, Linear, Flatten, Dropout, BatchNorm2d, Activation,
]
SPEC_TYPES: tuple[type, ...] = (
    Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d,
    MaxUnpool2d, Linear, Flatten, Dropout, BatchNorm2d, Activation,
)


def type_name(spec: LayerSpec) -> str:
    """The ``torch.nn`` class name of a spec ("Conv2d", "ReLU", ...)."""
    if isinstance(spec, Activation):
        return ActKind(spec.kind).value
    return type(spec).__name__
