"""Transposed convolution as the course teaches it, checked against ``F.conv_transpose2d``.

Recipe per spatial dimension (stride ``s``, padding ``p``, kernel ``k``, dilation ``d``,
output_padding ``op``):

1. insert ``s − 1`` zeros between neighbouring rows (columns): size ``(H − 1)·s + 1``;
2. pad with ``q = d·(k − 1) − p`` zeros before and ``q + op`` after (a negative ``q`` crops);
3. run a stride-1 convolution (dilation ``d``) with the kernel flipped in both spatial axes and
   its in/out channel axes swapped (per group).

The result has PyTorch's size ``(H − 1)·s − 2p + d·(k − 1) + op + 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["zero_insert", "flip_weight", "TransposedSteps", "conv_transpose_as_conv"]

Pair = tuple[int, int]


def zero_insert(x: torch.Tensor, stride: Pair) -> torch.Tensor:
    """Insert ``s − 1`` zeros between rows and columns of ``x`` ``(N, C, H, W)``."""
    sh, sw = stride
    n, c, h, w = x.shape
    out = x.new_zeros((n, c, (h - 1) * sh + 1, (w - 1) * sw + 1))
    out[:, :, ::sh, ::sw] = x
    return out


def flip_weight(weight: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """ConvTranspose2d weight ``(C_in, C_out/g, kh, kw)`` → the equivalent Conv2d weight
    ``(C_out, C_in/g, kh, kw)``: swap in/out channels within each group, flip both spatial axes."""
    cin, cout_g, kh, kw = weight.shape
    if cin % groups:
        raise ValueError(f"in_channels ({cin}) must be divisible by groups ({groups})")
    w = weight.reshape(groups, cin // groups, cout_g, kh, kw).transpose(1, 2)
    return w.reshape(groups * cout_g, cin // groups, kh, kw).flip(-1, -2)


@dataclass(frozen=True)
class TransposedSteps:
    """The intermediate tensors of the recipe (all ``(N, C, ·, ·)``) and the per-side padding."""

    zero_inserted: torch.Tensor
    padded: torch.Tensor
    padding: tuple[int, int, int, int]  # (top, bottom, left, right); negative = cropped
    weight: torch.Tensor                # flipped, channel-swapped conv weight
    output: torch.Tensor


def conv_transpose_as_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                           stride: Pair = (1, 1), padding: Pair = (0, 0),
                           output_padding: Pair = (0, 0), dilation: Pair = (1, 1),
                           groups: int = 1) -> TransposedSteps:
    """Compute ``F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups,
    dilation)`` by zero insertion, padding and a stride-1 convolution with the flipped kernel."""
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    for name, v, lo in (("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0),
                        ("output_padding", output_padding, 0)):
        if min(v) < lo:
            raise ValueError(f"{name} must be >= {lo}, got {v}")
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise ValueError(f"output_padding {output_padding} must be smaller than either stride "
                         f"{stride} or dilation {dilation}")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"input has {x.shape[1]} channels but the weight expects {weight.shape[0]}")
    kh, kw = weight.shape[-2:]
    h, w = x.shape[-2:]
    ho = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    wo = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if ho < 1 or wo < 1:
        raise ValueError(f"the output would be {ho}×{wo}: (H−1)·s − 2p + d·(k−1) + op + 1 < 1; "
                         "use less padding or a larger stride or kernel")
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    pads = (qh, qh + oph, qw, qw + opw)
    z = zero_insert(x, (sh, sw))
    zp = F.pad(z, (pads[2], pads[3], pads[0], pads[1]))  # negative amounts crop
    wt = flip_weight(weight, groups)
    y = F.conv2d(zp, wt, bias, stride=1, dilation=(dh, dw), groups=groups)
    return TransposedSteps(z, zp, pads, wt, y)
