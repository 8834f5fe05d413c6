"""HTML for the Architectures tab: collapsible layer tables, the builder's shape flow, concept grids.

Pure functions from the core's dataclasses to HTML strings (every value escaped). Blocks are
native ``<details>`` elements, so collapsing and expanding needs no round trip to the server.
"""

from __future__ import annotations

from html import escape

from playground.arch.table import ArchTable, Row

_COLS = ("layer", "type", "input", "output", "k / s / p", "params", "MACs", "RF", "act. memory")
_WIDTHS = ("19%", "11%", "11%", "11%", "10%", "10%", "11%", "7%", "10%")
_PALETTE = ("#cfe2ff", "#ffe5b4", "#d4f4dd", "#f8d7da", "#e2d9f3", "#fff3bf", "#d3f0f5",
            "#f5d5ec", "#e9ecef", "#dcedc1")
TABLE_CSS = """
<style>
.arch-t { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 12.5px; }
.arch-t td, .arch-t th { padding: 2px 5px; border-bottom: 1px solid #e3e3e3; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; font-variant: normal; text-transform: none;
  text-align: left; }
.arch-t td.n, .arch-t th.n { text-align: right; font-variant-numeric: tabular-nums; }
.arch-blk > summary { cursor: pointer; list-style: none; }
.arch-blk > summary::-webkit-details-marker { display: none; }
.arch-blk > summary .arch-t td { background: #f4f6fa; font-weight: 600; }
.arch-blk[open] > summary .arch-t td:first-child::before { content: "▾ "; }
.arch-blk:not([open]) > summary .arch-t td:first-child::before { content: "▸ "; }
.arch-sub > summary .arch-t td { background: #fafbfd; font-weight: 500; padding-left: 18px; }
.arch-bad td { background: #fff3f3; color: #700; }
.arch-grid { display: inline-block; margin: 4px 10px 4px 0; vertical-align: top; }
.arch-grid td { width: 46px; height: 30px; text-align: center; font-size: 11px;
  border: 1px solid #fff; }
</style>
"""


def fmt_shape(shape: tuple[int, ...] | list[int] | None) -> str:
    """``1×3×224×224``."""
    return "-" if shape is None else "×".join(str(int(s)) for s in shape)


def fmt_int(n: int) -> str:
    """``1,234,567``."""
    return f"{int(n):,}"


def fmt_bytes(n: int) -> str:
    """Bytes in KiB/MiB/GiB/TiB with 3 significant digits."""
    v = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if v < 1024 or unit == "PiB":
            return f"{v:.3g} {unit}" if unit != "B" else f"{int(v)} B"
        v /= 1024
    return f"{n} B"  # pragma: no cover


