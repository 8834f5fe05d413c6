"""Networks the training studio can train: three presets built from config tables, or a network
composed as PyTorch text and checked by the arithmetic core before anything is allocated.

Every studio network is an ``nn.Sequential`` of standard layers, so the exported code is simply
``nn.Sequential(nn.Conv2d(...), ...)`` (``nn.`` + each layer's ``repr``, which is valid PyTorch).

Output size of a conv / pool layer (PyTorch docs), used by the builders below:
    H_out = floor((H_in + 2*padding - dilation*(kernel - 1) - 1) / stride + 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from playground import limits, validate


@dataclass(frozen=True)
class DataShape:
    """What a network must accept and produce: (channels, height, width) in, ``num_classes`` out."""

    channels: int
    height: int
    width: int
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, int, int, int]:
        """``(1, C, H, W)``: one image, as the arithmetic core expects."""
        return (1, self.channels, self.height, self.width)


# Config tables ----------------------------------------------------------------------------------
# ints are 3x3 conv widths (padding 1, ReLU), "M" a 2x2 max-pool; the head is Flatten + Linear(s).
SIMPLE_CNN_CFG: list[int | str] = [16, "M", 32, "M"]
"""The course's SimpleCNN: conv 16 → pool → conv 32 → pool → FC 128 → FC 10."""
TINY_VGG_CFG: list[int | str] = [16, 16, "M", 32, 32, "M"]
"""A tiny VGG (as in CNN Explainer): two blocks of two 3x3 convs and a pool, then one FC layer."""


def make_layers(cfg: list[int | str], in_channels: int) -> list[nn.Module]:
    """VGG-style feature layers from a cfg table (torchvision's ``make_layers`` without BN)."""
    layers: list[nn.Module] = []
    c = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(c, int(v), 3, padding=1), nn.ReLU()]
            c = int(v)
    return layers


def _pooled(side: int, cfg: list[int | str]) -> int:
    """Side after the cfg's 2x2 pools: floor(side / 2) per "M"."""
    for v in cfg:
        if v == "M":
            side //= 2
    return side


def lenet5(shape: DataShape) -> nn.Sequential:
    """LeNet-5 as the Digits tab builds it (``playground.digits.models``): conv 6@5x5 → pool →
    conv 16@5x5 → pool → 120 → 84 → classes, ReLU and max-pool; 61,706 parameters on MNIST.

    28x28 input is padded by 2 inside conv1 (as in the course) so both 28x28 and 32x32 reach
    16x5x5. Returns the named ``nn.Sequential`` (conv1, act1, pool1, ...).
    """
    from playground.digits.models import build_model, lenet5_config

    if shape.height != shape.width:
        raise ValueError(f"LeNet-5 needs square inputs, got {shape.height}x{shape.width}")
    cfg = lenet5_config(in_size=shape.height, padding=2 if shape.height == 28 else 0,
                        num_classes=shape.num_classes)
    cfg["in_channels"] = shape.channels
    return build_model(cfg).layers


def simple_cnn(shape: DataShape) -> nn.Sequential:
    """The course's SimpleCNN: ``SIMPLE_CNN_CFG`` features, then FC 128 (ReLU) and FC classes."""
    h, w = _pooled(shape.height, SIMPLE_CNN_CFG), _pooled(shape.width, SIMPLE_CNN_CFG)
    return nn.Sequential(
        *make_layers(SIMPLE_CNN_CFG, shape.channels), nn.Flatten(),
        nn.Linear(32 * h * w, 128), nn.ReLU(), nn.Linear(128, shape.num_classes),
    )


def tiny_vgg(shape: DataShape) -> nn.Sequential:
    """Tiny VGG: ``TINY_VGG_CFG`` features, then one FC layer to the classes."""
    h, w = _pooled(shape.height, TINY_VGG_CFG), _pooled(shape.width, TINY_VGG_CFG)
    return nn.Sequential(
        *make_layers(TINY_VGG_CFG, shape.channels), nn.Flatten(),
        nn.Linear(32 * h * w, shape.num_classes),
    )


PRESETS: dict[str, Callable[[DataShape], nn.Sequential]] = {
    "LeNet-5": lenet5,
    "SimpleCNN": simple_cnn,
    "Tiny VGG": tiny_vgg,
}
CUSTOM = "Custom (PyTorch text)"
NETWORK_CHOICES: tuple[str, ...] = (*PRESETS, CUSTOM)

EXAMPLE_CUSTOM = """nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(1568, 10),
)"""


