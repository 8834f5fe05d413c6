"""Shared rendering helpers: feature maps as a labelled image grid, arrays as HTML tables.

Every tab may import these; they are generic (no Layer Lab knowledge) and fast enough for live
use: colour mapping is a numpy look-up into a matplotlib colormap table (no figure is drawn),
and the grid is composed with PIL.

- :func:`colorize` maps a 2-D array to RGB with ``(x - vmin) / (vmax - vmin)`` scaled to 0..255.
- :func:`feature_grid` renders a stack of maps ``(C, H, W)`` as tiles, each with its title and its
  own colour scale (a colour bar labelled with the map's min and max).
- :func:`value_grid_html` renders a small 2-D array as an HTML table with the values printed and
  chosen cells highlighted (used by the sliding-window and multi-channel views).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["colorize", "feature_grid", "value_grid_html", "format_value", "HIGHLIGHT_COLOURS"]

_TITLE_H = 18
_BAR_W = 12
_LABEL_W = 58
_GAP = 8
_TOP = 26  # room for the label Gradio overlays on an image's top-left corner


@lru_cache(maxsize=16)
def _lut(cmap: str) -> np.ndarray:
    """The 256×3 uint8 colour table of a matplotlib colormap (cached, read-only)."""
    import matplotlib

    try:
        cm = matplotlib.colormaps[cmap]
    except KeyError:
        raise ValueError(f"unknown colormap {cmap!r}") from None
    table = (cm(np.linspace(0.0, 1.0, 256))[:, :3] * 255.0).round().astype(np.uint8)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans from matplotlib's own data (it has ×, →, −), else PIL's default font."""
    from pathlib import Path

    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), 12)
    except OSError:
        try:
            return ImageFont.load_default(size=12)
        except TypeError:  # Pillow < 10.1 has no size argument
            return ImageFont.load_default()


@lru_cache(maxsize=1024)
def _text_mask(text: str) -> Image.Image:
    """The rendered text as an 'L' mask (cached: titles and labels repeat across calls)."""
    font = _font()
    left, top, right, bottom = font.getbbox(text)
    mask = Image.new("L", (max(1, right), max(1, bottom)), 0)
    ImageDraw.Draw(mask).text((0, 0), text, fill=255, font=font)
    return mask


def _draw_text(canvas: Image.Image, xy: tuple[int, int], text: str) -> None:
    mask = _text_mask(text)
    canvas.paste((20, 20, 20), (xy[0], xy[1], xy[0] + mask.width, xy[1] + mask.height), mask)


def format_value(v: float, digits: int = 3) -> str:
    """Short, exact-looking text for a number: integers without decimals, others with ``digits``
    significant decimals (``-0`` shown as ``0``, NaN as ``·``, infinities as ``±∞``)."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "·"
    v = float(v)
    if np.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v == int(v) and abs(v) < 1e9:
        return str(int(v)).replace("-", "−") if v != 0 else "0"
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text.replace("-", "−")


def colorize(arr: np.ndarray, cmap: str = "viridis", vmin: float | None = None,
             vmax: float | None = None) -> np.ndarray:
    """Map a 2-D array to an ``(H, W, 3)`` uint8 image with ``(x − vmin) / (vmax − vmin)``.

    A constant map is drawn mid-scale; NaN/inf cells are white (used for "no value here")."""
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim != 2:
        raise ValueError(f"colorize needs a 2-D array, got shape {a.shape}")
    bad = ~np.isfinite(a)
    has_bad = bool(bad.any())
    finite = a[~bad] if has_bad else a
    lo = float(vmin) if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = float(vmax) if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    span = hi - lo
    if span <= 0 or not np.isfinite(span):
        idx = np.full(a.shape, 128, dtype=np.uint8)
    else:
        scaled = (a - lo) * (255.0 / span)
        if has_bad:
            scaled[bad] = 0.0
        idx = np.clip(scaled, 0, 255, out=scaled).astype(np.uint8)
    out = _lut(cmap)[idx]
    if has_bad:
        out[bad] = 255
    return out


def _shrink(a: np.ndarray, tile: int) -> np.ndarray:
    """Resize a float map to fit ``tile`` before colouring: nearest up, box-average down."""
    h, w = a.shape
    scale = tile / max(h, w)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    if new == (w, h):
        return a
    resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.BOX
    return np.asarray(Image.fromarray(np.ascontiguousarray(a, dtype=np.float32), mode="F").resize(new, resample))


def _colour_bar(height: int, cmap: str) -> Image.Image:
    ramp = np.linspace(255, 0, height).astype(np.uint8)[:, None].repeat(_BAR_W, axis=1)
    return Image.fromarray(_lut(cmap)[ramp])


def _range(a: np.ndarray) -> tuple[float, float]:
    """(min, max) over the finite values of ``a`` ((0, 0) when there are none)."""
    lo, hi = float(a.min()), float(a.max())
    if np.isfinite(lo) and np.isfinite(hi):
        return lo, hi
    finite = a[np.isfinite(a)]
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)


def feature_grid(maps: np.ndarray, titles: Sequence[str] | None = None, cmap: str = "viridis",
                 max_maps: int = 16, tile: int = 192, ncols: int | None = None,
                 shared_scale: bool = False) -> Image.Image:
    """Render maps ``(C, H, W)`` (or one ``(H, W)`` map) as a grid of labelled tiles.

    Each tile shows the map (scaled to at most ``tile`` pixels, aspect kept), its title, and a
    colour bar labelled with the map's own min and max (or a scale shared by all maps when
    ``shared_scale``). At most ``max_maps`` maps are drawn; the caller should say when it cut.
    """
    a = np.asarray(maps, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or a.shape[0] < 1 or a.shape[1] < 1 or a.shape[2] < 1:
        raise ValueError(f"feature_grid needs maps of shape (C, H, W), got {a.shape}")
    if max_maps < 1:
        raise ValueError(f"max_maps must be >= 1, got {max_maps}")
    a = a[:max_maps]
    n = a.shape[0]
    names = list(titles or [])[:n] + [f"map {i}" for i in range(len(titles or []), n)]
    cols = ncols or min(n, 4)
    rows = -(-n // cols)
    h, w = a.shape[1:]
    scale = tile / max(h, w)
    th, tw = max(1, round(h * scale)), max(1, round(w * scale))
    cell_w = tw + _GAP + _BAR_W + _LABEL_W
    cell_h = _TITLE_H + th + _GAP
    canvas = Image.new("RGB", (cols * cell_w + _GAP, rows * cell_h + _GAP + _TOP), (255, 255, 255))
    glo, ghi = _range(a) if shared_scale else (0.0, 1.0)
    bar = _colour_bar(th, cmap)
    for k in range(n):
        r, c = divmod(k, cols)
        x0, y0 = _GAP + c * cell_w, _TOP + _GAP + r * cell_h
        m = a[k]
        lo, hi = (glo, ghi) if shared_scale else _range(m)
        img = Image.fromarray(colorize(_shrink(m, tile), cmap, lo, hi))
        _draw_text(canvas, (x0, y0), names[k][:40])
        canvas.paste(img, (x0, y0 + _TITLE_H))
        bx = x0 + img.width + _GAP
        canvas.paste(bar.resize((_BAR_W, img.height)) if img.height != th else bar, (bx, y0 + _TITLE_H))
        _draw_text(canvas, (bx + _BAR_W + 3, y0 + _TITLE_H - 2), format_value(hi, 2))
        _draw_text(canvas, (bx + _BAR_W + 3, y0 + _TITLE_H + img.height - 12), format_value(lo, 2))
    return canvas


HIGHLIGHT_COLOURS: dict[int, str] = {
    1: "#ffd54f",  # the window / the cells feeding the current output
    2: "#81d4fa",  # the current output cell
    3: "#c5e1a5",  # already computed output cells
    4: "#f8bbd0",  # a second emphasis (e.g. the max of a pooling window)
    5: "#fff8e1",  # inside the window's span but skipped (dilation gaps)
}
"""Background colours for the integer labels of ``value_grid_html``'s ``highlight``."""

