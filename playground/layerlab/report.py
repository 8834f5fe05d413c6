"""The Paste-PyTorch answer as JSON-safe data and as the table the tab shows.

``/analyze`` returns ``arith.analyze(...).to_json()``. Huge inputs are computed symbolically, so a
total can exceed what JSON clients read exactly (JavaScript numbers are exact up to 2**53) or what
Gradio's encoder accepts (64-bit integers); :func:`json_safe` writes such integers as decimal
strings and non-finite floats as ``None``. :func:`table` accepts either form back (``/analyze_table``
takes the JSON from the client) and raises ``ValueError`` for anything that is not such an answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from playground import validate

__all__ = ["MAX_EXACT_INT", "json_safe", "count", "shape", "table"]

MAX_EXACT_INT = 2**53
"""Largest integer every JSON reader holds exactly; larger ones are sent as strings."""


def json_safe(value: Any) -> Any:
    """``value`` with ints beyond ±``MAX_EXACT_INT`` as strings, NaN/±inf as ``None``, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= MAX_EXACT_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return str(value)


def count(value: Any) -> str:
    """An integer count with thousands separators (also from its string form); "—" if missing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        raise ValueError(f"a count must be a whole number; got {validate.echo(value)}")
    if isinstance(value, str) and value.lstrip("-").isdigit() and len(value) <= 400:
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return f"{int(value):,}"
    raise ValueError(f"a count must be a whole number; got {validate.echo(value)}")


def shape(value: Any) -> str:
    """``(1, 3, 32, 32)`` from a list of sizes (ints or their strings); "—" when empty."""
    if not value:
        return "—"
    if not isinstance(value, (list, tuple)) or len(value) > 16:
        raise ValueError(f"a shape must be a short list of sizes; got {validate.echo(value)}")
    return "(" + ", ".join(count(v) for v in value) + ")"


def _label(value: Any) -> str:
    return value[:80] if isinstance(value, str) else validate.echo(value)


def _layer_row(ly: Any) -> list[str]:
    if not isinstance(ly, Mapping):
        raise ValueError(f"each layer must be an object; got {validate.echo(ly)}")
    rf = ly.get("receptive_field") or {}
    size = rf.get("size", []) if isinstance(rf, Mapping) else []
    rf_text = "×".join(count(v).replace(",", "") for v in size) if isinstance(size, (list, tuple)) else ""
    return [_label(ly["name"]), _label(ly["type"]), shape(ly["input_shape"]), shape(ly["output_shape"]),
            shape(ly.get("weight_shape")), count(ly["params"]), count(ly["macs"]), rf_text or "—"]


def table(report: Any) -> tuple[list[list[str]], str]:
    """(rows of the per-layer table, totals line) from an ``/analyze`` answer.

    ``None`` or an answer without layers gives ``([], "")``; anything else that is not such an
    answer raises ``ValueError`` saying what is wrong.
    """
    if report is None or (isinstance(report, Mapping) and "layers" not in report):
        return [], ""
    if not isinstance(report, Mapping):
        raise ValueError(f"the report must be the JSON object that /analyze returns; got "
                         f"{type(report).__name__} {validate.echo(report)}")
    layers = report["layers"]
    if not isinstance(layers, (list, tuple)):
        raise ValueError(f"the report's layers must be a list; got {validate.echo(layers)}")
    try:
        rows = [_layer_row(ly) for ly in layers]
        totals = (f"**Output** `{shape(report['output_shape'])}` · **parameters** "
                  f"{count(report['total_params'])} · **MACs** {count(report['total_macs'])}")
    except KeyError as exc:
        raise ValueError(f"the report lacks the field {validate.echo(exc.args[0])}: pass the JSON "
                         "that /analyze returns") from None
    return rows, totals
