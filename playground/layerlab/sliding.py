"""Sliding-window steps on small grids: which input cells feed each output cell, and the numbers.

One :class:`SlidingView` per operation. Its ``grid`` is what the student sees: the input with its
padding (and, for transposed convolution, the inserted zeros; for ceil_mode pooling, the cells
beyond the padded input that a last window reaches, marked ``"outside"``). Output cell ``(i, j)``
reads grid cells ``(i·s_h + a·d_h, j·s_w + b·d_w)`` for ``a < k_h, b < k_w``.

- Convolution (cross-correlation, as PyTorch): ``out[i,j] = Σ_ab w[a,b]·grid[i·s+a·d, j·s+b·d] + bias``.
- Max pooling: the max over the window's *input* cells (padding acts as −∞, outside is ignored).
- Average pooling (dilation 1): the sum over the window's input cells divided by
  ``divisor_override``, or by the window area clipped to the padded input
  (``count_include_pad=True``) or to the input (``False``), as ATen's ``avg_pool2d``.
- Transposed convolution: a stride-1 convolution over the zero-inserted, padded grid with the
  flipped kernel (see :mod:`playground.layerlab.transposed`).

The outputs are computed by PyTorch; the windows' own results are recomputed from the printed
numbers (tests check both agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from playground import limits, validate
from playground.layerlab.features import PADDING_MODES
from playground.layerlab.geometry import pair, pool_out, resolve_padding
from playground.layerlab.transposed import conv_transpose_as_conv
from playground.render import format_value

__all__ = ["Window", "SlidingView", "conv_view", "pool_view", "transposed_view", "check_grid"]


@dataclass(frozen=True)
class Window:
    """One output cell: the grid cells it reads (row-major), their values, weights and result."""

    out: tuple[int, int]
    cells: tuple[tuple[int, int], ...]
    values: tuple[float, ...]
    weights: tuple[float, ...] | None
    result: float
    expression: str
    chosen: tuple[int, int] | None = None  # the max cell of a max-pooling window


@dataclass(frozen=True)
class SlidingView:
    """A whole sliding-window animation: the displayed grid, the kernel, the output and windows."""

    op: str                        # "conv", "max", "avg" or "conv_transpose"
    input: np.ndarray              # the user's (H, W) input
    grid: np.ndarray               # displayed working grid (float; NaN where "outside")
    kinds: np.ndarray              # same shape: "in", "pad", "zero", "outside"
    kernel: np.ndarray | None      # the kernel as applied (flipped for conv_transpose)
    kernel_size: tuple[int, int]
    stride: tuple[int, int]        # stride of the sliding step over ``grid``
    dilation: tuple[int, int]
    output: np.ndarray             # (Ho, Wo) from PyTorch
    windows: tuple[Window, ...]
    notes: tuple[str, ...]
    zero_inserted: np.ndarray | None = None  # conv_transpose only: step 1 of the recipe

    def window_mask(self, step: int) -> np.ndarray:
        """Grid labels for ``step``: 1 = read by the window, 4 = the max, 5 = dilation gap."""
        w = self.windows[step]
        mask = np.zeros(self.grid.shape, dtype=np.int64)
        rows = [r for r, _ in w.cells]
        cols = [c for _, c in w.cells]
        mask[min(rows):max(rows) + 1, min(cols):max(cols) + 1] = 5
        for r, c in w.cells:
            mask[r, c] = 1
        if w.chosen is not None:
            mask[w.chosen] = 4
        return mask


def check_grid(x: np.ndarray) -> np.ndarray:
    """Validate a small 2-D input (finite, at most ``MAX_GRID_SIDE`` per side)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"the input must be a non-empty 2-D grid, got shape {a.shape}")
    if max(a.shape) > limits.MAX_GRID_SIDE:
        raise ValueError(f"the sliding-window view draws grids up to {limits.MAX_GRID_SIDE}×"
                         f"{limits.MAX_GRID_SIDE}, got {a.shape[0]}×{a.shape[1]}")
    if not np.isfinite(a).all():
        raise ValueError("grid values must be finite numbers (no NaN or infinity)")
    return a


def _check_working(shape: tuple[int, int]) -> None:
    if max(shape) > limits.MAX_WORKING_GRID_SIDE:
        raise ValueError(f"the padded grid would be {shape[0]}×{shape[1]}; the view draws at most "
                         f"{limits.MAX_WORKING_GRID_SIDE} per side: use less padding or stride")


