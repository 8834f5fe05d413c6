"""Type checks for values that arrive from the UI or the API, with messages that name the setting.

Gradio passes what the client sent: a script can send ``None``, a list or a 1 MB string where a
number or a dropdown choice is expected. Each helper returns the clean value or raises
``ValueError`` naming the setting and the broken constraint, echoing at most
``limits.MAX_ECHO_CHARS`` characters of the input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from playground import limits


def echo(value: Any, n: int = limits.MAX_ECHO_CHARS) -> str:
    """``repr(value)`` cut to ``n`` characters (with the total length when cut)."""
    if value is None:
        return "nothing"
    text = repr(value) if not isinstance(value, str) else repr(value[: n + 1])
    if len(text) > n:
        total = f" ({len(value):,} characters)" if isinstance(value, str) else ""
        return text[:n] + "…" + total
    return text


def choice(value: Any, options: Sequence[str], name: str) -> str:
    """``value`` if it is one of ``options``; else ``ValueError`` listing them."""
    if isinstance(value, str) and value in options:
        return value
    shown = ", ".join(map(str, list(options)[:12])) + (", …" if len(options) > 12 else "")
    raise ValueError(f"{name} must be one of {shown}; got {echo(value)}")


def number(value: Any, name: str, lo: float | None = None, hi: float | None = None) -> float:
    """A finite real number in ``[lo, hi]``; text such as ``"3"`` is accepted."""
    if isinstance(value, bool) or value is None or isinstance(value, (list, tuple, dict)):
        raise ValueError(f"{name} must be a number; got {echo(value)}")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{name} must be a number; got {echo(value)}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number; got {echo(value)}")
    if lo is not None and x < lo:
        raise ValueError(f"{name} must be ≥ {lo:g}; got {x:g}")
    if hi is not None and x > hi:
        raise ValueError(f"{name} must be ≤ {hi:g}; got {x:g}")
    return x


def integer(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number in ``[lo, hi]`` (``3.0`` and ``"3"`` are accepted, ``3.5`` is not)."""
    x = number(value, name)
    if x != int(x):
        raise ValueError(f"{name} must be a whole number; got {x:g}")
    i = int(x)
    if lo is not None and i < lo:
        raise ValueError(f"{name} must be ≥ {lo}; got {i}")
    if hi is not None and i > hi:
        raise ValueError(f"{name} must be ≤ {hi:,}; got {i:,}")
    return i


def text(value: Any, name: str, max_chars: int = limits.MAX_CODE_CHARS) -> str:
    """A string of at most ``max_chars`` characters (``None`` becomes ``""``)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text; got {type(value).__name__} {echo(value)}")
    if len(value) > max_chars:
        raise ValueError(f"{name} is {len(value):,} characters long; the limit is {max_chars:,}")
    return value