_KIND_STYLE: dict[str, str] = {
    "in": "background:#ffffff;",
    "pad": "background:#eeeeee;color:#777;font-style:italic;",
    "zero": "background:#e8eaf6;color:#5c6bc0;font-style:italic;",
    "gap": "background:#ffffff;",
    "outside": "background:repeating-linear-gradient(45deg,#fff,#fff 4px,#eee 4px,#eee 8px);"
               "color:#999;border-style:dashed !important;",
}


def value_grid_html(arr: np.ndarray, highlight: np.ndarray | None = None,
                    kinds: np.ndarray | None = None, title: str = "", digits: int = 2,
                    labels: np.ndarray | None = None, cell_px: int = 34,
                    caption: str = "", elem_id: str | None = None) -> str:
    """Render a 2-D array as an HTML table with every value printed.

    ``highlight``: same shape, bool or int labels (0 = none; see ``HIGHLIGHT_COLOURS``), drawn
    with a bold border and a background colour. ``kinds``: same shape, strings among ``"in"``,
    ``"pad"`` (padding), ``"zero"`` (inserted zero), ``"outside"`` (beyond the input, e.g. a
    ceil_mode window). ``labels``: optional text per cell that replaces the formatted value.
    All styling is inline, so the HTML renders the same inside any Gradio ``gr.HTML``.
    """
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"value_grid_html needs a 2-D array, got shape {a.shape}")
    hl = np.zeros(a.shape, dtype=np.int64) if highlight is None else np.asarray(highlight).astype(np.int64)
    if hl.shape != a.shape:
        raise ValueError(f"highlight shape {hl.shape} does not match array shape {a.shape}")
    if kinds is not None and np.shape(kinds) != a.shape:
        raise ValueError(f"kinds shape {np.shape(kinds)} does not match array shape {a.shape}")
    ident = f' id="{html.escape(elem_id)}"' if elem_id else ""
    out = [f'<div class="value-grid"{ident} style="display:inline-block;vertical-align:top;margin:4px 10px 4px 0">']
    if title:
        out.append(f'<div style="font-weight:600;margin-bottom:2px">{html.escape(title)}</div>')
    out.append('<table style="border-collapse:collapse;font:12px ui-monospace,monospace;">')
    for i in range(a.shape[0]):
        out.append("<tr>")
        for j in range(a.shape[1]):
            kind = str(kinds[i][j]) if kinds is not None else "in"
            style = [f"width:{cell_px}px;height:{cell_px - 8}px;text-align:center;padding:1px 2px;",
                     "border:1px solid #bbb;", _KIND_STYLE.get(kind, "")]
            lab = int(hl[i, j])
            if lab:
                style.append(f"background:{HIGHLIGHT_COLOURS.get(lab, '#ffd54f')};"
                             "border:2px solid #333;font-weight:600;color:#000;")
            text = str(labels[i][j]) if labels is not None else (
                "" if kind == "outside" else format_value(a[i, j], digits))
            out.append(f'<td data-kind="{kind}" data-hl="{lab}" style="{"".join(style)}">'
                       f"{html.escape(text)}</td>")
        out.append("</tr>")
    out.append("</table>")
    if caption:
        out.append(f'<div style="font-size:11px;color:#555;margin-top:2px">{html.escape(caption)}</div>')
    out.append("</div>")
    return "".join(out)
