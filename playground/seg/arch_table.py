"""The U-Net as a table of layers with output shapes and parameters, computed symbolically.

Shapes follow PyTorch's formulas (see :mod:`playground.seg.unet`); nothing is allocated, so the
paper's 31-million-parameter network at 572x572 costs nothing to describe. Tests compare every
row with the real module's hooks.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.seg.unet import UNetConfig, valid_output_size


@dataclass(frozen=True)
class LayerRow:
    """One layer: where it sits, what it is, its output (C, H, W) and parameter count."""

    stage: str
    layer: str
    out: tuple[int, int, int]
    params: int


def _conv_params(cin: int, cout: int, k: int, bn: bool) -> int:
    # weights + (bias, or BatchNorm's weight and bias instead of a bias)
    return cin * cout * k * k + (2 * cout if bn else cout)


def layer_table(cfg: UNetConfig, h: int, w: int) -> list[LayerRow]:
    """Rows for every conv, pool, up-conv, concat and the head, for an ``h x w`` input.

    Padded mode: the input is first padded to a multiple of ``2**depth`` (shown as a row).
    Valid mode: each 3x3 conv loses 2 pixels; skips are center-cropped before the concat.
    """
    if h < 1 or w < 1:
        raise ValueError(f"input size must be >= 1, got {h}x{w}")
    ch = cfg.channels()
    rows: list[LayerRow] = []
    m = 2**cfg.depth
    h0, w0 = h, w
    if not cfg.padding:
        valid_output_size(h, cfg.depth)  # ValueError naming the level whose map cannot be pooled
        valid_output_size(w, cfg.depth)
    if cfg.padding and (h % m or w % m):
        h, w = h + (-h) % m, w + (-w) % m
        rows.append(LayerRow("input", f"pad to a multiple of {m}", (cfg.in_channels, h, w), 0))
    shrink = 0 if cfg.padding else 2
    c = cfg.in_channels
    skips: list[tuple[int, int, int]] = []
    for level, cout in enumerate(ch):
        stage = "bottleneck" if level == cfg.depth else f"encoder {level}"
        for _ in range(2):
            h, w = h - shrink, w - shrink
            if h < 1 or w < 1:
                raise ValueError(f"the input is too small for this U-Net: level {level} map would be {h}x{w}")
            rows.append(LayerRow(stage, f"Conv2d 3x3 {c}->{cout}" + (" +BN" if cfg.batch_norm else "") + " +ReLU",
                                 (cout, h, w), _conv_params(c, cout, 3, cfg.batch_norm)))
            c = cout
        if level < cfg.depth:
            skips.append((c, h, w))
            h, w = h // 2, w // 2
            rows.append(LayerRow(stage, "MaxPool2d 2x2", (c, h, w), 0))
    for level in reversed(range(cfg.depth)):
        cout = ch[level]
        h, w = 2 * h, 2 * w
        rows.append(LayerRow(f"decoder {level}", f"ConvTranspose2d 2x2 s2 {c}->{cout}", (cout, h, w),
                             c * cout * 4 + cout))
        sc, sh, sw = skips.pop()
        crop = "" if (sh, sw) == (h, w) else f" (skip cropped {sh}x{sw}->{h}x{w})"
        rows.append(LayerRow(f"decoder {level}", f"cat(skip {level}, up){crop}", (sc + cout, h, w), 0))
        c = sc + cout
        for _ in range(2):
            h, w = h - shrink, w - shrink
            rows.append(LayerRow(f"decoder {level}", f"Conv2d 3x3 {c}->{cout}" + (" +BN" if cfg.batch_norm else "")
                                 + " +ReLU", (cout, h, w), _conv_params(c, cout, 3, cfg.batch_norm)))
            c = cout
    rows.append(LayerRow("head", f"Conv2d 1x1 {c}->{cfg.num_classes}", (cfg.num_classes, h, w),
                         c * cfg.num_classes + cfg.num_classes))
    if (h, w) != (h0, w0) and cfg.padding:
        rows.append(LayerRow("output", "crop the padding back off", (cfg.num_classes, h0, w0), 0))
    return rows


def table_markdown(cfg: UNetConfig, h: int, w: int) -> str:
    """A Markdown table of :func:`layer_table` with totals and the conv-layer count."""
    rows = layer_table(cfg, h, w)
    convs = sum(1 for r in rows if r.layer.startswith(("Conv2d", "ConvTranspose2d")))
    total = sum(r.params for r in rows)
    lines = [f"**U-Net** depth {cfg.depth} ({cfg.depth + 1} levels), base {cfg.base}, "
             f"{'padded' if cfg.padding else 'valid'} convs{', BatchNorm' if cfg.batch_norm else ''}: "
             f"**{convs} conv layers**, **{total:,} parameters**; input {cfg.in_channels}x{h}x{w}.",
             "", "| stage | layer | output (C, H, W) | parameters |", "|---|---|---|---|"]
    lines += [f"| {r.stage} | {r.layer} | {r.out} | {r.params:,} |" for r in rows]
    return "\n".join(lines)