def _kinds(shape: tuple[int, int], top: int, left: int, h: int, w: int) -> np.ndarray:
    kinds = np.full(shape, "pad", dtype=object)
    kinds[max(top, 0):top + h, max(left, 0):left + w] = "in"
    return kinds


def _cells(i: int, j: int, k: tuple[int, int], s: tuple[int, int], d: tuple[int, int]
           ) -> list[tuple[int, int]]:
    return [(i * s[0] + a * d[0], j * s[1] + b * d[1]) for a in range(k[0]) for b in range(k[1])]


def _sum_text(terms: list[str], total: float) -> str:
    cap = limits.MAX_SLIDING_TERMS
    shown = terms if len(terms) <= cap else terms[:cap - 1] + ["…", terms[-1]]
    return " + ".join(shown).replace("+ −", "− ") + f" = {format_value(total, 4)}"


def _conv_windows(grid: np.ndarray, kernel: np.ndarray, out_shape: tuple[int, int],
                  s: tuple[int, int], d: tuple[int, int], bias: float) -> tuple[Window, ...]:
    k = kernel.shape
    wins = []
    for i in range(out_shape[0]):
        for j in range(out_shape[1]):
            cells = _cells(i, j, k, s, d)
            vals = tuple(float(grid[r, c]) for r, c in cells)
            wts = tuple(float(v) for v in kernel.reshape(-1))
            total = math.fsum(a * b for a, b in zip(vals, wts)) + bias
            terms = [f"({format_value(a, 3)})·({format_value(b, 3)})" for a, b in zip(wts, vals)]
            if bias:
                terms.append(f"bias ({format_value(bias, 3)})")
            wins.append(Window((i, j), tuple(cells), vals, wts, total, _sum_text(terms, total)))
    return tuple(wins)


def conv_view(x: np.ndarray, kernel: np.ndarray, stride=1, padding=0, dilation=1, bias: float = 0.0,
              padding_mode: str = "zeros") -> SlidingView:
    """Conv2d (one channel in, one out) step by step, exactly ``nn.Conv2d(1, 1, k, ...)``."""
    a = check_grid(x)
    kern = np.asarray(kernel, dtype=np.float64)
    if kern.ndim != 2 or min(kern.shape) < 1 or not np.isfinite(kern).all():
        raise ValueError(f"the kernel must be a finite 2-D matrix, got shape {kern.shape}")
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    k = (int(kern.shape[0]), int(kern.shape[1]))
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {validate.echo(padding_mode)}")
    pt, pb, pl, pr = resolve_padding(padding, k, d, s)
    if padding_mode == "reflect" and (max(pt, pb) >= a.shape[0] or max(pl, pr) >= a.shape[1]):
        raise ValueError("reflect padding must be smaller than the input side")
    if padding_mode == "circular" and (max(pt, pb) > a.shape[0] or max(pl, pr) > a.shape[1]):
        raise ValueError("circular padding can wrap at most once (padding <= input side)")
    _check_working((a.shape[0] + pt + pb, a.shape[1] + pl + pr))
    t = torch.from_numpy(a)[None, None]
    gp = F.pad(t, (pl, pr, pt, pb), mode=PADDING_MODES[padding_mode]) if any((pt, pb, pl, pr)) else t
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    if span[0] > gp.shape[2] or span[1] > gp.shape[3]:
        raise ValueError(f"the dilated kernel spans {span[0]}×{span[1]} but the padded input is "
                         f"{gp.shape[2]}×{gp.shape[3]}: the output would be empty; use padding >= "
                         f"{max(0, (span[0] - a.shape[0] + 1) // 2)} or a smaller kernel/dilation")
    y = F.conv2d(gp, torch.from_numpy(kern)[None, None], torch.tensor([float(bias)], dtype=torch.float64),
                 stride=s, dilation=d)[0, 0].numpy()
    grid = gp[0, 0].numpy()
    kinds = _kinds(grid.shape, pt, pl, *a.shape)
    notes = [f"padding (top, bottom, left, right) = ({pt}, {pb}, {pl}, {pr}), mode {padding_mode}",
             f"window moves {s[0]} row(s) / {s[1]} column(s) per step (stride); dilation {d} leaves "
             f"{d[0] - 1}/{d[1] - 1} gap(s) between taps"]
    return SlidingView("conv", a, grid, kinds, kern, k, s, d, y,
                       _conv_windows(grid, kern, y.shape, s, d, float(bias)), tuple(notes))