def fmt_big(n: int) -> str:
    """``4.09 G`` style short form of a count."""
    for div, s in ((10**15, "P"), (10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= div:
            return f"{n / div:.3g} {s}"
    return str(n)


def _geo(r: Row) -> str:
    if r.kernel is None:
        return "-"
    pad = r.padding if isinstance(r.padding, str) else fmt_shape(r.padding)
    return f"{fmt_shape(r.kernel)} / {fmt_shape(r.stride)} / {pad}"


def _rf(rf: tuple[int, int] | None) -> str:
    return "all" if rf is None else (str(rf[0]) if rf[0] == rf[1] else fmt_shape(rf))


def _colgroup() -> str:
    return "<colgroup>" + "".join(f'<col style="width:{w}">' for w in _WIDTHS) + "</colgroup>"


def _tr(cells: list[str], cls: str = "") -> str:
    tds = "".join(f'<td class="n" title="{escape(c)}">{escape(c)}</td>' if i >= 5 and i != 7
                  else f'<td title="{escape(c)}">{escape(c)}</td>' for i, c in enumerate(cells))
    return f'<tr class="{cls}">{tds}</tr>' if cls else f"<tr>{tds}</tr>"


def _row_cells(r: Row) -> list[str]:
    return [r.name, r.type, fmt_shape(r.input_shape[1:]), fmt_shape(r.output_shape[1:]), _geo(r),
            fmt_int(r.params), fmt_int(r.macs), _rf(r.rf), fmt_bytes(r.act_bytes)]


def _table(rows_html: str) -> str:
    return f'<table class="arch-t">{_colgroup()}{rows_html}</table>'


def arch_table_html(t: ArchTable, expand_all: bool = False) -> str:
    """The per-layer table with one collapsible ``<details>`` per block (and per sub-block)."""
    head = _table("<tr>" + "".join(f"<th>{c}</th>" for c in _COLS) + "</tr>")
    blocks = {(b.id, b.depth): b for b in t.blocks}
    parts = [TABLE_CSS, f'<div id="arch-table-body">{head}']
    opened = " open" if expand_all else ""
    cur_block = cur_sub = None
    pending: list[str] = []

    def flush() -> None:
        if pending:
            parts.append(_table("".join(pending)))
            pending.clear()

    for r in t.rows:
        if r.block != cur_block:
            flush()
            if cur_sub:
                parts.append("</details>")
            if cur_block is not None:
                parts.append("</details>")
            b = blocks[(r.block, 1)]
            cells = [b.id, b.type, fmt_shape(b.input_shape[1:]), fmt_shape(b.output_shape[1:]),
                     b.summary, fmt_int(b.params), fmt_int(b.macs), _rf(b.rf),
                     fmt_bytes(b.act_bytes)]
            parts.append(f'<details class="arch-blk" data-block="{escape(b.id)}"{opened}>'
                         f"<summary>{_table(_tr(cells))}</summary>")
            cur_block, cur_sub = r.block, None
        if r.sub != cur_sub:
            flush()
            if cur_sub:
                parts.append("</details>")
            if r.sub:
                b = blocks[(r.sub, 2)]
                cells = [b.id, b.type, fmt_shape(b.input_shape[1:]), fmt_shape(b.output_shape[1:]),
                         b.summary, fmt_int(b.params), fmt_int(b.macs), _rf(b.rf),
                         fmt_bytes(b.act_bytes)]
                parts.append(f'<details class="arch-blk arch-sub" data-block="{escape(b.id)}"'
                             f"{opened}><summary>{_table(_tr(cells))}</summary>")
            cur_sub = r.sub
        pending.append(_tr(_row_cells(r)))
    flush()
    if cur_sub:
        parts.append("</details>")
    if cur_block is not None:
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def arch_totals_md(t: ArchTable) -> str:
    """One Markdown paragraph of totals."""
    return (f"**{escape(t.title)}** on {fmt_shape(t.input_shape)} → {fmt_shape(t.output_shape)}: "
            f"**{fmt_int(t.total_params)}** parameters, **{fmt_int(t.total_macs)}** MACs "
            f"({fmt_big(t.total_macs)}; ≈ {fmt_big(2 * t.total_macs)} FLOPs), activations "
            f"{fmt_bytes(t.total_act_bytes)} (fp32, sum of layer outputs; input "
            f"{fmt_bytes(t.input_bytes)}), {len(t.rows)} layer calls in {sum(b.depth == 1 for b in t.blocks)} "
            "blocks. Computed symbolically on PyTorch's meta device: nothing was allocated.")


def flow_html(layers: list, error: str | None, error_index: int | None, n_layers: int,
              inferred: dict[int, int]) -> str:
    """The builder's shape flow: one row per working layer, then the breaking layer in red."""
    head = ("#", "layer", "input", "output", "k / s / p", "params", "MACs", "RF", "formula")
    rows = []
    for i, r in enumerate(layers):
        geo = "-" if r.kernel is None else (
            f"{fmt_shape(r.kernel)} / {fmt_shape(r.stride)} / "
            f"{r.padding if isinstance(r.padding, str) else fmt_shape(r.padding)}")
        rf = "all" if r.rf.whole_input else fmt_shape(tuple(int(v) for v in r.rf.size))
        code = r.code + (f"  ← in_features inferred: {inferred[i]:,}" if i in inferred else "")
        formula = r.formula[2] if len(r.formula) > 2 else (r.formula[0] if r.formula else "")
        rows.append("<tr>" + "".join(
            f"<td>{escape(str(c))}</td>" for c in (i, code, fmt_shape(r.input_shape),
                                                   fmt_shape(r.output_shape), geo, fmt_int(r.params),
                                                   fmt_int(r.macs), rf, formula)) + "</tr>")
    if error is not None:
        rows.append(f'<tr class="arch-bad"><td>{error_index}</td><td colspan="8">'
                    f"✗ {escape(error)}</td></tr>")
        rest = n_layers - (error_index or 0) - 1
        if rest > 0:
            rows.append(f'<tr><td></td><td colspan="8">… {rest} more layer(s) not reached</td></tr>')
    th = "".join(f"<th>{h}</th>" for h in head)
    return (TABLE_CSS + '<table class="arch-t" id="builder-flow" style="table-layout:auto">'
            f"<tr>{th}</tr>{''.join(rows)}</table>")


def values_html(values: list[list[float]], title: str, digits: int = 4) -> str:
    """A small 2-D tensor as an HTML table with row sums."""
    body = "".join("<tr>" + "".join(f'<td class="n">{v:.{digits}f}</td>' for v in row)
                   + f'<td class="n" style="color:#666">Σ {sum(row):.{digits}f}</td></tr>'
                   for row in values)
    return (f'<div class="arch-grid"><b>{escape(title)}</b>'
            f'<table class="arch-t" style="table-layout:auto">{body}</table></div>')


def norm_html(x: list, group: list, out: list, title: str, digits: int = 3) -> str:
    """N×C×H×W values as one H×W grid per (n, c), coloured by the statistics group."""
    parts = [f"<div><b>{escape(title)}</b><br>"]
    for n, (xs, gs, os_) in enumerate(zip(x, group, out)):
        parts.append(f'<div style="margin:4px 0"><span style="color:#555">sample n={n}</span><br>')
        for c, (xc, gc, oc) in enumerate(zip(xs, gs, os_)):
            cells = "".join(
                "<tr>" + "".join(
                    f'<td style="background:{_PALETTE[g % len(_PALETTE)]}" '
                    f'title="group {g}">{xv:.1f}<br><b>{ov:.{digits}f}</b></td>'
                    for xv, g, ov in zip(xr, gr_, orow)) + "</tr>"
                for xr, gr_, orow in zip(xc, gc, oc))
            parts.append(f'<div class="arch-grid">c={c}<table>{cells}</table></div>')
        parts.append("</div>")
    parts.append("</div>")
    return TABLE_CSS + "".join(parts)
