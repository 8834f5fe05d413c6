"""HTML for the step-by-step views (sliding window, multi-channel volume) built on
:func:`playground.render.value_grid_html`. Pure functions: view + step in, an HTML string out."""

from __future__ import annotations

import html

import numpy as np

from playground.layerlab.sliding import SlidingView
from playground.layerlab.volume import VolumeView
from playground.render import HIGHLIGHT_COLOURS, format_value, value_grid_html

__all__ = ["legend_html", "sliding_html", "volume_html", "clamp_step"]

_OP_NAMES = {"conv": "Conv2d", "max": "MaxPool2d", "avg": "AvgPool2d",
             "conv_transpose": "ConvTranspose2d (zero insertion + padding + stride-1 conv)"}


def clamp_step(step: float | int | None, n: int) -> int:
    """A valid step index in ``[0, n − 1]`` (0 for None/NaN)."""
    try:
        s = int(float(step or 0))
    except (TypeError, ValueError, OverflowError):
        s = 0
    return max(0, min(n - 1, s))


def _swatch(colour: str, text: str, extra: str = "") -> str:
    return (f'<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;'
            f'width:12px;height:12px;background:{colour};border:1px solid #555;{extra}'
            f'vertical-align:middle"></span> {html.escape(text)}</span>')


def legend_html() -> str:
    """Legend of the cell colours used by the views."""
    return ('<div style="font-size:12px;margin:4px 0">'
            + _swatch(HIGHLIGHT_COLOURS[1], "window (cells read)")
            + _swatch(HIGHLIGHT_COLOURS[5], "dilation gap (skipped)")
            + _swatch(HIGHLIGHT_COLOURS[4], "max of the window")
            + _swatch("#eeeeee", "padding")
            + _swatch("#e8eaf6", "inserted zero")
            + _swatch("#f4f4f4", "beyond the input (ceil_mode)", "border-style:dashed;")
            + _swatch(HIGHLIGHT_COLOURS[2], "current output cell")
            + _swatch(HIGHLIGHT_COLOURS[3], "done") + "</div>")


def _box(inner: str, title: str = "") -> str:
    head = f'<div style="font-weight:600;margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    return (f'<div style="border:1px solid #ddd;border-radius:6px;padding:6px 8px;margin:6px 0;'
            f'overflow-x:auto">{head}{inner}</div>')


def _progress_grid(out: np.ndarray, flat_step: int, title: str) -> str:
    """Output grid: cells before ``flat_step`` done (3), the current one (2), later ones blank."""
    n = out.size
    order = np.arange(n).reshape(out.shape)
    hl = np.where(order < flat_step, 3, 0)
    hl[order == flat_step] = 2
    labels = np.where(order <= flat_step, np.vectorize(lambda v: format_value(v, 3))(out), "")
    return value_grid_html(out, highlight=hl, labels=labels, title=title)


