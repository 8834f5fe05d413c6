"""Callbacks of the Architectures tab: thin wrappers from UI values to the core, ``ValueError``
turned into ``gr.Error`` (no traceback reaches the user). Each returns plain values/HTML."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

import gradio as gr

from playground import limits, validate
from playground.arch import builder, compare, concepts, course, render, zoo
from playground.arch.table import architecture_json, architecture_table

MAX_MESSAGE_CHARS = 400
"""Longest error message shown; longer ones (a huge input echoed by a parser) are cut."""
_LONG_QUOTE = re.compile(r"(['\"])([^'\"]{%d,})\1" % (limits.MAX_ECHO_CHARS + 1))


def short_message(msg: str, n: int = MAX_MESSAGE_CHARS) -> str:
    """``msg`` with each quoted input longer than ``limits.MAX_ECHO_CHARS`` cut, then at most
    ``n`` characters: a parser deep in the core may quote a whole 1 MB input back."""
    msg = _LONG_QUOTE.sub(lambda m: m.group(1) + m.group(2)[:limits.MAX_ECHO_CHARS] + "…"
                          + m.group(1) + f" ({len(m.group(2)):,} characters)", msg)
    return msg if len(msg) <= n else msg[: n - 1] + "…"


def _user_errors(fn: Callable) -> Callable:
    @wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValueError as e:
            raise gr.Error(short_message(str(e)), print_exception=False) from None
    return inner


def arch_choices() -> list[tuple[str, str]]:
    """(title, key) pairs for the dropdown."""
    return [(a.title, a.key) for a in zoo.registry().values()]


def default_shape(name: str) -> str:
    """The architecture's default input as ``CxHxW``."""
    try:
        return "x".join(map(str, zoo.get(name).default_shape))
    except ValueError:
        return "3x224x224"


# --- explorer ------------------------------------------------------------------------------------
@_user_errors
def table_json(name: str, shape: str) -> dict:
    """``/architecture_table``: rows, blocks and totals as JSON (cached per name and shape)."""
    return architecture_json(name, shape)


@_user_errors
def table_view(name: str, shape: str, expand_all: bool) -> tuple[str, str]:
    """(totals Markdown, table HTML)."""
    t = architecture_table(name, shape)
    info = zoo.get(name)
    md = (render.arch_totals_md(t) + f"\n\n*{info.family}, {info.year}: {info.feature}. "
          f"Source: {info.source}.* Click a block to expand or collapse it.")
    return md, render.arch_table_html(t, bool(expand_all))


def on_arch_change(name: str) -> str:
    """New architecture → its default input shape."""
    return default_shape(name)


@_user_errors
def course_view(key: str) -> tuple[str, str, str]:
    """(table HTML, notes Markdown, plain text) of one course table."""
    ct = course.course_table(validate.choice(key, list(course.COURSE_TABLES), "course table"))
    head = ("layer", "type", "input", "output", "kernel", "stride", "padding", "params")
    rows = "".join(
        "<tr>" + "".join(f"<td>{render.escape(str(c))}</td>" for c in (
            ("+ " if r.extra else "") + r.layer, r.type, r.input, r.output, r.kernel, r.stride,
            r.padding)) + f'<td class="n">{r.params:,}</td></tr>' for r in ct.rows)
    th = "".join(f"<th>{h}</th>" for h in head)
    html = (render.TABLE_CSS + f'<table class="arch-t" id="course-table" style="table-layout:auto">'
            f"<tr>{th}</tr>{rows}<tr><td colspan=7><b>app total (sum of p.numel())</b></td>"
            f'<td class="n"><b>{ct.app_total:,}</b></td></tr><tr><td colspan=7>{ct.course_label}'
            f'</td><td class="n">{ct.course_total:,}</td></tr></table>')
    diff = ct.course_total - ct.app_total
    flag = "matches the app" if diff == 0 else f"differs from the app by {diff:+,}"
    notes = f"**{ct.title}**: {ct.course_label} {ct.course_total:,} {flag}.\n\n" + "\n".join(
        f"- {n}" for n in ct.notes)
    return html, notes, course.render_text(ct)


@_user_errors
def compare_view(keys: list[str]) -> tuple[Any, list[list[str]], list[list[str]]]:
    """(bubble figure, numbers table, published summary)."""
    keys = compare.check_keys(keys)
    return compare.bubble_figure(keys), compare.points_table(keys), compare.published_table()


