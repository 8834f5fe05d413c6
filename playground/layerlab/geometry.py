"""Small shared helpers: validated (h, w) pairs and explicit padding amounts, as PyTorch does them.

``padding='same'`` pads a total of ``dilation·(kernel−1)`` per dimension, ``total // 2`` before and
the rest after (PyTorch's ``_conv_forward`` rule; only valid with stride 1). ``'valid'`` is 0.
"""

from __future__ import annotations

import math
from typing import Any

from playground import validate

__all__ = ["pair", "resolve_padding", "parse_padding", "conv_out", "pool_out"]

Pair = tuple[int, int]


def pair(v: Any, name: str, minimum: int = 1, maximum: int = 10**9) -> Pair:
    """``v`` as an ``(h, w)`` tuple of ints within ``[minimum, maximum]`` (ValueError otherwise)."""
    if isinstance(v, str):
        parts = [p for p in v.replace("×", ",").replace("x", ",").split(",") if p.strip()]
        v = tuple(parts) if len(parts) != 1 else parts[0]
    vals = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(vals) != 2:
        raise ValueError(f"{name} must be one number or two (h, w), got {validate.echo(v)}")
    out = []
    for x in vals:
        try:
            f = float(x)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, got {validate.echo(x)}") from None
        if math.isnan(f) or math.isinf(f) or f != int(f):
            raise ValueError(f"{name} must be a whole number, got {validate.echo(x)}")
        i = int(f)
        if not minimum <= i <= maximum:
            raise ValueError(f"{name} must be between {minimum} and {maximum}, got {i}")
        out.append(i)
    return out[0], out[1]


def resolve_padding(padding: Any, kernel: Pair, dilation: Pair = (1, 1), stride: Pair = (1, 1)
                    ) -> tuple[int, int, int, int]:
    """Explicit ``(top, bottom, left, right)`` padding for an int, a pair, ``'same'`` or ``'valid'``."""
    if isinstance(padding, str) and padding.strip().lower() in ("same", "valid"):
        if padding.strip().lower() == "valid":
            return 0, 0, 0, 0
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions "
                             f"(stride={stride}); use stride 1 or an explicit padding")
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        return th // 2, th - th // 2, tw // 2, tw - tw // 2
    ph, pw = pair(padding, "padding", minimum=0)
    return ph, ph, pw, pw


def parse_padding(text: Any) -> int | tuple[int, int] | str:
    """UI text → ``'same'``, ``'valid'``, an int, or an ``(h, w)`` pair (ValueError otherwise)."""
    if isinstance(text, str) and text.strip().lower() in ("same", "valid"):
        return text.strip().lower()
    ph, pw = pair(text, "padding", minimum=0)
    return ph if ph == pw else (ph, pw)


def conv_out(size: int, k: int, s: int, p_total: int, d: int) -> int:
    """``floor((size + p_total − d·(k−1) − 1) / s) + 1`` (PyTorch's Conv2d, with both sides' padding)."""
    return (size + p_total - d * (k - 1) - 1) // s + 1


def pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling size: ``floor_or_ceil((size + 2p − d(k−1) − 1)/s) + 1``, and with ceil_mode
    the last window must start inside the input or the left padding (else one fewer)."""
    num = size + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out
