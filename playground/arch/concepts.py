"""Concept views: small, exact numbers behind the course's design arguments.

- Stacked 3×3 convs against one big kernel: ``n`` stacked 3×3 layers see ``2n + 1`` pixels, like
  one ``(2n+1)×(2n+1)`` kernel, with ``n·9·C²`` weights instead of ``(2n+1)²·C²``
  (18 vs 25, 27 vs 49, 45 vs 121 for C = 1).
- MLP against CNN: a fully connected layer mapping an H×W×C image to the same size has
  ``(H·W·C)²`` weights (200×200×3: 1.44·10¹⁰, 57.6 GB in fp32); a conv layer ``k²·C_in·C_out``.
- 1×1 convolution and Inception's reduction: ``Conv1×1(C_in→C_red)`` then ``k×k(C_red→C_out)``
  instead of ``k×k(C_in→C_out)``.
- A residual block: identity shortcut, or a 1×1 projection (stride s) + BN when channels or
  size change.
- Activations and normalisations computed with real torch on small tensors.

Shape, parameter and MAC numbers come from the arithmetic core (:mod:`playground.arith`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from playground import arith, limits, validate
from playground.arith import BatchNorm2d, Conv2d

EXAMPLE_SOFTMAX = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]
EXAMPLE_4x5 = [[-1, -2, -3, -4, -5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], [16, 17, 18, 19, 20]]
ACTIVATIONS = ("ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax")
NORMS = ("BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm")


# ---------------------------------------------------------------------------------------------
# stacked 3×3 against one big kernel
@dataclass(frozen=True)
class StackRow:
    """``n`` stacked 3×3 convs against one kernel with the same receptive field."""

    layers: int
    rf: int
    stacked_params: int
    big_params: int
    saving: float  # 1 − stacked/big


def stacked_vs_big(channels: int = 1, max_layers: int = 5, bias: bool = False) -> list[StackRow]:
    """Rows for n = 1..max_layers: RF ``2n+1`` (checked with the core's receptive field),
    parameters ``n·(9·C² + b·C)`` against ``(2n+1)²·C² + b·C``."""
    if not 1 <= channels <= 4096:
        raise ValueError(f"channels must be between 1 and 4096, got {channels}")
    if not 1 <= max_layers <= 10:
        raise ValueError(f"layers must be between 1 and 10, got {max_layers}")
    rows = []
    for n in range(1, max_layers + 1):
        shape = (1, channels, 4 * n + 3, 4 * n + 3)
        stack = arith.analyze_specs([Conv2d(channels, channels, 3, bias=bias)] * n, shape)
        k = 2 * n + 1
        big = arith.analyze_specs([Conv2d(channels, channels, k, bias=bias)], shape)
        rf = stack.receptive_field.size[0]
        if rf != big.receptive_field.size[0] or rf != k:
            raise AssertionError("receptive fields differ")  # pragma: no cover - arithmetic
        rows.append(StackRow(n, int(rf), stack.total_params, big.total_params,
                             1 - stack.total_params / big.total_params))
    return rows


# ---------------------------------------------------------------------------------------------
# MLP against CNN
@dataclass(frozen=True)
class MlpVsCnn:
    """A same-size fully connected layer against one conv layer on an H×W×C image."""

    inputs: int
    fc_weights: int
    fc_bytes: int
    conv_params: int
    conv_macs: int
    conv_out: tuple[int, ...]


def mlp_vs_cnn(h: int = 200, w: int = 200, c: int = 3, kernel: int = 3,
               out_channels: int = 64) -> MlpVsCnn:
    """``(H·W·C)²`` FC weights (bias left out), ``4·`` bytes each, against ``Conv2d(C, C_out, k)``."""
    for name, v in (("H", h), ("W", w), ("C", c), ("kernel", kernel), ("out channels", out_channels)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v > 100_000:
            raise ValueError(f"{name} must be an integer between 1 and 100,000, got {validate.echo(v)}")
    conv = arith.layer_report(Conv2d(c, out_channels, kernel, padding=kernel // 2), (1, c, h, w))
    n = h * w * c
    return MlpVsCnn(n, n * n, 4 * n * n, conv.params, conv.macs, conv.output_shape)


# ---------------------------------------------------------------------------------------------
# 1×1 convolution / Inception reduction
@dataclass(frozen=True)
class Reduction:
    """Direct k×k conv against a 1×1 reduction followed by the k×k conv."""

    direct: tuple[arith.LayerReport, ...]
    reduced: tuple[arith.LayerReport, ...]

    @property
    def direct_params(self) -> int:
        return sum(r.params for r in self.direct)

    @property
    def direct_macs(self) -> int:
        return sum(r.macs for r in self.direct)

    @property
    def reduced_params(self) -> int:
        return sum(r.params for r in self.reduced)

    @property
    def reduced_macs(self) -> int:
        return sum(r.macs for r in self.reduced)


def inception_reduction(h: int = 28, w: int = 28, c_in: int = 192, c_red: int = 16,
                        c_out: int = 32, kernel: int = 5, bias: bool = True) -> Reduction:
    """GoogLeNet's example (28×28×192 → 5×5 conv to 32): about 120 M MACs direct, 12.4 M with a
    1×1 reduction to 16 channels."""
    if kernel % 2 == 0:
        raise ValueError(f"kernel must be odd (so that padding k//2 keeps the size), got {kernel}")
    shape = (1, c_in, h, w)
    direct = arith.analyze_specs([("conv k×k", Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=bias))],
                                 shape)
    reduced = arith.analyze_specs([("reduce 1×1", Conv2d(c_in, c_red, 1, bias=bias)),
                                   ("conv k×k", Conv2d(c_red, c_out, kernel, padding=kernel // 2,
                                                       bias=bias))], shape)
    return Reduction(direct.layers, reduced.layers)


# ---------------------------------------------------------------------------------------------
# residual block
@dataclass(frozen=True)
class Residual:
    """A BasicBlock's two branches and why the shortcut is an identity or a projection."""

    main: tuple[arith.LayerReport, ...]
    shortcut: tuple[arith.LayerReport, ...]  # empty: identity
    identity_ok: bool
    reason: str
    output_shape: tuple[int, ...]

    @property
    def params(self) -> int:
        return sum(r.params for r in self.main + self.shortcut)


def residual_block(c_in: int = 64, c_out: int = 128, h: int = 56, w: int = 56,
                   stride: int = 2) -> Residual:
    """torchvision's BasicBlock: ``conv3×3(s) → BN → ReLU → conv3×3 → BN`` plus the shortcut,
    then ReLU. The identity works only when ``C_in = C_out`` and ``stride = 1``."""
    shape = (1, c_in, h, w)
    main = arith.analyze_specs([
        ("conv1", Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)),
        ("bn1", BatchNorm2d(c_out)), ("relu", arith.Activation(arith.ActKind.RELU)),
        ("conv2", Conv2d(c_out, c_out, 3, padding=1, bias=False)), ("bn2", BatchNorm2d(c_out))],
        shape)
    out = main.output_shape
    if out == shape:
        return Residual(main.layers, (), True, "input and main-branch output are both "
                        f"{_fmt(shape)}: the identity shortcut adds them directly", out)
    short = arith.analyze_specs([
        ("downsample.0", Conv2d(c_in, c_out, 1, stride=stride, bias=False)),
        ("downsample.1", BatchNorm2d(c_out))], shape)
    why = []
    if c_in != c_out:
        why.append(f"channels change {c_in} → {c_out}")
    if out[2:] != shape[2:]:
        why.append(f"the size changes {shape[2]}×{shape[3]} → {out[2]}×{out[3]} (stride {stride})")
    return Residual(main.layers, short.layers, False,
                    f"{' and '.join(why)}: x ({_fmt(shape)}) cannot be added to F(x) "
                    f"({_fmt(out)}), so the shortcut is a 1×1 conv with stride {stride} + BN", out)