# --- builder -------------------------------------------------------------------------------------
def _build_outputs(code: str, shape: str) -> tuple[str, str, str, dict]:
    r = builder.build(code, shape)
    inferred = {i: f for i, _, f in r.inferred}
    html = render.flow_html(list(r.layers), r.error, r.error_index, r.n_layers, inferred)
    last = r.layers[-1] if r.layers else None
    if r.error is None and last is not None:
        rf = last.rf
        rf_txt = ("the whole input" if rf.whole_input else
                  f"{render.fmt_shape(tuple(int(v) for v in rf.size))} pixels")
        md = (f"✓ **{render.fmt_shape(r.input_shape)} → {render.fmt_shape(last.output_shape)}**: "
              f"**{r.total_params:,}** parameters, **{r.total_macs:,}** MACs "
              f"({render.fmt_big(r.total_macs)}), receptive field {rf_txt}.")
    else:
        md = (f"✗ Shapes break at **layer {r.error_index}**: {r.error}\n\n"
              f"The {len(r.layers)} layer(s) before it: {r.total_params:,} parameters, "
              f"{r.total_macs:,} MACs.")
    if r.inferred:
        md += "\n\n" + "; ".join(f"`Linear(in_features=?)` at layer {i} → **{f:,}**"
                                 for i, _, f in r.inferred)
    return md, html, r.torch_code, r.to_json()


@_user_errors
def build_network(code: str, shape: str) -> dict:
    """``/build_network``: the builder's JSON (layers, totals, first break, code)."""
    return builder.build(code, shape).to_json()


@_user_errors
def build_view(code: str, shape: str) -> tuple[str, str, str, dict]:
    """(status Markdown, flow HTML, runnable code, JSON)."""
    return _build_outputs(code, shape)


@_user_errors
def preset(key: str) -> tuple[str, str, str]:
    """(code, shape, note) of a preset."""
    p = builder.PRESETS[validate.choice(key, list(builder.PRESETS), "preset")]
    return p.code, p.shape, f"*{p.note}*"


@_user_errors
def add_layer(code: str, layer_type: str, args: str) -> str:
    """Append a layer from the form."""
    return builder.append_layer(code, layer_type, args)


@_user_errors
def remove_layer(code: str) -> str:
    """Remove the last layer."""
    return builder.remove_last_layer(code)


@_user_errors
def torch_check(code: str, shape: str) -> str:
    """Markdown table: the core's shapes against the real torch layers' shapes."""
    r = builder.build(code, shape)
    got = builder.torch_check(r, code)
    lines = ["| layer | computed here | PyTorch |", "|---|---|---|"]
    for i, (name, shp) in enumerate(got):
        mine = render.fmt_shape(r.layers[i].output_shape) if i < len(r.layers) else "✗ (breaks)"
        theirs = render.fmt_shape(shp) if shp else "✗"
        lines.append(f"| {render.escape(name)} | {mine} | {theirs} |")
    same = all(i < len(r.layers) and tuple(r.layers[i].output_shape) == s
               for i, (_, s) in enumerate(got) if s)
    verdict = "✓ every shape matches PyTorch." if same else "✗ mismatch (please report it)."
    return "\n".join(lines) + "\n\n" + verdict


def load_shared_inner(request: gr.Request) -> tuple:
    """:func:`load_shared` without the app's outer tabs (the tab built on its own)."""
    return load_shared(request)[:-1]


def share_link_on_load(code: str, shape: str, request: gr.Request) -> str | Any:
    """After a shared link is restored: its query again (else leave the link box alone)."""
    if request is None or not dict(request.query_params).get("net"):
        return gr.update()
    return share_query(code, shape)


def share_query(code: str, shape: str) -> str:
    """The query string for the page URL (or, when it cannot be shared, the reason)."""
    try:
        return "?" + builder.encode_share(code, shape)
    except ValueError as e:
        return str(e)