def pool_view(x: np.ndarray, kind: str, kernel_size=2, stride=None, padding=0, dilation=1,
              ceil_mode: bool = False, count_include_pad: bool = True,
              divisor_override: int | None = None) -> SlidingView:
    """MaxPool2d / AvgPool2d step by step (ceil_mode windows that leave the input are shown)."""
    a = check_grid(x)
    if kind not in ("max", "avg"):
        raise ValueError(f"pool kind must be 'max' or 'avg', got {validate.echo(kind)}")
    k = pair(kernel_size, "kernel_size")
    s = k if stride in (None, "", 0) else pair(stride, "stride")
    p = pair(padding, "padding", minimum=0)
    d = pair(dilation, "dilation")
    if kind == "avg" and d != (1, 1):
        raise ValueError("AvgPool2d has no dilation; use dilation 1")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"pad should be at most half of effective kernel size: padding {p} with "
                         f"kernel {k} allows at most {(k[0] // 2, k[1] // 2)}")
    if divisor_override is not None and divisor_override < 1:
        raise ValueError(f"divisor_override must be >= 1, got {divisor_override}")
    H, W = a.shape
    ho, wo = (pool_out(H, k[0], s[0], p[0], d[0], ceil_mode), pool_out(W, k[1], s[1], p[1], d[1], ceil_mode))
    if ho < 1 or wo < 1:
        raise ValueError(f"the output would be {ho}×{wo}: the window {k} (dilation {d}) does not "
                         f"fit the padded {H + 2 * p[0]}×{W + 2 * p[1]} input; use padding or a "
                         "smaller kernel")
    gh = max(H + 2 * p[0], (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1)
    gw = max(W + 2 * p[1], (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1)
    _check_working((gh, gw))
    pad_val = -np.inf if kind == "max" else 0.0
    grid = np.full((gh, gw), np.nan)
    grid[:H + 2 * p[0], :W + 2 * p[1]] = pad_val
    grid[p[0]:p[0] + H, p[1]:p[1] + W] = a
    kinds = np.full((gh, gw), "outside", dtype=object)
    kinds[:H + 2 * p[0], :W + 2 * p[1]] = "pad"
    kinds[p[0]:p[0] + H, p[1]:p[1] + W] = "in"
    t = torch.from_numpy(a)[None, None]
    if kind == "max":
        y = F.max_pool2d(t, k, s, p, d, ceil_mode=ceil_mode)
    else:
        y = F.avg_pool2d(t, k, s, p, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                         divisor_override=divisor_override)
    y = y[0, 0].numpy()
    wins = []
    for i in range(ho):
        for j in range(wo):
            cells = _cells(i, j, k, s, d)
            vals = tuple(float(grid[r, c]) for r, c in cells)
            inside = [(rc, v) for rc, v in zip(cells, vals) if kinds[rc] == "in"]
            if kind == "max":
                best, val = max(inside, key=lambda t_: t_[1]) if inside else (None, -math.inf)
                shown = [format_value(v, 3) + ("" if kinds[rc] == "in" else f" ({kinds[rc]})")
                         for rc, v in zip(cells, vals) if kinds[rc] != "outside"]
                expr = f"max({', '.join(shown)}) = {format_value(val, 4)}"
                wins.append(Window((i, j), tuple(cells), vals, None, val, expr, best))
            else:
                h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
                h1, w1 = min(h0 + k[0], H + p[0]), min(w0 + k[1], W + p[1])
                area = (h1 - h0) * (w1 - w0)
                ch0, cw0, ch1, cw1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
                if not count_include_pad:
                    area = (ch1 - ch0) * (cw1 - cw0)
                div = divisor_override if divisor_override else area
                total = math.fsum(v for _, v in inside)
                why = ("divisor_override" if divisor_override else
                       "window cells inside the padded input" if count_include_pad else
                       "window cells inside the input (count_include_pad=False)")
                expr = (f"({' + '.join(format_value(v, 3) for _, v in inside)}) / {div} = "
                        f"{format_value(total / div, 4)}   [divisor {div}: {why}]").replace("+ −", "− ")
                wins.append(Window((i, j), tuple(cells), vals, None, total / div, expr))
    notes = [f"output {ho}×{wo} (ceil_mode={ceil_mode}); padding cells count as "
             + ("−∞ (never the max)" if kind == "max" else "0")]
    if (gh, gw) != (H + 2 * p[0], W + 2 * p[1]):
        notes.append("hatched cells lie beyond the padded input: ceil_mode keeps a last window that "
                     "starts inside the input, and its outside part is ignored")
    return SlidingView(kind, a, grid, kinds, None, k, s, d, y, tuple(wins), tuple(notes))


def transposed_view(x: np.ndarray, kernel: np.ndarray, stride=2, padding=0, output_padding=0,
                    dilation=1, bias: float = 0.0) -> SlidingView:
    """ConvTranspose2d (1 channel in, 1 out) as zero insertion + padding + stride-1 conv with the
    flipped kernel; ``output`` is ``F.conv_transpose2d``'s, the windows recompute it."""
    a = check_grid(x)
    kern = np.asarray(kernel, dtype=np.float64)
    if kern.ndim != 2 or min(kern.shape) < 1 or not np.isfinite(kern).all():
        raise ValueError(f"the kernel must be a finite 2-D matrix, got shape {kern.shape}")
    s, d = pair(stride, "stride"), pair(dilation, "dilation")
    p, op = pair(padding, "padding", minimum=0), pair(output_padding, "output_padding", minimum=0)
    H, W = a.shape
    z_shape = ((H - 1) * s[0] + 1, (W - 1) * s[1] + 1)
    _check_working((z_shape[0] + 2 * d[0] * kern.shape[0] + op[0], z_shape[1] + 2 * d[1] * kern.shape[1] + op[1]))
    t = torch.from_numpy(a)[None, None]
    w = torch.from_numpy(kern)[None, None]
    b = torch.tensor([float(bias)], dtype=torch.float64)
    steps = conv_transpose_as_conv(t, w, b, s, p, op, d)
    ref = F.conv_transpose2d(t, w, b, s, p, op, 1, d)[0, 0].numpy()
    grid = steps.padded[0, 0].numpy()
    pt, pb, pl, pr = steps.padding
    zero = np.zeros(z_shape, dtype=bool)
    zero[::s[0], ::s[1]] = True
    zk = np.where(zero, "in", "zero").astype(object)
    full = np.full((z_shape[0] + max(pt, 0) + max(pb, 0), z_shape[1] + max(pl, 0) + max(pr, 0)), "pad",
                   dtype=object)
    full[max(pt, 0):max(pt, 0) + z_shape[0], max(pl, 0):max(pl, 0) + z_shape[1]] = zk
    kinds = full[max(-pt, 0):full.shape[0] - max(-pb, 0), max(-pl, 0):full.shape[1] - max(-pr, 0)]
    flipped = steps.weight[0, 0].numpy()
    k = (int(kern.shape[0]), int(kern.shape[1]))
    wins = _conv_windows(grid, flipped, ref.shape, (1, 1), d, float(bias))
    notes = (f"1. insert s−1 = {s[0] - 1}/{s[1] - 1} zero row(s)/column(s) between input rows/columns: "
             f"{H}×{W} → {z_shape[0]}×{z_shape[1]}",
             f"2. pad with d·(k−1)−p = {pt} (top/left {pt}/{pl}) and +output_padding after "
             f"(bottom/right {pb}/{pr}){'; negative = crop' if min(steps.padding) < 0 else ''}: "
             f"→ {grid.shape[0]}×{grid.shape[1]}",
             f"3. stride-1 convolution with the kernel flipped in both axes → {ref.shape[0]}×"
             f"{ref.shape[1]} = (H−1)·s − 2p + d·(k−1) + output_padding + 1",
             "max |recipe − F.conv_transpose2d| = "
             f"{float(np.abs(steps.output[0, 0].numpy() - ref).max()):.2e}")
    return SlidingView("conv_transpose", a, grid, kinds, flipped, k, (1, 1), d, ref, wins, notes,
                       zero_inserted=steps.zero_inserted[0, 0].numpy())
