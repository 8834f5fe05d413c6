"""Images for the Segmentation tab: mask overlays, probability maps, U-Net feature maps.

Overlay: ``out = (1 - a) * image + a * colour`` on masked pixels, with ``a`` the opacity slider.
Feature maps use :func:`playground.render.feature_grid` (one colour scale per map).
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from playground import limits
from playground.render import colorize, feature_grid
from playground.seg.unet import UNet

PRED_COLOUR = np.array([255, 40, 40], np.float32)  # predicted mask: red
TRUTH_COLOUR = np.array([40, 220, 80], np.uint8)  # ground-truth outline: green


def overlay(image: np.ndarray, mask: np.ndarray, opacity: float,
            truth: np.ndarray | None = None) -> Image.Image:
    """Blend the predicted mask (red) into ``image`` at ``opacity``; outline the truth in green."""
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity}")
    out = image.astype(np.float32).copy()
    out[mask] = (1 - opacity) * out[mask] + opacity * PRED_COLOUR
    out = out.round().astype(np.uint8)
    if truth is not None:
        edge = truth & ~(np.roll(truth, 1, 0) & np.roll(truth, -1, 0) & np.roll(truth, 1, 1)
                         & np.roll(truth, -1, 1))
        out[edge] = TRUTH_COLOUR
    return Image.fromarray(out)


def mask_image(mask: np.ndarray) -> Image.Image:
    """A boolean mask as a black/white PNG-able image (255 = positive class)."""
    return Image.fromarray(mask.astype(np.uint8) * 255)


def prob_image(prob: np.ndarray) -> Image.Image:
    """The probability map coloured with ``magma`` on the fixed scale [0, 1]."""
    return Image.fromarray(colorize(prob, "magma", 0.0, 1.0))


def _shape(t: torch.Tensor) -> str:
    return "(" + ", ".join(str(int(v)) for v in t.shape) + ")"


def _grid(t: torch.Tensor, prefix: str) -> Image.Image:
    maps = t[0, : limits.SEG_FEATURE_MAPS].float().numpy()
    return feature_grid(maps, [f"{prefix} ch {i}" for i in range(len(maps))], max_maps=len(maps),
                        tile=96, ncols=4)


@torch.inference_mode()
def feature_gallery(model: UNet, x: np.ndarray) -> list[tuple[Image.Image, str]]:
    """Encoder, bottleneck, up-conv and decoder maps with their shapes, for ``gr.Gallery``.

    ``x`` is the model input (C, H, W). The captions say what each skip connection carries: the
    encoder map of that level, at full resolution of that level, concatenated with the up-conv.
    """
    _, f = model.forward_features(torch.from_numpy(x)[None])
    depth = model.cfg.depth
    ph, pw = f.padded_size
    note = (f" (input padded to {ph}x{pw}, a multiple of 2^{depth})"
            if (ph, pw) != tuple(x.shape[-2:]) else "")
    items: list[tuple[Image.Image, str]] = []
    for level, t in enumerate(f.encoder):
        items.append((_grid(t, f"enc{level}"),
                      f"encoder level {level}: {_shape(t)}{note if level == 0 else ''}. Skip {level} "
                      f"carries these {t.shape[1]} maps unchanged to decoder level {level}"))
    items.append((_grid(f.bottleneck, "bott"), f"bottleneck (level {depth}): {_shape(f.bottleneck)}"))
    for i, (u, s, d) in enumerate(zip(f.up, f.skips_used, f.decoder)):
        level = depth - 1 - i
        items.append((_grid(u, f"up{level}"),
                      f"up-conv to level {level}: {_shape(u)} (ConvTranspose2d 2x2, stride 2: size "
                      f"doubles, channels halve)"))
        items.append((_grid(d, f"dec{level}"),
                      f"decoder level {level}: cat(skip {level} {_shape(s)}, up-conv {_shape(u)}) = "
                      f"{s.shape[1] + u.shape[1]} channels -> double conv -> {_shape(d)}"))
    return items
