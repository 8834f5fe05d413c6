"""Trace a registry model on the ``meta`` device: every leaf call's shapes, MACs, geometry and
receptive field, with no allocation.

Forward (pre-)hooks on every module record leaf calls; a ``TorchFunctionMode`` propagates the
receptive field through every torch function (merges take the larger field of their inputs) and
counts the MACs of ``conv2d``/``conv_transpose2d``/``linear`` into the innermost running module.
Formulas are in :mod:`playground.arch.table`'s docstring.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, prod

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from playground.arch import zoo

POOLS = (nn.MaxPool2d, nn.AvgPool2d)
RF = tuple  # (r_h, r_w, j_h, j_w) with Fraction jumps, or None for "the whole input"
_LOCK = threading.Lock()  # hooks are registered on the shared cached meta model: one trace at a time


# ---------------------------------------------------------------------------------------------
# receptive-field propagation
def _merge(a: RF | None, b: RF | None) -> RF | None:
    return None if a is None or b is None else tuple(max(x, y) for x, y in zip(a, b))


_MISSING = object()


def _rf_of(obj: object) -> object:
    if isinstance(obj, torch.Tensor):
        return obj.__dict__.get("_rf", _MISSING)
    if isinstance(obj, (list, tuple)):
        acc: object = _MISSING
        for o in obj:
            r = _rf_of(o)
            if r is not _MISSING:
                acc = r if acc is _MISSING else _merge(acc, r)  # type: ignore[arg-type]
        return acc
    return _MISSING


_CONV = {torch.conv2d: "conv2d", torch.conv_transpose2d: "conv_transpose2d"}


def _arg(args: tuple, kwargs: dict, i: int, name: str, default: object) -> object:
    return args[i] if len(args) > i else kwargs.get(name, default)


def _batch_norm_shape(args: tuple, kwargs: dict) -> torch.Tensor:
    """``F.batch_norm`` on meta tensors, shape only: same checks as torch, output = input shape.

    PyTorch's meta path for batch norm runs a Python decomposition that takes ~75 % of a
    ResNet-50 trace; its output shape is simply the input's.
    """
    x = args[0]
    if x.dim() < 2:
        raise RuntimeError(f"batch_norm expects at least 2-D input, got {x.dim()}-D")
    c = x.shape[1]
    names = ("running_mean", "running_var", "weight", "bias")
    for i, name in enumerate(names, start=1):
        t = _arg(args, kwargs, i, name, None)
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    return torch.empty_like(x)


class _RFMode(TorchFunctionMode):
    """Give every function's tensor outputs the larger receptive field of its tensor inputs, and
    count the MACs of conv/linear calls into the innermost running module's frame."""

    def __init__(self, frames: list[dict]) -> None:
        super().__init__()
        self.frames = frames

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        kwargs = kwargs or {}
        out = _batch_norm_shape(args, kwargs) if func is F.batch_norm else func(*args, **kwargs)
        rf = _rf_of(args)
        if rf is not _MISSING:
            for t in (out if isinstance(out, (list, tuple)) else (out,)):
                if isinstance(t, torch.Tensor):
                    t.__dict__["_rf"] = rf
        if self.frames and (func in _CONV or func is F.linear):
            x, w = args[0], args[1]
            frame = self.frames[-1]
            if func is F.linear:
                frame["macs"] += x.numel() * w.shape[0]  # (numel/in)·in·out
                return out
            k = tuple(w.shape[2:])
            if func is torch.conv2d:
                frame["macs"] += out.numel() * w.shape[1] * prod(k)  # w: (C_out, C_in/g, kh, kw)
            else:
                frame["macs"] += x.numel() * w.shape[1] * prod(k)  # w: (C_in, C_out/g, kh, kw)
            pad = _arg(args, kwargs, 4, "padding", 0)
            frame["geo"].append((_CONV[func], k, _pair(_arg(args, kwargs, 3, "stride", 1)),
                                 pad if isinstance(pad, str) else _pair(pad),
                                 _pair(_arg(args, kwargs, 5, "dilation", 1))))
        return out


def _pair(v: object) -> tuple[int, int]:
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)  # type: ignore[return-value]


