"""Thin callbacks of the Layer Lab tab: raw UI values in, display values out.

Each one calls the pure functions of :mod:`playground.layerlab` and :mod:`playground.arith`.
Only ``analyze_json`` raises (``gr.Error`` with the core's message, as the ``/analyze`` API
promises); the live views never raise: they show the message in their own error box, so typing
never floods the page with pop-ups and no traceback reaches the user.
"""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import numpy as np

from playground import arith, limits, validate
from playground.layerlab import controls as ctl
from playground.layerlab import report
from playground.layerlab.examples import run_example
from playground.layerlab.features import feature_maps, image_to_array
from playground.layerlab.geometry import parse_padding
from playground.layerlab.kernels import kernel_bank, parse_kernel
from playground.layerlab.separable import SOBEL_X_FACTORS, SOBEL_Y_FACTORS, separable_maps, separate
from playground.layerlab.kernels import preset
from playground.layerlab.sliding import conv_view, pool_view, transposed_view
from playground.layerlab.views import clamp_step, sliding_html, volume_html
from playground.layerlab.volume import parse_biases, parse_filters, parse_volume, volume_view
from playground.render import feature_grid, format_value, value_grid_html
from playground.samples.make_samples import sample_path

__all__ = ["error_html", "lab_summary", "layer_controls", "analyze_json", "analyze_table",
           "feature_view", "separable_view", "sliding_view", "volume_step_view", "tick",
           "load_example", "ping", "pick_image"]

SOURCES = ("sample", "upload / clipboard", "drawing")


def error_html(msg: str) -> str:
    """A visible error box ("" when there is no error)."""
    return f'<div class="error-box" role="alert">⚠ {html.escape(msg)}</div>' if msg else ""


def _fmt_shape(t: Any) -> str:
    return "(" + ", ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in t) + ")" if t else "—"


# live panel ---------------------------------------------------------------------------------------
def lab_summary(*values: Any) -> tuple[str, str, str, str, str]:
    """(output shape, formula, counts, code, error box) for the controls in ``CONTROLS`` order."""
    s = ctl.settings_from_values(*values)
    r = ctl.summarize(s)
    if not r.ok:
        return ("**Output shape:** — (invalid settings, see below)", "", "", "", error_html(r.error))
    shape = f"**Output shape:** `{_fmt_shape(r.input_shape)}` → `{_fmt_shape(r.output_shape)}`"
    formula = "```text\n" + "\n".join(r.formula) + "\n```"
    counts = (f"| weight shape | bias shape | parameters | MACs |\n|---|---|---|---|\n"
              f"| `{_fmt_shape(r.weight_shape)}` | `{_fmt_shape(r.bias_shape)}` | {r.params:,} | "
              f"{r.macs:,} |\n\nMACs = multiply-accumulates of the main product "
              "(`torch.utils.flop_counter` ÷ 2; pooling counts 0).")
    return shape, formula, counts, r.code, ""


def layer_controls(layer: str) -> list[Any]:
    """Visibility updates of the controls (``CONTROLS`` order, without the layer selector)."""
    try:
        rel = ctl.RELEVANT[validate.choice(layer, ctl.LAYER_TYPES, "layer type")]
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    return [gr.update(visible=name in rel) for name in ctl.CONTROLS[1:]]


def paste_values(code: Any, n: Any, c: Any, h: Any, w: Any) -> tuple[str, str]:
    """(code, "N,C,H,W") for the paste-PyTorch box; ``ValueError`` naming a bad value."""
    text = validate.text(code, "the generated code")
    dims = [validate.integer(v, name, 1, limits.MAX_DIM)
            for v, name in ((n, "batch N"), (c, "channels C"), (h, "height H"), (w, "width W"))]
    return text, ",".join(map(str, dims))


def send_to_paste(code: str, n: Any, c: Any, h: Any, w: Any) -> tuple[str, str]:
    """Copy the generated code and the input shape into the paste-PyTorch box."""
    try:
        return paste_values(code, n, c, h, w)
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


