"""Feature maps on a real picture: pad, convolve with a kernel bank, then optional activation and
pooling, all with real PyTorch ops so every map is exact.

The padded input is made with ``F.pad`` in the chosen ``padding_mode`` (``'zeros'`` → constant 0,
``'reflect'``, ``'replicate'``, ``'circular'``) and convolved with ``padding=0``: this is exactly
what ``nn.Conv2d`` does internally for every padding mode, so the maps equal ``nn.Conv2d``'s.
Output size per dimension: ``floor((H + pad_before + pad_after − d·(k−1) − 1) / s) + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from playground import imageio, limits, validate
from playground.layerlab.geometry import conv_out, pair, resolve_padding

__all__ = ["FeatureResult", "feature_maps", "image_to_array", "PADDING_MODES", "ACTIVATIONS", "POOLS"]

PADDING_MODES: dict[str, str] = {"zeros": "constant", "reflect": "reflect",
                                 "replicate": "replicate", "circular": "circular"}
ACTIVATIONS: tuple[str, ...] = ("none", "relu", "leaky_relu", "sigmoid", "tanh", "gelu")
POOLS: tuple[str, ...] = ("none", "max", "avg")


@dataclass(frozen=True)
class FeatureResult:
    """Everything the feature-map view shows. Arrays are float32 numpy."""

    input: np.ndarray            # (H, W) in [0, 1]
    padded: np.ndarray           # (H + pt + pb, W + pl + pr)
    padding: tuple[int, int, int, int]  # (top, bottom, left, right)
    maps: np.ndarray             # (K, Ho, Wo) conv outputs (+ bias)
    activated: np.ndarray | None  # (K, Ho, Wo) after the activation, if any
    pooled: np.ndarray | None     # (K, Hp, Wp) after pooling, if any
    titles: tuple[str, ...]
    notes: tuple[str, ...]


def image_to_array(source: Any, max_side: int = limits.WORK_IMAGE_SIDE) -> tuple[np.ndarray, str]:
    """Any upload / sample / drawing → grayscale ``(H, W)`` float32 in [0, 1] plus a downscale note."""
    img = imageio.load_image(source, mode="L", max_side=max_side)
    img, note = imageio.downscale(img, max_side)
    return np.asarray(img, dtype=np.float32) / 255.0, note


def _activate(x: torch.Tensor, name: str) -> torch.Tensor:
    if name == "relu":
        return F.relu(x)
    if name == "leaky_relu":
        return F.leaky_relu(x, 0.01)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "gelu":
        return F.gelu(x)
    raise ValueError(f"unknown activation {validate.echo(name)}; choose one of {', '.join(ACTIVATIONS)}")


def feature_maps(image: np.ndarray, kernels: np.ndarray, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, padding_mode: str = "zeros", bias: np.ndarray | None = None,
                 activation: str = "none", pool: str = "none", pool_size: int = 2,
                 titles: tuple[str, ...] | list[str] = ()) -> FeatureResult:
    """Convolve a grayscale image ``(H, W)`` with kernels ``(K, kh, kw)``.

    Equivalent to ``nn.Conv2d(1, K, (kh, kw), stride, padding, dilation, padding_mode=...)`` with the
    kernels as weights, then ``activation`` and ``MaxPool2d/AvgPool2d(pool_size)`` if chosen.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ValueError(f"image must be a non-empty 2-D array, got shape {img.shape}")
    if img.size > limits.MAX_TENSOR_ELEMENTS:
        raise ValueError(f"image has {img.size:,} pixels; the limit is {limits.MAX_TENSOR_ELEMENTS:,}")
    k = np.asarray(kernels, dtype=np.float32)
    if k.ndim == 2:
        k = k[None]
    if k.ndim != 3 or k.shape[0] < 1:
        raise ValueError(f"kernels must have shape (K, kh, kw), got {k.shape}")
    if not np.isfinite(k).all() or not np.isfinite(img).all():
        raise ValueError("kernel and image values must be finite (no NaN or infinity)")
    s = pair(stride, "stride")
    d = pair(dilation, "dilation")
    ks = (int(k.shape[1]), int(k.shape[2]))
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {', '.join(PADDING_MODES)}, got {validate.echo(padding_mode)}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {validate.echo(activation)}; choose one of {', '.join(ACTIVATIONS)}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(POOLS)}, got {validate.echo(pool)}")
    pt, pb, pl, pr = resolve_padding(padding, ks, d, s)
    H, W = img.shape
    if padding_mode == "reflect" and (max(pt, pb) >= H or max(pl, pr) >= W):
        raise ValueError(f"reflect padding must be smaller than the image side: padding "
                         f"({pt},{pb},{pl},{pr}) on a {H}×{W} image")
    if padding_mode == "circular" and (max(pt, pb) > H or max(pl, pr) > W):
        raise ValueError(f"circular padding can wrap at most once: padding ({pt},{pb},{pl},{pr}) "
                         f"on a {H}×{W} image")
    ho = conv_out(H, ks[0], s[0], pt + pb, d[0])
    wo = conv_out(W, ks[1], s[1], pl + pr, d[1])
    if ho < 1 or wo < 1:
        raise ValueError(f"the output would be {ho}×{wo}: the dilated kernel "
                         f"{d[0] * (ks[0] - 1) + 1}×{d[1] * (ks[1] - 1) + 1} is larger than the padded "
                         f"image {H + pt + pb}×{W + pl + pr}; use more padding or a smaller kernel")
    notes: list[str] = []
    with torch.no_grad():
        x = torch.from_numpy(img)[None, None]
        xp = F.pad(x, (pl, pr, pt, pb), mode=PADDING_MODES[padding_mode]) if (pt or pb or pl or pr) else x
        b = None if bias is None else torch.as_tensor(np.asarray(bias, dtype=np.float32))
        y = F.conv2d(xp, torch.from_numpy(k)[:, None], b, stride=s, dilation=d)
        act = None if activation == "none" else _activate(y, activation)
        z = y if act is None else act
        pooled = None
        if pool != "none":
            if not 1 <= pool_size <= min(z.shape[-2:]):
                raise ValueError(f"pool size must be between 1 and {min(z.shape[-2:])} (the smaller "
                                 f"map side), got {pool_size}")
            fn = F.max_pool2d if pool == "max" else F.avg_pool2d
            pooled = fn(z, pool_size, pool_size)
            notes.append(f"{pool} pooling {pool_size}×{pool_size}, stride {pool_size}: "
                         f"{tuple(z.shape[-2:])} → {tuple(pooled.shape[-2:])}")
    names = tuple(titles) + tuple(f"kernel {i}" for i in range(len(titles), k.shape[0]))
    return FeatureResult(
        input=img, padded=xp[0, 0].numpy(), padding=(pt, pb, pl, pr), maps=y[0].numpy(),
        activated=None if act is None else act[0].numpy(),
        pooled=None if pooled is None else pooled[0].numpy(), titles=names[:k.shape[0]],
        notes=tuple(notes))