def load_shared(request: gr.Request) -> tuple:
    """On page load: restore a shared network from ``?net=…&shape=…`` (else change nothing)."""
    params = dict(request.query_params) if request is not None else {}
    skip = (gr.update(),) * 8
    try:
        got = builder.decode_share(params)
    except ValueError as e:
        return (gr.update(), gr.update(), f"✗ Shared link: {e}", *(gr.update(),) * 5)
    if got is None:
        return skip
    code, shape = got
    try:
        md, html, torch_code, js = _build_outputs(code, shape)
    except ValueError as e:
        md, html, torch_code, js = f"✗ {e}", "", "", {}
    return (code, shape, "↻ Network restored from the shared link.\n\n" + md, html, torch_code,
            js, gr.Tabs(selected="builder"), gr.Tabs(selected="architectures"))


# --- concepts ------------------------------------------------------------------------------------
def _ints(pairs: tuple[tuple[Any, str], ...], lo: int, hi: int) -> tuple[int, ...]:
    """Each ``(value, setting name)`` as a whole number in ``[lo, hi]`` (``ValueError`` naming it)."""
    return tuple(validate.integer(v, name, lo, hi) for v, name in pairs)


@_user_errors
def stacked_view(channels: float, bias: bool) -> list[list[str]]:
    """Rows: layers, RF, stacked params, single-kernel params, saving."""
    c = validate.integer(channels, "channels C", 1, 4096)
    return [[str(r.layers), f"{r.rf}×{r.rf}", f"{r.stacked_params:,}", f"{r.big_params:,}",
             f"−{r.saving:.1%}"] for r in concepts.stacked_vs_big(c, 5, bool(bias))]


@_user_errors
def mlp_view(h: float, w: float, c: float, k: float, c_out: float) -> str:
    """Markdown comparison of a same-size FC layer and a conv layer."""
    h, w, c, k, c_out = _ints(((h, "H"), (w, "W"), (c, "C"), (k, "conv kernel"),
                               (c_out, "conv C_out")), 1, 100_000)
    m = concepts.mlp_vs_cnn(h, w, c, k, c_out)
    return (f"Input {int(h)}×{int(w)}×{int(c)} = **{m.inputs:,}** values.\n\n"
            f"- Fully connected to the same size: ({m.inputs:,})² = **{m.fc_weights:,}** weights "
            f"(≈ {m.fc_weights:.3g}), **{m.fc_bytes / 1e9:,.1f} GB** in fp32 (4 bytes each; "
            f"{render.fmt_bytes(m.fc_bytes)}).\n"
            f"- `Conv2d({int(c)}, {int(c_out)}, {int(k)}, padding={int(k) // 2})`: "
            f"**{m.conv_params:,}** parameters (weights shared across positions), output "
            f"{render.fmt_shape(m.conv_out)}, {m.conv_macs:,} MACs.\n"
            f"- Ratio: the FC layer has {m.fc_weights / m.conv_params:,.0f}× more weights.")


@_user_errors
def inception_view(h: float, w: float, c_in: float, c_red: float, c_out: float, k: float) -> str:
    """Markdown: direct k×k conv against 1×1 reduction + k×k conv."""
    h, w, c_in, c_red, c_out, k = _ints(((h, "H"), (w, "W"), (c_in, "C_in"), (c_red, "C_reduce"),
                                        (c_out, "C_out"), (k, "kernel")), 1, limits.MAX_DIM)
    r = concepts.inception_reduction(h, w, c_in, c_red, c_out, k)
    lines = ["| path | layer | output | params | MACs |", "|---|---|---|---|---|"]
    for label, reps in (("direct", r.direct), ("with 1×1 reduction", r.reduced)):
        for rep in reps:
            lines.append(f"| {label} | `{rep.code}` | {render.fmt_shape(rep.output_shape)} | "
                         f"{rep.params:,} | {rep.macs:,} |")
    lines.append(f"\n**Direct:** {r.direct_params:,} params, {r.direct_macs:,} MACs. "
                 f"**Reduced:** {r.reduced_params:,} params, {r.reduced_macs:,} MACs: "
                 f"{r.reduced_macs / r.direct_macs:.1%} of the MACs "
                 f"({r.direct_macs / r.reduced_macs:.1f}× fewer).")
    return "\n".join(lines)


