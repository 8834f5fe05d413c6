"""Worked examples from the course, computed with real PyTorch layers (nothing hard-coded).

Each example returns a :class:`Example`: a title, the PyTorch code, the numbers it produces (as
plain Python values, so tests can compare them with the course), a Markdown explanation, and the
Layer Lab control settings that reproduce it. Large inputs run on the ``meta`` device: PyTorch
computes shapes and parameter counts without allocating the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from playground import validate

__all__ = ["Example", "EXAMPLES", "run_example", "example_names"]


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    code: str
    input_shape: str
    values: dict[str, Any]
    markdown: str
    settings: dict[str, Any] = field(default_factory=dict)


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(v) for v in t.shape)


def _params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _macs(m: nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as fc:
        m(x)
    return fc.get_total_flops() // 2


def _grid(t: torch.Tensor) -> list[list[float]]:
    return [[float(v) for v in row] for row in t.reshape(t.shape[-2], t.shape[-1])]


def _pretty(grid: list[list[float]]) -> str:
    """``[[0.0, 6.0]]`` → ``[[0, 6]]`` (integers without decimals) for the Markdown."""
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in grid) + "]"


def alexnet_conv1() -> Example:
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 96, kernel_size=11, stride=4, device="meta")
    pool = nn.MaxPool2d(kernel_size=3, stride=2)
    x = torch.empty(1, 3, 227, 227, device="meta")
    y = conv(x)
    z = pool(y)
    v = {"conv_out": _shape(y), "params": _params(conv), "pool_out": _shape(z),
         "weight_shape": _shape(conv.weight)}
    md = (f"**AlexNet conv1.** Input 227×227×3, 96 filters 11×11, stride 4:\n\n"
          f"- output `floor((227 − 11) / 4) + 1 = 55` → **{v['conv_out'][2]}×{v['conv_out'][3]}×"
          f"{v['conv_out'][1]}**\n"
          f"- parameters `(11·11·3 + 1)·96` = **{v['params']:,}** (weight {v['weight_shape']} + 96 biases)\n"
          f"- then `MaxPool2d(3, stride=2)`: `floor((55 − 3) / 2) + 1 = 27` → **{v['pool_out'][2]}×"
          f"{v['pool_out'][3]}×{v['pool_out'][1]}**")
    return Example("alexnet", "AlexNet conv1 + max-pool", "nn.Sequential(nn.Conv2d(3, 96, kernel_size=11, "
                   "stride=4), nn.MaxPool2d(kernel_size=3, stride=2))", "1,3,227,227", v, md,
                   {"layer": "Conv2d", "n": 1, "c": 3, "h": 227, "w": 227, "out_channels": 96,
                    "kernel_h": 11, "kernel_w": 11, "stride_h": 4, "stride_w": 4, "padding": "0"})


def transposed_64() -> Example:
    layer = nn.ConvTranspose2d(3, 16, 3, stride=2, padding=1)
    y = layer(torch.zeros(1, 3, 64, 64))
    v = {"out": _shape(y), "params": _params(layer)}
    md = (f"**Transposed convolution.** `ConvTranspose2d(3, 16, 3, stride=2, padding=1)` on 64×64: "
          f"`(64 − 1)·2 − 2·1 + (3 − 1) + 0 + 1 = 127` → **{v['out'][2]}×{v['out'][3]}** "
          f"({v['out'][1]} channels, {v['params']:,} parameters). Add `output_padding=1` for 128×128.")
    return Example("transposed", "ConvTranspose2d 64 → 127", "nn.ConvTranspose2d(3, 16, 3, stride=2, "
                   "padding=1)", "1,3,64,64", v, md,
                   {"layer": "ConvTranspose2d", "n": 1, "c": 3, "h": 64, "w": 64, "out_channels": 16,
                    "kernel_h": 3, "kernel_w": 3, "stride_h": 2, "stride_w": 2, "padding": "1",
                    "output_padding_h": 0, "output_padding_w": 0})


def unpool_4x4() -> Example:
    x = torch.arange(1, 17, dtype=torch.float32).reshape(1, 1, 4, 4)
    pooled, idx = nn.MaxPool2d(2, 2, return_indices=True)(x)
    un = nn.MaxUnpool2d(2, 2)(pooled, idx)
    v = {"pooled": _grid(pooled), "indices": [[int(a) for a in r] for r in idx.reshape(2, 2)],
         "unpooled": _grid(un)}
    md = ("**Max-unpooling.** `MaxPool2d(2, 2, return_indices=True)` on the 4×4 matrix 1…16 keeps "
          f"{_pretty(v['pooled'])} at flat indices {v['indices']}; `MaxUnpool2d(2, 2)` puts each max "
          f"back in its place and zeros elsewhere: **{_pretty(v['unpooled'])}**")
    return Example("unpool", "MaxPool2d + MaxUnpool2d on 1…16",
                   "nn.MaxPool2d(2, 2, return_indices=True)",
                   "1,1,4,4", v, md,
                   {"layer": "MaxPool2d", "n": 1, "c": 1, "h": 4, "w": 4, "kernel_h": 2, "kernel_w": 2,
                    "stride_h": 2, "stride_w": 2, "padding": "0"})


def avgpool_4x5() -> Example:
    x = torch.arange(1, 21, dtype=torch.float32).reshape(1, 1, 4, 5)
    avg = nn.AvgPool2d(2, 2)(x)
    ada = nn.AdaptiveAvgPool2d((2, 2))(x)
    v = {"avg": _grid(avg), "adaptive": _grid(ada)}
    md = ("**Average pooling on the 4×5 matrix 1…20.** `AvgPool2d(2, 2)`: `floor((5 − 2)/2) + 1 = 2` "
          f"columns, the last column is dropped → **{_pretty(v['avg'])}**. `AdaptiveAvgPool2d((2, 2))` uses "
          "windows rows [0,2), [2,4) and columns [floor(j·5/2), ceil((j+1)·5/2)) = [0,3), [2,5) "
          f"(they overlap) → **{_pretty(v['adaptive'])}**")
    return Example("avgpool", "AvgPool2d vs AdaptiveAvgPool2d on 1…20",
                   "nn.Sequential(nn.AvgPool2d(2, 2), nn.AdaptiveAvgPool2d((2, 2)))", "1,1,4,5", v, md,
                   {"layer": "AvgPool2d", "n": 1, "c": 1, "h": 4, "w": 5, "kernel_h": 2, "kernel_w": 2,
                    "stride_h": 2, "stride_w": 2, "padding": "0"})


def mnist_conv() -> Example:
    layer = nn.Conv2d(1, 32, 5)
    x = torch.zeros(1, 1, 28, 28)
    y = layer(x)
    v = {"out": _shape(y), "params": _params(layer), "macs": _macs(layer, x)}
    md = (f"**MNIST conv.** `Conv2d(1, 32, 5)` on 1×28×28 → **{v['out'][1]}×{v['out'][2]}×{v['out'][3]}**; "
          f"parameters `(5·5·1 + 1)·32` = **{v['params']:,}**; products `24·24·32·(5·5·1)` = "
          f"**{v['macs']:,}** (multiply-accumulates, from `torch.utils.flop_counter` ÷ 2)")
    return Example("mnist", "Conv2d(1, 32, 5) on MNIST", "nn.Conv2d(1, 32, 5)", "1,1,28,28", v, md,
                   {"layer": "Conv2d", "n": 1, "c": 1, "h": 28, "w": 28, "out_channels": 32,
                    "kernel_h": 5, "kernel_w": 5, "stride_h": 1, "stride_w": 1, "padding": "0"})


EXAMPLES: dict[str, tuple[str, Callable[[], Example]]] = {
    "alexnet": ("AlexNet conv1: 227×227×3 → 55×55×96 → 27×27×96", alexnet_conv1),
    "transposed": ("ConvTranspose2d(3,16,3,s=2,p=1): 64 → 127", transposed_64),
    "unpool": ("MaxPool2d + MaxUnpool2d on 1…16", unpool_4x4),
    "avgpool": ("AvgPool2d / AdaptiveAvgPool2d on 1…20", avgpool_4x5),
    "mnist": ("Conv2d(1,32,5) on 1×28×28", mnist_conv),
}
"""key → (button label, builder), in display order."""


def example_names() -> list[str]:
    return list(EXAMPLES)


def run_example(key: str) -> Example:
    """Build and compute the worked example ``key`` (ValueError for an unknown key)."""
    if key not in EXAMPLES:
        raise ValueError(f"unknown example {validate.echo(key)}; choose one of {', '.join(EXAMPLES)}")
    with torch.no_grad():
        return EXAMPLES[key][1]()
