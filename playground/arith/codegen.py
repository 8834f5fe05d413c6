"""PyTorch code for a spec (``to_code``, accepted back by ``parse_network``), and conversion to and
from real ``torch.nn`` modules (torch is imported only inside ``to_torch``/``from_torch``)."""

from __future__ import annotations

from typing import Any

from .specs import (
    ActKind, Activation, AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm2d, Conv2d,
    ConvTranspose2d, Dropout, Flatten, LayerSpec, Linear, MaxPool2d, MaxUnpool2d, PaddingMode,
    type_name,
)


class _Raw(tuple):
    """A tuple printed as a tuple even when both entries are equal (output_size)."""


def _fmt(v: Any) -> str:
    if isinstance(v, _Raw):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    if isinstance(v, tuple):
        if len(v) == 2 and v[0] == v[1] and v[0] is not None:
            return _fmt(v[0])
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    if isinstance(v, PaddingMode):
        return repr(v.value)
    return repr(v)


def _call(name: str, pos: list[Any], kw: list[tuple[str, Any, Any]]) -> str:
    """``nn.name(pos..., key=value...)``; keywords equal to their default are left out."""
    parts = [_fmt(p) for p in pos]
    for key, value, default in kw:
        if _fmt(value) != _fmt(default):
            parts.append(f"{key}={_fmt(value)}")
    return f"nn.{name}(" + ", ".join(parts) + ")"


def to_code(spec: LayerSpec) -> str:
    """The ``torch.nn`` constructor call for ``spec``, e.g. ``nn.Conv2d(3, 96, kernel_size=11, stride=4)``."""
    if isinstance(spec, Conv2d):
        return _call("Conv2d", [spec.in_channels, spec.out_channels], [
            ("kernel_size", spec.kernel_size, None), ("stride", spec.stride, 1),
            ("padding", spec.padding, 0), ("dilation", spec.dilation, 1), ("groups", spec.groups, 1),
            ("bias", spec.bias, True), ("padding_mode", spec.padding_mode, PaddingMode.ZEROS)])
    if isinstance(spec, ConvTranspose2d):
        return _call("ConvTranspose2d", [spec.in_channels, spec.out_channels], [
            ("kernel_size", spec.kernel_size, None), ("stride", spec.stride, 1),
            ("padding", spec.padding, 0), ("output_padding", spec.output_padding, 0),
            ("groups", spec.groups, 1), ("bias", spec.bias, True), ("dilation", spec.dilation, 1)])
    if isinstance(spec, MaxPool2d):
        return _call("MaxPool2d", [], [
            ("kernel_size", spec.kernel_size, None), ("stride", spec.stride, None),
            ("padding", spec.padding, 0), ("dilation", spec.dilation, 1),
            ("return_indices", spec.return_indices, False), ("ceil_mode", spec.ceil_mode, False)])
    if isinstance(spec, AvgPool2d):
        return _call("AvgPool2d", [], [
            ("kernel_size", spec.kernel_size, None), ("stride", spec.stride, None),
            ("padding", spec.padding, 0), ("ceil_mode", spec.ceil_mode, False),
            ("count_include_pad", spec.count_include_pad, True),
            ("divisor_override", spec.divisor_override, None)])
    if isinstance(spec, AdaptiveAvgPool2d):
        return _call("AdaptiveAvgPool2d", [_raw(spec.output_size)], [])
    if isinstance(spec, AdaptiveMaxPool2d):
        return _call("AdaptiveMaxPool2d", [_raw(spec.output_size)],
                     [("return_indices", spec.return_indices, False)])
    if isinstance(spec, MaxUnpool2d):
        return _call("MaxUnpool2d", [], [
            ("kernel_size", spec.kernel_size, None), ("stride", spec.stride, None),
            ("padding", spec.padding, 0)])
    if isinstance(spec, Linear):
        return _call("Linear", [spec.in_features, spec.out_features], [("bias", spec.bias, True)])
    if isinstance(spec, Flatten):
        return _call("Flatten", [], [("start_dim", spec.start_dim, 1), ("end_dim", spec.end_dim, -1)])
    if isinstance(spec, Dropout):
        return _call("Dropout", [], [("p", spec.p, None), ("inplace", spec.inplace, False)])
    if isinstance(spec, BatchNorm2d):
        return _call("BatchNorm2d", [spec.num_features], [
            ("eps", spec.eps, 1e-5), ("momentum", spec.momentum, 0.1), ("affine", spec.affine, True),
            ("track_running_stats", spec.track_running_stats, True)])
    if isinstance(spec, Activation):
        kind = ActKind(spec.kind)
        kw: list[tuple[str, Any, Any]] = []
        if kind == ActKind.LEAKY_RELU:
            kw = [("negative_slope", spec.negative_slope, 0.01), ("inplace", spec.inplace, False)]
        elif kind == ActKind.RELU:
            kw = [("inplace", spec.inplace, False)]
        elif kind == ActKind.SOFTMAX:
            kw = [("dim", spec.dim, None)]
        elif kind == ActKind.GELU:
            kw = [("approximate", spec.approximate, "none")]
        return _call(kind.value, [], kw)
    raise ValueError(f"unsupported layer spec {type(spec).__name__}")