@_user_errors
def residual_view(c_in: float, c_out: float, h: float, w: float, stride: float) -> str:
    """Markdown: both branches' shapes and the shortcut decision."""
    c_in, c_out, h, w, stride = _ints(((c_in, "C_in"), (c_out, "C_out"), (h, "H"), (w, "W"),
                                       (stride, "stride")), 1, limits.MAX_DIM)
    r = concepts.residual_block(c_in, c_out, h, w, stride)
    lines = ["| branch | layer | output | params |", "|---|---|---|---|"]
    for rep in r.main:
        lines.append(f"| main F(x) | `{rep.code}` | {render.fmt_shape(rep.output_shape)} | "
                     f"{rep.params:,} |")
    for rep in r.shortcut or ():
        lines.append(f"| shortcut | `{rep.code}` | {render.fmt_shape(rep.output_shape)} | "
                     f"{rep.params:,} |")
    if not r.shortcut:
        lines.append(f"| shortcut | identity | {render.fmt_shape((1, int(c_in), int(h), int(w)))} | 0 |")
    kind = "identity" if r.identity_ok else "1×1 projection"
    lines.append(f"\n**{kind}**: {r.reason}. Output ReLU(F(x) + shortcut(x)): "
                 f"{render.fmt_shape(r.output_shape)}; {r.params:,} parameters.")
    return "\n".join(lines)


@_user_errors
def activation_view(text: str, kind: str, slope: float, dim: float) -> str:
    """HTML: the input and the activation's output (torch, float32)."""
    x = concepts.parse_tensor(validate.text(text, "tensor"))
    kind = validate.choice(kind, concepts.ACTIVATIONS, "activation")
    # each setting is checked only where it is used (the other one may hold anything)
    slope = validate.number(slope, "LeakyReLU negative_slope", -1e6, 1e6) if kind == "LeakyReLU" else 0.01
    dim = validate.integer(dim, "Softmax dim", -2, 1) if kind == "Softmax" else 1
    y = concepts.activate(x, kind, slope, dim)
    label = {"LeakyReLU": f"LeakyReLU(negative_slope={slope:g})", "Softmax": f"Softmax(dim={int(dim)})"}
    html = (render.TABLE_CSS + render.values_html(x, "input", 1)
            + render.values_html(y, f"{label.get(kind, kind + '()')} (torch, float32)", 4))
    if kind == "Softmax":  # the other dim, for comparison (columns vs rows sum to 1)
        other = 0 if int(dim) % 2 else 1
        html += render.values_html(concepts.activate(x, kind, dim=other),
                                   f"Softmax(dim={other}) for comparison", 4)
    return html


@_user_errors
def norm_view(n: float, c: float, h: float, w: float, seed: float, kind: str, groups: float,
              steps: float) -> tuple[str, str]:
    """(HTML grid coloured by shared statistics, Markdown stats and BatchNorm train/eval)."""
    n, c, h, w = _ints(((n, "N"), (c, "C"), (h, "H"), (w, "W")), 1, limits.MAX_CONCEPT_ELEMENTS)
    seed = validate.integer(seed, "seed", -(2**63), 2**64 - 1)
    kind = validate.choice(kind, concepts.NORMS, "layer")
    groups = validate.integer(groups, "GroupNorm groups", 1, limits.MAX_CONCEPT_ELEMENTS)
    steps = validate.integer(steps, "BatchNorm training passes", 1, 100)
    x = concepts.sample_tensor(n, c, h, w, seed)
    v = concepts.normalise(x, kind, groups, steps)
    html = render.norm_html(v.x, v.group, v.out_train,
                            f"{kind}: same colour = same mean/variance; top: input, bold: output"
                            + (" (train mode)" if kind == "BatchNorm2d" else ""))
    lines = ["| group | mean | variance (biased) |", "|---|---|---|"]
    lines += [f"| {g} | {m:.4f} | {s:.4f} |" for g, m, s in v.stats]
    md = "\n".join(lines)
    if v.out_eval is not None and v.running is not None:
        html += render.norm_html(v.x, v.group, v.out_eval, "BatchNorm2d in eval mode (running stats)")
        rm, rv = v.running
        md += (f"\n\nAfter {int(steps)} training forward pass(es) (momentum 0.1): running_mean = "
               f"{[round(a, 4) for a in rm]}, running_var = {[round(a, 4) for a in rv]} "
               "(unbiased). Eval mode normalises with these, not with the batch's statistics, so "
               "its outputs differ until the running stats converge.")
    return html, md
