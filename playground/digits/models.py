"""LeNet-5 and the course's MLP baseline as config tables and builders.

Classic LeNet-5 (as taught): a 32×32 input (MNIST's 28×28 padded by 2), then

    conv 6@5×5 → ReLU → 2×2 max-pool → conv 16@5×5 → ReLU → 2×2 max-pool
    → flatten 400 → FC 120 → ReLU → FC 84 → ReLU → FC 10

Parameter count: conv ``C_out·(C_in·k² + 1)``, linear ``out·(in + 1)``:
``6·26 + 16·151 + 120·401 + 84·121 + 10·85 = 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706``.

Variants are one argument away: ``lenet5_config(in_size=28, padding=2)`` (same 61,706 parameters),
``activation="tanh"``, ``pool="avg"``. Output sizes follow PyTorch's
``H_out = floor((H_in + 2·padding − kernel) / stride) + 1``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
}
POOLS: dict[str, type[nn.Module]] = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def lenet5_config(
    in_size: int = 32, padding: int = 0, activation: str = "relu", pool: str = "max",
    channels: tuple[int, int] = (6, 16), fc: tuple[int, ...] = (120, 84), num_classes: int = 10,
) -> dict[str, Any]:
    """The config table of a LeNet-5 variant (defaults: the classic one, 61,706 parameters)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {sorted(POOLS)}, got {pool!r}")
    if in_size < 1 or padding < 0 or num_classes < 1:
        raise ValueError(f"need in_size >= 1, padding >= 0, num_classes >= 1; "
                         f"got {in_size}, {padding}, {num_classes}")
    return {"arch": "lenet5", "in_channels": 1, "in_size": in_size,
            "conv": [[channels[0], 5, padding], [channels[1], 5, 0]], "pool": pool, "pool_size": 2,
            "activation": activation, "fc": list(fc), "num_classes": num_classes}


def mlp_config(hidden: tuple[int, ...] = (300,), activation: str = "leaky_relu",
               in_features: int = 784, num_classes: int = 10) -> dict[str, Any]:
    """The course's MLP baseline 784 → 300 → 10 with LeakyReLU (238,510 parameters)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return {"arch": "mlp", "in_size": 28, "in_features": in_features, "hidden": list(hidden),
            "activation": activation, "num_classes": num_classes}


def _conv_out(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """``floor((size + 2·padding − kernel) / stride) + 1``."""
    return (size + 2 * padding - kernel) // stride + 1


def lenet5_flat_size(cfg: dict[str, Any]) -> tuple[int, int]:
    """(channels, side) of the last pooled feature map, e.g. (16, 5) for the classic LeNet-5."""
    size = cfg["in_size"]
    for _, k, p in cfg["conv"]:
        size = _conv_out(size, k, p)
        size = _conv_out(size, cfg["pool_size"], 0, cfg["pool_size"])
        if size < 1:
            raise ValueError(f"input {cfg['in_size']}×{cfg['in_size']} is too small for this LeNet-5")
    return cfg["conv"][-1][0], size


class Net(nn.Module):
    """A sequence of named layers whose every output can be recorded (for "inside the network")."""

    def __init__(self, layers: "OrderedDict[str, nn.Module]", config: dict[str, Any]) -> None:
        super().__init__()
        self.layers = nn.Sequential(layers)
        self.config = dict(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # LeNet-5: (N,1,32,32) → conv1 (N,6,28,28) → pool1 (N,6,14,14) → conv2 (N,16,10,10)
        #          → pool2 (N,16,5,5) → flatten (N,400) → fc1 (N,120) → fc2 (N,84) → fc3 (N,10)
        # MLP:     (N,1,28,28) → flatten (N,784) → fc1 (N,300) → fc2 (N,10)
        return self.layers(x)

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits and every named layer's output (in order)."""
        acts: dict[str, torch.Tensor] = {}
        for name, layer in self.layers.named_children():
            x = layer(x)
            acts[name] = x
        return x, acts


def _build_lenet5(cfg: dict[str, Any]) -> Net:
    act, pool, ps = ACTIVATIONS[cfg["activation"]], POOLS[cfg["pool"]], cfg["pool_size"]
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c_in = cfg["in_channels"]
    for i, (c_out, k, p) in enumerate(cfg["conv"], start=1):
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, k, padding=p)
        layers[f"act{i}"] = act()
        layers[f"pool{i}"] = pool(ps, ps)
        c_in = c_out
    c, s = lenet5_flat_size(cfg)
    layers["flatten"] = nn.Flatten()
    n_in = c * s * s
    for j, n_out in enumerate(cfg["fc"], start=1):
        layers[f"fc{j}"] = nn.Linear(n_in, n_out)
        layers[f"fc{j}_act"] = act()
        n_in = n_out
    layers[f"fc{len(cfg['fc']) + 1}"] = nn.Linear(n_in, cfg["num_classes"])
    return Net(layers, cfg)


def _build_mlp(cfg: dict[str, Any]) -> Net:
    act = ACTIVATIONS[cfg["activation"]]
    layers: OrderedDict[str, nn.Module] = OrderedDict(flatten=nn.Flatten())
    n_in = cfg["in_features"]
    for j, n_out in enumerate(cfg["hidden"], start=1):
        layers[f"fc{j}"] = nn.Linear(n_in, n_out)
        layers[f"fc{j}_act"] = act()
        n_in = n_out
    layers[f"fc{len(cfg['hidden']) + 1}"] = nn.Linear(n_in, cfg["num_classes"])
    return Net(layers, cfg)


BUILDERS = {"lenet5": _build_lenet5, "mlp": _build_mlp}
CONFIGS = {"lenet5": lenet5_config, "mlp": mlp_config}


def build_model(config: dict[str, Any]) -> Net:
    """Build a model from its config table (as stored in the weights' metadata)."""
    arch = config.get("arch")
    if arch not in BUILDERS:
        raise ValueError(f"arch must be one of {sorted(BUILDERS)}, got {arch!r}")
    return BUILDERS[arch](config)


def layer_param_counts(model: nn.Module) -> list[tuple[str, int]]:
    """Parameters per named layer (layers without parameters are left out)."""
    net = model.layers if isinstance(model, Net) else model
    return [(n, sum(p.numel() for p in m.parameters())) for n, m in net.named_children()
            if any(True for _ in m.parameters())]