def sliding_html(view: SlidingView, step: int) -> str:
    """The grid with the window of ``step`` highlighted, the kernel, the output so far and the
    dot product written out with its numbers."""
    step = clamp_step(step, len(view.windows))
    w = view.windows[step]
    parts = [legend_html()]
    grids = []
    if view.op == "conv_transpose":
        z = view.zero_inserted
        zk = np.full(z.shape, "zero", dtype=object)
        zk[:: max(1, (z.shape[0] - 1) // max(1, view.input.shape[0] - 1)) if view.input.shape[0] > 1 else 1,
           :: max(1, (z.shape[1] - 1) // max(1, view.input.shape[1] - 1)) if view.input.shape[1] > 1 else 1] = "in"
        grids.append(value_grid_html(view.input, title=f"input {view.input.shape[0]}×{view.input.shape[1]}"))
        grids.append(value_grid_html(z, kinds=zk, title=f"1. zeros inserted {z.shape[0]}×{z.shape[1]}"))
    gtitle = {"conv_transpose": "2. padded",
              "conv": "input with padding", "max": "input with padding", "avg": "input with padding"}
    grids.append(value_grid_html(view.grid, highlight=view.window_mask(step), kinds=view.kinds,
                                 title=f"{gtitle[view.op]} {view.grid.shape[0]}×{view.grid.shape[1]}",
                                 elem_id="sliding-grid"))
    if view.kernel is not None:
        ktitle = "kernel (flipped)" if view.op == "conv_transpose" else "kernel"
        if view.dilation != (1, 1):
            ktitle += f", dilation {view.dilation[0]}×{view.dilation[1]}"
        grids.append(value_grid_html(view.kernel, title=ktitle))
    else:
        grids.append(f'<div style="display:inline-block;vertical-align:top;margin:24px 10px">'
                     f'window {view.kernel_size[0]}×{view.kernel_size[1]}, stride {view.stride[0]}×'
                     f'{view.stride[1]}, dilation {view.dilation[0]}×{view.dilation[1]}</div>')
    grids.append(_progress_grid(view.output, step, f"output {view.output.shape[0]}×{view.output.shape[1]}"))
    parts.append(_box("".join(grids), f"{_OP_NAMES[view.op]} · step {step + 1} of {len(view.windows)}"))
    i, j = w.out
    r0, c0 = w.cells[0]
    parts.append(_box(
        f'<div style="font:13px ui-monospace,monospace;white-space:pre-wrap" id="sliding-expr">'
        f"out[{i}, {j}]  (window top-left at grid ({r0}, {c0}) = ({i}·{view.stride[0]}, "
        f"{j}·{view.stride[1]}))\n= {html.escape(w.expression)}</div>", "dot product"))
    parts.append(_box("<br>".join(html.escape(n) for n in view.notes), "notes"))
    return "".join(parts)


def volume_html(view: VolumeView, step: int) -> str:
    """The input volume (padded) with the window, the current filter, the per-channel dot products,
    the bias and the output volume filled up to ``step``."""
    step = clamp_step(step, len(view.steps))
    st = view.steps[step]
    kh, kw = view.filters.shape[2:]
    r0, c0 = st.top_left
    C, Hp, Wp = view.padded.shape
    p = view.padding
    kinds = np.full((Hp, Wp), "pad", dtype=object)
    kinds[p[0]:Hp - p[0], p[1]:Wp - p[1]] = "in"
    hl = np.zeros((Hp, Wp), dtype=np.int64)
    hl[r0:r0 + kh, c0:c0 + kw] = 1
    ins = "".join(value_grid_html(view.padded[c], highlight=hl, kinds=kinds, digits=2,
                                  title=f"x[:, :, {c}]") for c in range(C))
    fil = "".join(value_grid_html(view.filters[st.filter, c], title=f"w{st.filter}[:, :, {c}]")
                  for c in range(C))
    fil += (f'<div style="display:inline-block;vertical-align:top;margin:24px 8px;font-weight:600">'
            f"bias b{st.filter} = {format_value(st.bias, 3)}</div>")
    n_per = view.output.shape[1] * view.output.shape[2]
    outs = []
    for f in range(view.output.shape[0]):
        local = step - f * n_per
        if local < 0:
            outs.append(value_grid_html(view.output[f], labels=np.full(view.output[f].shape, ""),
                                        title=f"o[:, :, {f}]"))
        elif local >= n_per:
            outs.append(value_grid_html(view.output[f], highlight=np.full(view.output[f].shape, 3),
                                        title=f"o[:, :, {f}]", digits=3))
        else:
            outs.append(_progress_grid(view.output[f], local, f"o[:, :, {f}]"))
    i, j = st.out
    lines = [f"channel {c}: {html.escape(st.terms[c])} = {format_value(st.per_channel[c], 4)}"
             for c in range(C)]
    summary = (" + ".join(format_value(v, 4) for v in st.per_channel) + f" + bias {format_value(st.bias, 4)}"
               f" = {format_value(st.result, 4)}").replace("+ −", "− ")
    expr = (f'<div style="font:12px ui-monospace,monospace;white-space:pre-wrap" id="volume-expr">'
            + "\n".join(lines) + f"\n\no[{i}, {j}, {st.filter}] = {html.escape(summary)}</div>")
    return (legend_html()
            + _box(ins, f"input volume {C}×{Hp - 2 * p[0]}×{Wp - 2 * p[1]} with zero padding {p[0]}"
                   f" (stride {view.stride[0]})")
            + _box(fil, f"filter w{st.filter}: {C}×{kh}×{kw}")
            + _box(expr, f"step {step + 1} of {len(view.steps)}: sum over channels of the dot products, "
                   "plus the bias")
            + _box("".join(outs), f"output volume {view.output.shape[0]}×{view.output.shape[1]}×"
                   f"{view.output.shape[2]} (F.conv2d)"))
