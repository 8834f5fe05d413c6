"""The Layer Lab's live panel: raw control values → a layer spec → shape, formula, counts, code.

Everything is computed symbolically by :mod:`playground.arith` (a 100000×100000 input allocates
nothing). Invalid settings never raise here: :func:`summarize` returns the failing constraint and
the nearest valid values (``arith.explain_invalid``) in ``LabSummary.error``, and no value is ever
clamped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from playground import arith, limits, validate

__all__ = ["LAYER_TYPES", "CONTROLS", "RELEVANT", "LabSettings", "LabSummary", "as_int",
           "settings_from_values", "spec_kwargs", "summarize", "PADDING_MODES"]

LAYER_TYPES: tuple[str, ...] = ("Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
                                "AdaptiveAvgPool2d", "AdaptiveMaxPool2d")
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class LabSettings:
    """Raw values of the Layer Lab controls (as the UI sends them; validated by :func:`summarize`)."""

    layer: str = "Conv2d"
    n: Any = 1
    c: Any = 3
    h: Any = 32
    w: Any = 32
    out_channels: Any = 16
    kernel_h: Any = 3
    kernel_w: Any = 3
    stride_h: Any = 1
    stride_w: Any = 1
    padding: Any = "1"
    dilation_h: Any = 1
    dilation_w: Any = 1
    groups: Any = 1
    bias: bool = True
    padding_mode: str = "zeros"
    output_padding_h: Any = 0
    output_padding_w: Any = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: Any = 0
    output_size: Any = "7"


CONTROLS: tuple[str, ...] = tuple(f.name for f in fields(LabSettings))
"""Control names in the order the UI passes them to :func:`settings_from_values`."""

_COMMON = {"layer", "n", "c", "h", "w"}
RELEVANT: dict[str, frozenset[str]] = {
    "Conv2d": frozenset(_COMMON | {"out_channels", "kernel_h", "kernel_w", "stride_h", "stride_w",
                                   "padding", "dilation_h", "dilation_w", "groups", "bias",
                                   "padding_mode"}),
    "ConvTranspose2d": frozenset(_COMMON | {"out_channels", "kernel_h", "kernel_w", "stride_h",
                                            "stride_w", "padding", "dilation_h", "dilation_w",
                                            "groups", "bias", "output_padding_h", "output_padding_w"}),
    "MaxPool2d": frozenset(_COMMON | {"kernel_h", "kernel_w", "stride_h", "stride_w", "padding",
                                      "dilation_h", "dilation_w", "ceil_mode"}),
    "AvgPool2d": frozenset(_COMMON | {"kernel_h", "kernel_w", "stride_h", "stride_w", "padding",
                                      "ceil_mode", "count_include_pad", "divisor_override"}),
    "AdaptiveAvgPool2d": frozenset(_COMMON | {"output_size"}),
    "AdaptiveMaxPool2d": frozenset(_COMMON | {"output_size"}),
}
"""Which controls each layer type uses (the UI hides the others)."""


@dataclass(frozen=True)
class LabSummary:
    """What the live panel shows. ``error`` is "" when the settings are valid."""

    layer: str
    input_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    formula: tuple[str, ...] = ()
    weight_shape: tuple[int, ...] | None = None
    bias_shape: tuple[int, ...] | None = None
    params: int | None = None
    macs: int | None = None
    code: str = ""
    error: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.error


def as_int(v: Any, name: str) -> int:
    """A control value → int. Text, NaN, infinities and non-whole numbers raise a ValueError that
    names the control (ranges are checked by the arithmetic core, never clamped)."""
    if isinstance(v, bool):
        raise ValueError(f"{name} must be a whole number, got {validate.echo(v)}")
    if v is None or (isinstance(v, str) and not v.strip()):
        raise ValueError(f"{name} is empty: type a whole number")
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {validate.echo(v, 30)}") from None
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"{name} must be a finite whole number, got {validate.echo(v, 30)}")
    if f != int(f):
        raise ValueError(f"{name} must be a whole number, got {f:g}; use {math.floor(f)} or {math.ceil(f)}")
    return int(f)


def _pair(h: Any, w: Any, name: str) -> int | tuple[int, int]:
    a, b = as_int(h, f"{name} (h)"), as_int(w, f"{name} (w)")
    return a if a == b else (a, b)


def _padding(text: Any) -> int | tuple[int, int] | str:
    t = str(text if text is not None else "").strip().lower()
    if t in ("same", "valid", "'same'", "'valid'", '"same"', '"valid"'):
        return t.strip("'\"")
    parts = [p for p in t.replace("(", "").replace(")", "").replace(" ", ",").split(",") if p]
    if len(parts) == 1:
        return as_int(parts[0], "padding")
    if len(parts) == 2:
        return _pair(parts[0], parts[1], "padding")
    raise ValueError(f"padding must be a number, two numbers 'h, w', 'same' or 'valid'; got {str(text)[:30]!r}")


def _output_size(text: Any) -> int | tuple[int | None, int | None]:
    t = str(text if text is not None else "").strip()
    parts = [p.strip() for p in t.replace("(", "").replace(")", "").split(",") if p.strip()]
    if not parts or len(parts) > 2:
        raise ValueError(f"output_size must be one number or two 'h, w' (None keeps a side); got {t[:30]!r}")
    vals = [None if p.lower() == "none" else as_int(p, "output_size") for p in parts]
    if len(vals) == 1:
        if vals[0] is None:
            raise ValueError("output_size must be a number (None only inside a pair, e.g. None, 7)")
        return vals[0]
    return vals[0], vals[1]


def settings_from_values(*values: Any) -> LabSettings:
    """Build settings from control values given in ``CONTROLS`` order."""
    if len(values) != len(CONTROLS):
        raise ValueError(f"expected {len(CONTROLS)} control values, got {len(values)}")
    return LabSettings(*values)


def input_shape(s: LabSettings) -> tuple[int, int, int, int]:
    """``(N, C, H, W)`` with each entry a whole number in ``[1, MAX_DIM]`` (named in the error)."""
    out = []
    for v, name in ((s.n, "batch N"), (s.c, "channels C"), (s.h, "height H"), (s.w, "width W")):
        i = as_int(v, name)
        if not 1 <= i <= limits.MAX_DIM:
            raise ValueError(f"{name} must be between 1 and {limits.MAX_DIM:,}, got {i:,}")
        out.append(i)
    return out[0], out[1], out[2], out[3]


def spec_kwargs(s: LabSettings) -> dict[str, Any]:
    """The ``torch.nn`` constructor arguments of the chosen layer (ValueError on bad text)."""
    L = s.layer
    if L not in LAYER_TYPES:
        raise ValueError(f"layer type must be one of {', '.join(LAYER_TYPES)}, got {validate.echo(L)}")
    if L.startswith("Adaptive"):
        return {"output_size": _output_size(s.output_size)}
    kw: dict[str, Any] = {"kernel_size": _pair(s.kernel_h, s.kernel_w, "kernel size"),
                          "stride": _pair(s.stride_h, s.stride_w, "stride"),
                          "padding": _padding(s.padding)}
    if L in ("Conv2d", "ConvTranspose2d"):
        kw = {"in_channels": as_int(s.c, "channels C"), "out_channels": as_int(s.out_channels, "out channels"),
              **kw, "dilation": _pair(s.dilation_h, s.dilation_w, "dilation"),
              "groups": as_int(s.groups, "groups"), "bias": bool(s.bias)}
        if L == "Conv2d":
            kw["padding_mode"] = str(s.padding_mode)
        else:
            kw["output_padding"] = _pair(s.output_padding_h, s.output_padding_w, "output_padding")
    elif L == "MaxPool2d":
        kw.update(dilation=_pair(s.dilation_h, s.dilation_w, "dilation"), ceil_mode=bool(s.ceil_mode))
    else:
        div = as_int(s.divisor_override if s.divisor_override not in (None, "") else 0, "divisor_override")
        kw.update(ceil_mode=bool(s.ceil_mode), count_include_pad=bool(s.count_include_pad),
                  divisor_override=None if div == 0 else div)
    return kw


def build_spec(s: LabSettings) -> Any:
    """The validated ``arith`` spec for the settings (raises ValueError with the constraint)."""
    return getattr(arith, s.layer)(**spec_kwargs(s))


def summarize(s: LabSettings) -> LabSummary:
    """Shape, formula, weight/bias shapes, params, MACs and code — or the explanation of why the
    settings are invalid (``error``), with the nearest valid values when the core finds them."""
    try:
        shape = input_shape(s)
        kwargs = spec_kwargs(s)
    except ValueError as exc:
        return LabSummary(s.layer, error=str(exc))
    try:
        spec = getattr(arith, s.layer)(**kwargs)
        rep = arith.layer_report(spec, shape)
    except ValueError as exc:
        msg = None
        try:
            msg = arith.explain_invalid(kwargs, s.layer, shape)
        except ValueError as exc2:  # the explainer itself refused the values: its message is clear
            msg = str(exc2)
        text = msg or str(exc)
        hint = getattr(exc, "suggestion", None)
        if hint and hint not in text:
            text += f"; {hint}"
        return LabSummary(s.layer, input_shape=shape, error=text)
    return LabSummary(s.layer, input_shape=shape, output_shape=tuple(rep.output_shape),
                      formula=tuple(rep.formula), weight_shape=rep.weight_shape,
                      bias_shape=rep.bias_shape, params=rep.params, macs=rep.macs, code=rep.code,
                      notes=tuple(getattr(rep, "notes", ()) or ()))


def with_changes(s: LabSettings, **changes: Any) -> LabSettings:
    """A copy of ``s`` with some controls changed (used by the worked examples)."""
    return replace(s, **changes)