# paste PyTorch ------------------------------------------------------------------------------------
def analyze_json(code: str, shape: str) -> dict:
    """``/analyze``: PyTorch text + input shape → the per-layer JSON (gr.Error when invalid).

    Integers beyond 2**53 (totals of huge symbolic inputs) come as decimal strings."""
    try:
        code = validate.text(code, "PyTorch code")
        shape = validate.text(shape, "input shape", max_chars=200)
        return report.json_safe(arith.analyze(code, shape).to_json())
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


def analyze_table(rep: dict | None) -> tuple[list[list[Any]], str]:
    """Rows of the per-layer table and a totals line from ``/analyze``'s JSON."""
    try:
        return report.table(rep)
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None


# pictures -----------------------------------------------------------------------------------------
def pick_image(source: str, upload: Any, sample: str, sketch: Any) -> tuple[np.ndarray, str]:
    """The chosen picture as a grayscale array in [0, 1] plus a note (ValueError if missing)."""
    if source == "upload / clipboard":
        if upload is None:
            raise ValueError("no picture uploaded yet: upload or paste one, or pick a sample")
        return image_to_array(upload)
    if source == "drawing":
        if sketch is None or (isinstance(sketch, dict) and sketch.get("composite") is None):
            raise ValueError("nothing drawn yet: draw on the sketchpad, or pick a sample")
        return image_to_array(sketch)
    return image_to_array(sample_path(sample or "house"))


def feature_view(source: str, upload: Any, sample: str, sketch: Any, presets: list[str], custom: str,
                 n_random: Any, seed: Any, kernel_h: Any, kernel_w: Any, stride_h: Any, stride_w: Any,
                 padding: Any, dilation_h: Any, dilation_w: Any, padding_mode: str, activation: str,
                 pool: str, cmap: str) -> tuple[Any, Any, Any, str, str, str]:
    """(input+padded image, maps image, activation/pool image, kernels HTML, notes, error box)."""
    try:
        img, note = pick_image(source, upload, sample, sketch)
        nr = ctl.as_int(n_random or 0, "random kernels")
        bank = kernel_bank(list(presets or []), custom or "", nr,
                           (ctl.as_int(kernel_h, "kernel size (h)"), ctl.as_int(kernel_w, "kernel size (w)")),
                           ctl.as_int(seed or 0, "seed"))
        stride = (ctl.as_int(stride_h, "stride (h)"), ctl.as_int(stride_w, "stride (w)"))
        dil = (ctl.as_int(dilation_h, "dilation (h)"), ctl.as_int(dilation_w, "dilation (w)"))
        res = feature_maps(img, bank.kernels, stride, parse_padding(padding), dil, padding_mode or "zeros",
                           activation=activation or "none", pool=pool or "none", titles=bank.titles)
    except ValueError as exc:
        return None, None, None, "", "", error_html(str(exc))
    H, W = res.input.shape
    pt, pb, pl, pr = res.padding
    top = feature_grid(np.stack([np.pad(res.input, ((pt, pb), (pl, pr)), constant_values=np.nan), res.padded]),
                       [f"input {H}×{W}", f"padded ({padding_mode}) {res.padded.shape[0]}×{res.padded.shape[1]}"],
                       cmap="gray", tile=256)
    ho, wo = res.maps.shape[1:]
    maps = feature_grid(res.maps, [f"{t} → {ho}×{wo}" for t in res.titles], cmap=cmap or "viridis")
    after = None
    stages = [(n, a) for n, a in ((activation, res.activated), (f"{pool} pool", res.pooled)) if a is not None]
    if stages:
        name, arr = stages[-1]
        label = " + ".join(n for n, _ in stages)
        after = feature_grid(arr, [f"{t}: {label} {arr.shape[1]}×{arr.shape[2]}" for t in res.titles],
                             cmap=cmap or "viridis")
    kern = "".join(value_grid_html(k, title=t, digits=3) for k, t in zip(bank.kernels, bank.titles))
    notes = [f"Input {H}×{W} (grayscale, values in [0, 1]); kernels {bank.kernels.shape[1]}×"
             f"{bank.kernels.shape[2]}, stride {stride}, dilation {dil}, padding (top, bottom, left, "
             f"right) = {res.padding} → {len(res.titles)} map(s) of {ho}×{wo} (`F.conv2d`, exact)."]
    notes += [f"⚠ {note} (limit {limits.WORK_IMAGE_SIDE} px per side)."] if note else []
    notes += list(bank.notes) + list(res.notes)
    return top, maps, after, kern, "\n\n".join(notes), ""


