"""Plain-value validators of the arithmetic core: ints, pairs, bools, floats and dims.

They refuse bools where ints are expected, floats (even 3.0, with a hint), NaN and inf, values
below the minimum and above ``limits.MAX_DIM``, with messages like ``stride must be >= 1, got 0``.
"""

from __future__ import annotations

import math

from playground.limits import MAX_DIM

from .errors import ShapeError

Pair = tuple[int, int]


def check_int(name: str, value: object, minimum: int = 1, maximum: int = MAX_DIM) -> int:
    """An int in [minimum, maximum]; bools, floats, NaN and inf are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and not math.isfinite(value):
            raise ShapeError(f"{name} must be a finite integer, got {value}")
        if isinstance(value, float) and value.is_integer():
            raise ShapeError(f"{name} must be an integer, got the float {value}",
                             suggestion=f"use {name}={int(value)}")
        raise ShapeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ShapeError(f"{name} must be >= {minimum}, got {value}")
    if value > maximum:
        raise ShapeError(f"{name} must be <= {maximum:,}, got {value:,}")
    return value


def check_pair(name: str, value: object, minimum: int = 1) -> Pair:
    """An int or a 2-tuple/list of ints, each in [minimum, MAX_DIM], as a (H, W) tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ShapeError(f"{name} must be an int or a pair (h, w), got {len(value)} values")
        return (check_int(f"{name}[0]", value[0], minimum), check_int(f"{name}[1]", value[1], minimum))
    v = check_int(name, value, minimum)
    return (v, v)


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ShapeError(f"{name} must be True or False, got {value!r}")
    return value


def check_float(name: str, value: object, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ShapeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ShapeError(f"{name} must be finite, got {value}")
    if lo is not None and v < lo:
        raise ShapeError(f"{name} must be >= {lo}, got {value}")
    if hi is not None and v > hi:
        raise ShapeError(f"{name} must be <= {hi}, got {value}")
    return v


def check_dim(name: str, value: object) -> int:
    """A (possibly negative) dimension index."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError(f"{name} must be an integer dimension, got {value!r}")
    if abs(value) > 64:
        raise ShapeError(f"{name} must be a small dimension index, got {value}")
    return value


def divisor_hint(a: int, b: int, g: int) -> str:
    """Nearest groups that divide both channel counts."""
    common = [d for d in range(1, min(a, b, 4096) + 1) if a % d == 0 and b % d == 0]
    near = sorted(common, key=lambda d: (abs(d - g), d))[:3]
    return "use groups in {" + ", ".join(map(str, sorted(near))) + "}"