def _fmt(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


# ---------------------------------------------------------------------------------------------
# activations
_ROW_SPLIT = re.compile(r"[;\n]+")


def parse_tensor(text: str) -> list[list[float]]:
    """A 2-D tensor from ``[[1, 2], [3, 4]]`` or rows separated by newlines/``;`` (numbers by
    spaces or commas). Rows must have equal length; at most ``limits.MAX_CONCEPT_ELEMENTS``."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the tensor is empty; type e.g. 1 2 3; 4 5 6")
    if len(text) > 20 * limits.MAX_CONCEPT_ELEMENTS:
        raise ValueError("the tensor text is too long")
    s = text.strip()
    rows: list[list[float]]
    if s.startswith("["):
        try:
            data = json.loads(s)
        except json.JSONDecodeError as e:
            raise ValueError(f"not a nested list of numbers: {e.msg}") from None
        except RecursionError:
            raise ValueError("the tensor is nested too deeply; give a 2-D list such as [[1, 2], [3, 4]]") from None
        if isinstance(data, list) and data and all(isinstance(v, (int, float)) for v in data):
            data = [data]
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            raise ValueError("give a 2-D nested list such as [[1, 2], [3, 4]]")
        rows = data
    else:
        rows = [[_num(p) for p in re.split(r"[,\s]+", r.strip()) if p] for r in _ROW_SPLIT.split(s)
                if r.strip()]
    rows = [[_num(v) for v in r] for r in rows]
    if not rows or not rows[0]:
        raise ValueError("the tensor is empty")
    if len({len(r) for r in rows}) != 1:
        raise ValueError(f"every row needs the same length, got {[len(r) for r in rows]}")
    if len(rows) * len(rows[0]) > limits.MAX_CONCEPT_ELEMENTS:
        raise ValueError(f"at most {limits.MAX_CONCEPT_ELEMENTS} numbers")
    return rows


def _num(v: object) -> float:
    if isinstance(v, bool):
        raise ValueError(f"not a number: {validate.echo(v)}")
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"not a number: {validate.echo(v)}") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"numbers must be finite, got {validate.echo(v)}")
    return f


def activate(values: list[list[float]], kind: str, slope: float = 0.01, dim: int = 1,
             approximate: str = "none") -> list[list[float]]:
    """``kind`` (ReLU, LeakyReLU(slope), Sigmoid, Tanh, GELU, Softmax(dim)) applied with torch."""
    import torch
    from torch import nn

    kind = validate.choice(kind, ACTIVATIONS, "activation")
    x = torch.tensor(values, dtype=torch.float32)  # PyTorch's default dtype, as in the course
    if kind == "Softmax" and not -x.dim() <= dim < x.dim():
        raise ValueError(f"dim must be in [{-x.dim()}, {x.dim() - 1}] for a {x.dim()}-D tensor, got {dim}")
    if kind == "LeakyReLU" and not -1e6 < slope < 1e6:
        raise ValueError(f"negative_slope must be a finite number, got {slope}")
    mod = {"ReLU": lambda: nn.ReLU(), "LeakyReLU": lambda: nn.LeakyReLU(slope),
           "Sigmoid": lambda: nn.Sigmoid(), "Tanh": lambda: nn.Tanh(),
           "GELU": lambda: nn.GELU(approximate=approximate), "Softmax": lambda: nn.Softmax(dim=dim)}[kind]()
    with torch.no_grad():
        return mod(x).tolist()


# ---------------------------------------------------------------------------------------------
# normalisation
@dataclass(frozen=True)
class NormView:
    """Input, which elements share statistics, and torch's outputs."""

    kind: str
    x: list  # N×C×H×W nested lists
    group: list  # same shape: the id of the statistics each element uses
    stats: list[tuple[int, float, float]]  # (group id, mean, biased variance)
    out_train: list
    out_eval: list | None  # BatchNorm in eval mode after ``steps`` train forwards
    running: tuple[list[float], list[float]] | None  # BatchNorm running mean/var


def sample_tensor(n: int = 2, c: int = 4, h: int = 2, w: int = 2, seed: int = 0) -> list:
    """A small N×C×H×W tensor of one-decimal values (seeded; different means per channel)."""
    import torch

    if n * c * h * w > limits.MAX_CONCEPT_ELEMENTS or min(n, c, h, w) < 1:
        raise ValueError(f"N·C·H·W must be between 1 and {limits.MAX_CONCEPT_ELEMENTS}, "
                         f"got {n}×{c}×{h}×{w}")
    g = torch.Generator().manual_seed(int(seed))
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64) * 2
    x += torch.arange(c, dtype=torch.float64).view(1, c, 1, 1) * 3
    return (x * 10).round().div(10).tolist()