def to_sequential_code(specs: list[tuple[str, LayerSpec]] | list[LayerSpec]) -> str:
    """``nn.Sequential(...)`` text for several layers (the OrderedDict form if names are not 0..n-1)."""
    items = [s if isinstance(s, tuple) else (str(i), s) for i, s in enumerate(specs)]
    if all(name == str(i) for i, (name, _) in enumerate(items)):
        body = ",\n".join(f"    {to_code(s)}" for _, s in items)
        return f"nn.Sequential(\n{body},\n)"
    body = ",\n".join(f"    ({name!r}, {to_code(s)})" for name, s in items)
    return f"nn.Sequential(OrderedDict([\n{body},\n]))"


def to_torch(spec: LayerSpec):
    """The real ``torch.nn`` module for ``spec``."""
    from torch import nn

    if isinstance(spec, Conv2d):
        return nn.Conv2d(spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride,
                         spec.padding, spec.dilation, spec.groups, spec.bias,
                         PaddingMode(spec.padding_mode).value)
    if isinstance(spec, ConvTranspose2d):
        return nn.ConvTranspose2d(spec.in_channels, spec.out_channels, spec.kernel_size, spec.stride,
                                  spec.padding, spec.output_padding, spec.groups, spec.bias,
                                  spec.dilation)
    if isinstance(spec, MaxPool2d):
        return nn.MaxPool2d(spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                            spec.return_indices, spec.ceil_mode)
    if isinstance(spec, AvgPool2d):
        return nn.AvgPool2d(spec.kernel_size, spec.stride, spec.padding, spec.ceil_mode,
                            spec.count_include_pad, spec.divisor_override)
    if isinstance(spec, AdaptiveAvgPool2d):
        return nn.AdaptiveAvgPool2d(spec.output_size)
    if isinstance(spec, AdaptiveMaxPool2d):
        return nn.AdaptiveMaxPool2d(spec.output_size, spec.return_indices)
    if isinstance(spec, MaxUnpool2d):
        return nn.MaxUnpool2d(spec.kernel_size, spec.stride, spec.padding)
    if isinstance(spec, Linear):
        return nn.Linear(spec.in_features, spec.out_features, spec.bias)
    if isinstance(spec, Flatten):
        return nn.Flatten(spec.start_dim, spec.end_dim)
    if isinstance(spec, Dropout):
        return nn.Dropout(spec.p, spec.inplace)
    if isinstance(spec, BatchNorm2d):
        return nn.BatchNorm2d(spec.num_features, spec.eps, spec.momentum, spec.affine,
                              spec.track_running_stats)
    if isinstance(spec, Activation):
        kind = ActKind(spec.kind)
        if kind == ActKind.RELU:
            return nn.ReLU(spec.inplace)
        if kind == ActKind.LEAKY_RELU:
            return nn.LeakyReLU(spec.negative_slope, spec.inplace)
        if kind == ActKind.SOFTMAX:
            return nn.Softmax(spec.dim)
        if kind == ActKind.GELU:
            return nn.GELU(spec.approximate)
        return nn.Sigmoid() if kind == ActKind.SIGMOID else nn.Tanh()
    raise ValueError(f"unsupported layer spec {type_name(spec)}")


