"""Parse and validate the explorer's input shape: "224", "224x224", "3x224x224", "1,3,224,224".

Returns ``(N, C, H, W)``. Every dimension must be an integer ``>= 1`` and ``<= limits.MAX_DIM``;
``N·C·H·W <= limits.MAX_SYMBOLIC_ELEMENTS`` (traced on the meta device, never allocated).
"""

from __future__ import annotations

import re
from math import prod

from playground import limits
from playground.validate import echo

_SPLIT = re.compile(r"[x×*,\s()\[\]]+")


def parse_input_shape(value: object, default: tuple[int, int, int]) -> tuple[int, int, int, int]:
    """``(N, C, H, W)`` from a side, (H, W), (C, H, W) or (N, C, H, W); ``default`` is (C, H, W).

    A side or (H, W) takes the channel count from ``default``; ``None``/"" gives the default.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        dims = list(default)
    elif isinstance(value, str):
        parts = [p for p in _SPLIT.split(value.strip()) if p]
        dims = []
        for p in parts:
            try:
                dims.append(int(p))
            except ValueError:
                raise ValueError(f"input shape must be integers like 3x224x224, got {echo(value)}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        dims = [value]
    elif isinstance(value, (tuple, list)):
        dims = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int):
                if isinstance(v, float) and v.is_integer():
                    v = int(v)
                else:
                    raise ValueError(f"input shape must hold integers, got {echo(v)} in {echo(value)}")
            dims.append(v)
    else:
        raise ValueError(f"input shape must be text like 3x224x224 or a tuple, got {echo(value)}")
    if len(dims) == 1:
        dims = [1, default[0], dims[0], dims[0]]
    elif len(dims) == 2:
        dims = [1, default[0], *dims]
    elif len(dims) == 3:
        dims = [1, *dims]
    elif len(dims) != 4:
        raise ValueError(f"input shape needs 1 to 4 numbers (side, HxW, CxHxW or NxCxHxW), "
                         f"got {len(dims)}: {echo(value)}")
    for label, d in zip(("batch N", "channels C", "height H", "width W"), dims):
        if d < 1:
            raise ValueError(f"{label} must be >= 1, got {d}")
        if d > limits.MAX_DIM:
            raise ValueError(f"{label} must be <= {limits.MAX_DIM:,}, got {d:,}")
    if prod(dims) > limits.MAX_SYMBOLIC_ELEMENTS:
        raise ValueError(f"input has {prod(dims):,} elements; the limit is "
                         f"{limits.MAX_SYMBOLIC_ELEMENTS:,} (N·C·H·W)")
    return tuple(dims)  # type: ignore[return-value]
