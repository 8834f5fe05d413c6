"""Nearest valid values for an invalid layer setting ("use padding >= 1 or kernel_size <= 4").

The search changes one hyperparameter at a time (both dims together when the pair is square,
else the failing dim alone) and looks, in each direction, for the nearest value that makes the
layer valid on the given input: first exponential steps, then a binary search (the constraints are
monotone in each hyperparameter). Only integers, so this is a few dozen shape evaluations.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from playground.limits import MAX_DIM

from .errors import ShapeError
from .shapes import output_shape
from .specs import AvgPool2d, Conv2d, ConvTranspose2d, LayerSpec, MaxPool2d, MaxUnpool2d

# Fields worth changing for a shape error, in the order they are suggested.
CANDIDATES: dict[type, tuple[str, ...]] = {
    Conv2d: ("padding", "kernel_size", "dilation"),
    ConvTranspose2d: ("padding", "kernel_size", "stride", "output_padding", "dilation"),
    MaxPool2d: ("padding", "kernel_size", "dilation", "ceil_mode"),
    AvgPool2d: ("padding", "kernel_size", "ceil_mode"),
    MaxUnpool2d: ("padding", "kernel_size", "stride"),
}


def _valid(spec: LayerSpec, field: str, value: Any, shape: tuple[int, ...]) -> bool:
    try:
        output_shape(replace(spec, **{field: value}), shape)
    except (ShapeError, ValueError):
        return False
    return True


def _nearest(spec: LayerSpec, field: str, shape: tuple[int, ...], idx: int | None,
             direction: int) -> int | None:
    """Nearest valid integer value of spec.field (component idx, or both if None) in a direction."""
    cur = getattr(spec, field)
    base = cur[idx if idx is not None else 0]
    lo_bound = 0 if field in ("padding", "output_padding") else 1

    def make(v: int) -> Any:
        if idx is None:
            return (v, v)
        new = list(cur)
        new[idx] = v
        return tuple(new)

    def ok(v: int) -> bool:
        return lo_bound <= v <= MAX_DIM and _valid(spec, field, make(v), shape)

    step, last_bad, found = 1, base, None
    for _ in range(40):
        v = base + direction * step
        if v < lo_bound or v > MAX_DIM:
            v = lo_bound if direction < 0 else MAX_DIM
            found = v if ok(v) else None
            break
        if ok(v):
            found = v
            break
        last_bad, step = v, step * 2
    if found is None:
        return None
    bad, good = last_bad, found  # monotone: the valid value nearest to base borders last_bad
    while abs(good - bad) > 1:
        mid = (bad + good) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    return good


def suggest(spec: LayerSpec, shape: tuple[int, ...]) -> str | None:
    """'use padding >= 1 or kernel_size <= 4' for a spec that fails on ``shape``, or None."""
    fields_ = CANDIDATES.get(type(spec), ())
    names = {f.name for f in fields(spec)}  # type: ignore[arg-type]
    options: list[str] = []
    for field in fields_:
        if field not in names:
            continue
        cur = getattr(spec, field)
        if isinstance(cur, bool):
            if _valid(spec, field, not cur, shape):
                options.append(f"{field}={not cur}")
            continue
        if not isinstance(cur, tuple):
            continue
        targets: list[tuple[int | None, str]] = (
            [(None, field)] if cur[0] == cur[1] else [(0, f"{field}[0]"), (1, f"{field}[1]")])
        for idx, label in targets:
            for direction, sign in ((1, ">="), (-1, "<=")):
                v = _nearest(spec, field, shape, idx, direction)
                if v is not None:
                    options.append(f"{label} {sign} {v}")
                    break
        if len(options) >= 3:
            break
    if not options:
        return None
    return "use " + " or ".join(options[:3])