def _leaf_rf(m: nn.Module, rf: RF | None, x: torch.Tensor, y: torch.Tensor,
             geo: list[tuple]) -> RF | None:
    if rf is None:
        return None
    rh, rw, jh, jw = rf
    if isinstance(m, nn.Linear):
        return None
    if len(geo) == 1 and geo[0][0] == "conv2d" and not isinstance(m, nn.Conv2d):
        _, (kh, kw), (sh, sw), _, (dh, dw) = geo[0]  # a custom module calling F.conv2d
        return (rh + (kh - 1) * dh * jh, rw + (kw - 1) * dw * jw, jh * sh, jw * sw)
    if isinstance(m, (nn.Conv2d, *POOLS)):
        (kh, kw), (sh, sw) = _pair(m.kernel_size), _pair(m.stride or m.kernel_size)
        dh, dw = _pair(getattr(m, "dilation", 1))
        return (rh + (kh - 1) * dh * jh, rw + (kw - 1) * dw * jw, jh * sh, jw * sw)
    if isinstance(m, nn.ConvTranspose2d):
        (kh, kw), (sh, sw) = _pair(m.kernel_size), _pair(m.stride)
        return (rh + (ceil(kh / sh) - 1) * jh, rw + (ceil(kw / sw) - 1) * jw,
                jh / Fraction(sh), jw / Fraction(sw))
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and x.dim() == 4:
        (ih, iw), (oh, ow) = x.shape[-2:], y.shape[-2:]
        kh = max(ceil((i + 1) * ih / oh) - (i * ih) // oh for i in range(min(oh, 4096)))
        kw = max(ceil((i + 1) * iw / ow) - (i * iw) // ow for i in range(min(ow, 4096)))
        return (rh + (kh - 1) * jh, rw + (kw - 1) * jw, jh * Fraction(ih, oh), jw * Fraction(iw, ow))
    return rf


def geometry(m: nn.Module, geo: list[tuple]) -> tuple:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, *POOLS)):
        pad = m.padding if isinstance(m.padding, str) else _pair(m.padding)
        return _pair(m.kernel_size), _pair(m.stride or m.kernel_size), pad
    if len(geo) == 1:
        return geo[0][1:4]
    return None, None, None


# ---------------------------------------------------------------------------------------------
# tracing
@dataclass
class Call:
    name: str
    module: nn.Module
    x: torch.Tensor
    y: torch.Tensor
    rf: RF | None
    params: int
    macs: int
    geo: list[tuple]


def trace(name: str, shape: tuple[int, ...]) -> tuple[list[Call], dict[str, tuple], tuple]:
    """Run the meta model; return leaf calls, container output shapes and the output shape."""
    model = zoo.meta_model(name)
    qual = {m: q for q, m in model.named_modules()}
    calls: list[Call] = []
    containers: dict[str, tuple] = {}
    seen: set[int] = set()
    stack: list[tuple[str, tuple]] = []
    frames: list[dict] = []

    def pre(m: nn.Module, args: tuple) -> None:
        x = args[0] if args and isinstance(args[0], torch.Tensor) else None
        stack.append((qual[m], tuple(x.shape) if x is not None else ()))
        frames.append({"macs": 0, "geo": []})

    def post(m: nn.Module, args: tuple, out: object) -> None:
        stack.pop()
        frame = frames.pop()
        x = args[0] if args and isinstance(args[0], torch.Tensor) else out
        leaf = next(m.children(), None) is None
        if isinstance(out, torch.Tensor) and not leaf:
            containers[qual[m]] = tuple(out.shape)
        if not isinstance(out, torch.Tensor) or not isinstance(x, torch.Tensor) or (
                not leaf and not frame["macs"]):
            return
        # a container's own functional conv/linear becomes a row of its own (rare)
        rf_in = x.__dict__.get("_rf", (1, 1, Fraction(1), Fraction(1)))
        rf = _leaf_rf(m, rf_in, x, out, frame["geo"]) if leaf else out.__dict__.get("_rf")
        out.__dict__["_rf"] = rf
        params = 0 if id(m) in seen or not leaf else sum(p.numel() for p in m.parameters())
        seen.add(id(m))
        calls.append(Call(qual[m], m, x, out, rf, params, frame["macs"], frame["geo"]))

    handles = []
    with _LOCK:
        try:
            for m in qual:
                if m is not model:
                    handles.append(m.register_forward_pre_hook(pre))
                    handles.append(m.register_forward_hook(post))
            x = torch.empty(shape, device="meta")
            x.__dict__["_rf"] = (1, 1, Fraction(1), Fraction(1))
            with torch.no_grad(), _RFMode(frames):
                y = model(x)
        except Exception as err:  # noqa: BLE001 - turned into a ValueError naming the layer
            raise ValueError(_explain(name, shape, model, stack, calls, err)) from None
        finally:
            for h in handles:
                h.remove()
    return calls, containers, tuple(y.shape)


def fmt(shape: tuple) -> str:
    return "×".join(str(int(s)) for s in shape)


def _explain(name: str, shape: tuple, model: nn.Module, stack: list[tuple[str, tuple]],
             calls: list[Call], err: Exception) -> str:
    msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    head = f"input {fmt(shape)} does not fit {zoo.get(name).title}"
    leaf = next(((q, s) for q, s in reversed(stack)
                 if next(model.get_submodule(q).children(), None) is None), None)
    if leaf is None:
        last = calls[-1].name if calls else "the input"
        return f"{head}: it fails after layer {last}: {msg}"
    where, got = leaf
    m = model.get_submodule(where)
    what = "the size collapses at" if "too small" in msg else "it fails at"
    hint = ""
    if isinstance(m, nn.Linear) and got:
        hint = (f" (Linear expects in_features={m.in_features}, it gets {got[-1]:,}: this "
                f"network's fully connected head fixes the input size)")
    return f"{head}: {what} layer {where} ({m!r}), whose input is {fmt(got)}{hint}. PyTorch: {msg}"


