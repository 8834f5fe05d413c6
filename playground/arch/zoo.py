"""Registry of the architectures the explorer tabulates, built with random init on the meta device.

Every entry is a thin builder plus its facts (year, default input, what is special about it).
Models are built **on the ``meta`` device** (shapes only, no storage), once per process
(``functools.lru_cache``), so tabulating VGG-19 at 10⁶×10⁶ allocates nothing.

Sources:

- LeNet-5: ``playground/digits/models.py`` (the classic config, 61,706 parameters).
- AlexNet (original, single tower, as in the course's table): 96-256-384-384-256 channels at
  227×227, LRN after conv1/conv2, fixed 9216-input FC6 (no adaptive pooling) → 62,378,344
  parameters. torchvision's ``alexnet`` is the "one weird trick" variant 64-192-384-256-256 with
  ``AdaptiveAvgPool2d(6)`` → 61,100,840.
- VGG-11/13/16/19 (± BN), GoogLeNet (``aux_logits=False, init_weights=False``: 6,624,904),
  ResNet-18/34/50: ``torchvision.models``, random init, no weights downloaded.
- The project's CIFAR VGG/ResNet (``playground/cifar/models.py``) and U-Net
  (``playground/seg/unet.py``): imported lazily; entries are skipped only while those modules
  do not exist.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import torch
from torch import nn

from playground import validate

# (out_channels, kernel, stride, padding) | "LRN" | "M" (3×3/2 overlapping max-pool)
ALEXNET_ORIGINAL_CFG: list = [
    (96, 11, 4, 0), "LRN", "M", (256, 5, 1, 2), "LRN", "M",
    (384, 3, 1, 1), (384, 3, 1, 1), (256, 3, 1, 1), "M",
]
ALEXNET_ORIGINAL_FC: tuple[int, ...] = (256 * 6 * 6, 4096, 4096)


class AlexNetOriginal(nn.Module):
    """Krizhevsky et al. 2012 as one tower: the course's table (62,378,344 parameters)."""

    def __init__(self, num_classes: int = 1000, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for item in ALEXNET_ORIGINAL_CFG:
            if item == "LRN":
                layers.append(nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0))
            elif item == "M":
                layers.append(nn.MaxPool2d(kernel_size=3, stride=2))
            else:
                out, k, s, p = item
                layers += [nn.Conv2d(c, out, k, stride=s, padding=p), nn.ReLU(inplace=True)]
                c = out
        self.features = nn.Sequential(*layers)
        fc: list[nn.Module] = []
        for a, b in zip(ALEXNET_ORIGINAL_FC, ALEXNET_ORIGINAL_FC[1:]):
            fc += [nn.Dropout(0.5), nn.Linear(a, b), nn.ReLU(inplace=True)]
        fc.append(nn.Linear(ALEXNET_ORIGINAL_FC[-1], num_classes))
        self.classifier = nn.Sequential(*fc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 256, 6, 6) at 227×227
        x = torch.flatten(x, 1)  # (N, 9216): only inputs giving 6×6 here fit FC6
        return self.classifier(x)  # (N, num_classes)


@dataclass(frozen=True)
class ArchInfo:
    """One registry entry: how to build it and what the explorer says about it."""

    key: str
    title: str
    family: str
    year: int
    default_shape: tuple[int, int, int]  # (C, H, W)
    feature: str  # salient feature, one line
    source: str
    build: Callable[[], nn.Module] = field(repr=False, compare=False)
    # top-level child name -> group label, for rows outside any block (stem/head)
    groups: tuple[tuple[str, str], ...] = ()