def count_macs(model: nn.Module, shape: DataShape) -> int:
    """Forward MACs for one image: ``FlopCounterMode`` total ÷ 2 (as the arithmetic core)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model.eval()(torch.zeros(shape.input_shape))
    return counter.get_total_flops() // 2


def check_budget(params: int, macs: int, batch_size: int) -> None:
    """Raise ``ValueError`` if a network is too big to train live (limits.MAX_TRAIN_*)."""
    if params > limits.MAX_TRAIN_PARAMS:
        raise ValueError(f"the network has {params:,} parameters; the studio trains at most "
                         f"{limits.MAX_TRAIN_PARAMS:,} (make layers narrower)")
    step = macs * batch_size
    if step > limits.MAX_TRAIN_STEP_MACS:
        best = max(1, limits.MAX_TRAIN_STEP_MACS // max(macs, 1))
        raise ValueError(
            f"batch {batch_size} × {macs:,} MACs per image = {step:,} MACs per step exceeds the "
            f"cap of {limits.MAX_TRAIN_STEP_MACS:,}; use batch size <= {best} or a smaller network")


def build_preset(name: str, shape: DataShape, seed: int = 0) -> nn.Sequential:
    """Build preset ``name`` for ``shape`` with a seeded initialisation."""
    if name not in PRESETS:
        raise ValueError(f"unknown network {validate.echo(name)}; choose one of {', '.join(NETWORK_CHOICES)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PRESETS[name](shape)


def build_custom(code: str, shape: DataShape, seed: int = 0) -> nn.Sequential:
    """Parse PyTorch text with the arithmetic core, check it fits ``shape``, then build it.

    Rejected before anything is allocated: text the parser refuses, a shape error at some layer,
    an output that is not ``(N, num_classes)``, or a network over the size caps.
    """
    from playground import arith

    if not code or not code.strip():
        raise ValueError("the network text is empty; write e.g. nn.Sequential(nn.Conv2d(...), ...)")
    if len(code) > limits.MAX_CODE_CHARS:
        raise ValueError(f"the network text has {len(code):,} characters; at most "
                         f"{limits.MAX_CODE_CHARS:,} are accepted")
    specs = arith.parse_network(code)
    if not specs:
        raise ValueError("the network has no layers")
    if len(specs) > limits.MAX_LAYERS:
        raise ValueError(f"the network has {len(specs)} layers; at most {limits.MAX_LAYERS}")
    try:
        report = arith.analyze_specs(specs, shape.input_shape)
    except ValueError as e:
        raise ValueError(f"the network does not fit {shape.channels}x{shape.height}x{shape.width} "
                         f"inputs: {e}") from e
    out = tuple(report.output_shape)
    if len(out) != 2:
        raise ValueError(f"the network ends with shape {out}; a classifier must end with "
                         f"(N, {shape.num_classes}): add nn.Flatten() and nn.Linear(..., "
                         f"{shape.num_classes})")
    if out[1] != shape.num_classes:
        raise ValueError(f"the network outputs {out[1]} values but the dataset has "
                         f"{shape.num_classes} classes: the last layer must be nn.Linear(..., "
                         f"{shape.num_classes})")
    if not any(p.params > 0 for p in report.layers):
        raise ValueError("the network has no trainable parameters")
    check_budget(int(report.total_params), int(report.total_macs), 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(*[arith.to_torch(spec) for _, spec in specs])


def build_network(name: str, shape: DataShape, code: str = "", seed: int = 0) -> nn.Sequential:
    """A preset by name, or the custom network described by ``code`` when ``name == CUSTOM``."""
    return build_custom(code, shape, seed) if name == CUSTOM else build_preset(name, shape, seed)


def model_code(model: nn.Sequential) -> str:
    """PyTorch text that rebuilds ``model``: ``nn.Sequential(`` + ``nn.<repr>`` per layer."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(f"model_code needs an nn.Sequential, got {type(model).__name__}")
    named = [(n, m) for n, m in model.named_children()]
    for _, layer in named:
        if len(list(layer.children())):
            raise ValueError(f"layer {type(layer).__name__} has sub-modules; not exportable as text")
    if all(n == str(i) for i, (n, _) in enumerate(named)):
        body = "\n".join(f"    nn.{m!r}," for _, m in named)
        return "nn.Sequential(\n" + body + "\n)"
    body = "\n".join(f"    ({n!r}, nn.{m!r})," for n, m in named)
    return "nn.Sequential(OrderedDict([\n" + body + "\n]))"