def from_torch(module) -> LayerSpec | None:
    """The spec of a ``torch.nn`` module, or None if its type is not supported."""
    from torch import nn

    m = module
    if type(m) is nn.Conv2d:
        return Conv2d(m.in_channels, m.out_channels, tuple(m.kernel_size), tuple(m.stride),
                      m.padding if isinstance(m.padding, str) else tuple(m.padding),
                      tuple(m.dilation), m.groups, m.bias is not None, m.padding_mode)
    if type(m) is nn.ConvTranspose2d:
        return ConvTranspose2d(m.in_channels, m.out_channels, tuple(m.kernel_size), tuple(m.stride),
                               tuple(m.padding), tuple(m.output_padding), m.groups,
                               m.bias is not None, tuple(m.dilation))
    if type(m) is nn.MaxPool2d:
        return MaxPool2d(_t(m.kernel_size), _t(m.stride), _t(m.padding), _t(m.dilation),
                         m.return_indices, m.ceil_mode)
    if type(m) is nn.AvgPool2d:
        return AvgPool2d(_t(m.kernel_size), _t(m.stride), _t(m.padding), m.ceil_mode,
                         m.count_include_pad, m.divisor_override)
    if type(m) is nn.AdaptiveAvgPool2d:
        return AdaptiveAvgPool2d(_t(m.output_size))
    if type(m) is nn.AdaptiveMaxPool2d:
        return AdaptiveMaxPool2d(_t(m.output_size), m.return_indices)
    if type(m) is nn.MaxUnpool2d:
        return MaxUnpool2d(_t(m.kernel_size), _t(m.stride), _t(m.padding))
    if type(m) is nn.Linear:
        return Linear(m.in_features, m.out_features, m.bias is not None)
    if type(m) is nn.Flatten:
        return Flatten(m.start_dim, m.end_dim)
    if type(m) is nn.Dropout:
        return Dropout(m.p, m.inplace)
    if type(m) is nn.BatchNorm2d:
        return BatchNorm2d(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
    if type(m) is nn.ReLU:
        return Activation(ActKind.RELU, inplace=m.inplace)
    if type(m) is nn.LeakyReLU:
        return Activation(ActKind.LEAKY_RELU, negative_slope=m.negative_slope, inplace=m.inplace)
    if type(m) is nn.Sigmoid:
        return Activation(ActKind.SIGMOID)
    if type(m) is nn.Tanh:
        return Activation(ActKind.TANH)
    if type(m) is nn.Softmax:
        return Activation(ActKind.SOFTMAX, dim=m.dim)
    if type(m) is nn.GELU:
        return Activation(ActKind.GELU, approximate=m.approximate)
    return None


def specs_from_torch(model) -> list[tuple[str, LayerSpec]]:
    """(name, spec) for every leaf module of ``model``; raises ValueError on an unsupported one."""
    out = []
    for name, m in model.named_modules():
        if len(list(m.children())) == 0:
            spec = from_torch(m)
            if spec is None:
                raise ValueError(f"module '{name}' ({type(m).__name__}) is not supported")
            out.append((name or "0", spec))
    return out


def _t(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def _raw(v: Any) -> Any:
    return _Raw(v) if isinstance(v, tuple) else v
