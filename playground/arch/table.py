"""Per-layer table of any registry architecture at any input size, computed symbolically.

The model (built on the ``meta`` device, see :mod:`playground.arch.zoo`) runs once on a meta
input with forward (pre-)hooks on every module: shapes are exact, nothing is allocated, so
10⁶×10⁶ costs the same as 224×224. One row per call of a leaf module (a module called twice,
like ResNet's shared ``relu``, gives two rows; its parameters count once).

Per row (formulas):

- **MACs** (multiply-accumulates, batch included; equal to
  ``torch.utils.flop_counter.FlopCounterMode`` total ÷ 2, which counts conv and matmul only;
  counted where ``conv2d``/``conv_transpose2d``/``linear`` are called, so a custom module that
  calls ``F.conv2d`` is counted too):
  ``Conv2d``: ``N·C_out·H_out·W_out · (C_in/groups)·k_h·k_w``;
  ``ConvTranspose2d``: ``N·C_in·H_in·W_in · (C_out/groups)·k_h·k_w``;
  ``Linear``: ``(numel(x)/in_features) · in_features · out_features``; every other layer: 0.
- **Receptive field so far** (input pixels that can influence one output pixel), with the jump
  ``j`` (distance in input pixels between neighbouring outputs):
  ``r_out = r_in + (k − 1)·d·j_in``, ``j_out = j_in·s`` for conv/pool;
  transposed conv: ``r_out = r_in + (⌈k/s⌉ − 1)·j_in``, ``j_out = j_in/s``;
  adaptive pool: ``k`` = largest bin, ``j_out = j_in·H_in/H_out``; ``Linear`` sees everything
  ("all"). Merges (residual add, Inception/U-Net concat) take the larger field of their inputs;
  this is tracked through every torch function by a ``TorchFunctionMode``.
- **Activation memory**: the output tensor in fp32, ``4·numel`` bytes (in-place ReLU shares its
  input's storage, but is listed like any other output, as torchinfo does).

Rows carry ``block``/``sub`` ids and blocks carry depth, so the UI can collapse a VGG stage, a
ResNet BasicBlock/Bottleneck (with its ``downsample`` projection as a sub-block) or an Inception
module (its four branches as sub-blocks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache
from math import prod

from torch import nn

from playground.arch import zoo
from playground.arch.jsonsafe import json_safe
from playground.arch.shapes import parse_input_shape
from playground.arch.trace import POOLS, Call, fmt, geometry, trace

BLOCK_TYPES = frozenset({"BasicBlock", "Bottleneck", "Inception", "InceptionAux", "DoubleConv"})
BYTES_PER_ELEMENT = 4  # fp32


@dataclass(frozen=True)
class Row:
    """One call of a leaf module."""

    index: int
    name: str
    type: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    kernel: tuple[int, ...] | None
    stride: tuple[int, ...] | None
    padding: tuple[int, ...] | str | None
    params: int
    macs: int
    rf: tuple[int, int] | None  # None: the whole input
    jump: tuple[str, str] | None
    act_bytes: int
    block: str
    sub: str


@dataclass(frozen=True)
class Block:
    """A group of consecutive rows (depth 1) or a branch inside one (depth 2)."""

    id: str
    type: str
    depth: int
    parent: str
    first: int
    last: int
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    act_bytes: int
    rf: tuple[int, int] | None
    summary: str


@dataclass(frozen=True)
class ArchTable:
    """Rows, blocks and totals of one architecture at one input shape."""

    name: str
    title: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    rows: tuple[Row, ...]
    blocks: tuple[Block, ...]
    total_params: int
    total_macs: int
    total_act_bytes: int
    input_bytes: int

    def to_json(self) -> dict:
        """JSON-ready dict: ``rows``, ``blocks`` and totals (Python ints, exact; beyond 2⁵³ as
        decimal strings, see :func:`playground.arch.jsonsafe.json_safe`)."""
        return json_safe({
            "name": self.name, "title": self.title, "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "rows": [_jsonable(asdict(r)) for r in self.rows],
            "blocks": [_jsonable(asdict(b)) for b in self.blocks],
            "total_params": self.total_params, "total_macs": self.total_macs,
            "total_act_bytes": self.total_act_bytes, "input_bytes": self.input_bytes,
            "receptive_field": list(self.rows[-1].rf) if self.rows and self.rows[-1].rf else "all",
        })


def _jsonable(d: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


# ---------------------------------------------------------------------------------------------
# grouping into blocks
def _block_path(name: str, model: nn.Module, info: zoo.ArchInfo) -> tuple[str, str] | None:
    parts = name.split(".")
    for i in range(1, len(parts)):
        prefix = ".".join(parts[:i])
        if type(model.get_submodule(prefix)).__name__ in BLOCK_TYPES:
            child = parts[i] if i < len(parts) - 1 else ""
            sub = f"{prefix}.{child}" if child.startswith(("branch", "downsample")) else ""
            return prefix, sub
    return None


def _group(calls: list[Call], model: nn.Module, info: zoo.ArchInfo) -> list[tuple[str, str]]:
    groups = dict(info.groups)
    out: list[tuple[str, str]] = []
    stage: dict[str, int] = {}
    tail: set[str] = set()
    for c in calls:
        path = _block_path(c.name, model, info)
        if path is not None:
            out.append(path)
            continue
        top = c.name.split(".")[0]
        if top in groups:
            out.append((groups[top], ""))
        elif "." in c.name and isinstance(model.get_submodule(top), nn.Sequential) and any(
                isinstance(m, POOLS) for m in model.get_submodule(top).children()):
            if isinstance(c.module, (nn.Linear, nn.Flatten)) or top in tail:
                tail.add(top)
                out.append((f"{top}.classifier", ""))
            else:
                k = stage.setdefault(top, 1)
                out.append((f"{top}.stage{k}", ""))
                if isinstance(c.module, POOLS):
                    stage[top] = k + 1
        elif isinstance(model.get_submodule(top), (nn.ModuleList, nn.Sequential)) and all(
                next(ch.children(), None) is not None for ch in model.get_submodule(top).children()):
            out.append((".".join(c.name.split(".")[:2]), ""))
        else:
            out.append((top, ""))
    return out


def _contiguous(groups: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Give a group id that comes back after another group a ``#k`` suffix (blocks are runs)."""
    seen: dict[str, int] = {}
    out, prev, cur = [], None, ""
    for block, sub in groups:
        if block != prev:
            seen[block] = seen.get(block, 0) + 1
            cur = block if seen[block] == 1 else f"{block} #{seen[block]}"
            prev = block
        out.append((cur, sub if cur == block else (f"{sub} #{seen[block]}" if sub else "")))
    return out