def group_ids(kind: str, shape: tuple[int, int, int, int], groups: int = 2) -> list:
    """Id of the mean/variance each element is normalised with.

    BatchNorm2d: one per channel (over N, H, W); LayerNorm([C, H, W]): one per sample;
    InstanceNorm2d: one per (sample, channel); GroupNorm(G): one per (sample, channel group).
    """
    n, c, h, w = shape
    if kind == "GroupNorm" and (groups < 1 or c % groups):
        raise ValueError(f"GroupNorm needs num_channels ({c}) divisible by num_groups ({groups})")
    ids = {"BatchNorm2d": lambda i, j: j, "LayerNorm": lambda i, j: i,
           "InstanceNorm2d": lambda i, j: i * c + j,
           "GroupNorm": lambda i, j: i * groups + j // (c // groups)}
    kind = validate.choice(kind, NORMS, "normalisation")
    f = ids[kind]
    return [[[[f(i, j)] * w for _ in range(h)] for j in range(c)] for i in range(n)]


def normalise(x: list, kind: str, groups: int = 2, steps: int = 1, eps: float = 1e-5) -> NormView:
    """Apply torch's layer (fresh, γ=1, β=0) and report the shared statistics per group."""
    import torch
    from torch import nn

    t = torch.tensor(x, dtype=torch.float64)
    if t.dim() != 4:
        raise ValueError(f"need an N×C×H×W tensor, got {t.dim()} dimensions")
    n, c, h, w = t.shape
    ids = group_ids(kind, (n, c, h, w), groups)
    gid = torch.tensor(ids)
    stats = [(g, float(t[gid == g].mean()), float(t[gid == g].var(unbiased=False)))
             for g in sorted(set(gid.flatten().tolist()))]
    mod = {"BatchNorm2d": lambda: nn.BatchNorm2d(c, eps=eps),
           "LayerNorm": lambda: nn.LayerNorm([c, h, w], eps=eps),
           "InstanceNorm2d": lambda: nn.InstanceNorm2d(c, eps=eps),
           "GroupNorm": lambda: nn.GroupNorm(groups, c, eps=eps)}[kind]().double()
    if kind == "BatchNorm2d" and n * h * w < 2:
        raise ValueError("BatchNorm2d in training mode needs more than one value per channel "
                         f"(N·H·W = {n * h * w})")
    if not 1 <= steps <= 100:
        raise ValueError(f"steps must be between 1 and 100, got {steps}")
    with torch.no_grad():
        mod.train()
        out = mod(t)
        for _ in range(steps - 1):
            mod(t)
        out_eval = running = None
        if kind == "BatchNorm2d":
            mod.eval()
            out_eval = mod(t).tolist()
            running = (mod.running_mean.tolist(), mod.running_var.tolist())
    return NormView(kind, t.tolist(), ids, stats, out.tolist(), out_eval, running)
