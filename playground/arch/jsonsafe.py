"""Make an API answer safe for JSON (and for ``gr.JSON``, which serialises with ``orjson``).

Symbolic shapes can be astronomically large (``1×3×10⁹×10⁹`` gives 10²¹ MACs): ``orjson`` refuses
integers beyond 64 bits and JavaScript loses precision beyond 2⁵³, and JSON has no NaN or
infinity. :func:`json_safe` keeps every exact value a client can read back exactly and turns the
rest into strings, so nothing is rounded silently.
"""

from __future__ import annotations

import math
from typing import Any

MAX_SAFE_INT = 2**53 - 1
"""Largest integer a JavaScript (IEEE double) client reads back exactly (``Number.MAX_SAFE_INTEGER``)."""


def json_safe(value: Any) -> Any:
    """``value`` with ints beyond ±(2⁵³−1) as decimal strings and NaN/±inf as ``"nan"``/``"inf"``.

    Dicts, lists and tuples are copied recursively (tuples become lists); other values are
    returned unchanged.
    """
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -MAX_SAFE_INT <= value <= MAX_SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else
                                                   ("inf" if value > 0 else "-inf"))
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value