def _summary(rows: list[Row], out_shape: tuple) -> str:
    convs = [r for r in rows if r.kernel is not None and "Pool" not in r.type]
    lin = [r for r in rows if r.type == "Linear"]
    parts = []
    if convs:
        ks = sorted({"×".join(map(str, r.kernel)) for r in convs if r.kernel})
        parts.append(f"{len(convs)} conv ({', '.join(ks)})")
    if lin:
        parts.append(f"{len(lin)} linear")
    pools = sum(r.type.endswith("Pool2d") for r in rows)
    if pools:
        parts.append(f"{pools} pool")
    body = "; ".join(parts) or ", ".join(sorted({r.type for r in rows}))
    return f"{body} → {fmt(out_shape[1:])}"


def _blocks(rows: list[Row], containers: dict[str, tuple], model: nn.Module) -> list[Block]:
    spans: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        spans.setdefault((r.block, ""), []).append(r.index)
        if r.sub:
            spans.setdefault((r.block, r.sub), []).append(r.index)
    blocks = []
    for (bid, sub), idx in spans.items():
        rs = [rows[i] for i in idx]
        key = sub or bid
        try:
            typ = type(model.get_submodule(key)).__name__
        except AttributeError:
            typ = rs[0].type if len(rs) == 1 else ("stage" if ".stage" in key else "group")
        out_shape = containers.get(key, rs[-1].output_shape)
        blocks.append(Block(
            id=key, type=typ, depth=2 if sub else 1, parent=bid if sub else "",
            first=idx[0], last=idx[-1], input_shape=rs[0].input_shape, output_shape=out_shape,
            params=sum(r.params for r in rs), macs=sum(r.macs for r in rs),
            act_bytes=sum(r.act_bytes for r in rs), rf=_max_rf(rs), summary=_summary(rs, out_shape)))
    blocks.sort(key=lambda b: (b.first, b.depth))
    return blocks