SEPARABLE_KERNELS = ("sobel x", "sobel y", "gaussian", "box blur", "custom (rank 1)")


def separable_view(source: str, upload: Any, sample: str, sketch: Any, choice: str, custom: str
                   ) -> tuple[Any, str, str]:
    """(image of 2-D map / two-pass map / |difference|, numbers, error box)."""
    try:
        img, note = pick_image(source, upload, sample, sketch)
        if choice == "sobel x":
            col, row = SOBEL_X_FACTORS
        elif choice == "sobel y":
            col, row = SOBEL_Y_FACTORS
        else:
            k = parse_kernel(custom) if choice == "custom (rank 1)" else preset(choice)
            fac = separate(k)
            if fac is None:
                raise ValueError(f"this kernel has rank > 1, so it is not the outer product of two "
                                 f"vectors (not separable); try Sobel, Gaussian or box blur")
            col, row = fac
        r = separable_maps(img, col, row)
    except ValueError as exc:
        return None, "", error_html(str(exc))
    k = r.col.size
    im = feature_grid(np.stack([r.full, r.two_pass, np.abs(r.full - r.two_pass)]),
                      ["2-D kernel (one pass)", "column pass then row pass", "|difference|"])
    ho, wo = r.full.shape
    md = (f"Kernel = column `[{', '.join(format_value(v, 4) for v in r.col)}]` ⊗ row "
          f"`[{', '.join(format_value(v, 4) for v in r.row)}]`.\n\n"
          f"- max |2-D − two passes| = **{r.max_abs_diff:.2e}** (float64 rounding only)\n"
          f"- 2-D: {ho}·{wo}·{k}·{r.row.size} = **{r.macs_2d:,}** MACs ({k * r.row.size} per output pixel)\n"
          f"- separable: {ho}·{img.shape[1]}·{k} + {ho}·{wo}·{r.row.size} = **{r.macs_separable:,}** MACs "
          f"(≈ {k + r.row.size} per output pixel) → **{r.saving:.2f}×** fewer")
    if note:
        md += f"\n\n⚠ {note}."
    return im, md, ""


def _finite(v: Any, name: str) -> float:
    """A finite float from a control value (empty → 0)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return 0.0
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {validate.echo(v, 30)}") from None
    if not np.isfinite(f):
        raise ValueError(f"{name} must be a finite number, got {validate.echo(v, 30)}")
    return f


# sliding window / volume --------------------------------------------------------------------------
def sliding_view(step: Any, layer: str, grid_text: str, kernel_text: str, bias: Any, kernel_h: Any,
                 kernel_w: Any, stride_h: Any, stride_w: Any, padding: Any, dilation_h: Any,
                 dilation_w: Any, padding_mode: str, output_padding_h: Any, output_padding_w: Any,
                 ceil_mode: bool, count_include_pad: bool, divisor_override: Any
                 ) -> tuple[str, Any, int]:
    """(HTML of the step, slider update, number of steps) with the main controls' settings."""
    try:
        x = parse_kernel(grid_text, limits.MAX_GRID_SIDE, "input grid").astype(np.float64)
        k = (ctl.as_int(kernel_h, "kernel size (h)"), ctl.as_int(kernel_w, "kernel size (w)"))
        s = (ctl.as_int(stride_h, "stride (h)"), ctl.as_int(stride_w, "stride (w)"))
        d = (ctl.as_int(dilation_h, "dilation (h)"), ctl.as_int(dilation_w, "dilation (w)"))
        pad = parse_padding(padding)
        if layer in ("Conv2d", "ConvTranspose2d"):
            if kernel_text and kernel_text.strip():
                kern = parse_kernel(kernel_text).astype(np.float64)
                if kern.shape != k:
                    raise ValueError(f"the typed kernel is {kern.shape[0]}×{kern.shape[1]} but the kernel "
                                     f"size is {k[0]}×{k[1]}: change the kernel size or clear the kernel box")
            elif max(k) > limits.MAX_KERNEL_SIDE:  # checked before the default kernel is allocated
                raise ValueError(f"the sliding-window view shows kernels of at most {limits.MAX_KERNEL_SIDE}"
                                 f"×{limits.MAX_KERNEL_SIDE} (the input grid is at most {limits.MAX_GRID_SIDE}"
                                 f"×{limits.MAX_GRID_SIDE}); the kernel size is {k[0]}×{k[1]}")
            else:
                kern = (np.arange(k[0] * k[1]) % 3 - 1).reshape(k).astype(np.float64)
            b = _finite(bias, "bias")
            if layer == "Conv2d":
                view = conv_view(x, kern, s, pad, d, b, padding_mode or "zeros")
            else:
                if isinstance(pad, str):
                    raise ValueError("ConvTranspose2d padding must be a number or 'h, w'")
                op = (ctl.as_int(output_padding_h, "output_padding (h)"), ctl.as_int(output_padding_w, "output_padding (w)"))
                view = transposed_view(x, kern, s, pad, op, d, b)
        elif layer in ("MaxPool2d", "AvgPool2d"):
            if isinstance(pad, str):
                raise ValueError("pooling padding must be a number or 'h, w' (not 'same'/'valid')")
            div = ctl.as_int(divisor_override or 0, "divisor_override")
            view = pool_view(x, "max" if layer == "MaxPool2d" else "avg", k, s, pad,
                             d if layer == "MaxPool2d" else 1, bool(ceil_mode), bool(count_include_pad),
                             div or None)
        else:
            raise ValueError(f"the sliding-window view covers Conv2d, ConvTranspose2d, MaxPool2d and "
                             f"AvgPool2d; {layer} has no fixed window")
    except ValueError as exc:
        return error_html(str(exc)), gr.update(maximum=1, value=0), 1
    n = len(view.windows)
    st = clamp_step(step, n)
    return sliding_html(view, st), gr.update(maximum=max(1, n - 1), value=st), n


