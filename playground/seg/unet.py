"""U-Net as taught (Ronneberger, Fischer and Brox, 2015), built from a small config.

Contracting path, one level per step::

    x -> Conv3x3 -> [BN] -> ReLU -> Conv3x3 -> [BN] -> ReLU      (channels c_l = base * 2**l)
      -> skip_l (kept for the expanding path) -> MaxPool2d(2)     (H, W halve)

Bottleneck: the same double conv at level ``depth`` with ``base * 2**depth`` channels.
Expanding path, one level per step (l = depth-1 .. 0)::

    up = ConvTranspose2d(c_{l+1}, c_l, kernel_size=2, stride=2)(x)   # H, W double; channels halve
    x  = DoubleConv(torch.cat([skip_l, up], dim=1))                  # 2*c_l -> c_l
Head: ``Conv2d(base, num_classes, kernel_size=1)``.

Output sizes (PyTorch's formulas, dilation 1):
``Conv2d``: ``H_out = floor((H + 2p - k) / s) + 1``  -> padded 3x3 (p=1): H; valid (p=0): H - 2.
``MaxPool2d(2)``: ``floor(H / 2)``.  ``ConvTranspose2d(k=2, s=2)``: ``(H - 1) * 2 + 2 = 2H``.

**Any input size, padded mode.** Max-pooling floors odd sizes, so after ``depth`` pools the
decoder could not match its skips. This module **pads the input up to a multiple of
``2**depth``** (reflection padding where the image is big enough, else edge replication) and
**crops the logits back** to the input size: 127x93 in -> 128x96 inside -> 127x93 out. Skips then
always match exactly (no skip cropping in padded mode).

**Valid mode** (``padding=False``, the paper): every 3x3 conv loses 2 pixels, the output is
smaller than the input (572 -> 388 for depth 4) and each skip is **center-cropped** to the
upsampled map, as in the paper's Fig. 1. Only sizes for which every pooled map is even are
accepted; :func:`valid_output_size` says which.

The paper's network, ``CONFIGS["paper"]``, has 23 conv layers: 18 3x3 convs (2 per level x 9
levels), 4 up-convs and the final 1x1 conv.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class UNetConfig:
    """Architecture of one U-Net; stored verbatim in the weights' metadata."""

    in_channels: int = 3
    num_classes: int = 1
    depth: int = 4  # number of 2x2 max-pools (levels = depth + 1)
    base: int = 64  # channels of the first level; doubles at each level
    batch_norm: bool = True
    padding: bool = True  # True: padded 3x3 convs (same size); False: valid convs as in the paper
    input_norm: bool = False  # divide each image's channels by their foreground mean (MRI scans)

    def __post_init__(self) -> None:
        for name in ("in_channels", "num_classes", "depth", "base"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if self.depth > 6:
            raise ValueError(f"depth must be <= 6, got {self.depth}")
        if self.base > 128:
            raise ValueError(f"base width must be <= 128, got {self.base}")

    def channels(self) -> list[int]:
        """Channels at each level: ``[base * 2**l for l in 0..depth]``."""
        return [self.base * 2**level for level in range(self.depth + 1)]

    def to_dict(self) -> dict:
        """Plain dict for JSON metadata."""
        return asdict(self)


FOREGROUND_LEVEL = 0.02
"""A pixel is foreground (inside the head) when any channel exceeds this (inputs in [0, 1])."""


def normalize_intensity(x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Per image and channel: ``x_c · 0.5 / (mean of x_c over the foreground + eps)``.

    MR intensities have no absolute scale: one LGG patient's FLAIR is 3-4x darker than the others'
    (brain mean 13/255 against 40-50/255), and a U-Net fed raw intensities misses that patient's
    whole tumour. Dividing by the foreground mean (the background stays 0) makes the network
    invariant to a per-scan gain of each channel."""
    fg = (x > FOREGROUND_LEVEL).any(dim=1, keepdim=True).to(x.dtype)  # (N, 1, H, W)
    mean = (x * fg).sum(dim=(2, 3), keepdim=True) / fg.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)
    return x * (0.5 / (mean + eps))


CONFIGS: dict[str, UNetConfig] = {
    # The paper's network: 1 input channel, 2 classes, 5 levels, 64..1024 channels, valid convs.
    "paper": UNetConfig(in_channels=1, num_classes=2, depth=4, base=64, batch_norm=False, padding=False),
    # The small networks trained for this app (see playground/seg/train.py).
    "lgg": UNetConfig(in_channels=3, num_classes=1, depth=4, base=16),
    "em": UNetConfig(in_channels=1, num_classes=1, depth=4, base=8),
    "digits": UNetConfig(in_channels=1, num_classes=11, depth=3, base=16),
}


def conv_layer_count(cfg: UNetConfig) -> int:
    """Conv layers as the paper counts them: 2 per level, 1 up-conv per decoder level, 1 head."""
    return 2 * (cfg.depth + 1) + 2 * cfg.depth + cfg.depth + 1


def valid_output_size(size: int, depth: int) -> int:
    """Output side of a valid-conv U-Net for an input side ``size``; ``ValueError`` if impossible.

    Each level's double conv subtracts 4; each pool needs an even side (``floor(H/2)`` would lose
    a row the decoder cannot give back). 572 -> 388 for depth 4, as in the paper.
    """
    s = size
    for level in range(depth):
        s -= 4
        if s < 2 or s % 2:
            raise ValueError(f"valid U-Net (depth {depth}) cannot take side {size}: level {level} "
                             f"map is {s} before pooling (must be even and >= 2)")
        s //= 2
    s -= 4
    if s < 1:
        raise ValueError(f"valid U-Net (depth {depth}) cannot take side {size}: bottleneck is {s}")
    for _ in range(depth):
        s = 2 * s - 4
    return s


class DoubleConv(nn.Sequential):
    """(Conv3x3 -> [BatchNorm] -> ReLU) x 2."""

    def __init__(self, c_in: int, c_out: int, batch_norm: bool, padding: bool) -> None:
        p = 1 if padding else 0
        layers: list[nn.Module] = []
        for a, b in ((c_in, c_out), (c_out, c_out)):
            layers.append(nn.Conv2d(a, b, 3, padding=p, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(b))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


def center_crop(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Crop the central ``h x w`` window of ``x`` (N, C, H, W)."""
    top = (x.shape[-2] - h) // 2
    left = (x.shape[-1] - w) // 2
    return x[..., top:top + h, left:left + w]


@dataclass
class UNetFeatures:
    """Intermediate maps for visualisation (batch dimension kept)."""

    encoder: list[torch.Tensor] = field(default_factory=list)  # skip_l, l = 0..depth-1
    bottleneck: torch.Tensor | None = None
    up: list[torch.Tensor] = field(default_factory=list)  # after each up-conv, deepest first
    decoder: list[torch.Tensor] = field(default_factory=list)  # after each decoder double conv
    skips_used: list[torch.Tensor] = field(default_factory=list)  # skip as concatenated (cropped)
    padded_size: tuple[int, int] = (0, 0)


class UNet(nn.Module):
    """U-Net from a :class:`UNetConfig`; ``forward`` returns logits (N, classes, H_out, W_out)."""

    def __init__(self, cfg: UNetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.channels()
        self.down = nn.ModuleList()
        c_prev = cfg.in_channels
        for c in ch:  # levels 0..depth (the last one is the bottleneck)
            self.down.append(DoubleConv(c_prev, c, cfg.batch_norm, cfg.padding))
            c_prev = c
        self.pool = nn.MaxPool2d(2)
        self.upconv = nn.ModuleList()
        self.up = nn.ModuleList()
        for level in reversed(range(cfg.depth)):
            self.upconv.append(nn.ConvTranspose2d(ch[level + 1], ch[level], kernel_size=2, stride=2))
            self.up.append(DoubleConv(2 * ch[level], ch[level], cfg.batch_norm, cfg.padding))
        self.head = nn.Conv2d(ch[0], cfg.num_classes, kernel_size=1)

    # ------------------------------------------------------------------------------------------
    def _pad_input(self, x: torch.Tensor) -> tuple[torch.Tensor, int, int]:
        h, w = x.shape[-2:]
        m = 2**self.cfg.depth
        ph, pw = (-h) % m, (-w) % m
        if ph == 0 and pw == 0:
            return x, h, w
        mode = "reflect" if (ph < h and pw < w) else "replicate"
        return F.pad(x, (0, pw, 0, ph), mode=mode), h, w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits; padded mode: same H, W as ``x``; valid mode: see :func:`valid_output_size`."""
        return self._run(x, None)

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, UNetFeatures]:
        """Logits plus every encoder, bottleneck, up-conv and decoder map."""
        feats = UNetFeatures()
        return self._run(x, feats), feats

    def _run(self, x: torch.Tensor, feats: UNetFeatures | None) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.cfg.in_channels:
            raise ValueError(f"U-Net expects (N, {self.cfg.in_channels}, H, W), got {tuple(x.shape)}")
        if self.cfg.input_norm:
            x = normalize_intensity(x)  # (N, C, H, W), each channel's foreground mean -> 0.5
        if self.cfg.padding:
            x, h, w = self._pad_input(x)  # (N, C, H', W'), H' and W' multiples of 2**depth
        else:
            valid_output_size(x.shape[-2], self.cfg.depth)
            valid_output_size(x.shape[-1], self.cfg.depth)
            h = w = 0
        if feats is not None:
            feats.padded_size = (int(x.shape[-2]), int(x.shape[-1]))
        skips: list[torch.Tensor] = []
        for level, block in enumerate(self.down):
            x = block(x)  # (N, base*2**level, H/2**level, W/2**level) in padded mode
            if level < self.cfg.depth:
                skips.append(x)
                x = self.pool(x)  # halves H and W
        if feats is not None:
            feats.encoder = list(skips)
            feats.bottleneck = x
        for upconv, block in zip(self.upconv, self.up):
            skip = skips.pop()
            x = upconv(x)  # (N, c_l, 2H, 2W): channels halve, size doubles
            if not self.cfg.padding:
                skip = center_crop(skip, x.shape[-2], x.shape[-1])  # the paper's crop
            if feats is not None:
                feats.up.append(x)
                feats.skips_used.append(skip)
            x = block(torch.cat([skip, x], dim=1))  # (N, 2*c_l, ...) -> (N, c_l, ...)
            if feats is not None:
                feats.decoder.append(x)
        x = self.head(x)  # (N, num_classes, H', W')
        if self.cfg.padding:
            x = x[..., :h, :w]  # crop the padding back off: same size as the input
        return x


def build_unet(cfg: UNetConfig | dict | str) -> UNet:
    """Build a U-Net from a config, its dict (metadata) or a name in :data:`CONFIGS`."""
    if isinstance(cfg, str):
        if cfg not in CONFIGS:
            raise ValueError(f"unknown U-Net config {cfg!r}; choose from {sorted(CONFIGS)}")
        cfg = CONFIGS[cfg]
    elif isinstance(cfg, dict):
        cfg = UNetConfig(**cfg)
    return UNet(cfg)