def _max_rf(rows: list[Row]) -> tuple[int, int] | None:
    if any(r.rf is None for r in rows):
        return None
    return (max(r.rf[0] for r in rows), max(r.rf[1] for r in rows))  # type: ignore[index]


def _jump(j: object) -> str:
    f = Fraction(j)  # type: ignore[arg-type]
    return str(f.numerator) if f.denominator == 1 else f"{float(f):.4g}"


@lru_cache(maxsize=256)
def _table(name: str, shape: tuple[int, ...]) -> ArchTable:
    info = zoo.get(name)
    model = zoo.meta_model(name)
    calls, containers, out_shape = trace(name, shape)
    groups = _group(calls, model, info)
    groups = _contiguous(groups)
    counts: dict[str, int] = {}
    rows: list[Row] = []
    for i, (c, (block, sub)) in enumerate(zip(calls, groups)):
        counts[c.name] = counts.get(c.name, 0) + 1
        label = c.name if counts[c.name] == 1 else f"{c.name} #{counts[c.name]}"
        kernel, stride, padding = geometry(c.module, c.geo)
        rows.append(Row(
            index=i, name=label, type=type(c.module).__name__, input_shape=tuple(c.x.shape),
            output_shape=tuple(c.y.shape), kernel=kernel, stride=stride, padding=padding,
            params=c.params, macs=c.macs,
            rf=None if c.rf is None else (int(c.rf[0]), int(c.rf[1])),
            jump=None if c.rf is None else (_jump(c.rf[2]), _jump(c.rf[3])),
            act_bytes=BYTES_PER_ELEMENT * c.y.numel(), block=block, sub=sub))
    total_params = sum(p.numel() for p in model.parameters())
    if sum(r.params for r in rows) != total_params:  # parameters of modules never called
        raise ValueError(f"{name}: parameters of modules not called in forward are not listed")
    return ArchTable(
        name=name, title=info.title, input_shape=shape, output_shape=out_shape, rows=tuple(rows),
        blocks=tuple(_blocks(rows, containers, model)), total_params=total_params,
        total_macs=sum(r.macs for r in rows), total_act_bytes=sum(r.act_bytes for r in rows),
        input_bytes=BYTES_PER_ELEMENT * prod(shape))


@lru_cache(maxsize=256)
def _table_json(name: str, shape: tuple[int, ...]) -> dict:
    return _table(name, shape).to_json()


def architecture_json(name: str, input_shape: object = None) -> dict:
    """``architecture_table(...).to_json()``, cached too (treat the dict as read-only)."""
    info = zoo.get(name)
    return _table_json(info.key, parse_input_shape(input_shape, info.default_shape))


def architecture_table(name: str, input_shape: object = None) -> ArchTable:
    """Table of ``name`` at ``input_shape`` (None: its default; "224", "3x224x224", (1,3,224,224)).

    Raises ``ValueError`` for an unknown name, an invalid or absurd shape (beyond
    ``limits.MAX_DIM`` per side or ``limits.MAX_SYMBOLIC_ELEMENTS`` in all), or an input the
    network cannot take, naming the layer where the size collapses. Cached per (name, shape).
    """
    info = zoo.get(name)
    shape = parse_input_shape(input_shape, info.default_shape)
    return _table(info.key, shape)


__all__ = ["ArchTable", "Block", "Row", "architecture_json", "architecture_table"]