def _tv(name: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision.models as tvm

        return getattr(tvm, name)(weights=None, **kw)
    return build


def _lenet5() -> nn.Module:
    from playground.digits.models import build_model, lenet5_config

    return build_model(lenet5_config())


def _unet(cfg: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        from playground.seg.unet import build_unet

        return build_unet(cfg)
    return build


_RESNET_GROUPS = (("conv1", "stem"), ("bn1", "stem"), ("relu", "stem"), ("maxpool", "stem"),
                  ("avgpool", "head"), ("fc", "head"))
_GOOGLENET_GROUPS = (("conv1", "stem"), ("maxpool1", "stem"), ("conv2", "stem"),
                     ("conv3", "stem"), ("maxpool2", "stem"), ("avgpool", "head"),
                     ("dropout", "head"), ("fc", "head"))
_VGG_FEATURE = {"11": "8 conv + 3 FC", "13": "10 conv + 3 FC", "16": "13 conv + 3 FC",
                "19": "16 conv + 3 FC"}


def _static_entries() -> list[ArchInfo]:
    e = [
        ArchInfo("lenet5", "LeNet-5 (classic, 1×32×32)", "LeNet", 1998, (1, 32, 32),
                 "conv-pool-conv-pool + 3 FC; 5×5 kernels", "playground/digits/models.py",
                 _lenet5),
        ArchInfo("alexnet_original", "AlexNet (original, single tower, course table)", "AlexNet",
                 2012, (3, 227, 227), "ReLU, dropout, LRN, overlapping pooling, 11×11/4 stem",
                 "playground/arch/zoo.py", AlexNetOriginal),
        ArchInfo("alexnet", "AlexNet (torchvision, 64-192-384-256-256)", "AlexNet", 2014,
                 (3, 224, 224), "Krizhevsky's 'one weird trick' variant + adaptive 6×6 pool",
                 "torchvision", _tv("alexnet")),
    ]
    for depth in ("11", "13", "16", "19"):
        for bn in (False, True):
            key = f"vgg{depth}" + ("_bn" if bn else "")
            e.append(ArchInfo(key, f"VGG-{depth}" + (" with BN" if bn else ""), "VGG", 2014,
                              (3, 224, 224), f"only 3×3 conv stacks, {_VGG_FEATURE[depth]}"
                              + (", BatchNorm" if bn else ""), "torchvision", _tv(key)))
    e += [
        ArchInfo("googlenet", "GoogLeNet / Inception v1 (no aux heads)", "Inception", 2014,
                 (3, 224, 224), "Inception modules with 1×1 reductions, global average pool",
                 "torchvision", _tv("googlenet", aux_logits=False, init_weights=False),
                 _GOOGLENET_GROUPS),
    ]
    for d, feat in (("18", "BasicBlock ×[2,2,2,2]"), ("34", "BasicBlock ×[3,4,6,3]"),
                    ("50", "Bottleneck ×[3,4,6,3]")):
        e.append(ArchInfo(f"resnet{d}", f"ResNet-{d}", "ResNet", 2015, (3, 224, 224),
                          f"residual shortcuts, {feat}", "torchvision", _tv(f"resnet{d}"),
                          _RESNET_GROUPS))
    if importlib.util.find_spec("playground.seg.unet") is not None:
        e += [
            ArchInfo("unet_paper", "U-Net (paper: valid convs, 572×572)", "U-Net", 2015,
                     (1, 572, 572), "encoder-decoder, skip concatenation, up-convolutions",
                     "playground/seg/unet.py", _unet("paper")),
            ArchInfo("unet_lgg", "U-Net (this app's LGG model, base 16, padded)", "U-Net", 2015,
                     (3, 256, 256), "padded convs + BN; any size (padded to a multiple of 16)",
                     "playground/seg/unet.py", _unet("lgg")),
        ]
    return e


def _cifar(kind: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        mod = importlib.import_module("playground.cifar.models")
        return getattr(mod, kind)(num_classes=10)
    return build


def _cifar_entries() -> list[ArchInfo]:
    """The project's CIFAR models, if ``playground.cifar.models`` exists (lazy, never fails)."""
    try:
        if importlib.util.find_spec("playground.cifar.models") is None:
            return []
        mod = importlib.import_module("playground.cifar.models")
    except Exception:  # noqa: BLE001 - a half-written module must not break the explorer
        return []
    out: list[ArchInfo] = []
    if callable(getattr(mod, "vgg", None)):
        out.append(ArchInfo(
            "cifar_vgg", "CIFAR VGG (this app, airbench94 layout)", "CIFAR (this app)", 2024,
            (3, 32, 32), "whitening 2×2 stem, conv→pool→BN→GELU stages 64/256/256",
            "playground/cifar/models.py", _cifar("vgg")))
    if callable(getattr(mod, "resnet", None)):
        out.append(ArchInfo(
            "cifar_resnet", "CIFAR ResNet (this app, BasicBlocks)", "CIFAR (this app)", 2024,
            (3, 32, 32), "whitening stem, BasicBlocks with pooled/projected shortcuts",
            "playground/cifar/models.py", _cifar("resnet")))
    return out


@lru_cache(maxsize=1)
def registry() -> dict[str, ArchInfo]:
    """Every available architecture by key (the CIFAR/U-Net entries only if their code exists)."""
    return {a.key: a for a in _static_entries() + _cifar_entries()}


def names() -> list[str]:
    """Keys in display order."""
    return list(registry())


def get(name: str) -> ArchInfo:
    """The entry for ``name``; ``ValueError`` naming the choices for an unknown one."""
    if not isinstance(name, str) or name.strip() not in registry():
        raise ValueError(f"unknown architecture {validate.echo(name)}; choose one of: {', '.join(names())}")
    return registry()[name.strip()]


@lru_cache(maxsize=64)
def meta_model(name: str) -> nn.Module:
    """The model on the meta device (no storage), in eval mode; cached and never mutated."""
    info = get(name)
    with torch.device("meta"):
        model = info.build()
    return model.eval()


def param_count(name: str) -> int:
    """``sum(p.numel() for p in model.parameters())``."""
    return sum(p.numel() for p in meta_model(name).parameters())
