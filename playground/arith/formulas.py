"""PyTorch's shape formulas with the user's numbers substituted step by step, and explanations of
invalid settings with the nearest valid values."""

from __future__ import annotations

from typing import Any

from .counts import bias_shape, macs, param_count, weight_shape
from .errors import ShapeError
from .shapes import (
    DIMS, conv_padding_lr, output_shape, pool_dim, softmax_dim, wrap_dim,
)
from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm2d, Conv2d,
    ConvTranspose2d, Dropout, Flatten, LayerSpec, Linear, MaxPool2d, MaxUnpool2d, PaddingMode,
)
from .suggest import suggest

SYM = ("H", "W")


def _q(num: int, den: int) -> str:
    """num/den as an exact decimal (up to 4 places)."""
    if num % den == 0:
        return str(num // den)
    return f"{num / den:.4f}".rstrip("0")


def _window_lines(i: int, n: int, k: int, s: int, p: int, d: int, ceil: bool | None,
                  has_dil: bool) -> list[str]:
    """Conv/pool lines for one dim; ceil is None for convolution."""
    o, c = SYM[i], "⌈" if ceil else "⌊"
    e = "⌉" if ceil else "⌋"
    dil = "dilation·(kernel_size − 1) − 1" if has_dil else "kernel_size"
    dil_n = f"{d}·({k} − 1) − 1" if has_dil else f"{k}"
    num = n + 2 * p - d * (k - 1) - 1
    lines = [
        f"{o}_out = {c}({o}_in + 2·padding − {dil}) / stride{e} + 1",
        f"{o}_out = {c}({n} + 2·{p} − {dil_n}) / {s}{e} + 1",
    ]
    val = -(-num // s) if ceil else num // s
    out = val + 1
    lines.append(f"{o}_out = {c}{num} / {s}{e} + 1 = {c}{_q(num, s)}{e} + 1 = {val} + 1 = {out}")
    if ceil:
        final = pool_dim(n, k, s, p, d, True)
        start = (out - 1) * s
        if final != out:
            lines.append(f"ceil_mode rule: the last window would start at ({out} − 1)·{s} = {start} "
                         f"≥ {o}_in + padding = {n + p}, outside the input → {o}_out = {final}")
        else:
            lines.append(f"ceil_mode rule: the last window starts at ({out} − 1)·{s} = {start} "
                         f"< {o}_in + padding = {n + p}, inside → keep {o}_out = {final}")
        out = final
    if out < 1:
        lines.append(f"✗ output {DIMS[i]} would be {out} (must be >= 1)")
    return lines


def _conv(spec: Conv2d, shape: tuple[int, ...]) -> list[str]:
    lines = []
    pads = conv_padding_lr(spec)
    if spec.padding == "same":
        for i in range(2):
            k, d = spec.kernel_size[i], spec.dilation[i]
            lo, hi = pads[i]
            side = ("top", "bottom") if i == 0 else ("left", "right")
            lines.append(f"padding='same': {SYM[i]} padded by dilation·(kernel_size − 1) = {d}·({k} − 1) = "
                         f"{lo + hi} ({lo} {side[0]}, {hi} {side[1]}) → {SYM[i]}_out = {SYM[i]}_in = {shape[-2 + i]}")
    else:
        if spec.padding == "valid":
            lines.append("padding='valid' means padding = 0")
        for i in range(2):
            lines += _window_lines(i, shape[-2 + i], spec.kernel_size[i], spec.stride[i], pads[i][0],
                                   spec.dilation[i], None, True)
    if spec.padding_mode != PaddingMode.ZEROS:
        lines.append(f"padding_mode='{PaddingMode(spec.padding_mode).value}': the border is filled by "
                     f"F.pad(mode='{PaddingMode(spec.padding_mode).value}') instead of zeros")
    lines.append(f"C_out = out_channels = {spec.out_channels}")
    return lines


def _conv_t(spec: ConvTranspose2d, shape: tuple[int, ...]) -> list[str]:
    lines = []
    for i in range(2):
        n, k, s, p = shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.padding[i]
        d, op, o = spec.dilation[i], spec.output_padding[i], SYM[i]
        out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        lines += [
            f"{o}_out = ({o}_in − 1)·stride − 2·padding + dilation·(kernel_size − 1) + output_padding + 1",
            f"{o}_out = ({n} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1",
            f"{o}_out = {(n - 1) * s} − {2 * p} + {d * (k - 1)} + {op} + 1 = {out}",
        ]
        if out < 1:
            lines.append(f"✗ output {DIMS[i]} would be {out} (must be >= 1)")
    lines.append(f"C_out = out_channels = {spec.out_channels}")
    return lines


def _adaptive(spec: AdaptiveAvgPool2d | AdaptiveMaxPool2d, shape: tuple[int, ...]) -> list[str]:
    lines = []
    for i in range(2):
        n = shape[-2 + i]
        o = spec.output_size if isinstance(spec.output_size, int) else spec.output_size[i]
        out = n if o is None else o
        src = f"None keeps {SYM[i]}_in = {n}" if o is None else f"output_size = {o}"
        lines.append(f"{SYM[i]}_out = {src}; window j spans [⌊j·{n}/{out}⌋, ⌈(j+1)·{n}/{out}⌉)")
    return lines


def _unpool(spec: MaxUnpool2d, shape: tuple[int, ...]) -> list[str]:
    lines = []
    for i in range(2):
        n, k, s, p, o = shape[-2 + i], spec.kernel_size[i], spec.stride[i], spec.padding[i], SYM[i]
        out = (n - 1) * s - 2 * p + k
        lines += [f"{o}_out = ({o}_in − 1)·stride − 2·padding + kernel_size",
                  f"{o}_out = ({n} − 1)·{s} − 2·{p} + {k} = {out}"]
        if out < 1:
            lines.append(f"✗ output {DIMS[i]} would be {out} (must be >= 1)")
    return lines


def _counts(spec: LayerSpec, shape: tuple[int, ...], out: tuple[int, ...]) -> list[str]:
    lines = []
    w, b = weight_shape(spec), bias_shape(spec)
    if w is not None:
        terms = "·".join(map(str, w)) + (f" + {b[0]}" if b else "")
        lines.append(f"params = weight {w} + bias {b} = {terms} = {param_count(spec):,}"
                     if b else f"params = weight {w} = {terms} = {param_count(spec):,}")
    m = macs(spec, shape, out)
    if isinstance(spec, Conv2d):
        n = "·".join(map(str, shape[:-3])) or "1"
        lines.append(f"MACs = N·C_out·H_out·W_out·(C_in/groups)·k_h·k_w = {n}·{out[-3]}·{out[-2]}·"
                     f"{out[-1]}·{spec.in_channels // spec.groups}·{spec.kernel_size[0]}·"
                     f"{spec.kernel_size[1]} = {m:,}")
    elif isinstance(spec, ConvTranspose2d):
        n = "·".join(map(str, shape[:-3])) or "1"
        lines.append(f"MACs = N·C_in·H_in·W_in·(C_out/groups)·k_h·k_w = {n}·{shape[-3]}·{shape[-2]}·"
                     f"{shape[-1]}·{spec.out_channels // spec.groups}·{spec.kernel_size[0]}·"
                     f"{spec.kernel_size[1]} = {m:,}")
    elif isinstance(spec, Linear):
        lead = "·".join(map(str, shape[:-1])) or "1"
        lines.append(f"MACs = (leading dims)·in_features·out_features = {lead}·{spec.in_features}·"
                     f"{spec.out_features} = {m:,}")
    return lines


def formula_steps(spec: LayerSpec, input_shape: Any) -> list[str]:
    """PyTorch's formula with the numbers of ``spec`` and ``input_shape`` substituted step by step
    (floor/ceil included, one block per spatial dim), then params and MACs. Never raises for an
    invalid combination: the failing step is marked with ✗ and the reason."""
    from .analyze import parse_shape

    shape = parse_shape(input_shape)
    spatial = len(shape) in (3, 4)
    lines: list[str] = []
    if isinstance(spec, Conv2d) and spatial:
        lines = _conv(spec, shape)
    elif isinstance(spec, ConvTranspose2d) and spatial:
        lines = _conv_t(spec, shape)
    elif isinstance(spec, (MaxPool2d, AvgPool2d)) and spatial:
        is_max = isinstance(spec, MaxPool2d)
        dil = spec.dilation if is_max else (1, 1)  # type: ignore[union-attr]
        for i in range(2):
            lines += _window_lines(i, shape[-2 + i], spec.kernel_size[i], spec.stride[i],
                                   spec.padding[i], dil[i], spec.ceil_mode, is_max)
    elif isinstance(spec, (AdaptiveAvgPool2d, AdaptiveMaxPool2d)) and spatial:
        lines = _adaptive(spec, shape)
    elif isinstance(spec, MaxUnpool2d) and spatial:
        lines = _unpool(spec, shape)
    elif isinstance(spec, Linear):
        lines = [f"Linear acts on the last dim: (*, in_features={spec.in_features}) → "
                 f"(*, out_features={spec.out_features})"]
    elif isinstance(spec, Flatten):
        try:
            s = wrap_dim(spec.start_dim, len(shape), "start_dim")
            e = wrap_dim(spec.end_dim, len(shape), "end_dim")
            if s <= e:
                lines = [f"Flatten dims {s}..{e}: " + "·".join(map(str, shape[s:e + 1]))
                         + f" = {_prod(shape[s:e + 1]):,}"]
        except ShapeError:
            pass
    elif isinstance(spec, BatchNorm2d):
        lines = ["shape unchanged: each channel is normalised, y = γ·(x − mean)/√(var + eps) + β"]
        if not spec.affine:
            lines.append("affine=False: no γ, β parameters")
        lines.append("running_mean/running_var are buffers, not parameters")
    elif isinstance(spec, Dropout):
        lines = [f"shape unchanged: in training each value is zeroed with p = {spec.p} and the rest "
                 f"scaled by 1/(1 − p)"]
    elif isinstance(spec, Activation):
        if spec.kind == ActKind.SOFTMAX:
            try:
                d = softmax_dim(spec, len(shape))
                lines = [f"shape unchanged: softmax along dim {d} (size {shape[d]}), each slice sums to 1"]
            except ShapeError:
                pass
        else:
            lines = [f"shape unchanged: {ActKind(spec.kind).value} is applied element-wise"]
    try:
        out = output_shape(spec, shape)
    except ShapeError as err:
        if not any(line.startswith("✗") for line in lines):
            lines.append(f"✗ {err.reason}")
        return lines
    lines.append(f"output shape: {shape} → {out}")
    return lines + _counts(spec, shape, out)


def _prod(xs: tuple[int, ...]) -> int:
    p = 1
    for x in xs:
        p *= x
    return p


def explain_invalid(spec_kwargs: dict, layer_type: str, input_shape: Any) -> str | None:
    """None if ``layer_type(**spec_kwargs)`` is valid on ``input_shape``; otherwise the failing
    constraint and the nearest valid values, e.g. "output height would be 0 (must be >= 1): ...;
    use padding >= 1 or kernel_size <= 4"."""
    from .analyze import parse_shape
    from .parse import LAYERS

    name = layer_type.removeprefix("nn.").removeprefix("torch.nn.")
    if name not in LAYERS:
        return f"unknown layer type {layer_type!r}; supported: {', '.join(LAYERS)}"
    factory, params = LAYERS[name]
    unknown = [k for k in spec_kwargs if k not in params]
    if unknown:
        return f"nn.{name}() got an unexpected keyword argument '{unknown[0]}'"
    try:
        spec = factory(**spec_kwargs)
    except ShapeError as e:
        return str(e)
    except TypeError as e:
        return f"nn.{name}(): {str(e).split('() ')[-1]}"
    try:
        shape = parse_shape(input_shape)
    except ShapeError as e:
        return str(e)
    try:
        output_shape(spec, shape)
    except ShapeError as e:
        hint = e.suggestion or suggest(spec, shape)
        return f"{e.reason}; {hint}" if hint else e.reason
    return None