def volume_step_view(step: Any, vol_text: str, filt_text: str, bias_text: str, stride: Any, padding: Any
                     ) -> tuple[str, Any, int]:
    """(HTML of the multi-channel step, slider update, number of steps)."""
    try:
        x = parse_volume(vol_text)
        w = parse_filters(filt_text)
        b = parse_biases(bias_text, w.shape[0])
        view = volume_view(x, w, b, ctl.as_int(stride, "stride"), ctl.as_int(padding, "padding"))
    except ValueError as exc:
        return error_html(str(exc)), gr.update(maximum=1, value=0), 1
    n = len(view.steps)
    st = clamp_step(step, n)
    return volume_html(view, st), gr.update(maximum=max(1, n - 1), value=st), n


def tick(step: Any, n_steps: Any) -> tuple[int, Any]:
    """Advance the play-back by one step; stop the timer at the last step."""
    n = max(1, clamp_step(n_steps, 10**9))
    nxt = clamp_step(step, n) + 1
    if nxt >= n - 1:
        return min(nxt, max(0, n - 1)), gr.Timer(active=False)
    return nxt, gr.Timer(active=True)


def play(step: Any, n_steps: Any) -> tuple[int, Any]:
    """Start playing (from the start if already at the end)."""
    n = max(1, clamp_step(n_steps, 10**9))
    st = 0 if clamp_step(step, n) >= n - 1 else clamp_step(step, n)
    return st, gr.Timer(active=n > 1)


def stop() -> Any:
    return gr.Timer(active=False)


# worked examples ----------------------------------------------------------------------------------
def load_example(key: str) -> list[Any]:
    """(markdown, code, input shape, analysis JSON, table rows, totals, then one value per control
    in ``CONTROLS`` order)."""
    try:
        ex = run_example(key)
    except ValueError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    merged = ctl.with_changes(ctl.LabSettings(), **ex.settings)
    rep = report.json_safe(arith.analyze(ex.code, ex.input_shape).to_json())
    rows, totals = analyze_table(rep)
    return ([ex.markdown, ex.code, ex.input_shape, rep, rows, totals]
            + [getattr(merged, n) for n in ctl.CONTROLS])


def ping() -> str:
    """An empty endpoint, the baseline of ``bench/latency.py``."""
    return "pong"
