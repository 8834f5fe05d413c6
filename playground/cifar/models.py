"""CIFAR-10 models: a cfg-table VGG and a BasicBlock ResNet, both sized to train on a 2-core CPU.

Both follow the fastest known CIFAR-10 recipe, KellerJordan's *airbench94* (Jordan 2024, "94% on
CIFAR-10 in 3.29 seconds on a single GPU"): a frozen 2×2 *whitening* stem initialised from the
training patches' covariance, then three stages of widths 64/256/256 (airbench94; the shipped
models) or 64/128/128 (airbench93) in which a 3×3 conv is followed
by a 2×2 max-pool *before* its BatchNorm and GELU (pooling first is 4× cheaper; BN with a frozen
positive scale is monotone, so it commutes with the max), BatchNorm with a frozen scale of 1 and a
learnable shift, and logits scaled by 1/9.

* ``VGG``: torchvision's pattern, a cfg table ``[64, "M", 64, ...]`` turned into layers by
  ``make_layers(cfg, batch_norm)``. A conv immediately followed by ``"M"`` is a *downsampling
  conv*: it starts a new stage and its pool comes right after it. The shipped cfg is
  ``vgg_air_wide``, airbench94's network (``vgg_air`` is airbench93's, half the MACs).
* ``ResNet``: torchvision's ``BasicBlock`` + ``_make_layer`` pattern with a CIFAR-style stem (the
  whitening conv, stride 1, no 7×7 conv and no max-pool). The first block of a stage downsamples
  with a max-pool after ``conv1``; its shortcut is the identity when the shape is unchanged, an
  average pool when only the size changes, or an average pool + 1×1 projection + BN (ResNet-D,
  He et al. 2019) when the width changes.

Public builders are thin: ``vgg(num_classes)`` and ``resnet(num_classes)``; ``build(config)``
rebuilds a model from the ``config`` dict stored in the weights' metadata.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

# cfg tables -----------------------------------------------------------------------------------
VGG_CFGS: dict[str, list[int | str]] = {
    # airbench93's network (widths 64/128/128): half the MACs of airbench94's; 12 epochs were not
    # enough for 93 % with it.
    "vgg_air": [64, "M", 64, 128, "M", 128, 128, "M", 128],
    # airbench94's network (widths 64/256/256), shipped: stage = downsampling conv + pool + one
    # more conv. 12 epochs with bf16 autocast: 93.6 % test (flip-averaged).
    "vgg_air_wide": [64, "M", 64, 256, "M", 256, 256, "M", 256],
    # a tiny cfg for tests and demos of the builder
    "vgg_tiny": [8, "M", 8, 16, "M", 16],
}
RESNET_CFGS: dict[str, dict[str, list[int]]] = {
    # widths as vgg_air (airbench93); one extra identity BasicBlock in the last (3×3) stage.
    "resnet_air": {"widths": [64, 128, 128], "blocks": [1, 1, 2]},
    "resnet_air_wide": {"widths": [64, 256, 256], "blocks": [1, 1, 2]},
    "resnet_tiny": {"widths": [8, 16], "blocks": [1, 2]},
}
STEM_KERNEL = 2
STEM_WIDTH = 2 * 3 * STEM_KERNEL**2  # 24: each whitening filter and its negation
BN_MOMENTUM = 0.4  # PyTorch convention (airbench's 0.6 "memory" = 1 - 0.4)
LOGIT_SCALE = 1 / 9


# building blocks --------------------------------------------------------------------------------
class BatchNorm(nn.BatchNorm2d):
    """BatchNorm with the scale frozen at 1 (not a parameter) and a learnable shift ``bias``.

    ``y = (x - mean) / sqrt(var + eps) + bias`` (PyTorch's formula with ``weight = 1``).
    """

    def __init__(self, num_features: int, eps: float = 1e-12, momentum: float = BN_MOMENTUM):
        super().__init__(num_features, eps=eps, momentum=momentum, affine=False)
        self.bias = nn.Parameter(torch.zeros(num_features))


class Conv(nn.Conv2d):
    """3×3 'same' conv without bias; the first ``in_channels`` filters start as the identity."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3):
        super().__init__(in_channels, out_channels, kernel_size, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        w = self.weight.data
        nn.init.dirac_(w[: w.size(1)])  # implicit residual at init (airbench)


class WhiteningStem(nn.Module):
    """2×2 conv (no padding) whose filters are the training patches' whitening basis, then GELU.

    The weight is a *buffer* (frozen; set by :func:`init_whitening`); only the bias is learned.
    Output side = input side - 1 (32 → 31).
    """

    def __init__(self, in_channels: int = 3, kernel: int = STEM_KERNEL):
        super().__init__()
        width = 2 * in_channels * kernel**2
        self.register_buffer("weight", torch.randn(width, in_channels, kernel, kernel) * 0.1)
        self.bias = nn.Parameter(torch.zeros(width))
        self.out_channels = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(F.conv2d(x, self.weight, self.bias))


@torch.no_grad()
def init_whitening(stem: WhiteningStem, images: torch.Tensor, eps: float = 5e-4) -> None:
    """Set the stem's filters to ``±V Λ^{-1/2}``: eigenvectors V of the k×k patch covariance
    ``C = PᵀP / n`` of normalised ``images`` (N, 3, H, W), each scaled by 1/sqrt(λ + eps)."""
    c, k = stem.weight.shape[1], stem.weight.shape[2]
    patches = images.unfold(2, k, 1).unfold(3, k, 1).transpose(1, 3).reshape(-1, c * k * k).double()
    cov = patches.T @ patches / len(patches)
    eigval, eigvec = torch.linalg.eigh(cov)
    eigval, eigvec = eigval.flip(0), eigvec.T.flip(0)  # largest first
    w = (eigvec / torch.sqrt(eigval.clamp_min(0) + eps)[:, None]).reshape(c * k * k, c, k, k)
    stem.weight.copy_(torch.cat([w, -w]).to(stem.weight.dtype))


# VGG ------------------------------------------------------------------------------------------
def make_layers(cfg: list[int | str], batch_norm: bool = True, in_channels: int = STEM_WIDTH) -> nn.Sequential:
    """Turn a cfg list into stages: ``int`` = 3×3 conv (+BN) + GELU, ``"M"`` = 2×2 max-pool.

    A conv immediately followed by ``"M"`` starts a new stage, and its pool is applied right after
    it (before BN/GELU). Returns ``Sequential(stage1, stage2, ...)``.
    """
    if not cfg or not isinstance(cfg[0], int):
        raise ValueError(f"cfg must start with a conv width, got {cfg[:1]}")
    stages: list[list[nn.Module]] = []
    for i, v in enumerate(cfg):
        if v == "M":
            if i == 0 or cfg[i - 1] == "M":
                raise ValueError(f"'M' at position {i} must follow a conv width")
            continue
        if not isinstance(v, int) or v < 1:
            raise ValueError(f"cfg entries must be positive ints or 'M', got {v!r} at {i}")
        pool = i + 1 < len(cfg) and cfg[i + 1] == "M"
        if pool or not stages:
            stages.append([])
        layers = [Conv(in_channels, v)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        if batch_norm:
            layers.append(BatchNorm(v))
        layers.append(nn.GELU())
        stages[-1].extend(layers)
        in_channels = v
    return nn.Sequential(*(nn.Sequential(*s) for s in stages))


class VGG(nn.Module):
    """Whitening stem → cfg stages → global max-pool → linear (no bias) → ×1/9."""

    def __init__(self, cfg: list[int | str], num_classes: int = 10, batch_norm: bool = True):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        self.stem = WhiteningStem()
        self.features = make_layers(cfg, batch_norm, self.stem.out_channels)
        width = [v for v in cfg if isinstance(v, int)][-1]
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(width, num_classes, bias=False)

    @property
    def stages(self) -> list[nn.Module]:
        """The conv stages, in order (Grad-CAM targets and feature-map taps)."""
        return list(self.features)

    def forward_stages(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and every stage's output (for feature maps and Grad-CAM; no hooks needed)."""
        feats = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return self.fc(self.pool(x).flatten(1)) * LOGIT_SCALE, feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, 3, 32, 32), normalised
        x = self.stem(x)  # (N, 24, 31, 31)
        x = self.features(x)  # vgg_air_wide: (N, 64, 15, 15) → (N, 256, 7, 7) → (N, 256, 3, 3)
        x = self.pool(x).flatten(1)  # (N, 256)
        return self.fc(x) * LOGIT_SCALE  # (N, num_classes)


# ResNet ---------------------------------------------------------------------------------------
class BasicBlock(nn.Module):
    """conv3×3 → [max-pool] → BN → GELU → conv3×3 → BN, plus a shortcut, then GELU.

    Shortcut: identity (same width, no pool); 2×2 average pool (same width, pool); or
    average pool + 1×1 conv + BN projection (width changes), as in ResNet-D.
    """

    expansion = 1

    def __init__(self, in_planes: int, planes: int, pool: bool = False):
        super().__init__()
        self.conv1 = Conv(in_planes, planes)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()
        self.bn1 = BatchNorm(planes)
        self.conv2 = Conv(planes, planes)
        self.bn2 = BatchNorm(planes)
        short: list[nn.Module] = [nn.AvgPool2d(2)] if pool else []
        if in_planes != planes:
            short += [nn.Conv2d(in_planes, planes, 1, bias=False), BatchNorm(planes)]
        self.shortcut = nn.Sequential(*short)  # empty Sequential = identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, C_in, H, W); with pool the output is (N, planes, H//2, W//2)
        out = F.gelu(self.bn1(self.pool(self.conv1(x))))
        out = self.bn2(self.conv2(out))
        return F.gelu(out + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR-style stem (whitening conv) → ``_make_layer`` stages → global max-pool → linear ×1/9."""

    def __init__(self, widths: list[int], blocks: list[int], num_classes: int = 10):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}")
        if len(widths) != len(blocks) or not widths or min(blocks) < 1 or min(widths) < 1:
            raise ValueError(f"widths and blocks must be non-empty, equal-length, positive; got {widths}, {blocks}")
        self.stem = WhiteningStem()
        self.in_planes = self.stem.out_channels
        self.layers = nn.Sequential(*(self._make_layer(w, b) for w, b in zip(widths, blocks)))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.fc = nn.Linear(widths[-1], num_classes, bias=False)

    def _make_layer(self, planes: int, blocks: int) -> nn.Sequential:
        """One stage: a downsampling block (pool, projection if needed) then identity blocks."""
        layers = [BasicBlock(self.in_planes, planes, pool=True)]
        layers += [BasicBlock(planes, planes) for _ in range(blocks - 1)]
        self.in_planes = planes
        return nn.Sequential(*layers)

    @property
    def stages(self) -> list[nn.Module]:
        """The residual stages, in order (Grad-CAM targets and feature-map taps)."""
        return list(self.layers)

    def forward_stages(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and every stage's output (for feature maps and Grad-CAM; no hooks needed)."""
        feats = []
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return self.fc(self.pool(x).flatten(1)) * LOGIT_SCALE, feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (N, 3, 32, 32), normalised
        x = self.stem(x)  # (N, 24, 31, 31)
        x = self.layers(x)  # resnet_air_wide: (N, 64, 15, 15) → (N, 256, 7, 7) → (N, 256, 3, 3)
        x = self.pool(x).flatten(1)  # (N, 256)
        return self.fc(x) * LOGIT_SCALE  # (N, num_classes)


# builders -------------------------------------------------------------------------------------
def vgg(num_classes: int = 10, cfg: str = "vgg_air_wide") -> VGG:
    """airbench94's network as a cfg-table VGG."""
    if cfg not in VGG_CFGS:
        raise ValueError(f"unknown VGG cfg {cfg!r}; choose from {sorted(VGG_CFGS)}")
    return VGG(VGG_CFGS[cfg], num_classes)


def resnet(num_classes: int = 10, cfg: str = "resnet_air_wide") -> ResNet:
    """BasicBlock ResNet with airbench94's widths (ResNet-10-like: 8 convs in blocks)."""
    if cfg not in RESNET_CFGS:
        raise ValueError(f"unknown ResNet cfg {cfg!r}; choose from {sorted(RESNET_CFGS)}")
    return ResNet(**RESNET_CFGS[cfg], num_classes=num_classes)


BUILDERS = {"vgg": vgg, "resnet": resnet}


def build(config: dict[str, Any]) -> nn.Module:
    """Rebuild a model from metadata: ``{"arch": "vgg"|"resnet", "cfg": name, "num_classes": n}``."""
    arch = config.get("arch")
    if arch not in BUILDERS:
        raise ValueError(f"unknown arch {arch!r}; choose from {sorted(BUILDERS)}")
    return BUILDERS[arch](num_classes=int(config.get("num_classes", 10)), cfg=config["cfg"])


def count_macs(model: nn.Module, input_size: tuple[int, int, int] = (3, 32, 32)) -> int:
    """Multiply-accumulates of one forward pass over conv and linear layers (hooks on a dummy input).

    Conv: ``H_out·W_out·C_out·(C_in/groups)·k_h·k_w``; linear: ``in·out``.
    """
    total = 0

    def conv_hook(m: nn.Module, inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        w = m.weight
        total += out.shape[2] * out.shape[3] * w.shape[0] * w.shape[1] * w.shape[2] * w.shape[3]

    def lin_hook(m: nn.Module, inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        total += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, WhiteningStem)):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_size))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return int(total)
