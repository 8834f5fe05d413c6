"""Data-augmentation preview: N augmented samples of one image, the torchvision code that made
them, and what ``Normalize`` does to the tensor.

The pipeline (``torchvision.transforms.v2``, applied in this order, each only when enabled):
RandomCrop(size, padding) · RandomResizedCrop(size, scale) · RandomHorizontalFlip ·
RandomVerticalFlip · RandomRotation(degrees) · RandomAffine(translate, scale, shear) ·
ColorJitter · GaussianBlur · ToImage · ToDtype(float32, scale=True) · Normalize(mean, std).

Normalize computes, per channel c:  x'[c] = (x[c] - mean[c]) / std[c].

A seed makes the grid reproducible: sampling runs under ``torch.random.fork_rng`` with
``torch.manual_seed(seed)``, serialised by a lock so concurrent requests cannot interleave draws.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from PIL import Image

from playground import limits, validate

if TYPE_CHECKING:
    from torchvision.transforms.v2 import Transform

NORM_PRESETS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "ImageNet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "CIFAR-10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "MNIST (grey, repeated)": ((0.1307,) * 3, (0.3081,) * 3),
}
_RNG_LOCK = threading.Lock()


def _v2() -> ModuleType:
    """``torchvision.transforms.v2``, imported on first use: importing torchvision takes seconds
    (it pulls in ``torch._dynamo``), which would slow the app's start for every tab."""
    from torchvision.transforms import v2

    return v2


@dataclass(frozen=True)
class AugSettings:
    """Which transforms to apply and their main parameters (validated)."""

    size: int = 64
    crop_padding: int = 0            # RandomCrop(size, padding=...) when > 0
    resized_crop_min_scale: float = 0.0   # RandomResizedCrop(size, scale=(s, 1)) when > 0
    hflip: bool = False
    vflip: bool = False
    rotation: float = 0.0            # RandomRotation(degrees) when > 0
    translate: float = 0.0           # RandomAffine translate fraction
    scale: float = 0.0               # RandomAffine scale=(1-s, 1+s)
    shear: float = 0.0               # RandomAffine shear degrees
    jitter: float = 0.0              # ColorJitter(brightness=j, contrast=j, saturation=j, hue=j/4)
    blur_sigma: float = 0.0          # GaussianBlur(kernel_size, sigma=(0.1, sigma)) when > 0
    blur_kernel: int = 5
    normalize: str = "ImageNet"      # a key of NORM_PRESETS, or "" for no Normalize
    n: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        checks = [
            (16 <= self.size <= 256, f"size must be in 16..256, got {self.size}"),
            (0 <= self.crop_padding <= self.size // 2,
             f"crop padding must be in 0..{self.size // 2}, got {self.crop_padding}"),
            (self.resized_crop_min_scale == 0 or 0.05 <= self.resized_crop_min_scale <= 1,
             f"RandomResizedCrop min scale must be 0 (off) or in 0.05..1, got {self.resized_crop_min_scale}"),
            (0 <= self.rotation <= 180, f"rotation must be in 0..180 degrees, got {self.rotation}"),
            (0 <= self.translate <= 0.5, f"translate must be in 0..0.5, got {self.translate}"),
            (0 <= self.scale < 1, f"affine scale must be in 0..0.99, got {self.scale}"),
            (0 <= self.shear <= 45, f"shear must be in 0..45 degrees, got {self.shear}"),
            (0 <= self.jitter <= 1, f"colour jitter must be in 0..1, got {self.jitter}"),
            (0 <= self.blur_sigma <= 10, f"blur sigma must be in 0..10, got {self.blur_sigma}"),
            (self.blur_kernel % 2 == 1 and 1 <= self.blur_kernel <= 31,
             f"blur kernel must be odd and in 1..31, got {self.blur_kernel}"),
            (self.normalize in ("", *NORM_PRESETS),
             f"normalize must be one of {', '.join(NORM_PRESETS)} or off, got {self.normalize!r}"),
            (1 <= self.n <= limits.MAX_AUGMENT_SAMPLES,
             f"number of samples must be in 1..{limits.MAX_AUGMENT_SAMPLES}, got {self.n}"),
            (0 <= self.seed < 2**63, f"seed must be in 0..2**63-1, got {self.seed}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValueError(msg)


def settings_from_ui(size: Any, crop_padding: Any, rrc_scale: Any, hflip: Any, vflip: Any,
                     rotation: Any, translate: Any, scale: Any, shear: Any, jitter: Any,
                     blur_sigma: Any, normalize: Any, n: Any, seed: Any) -> AugSettings:
    """``AugSettings`` from the tab's raw values: each is type-checked here (``ValueError`` naming
    the setting), then ``AugSettings`` checks the ranges. ``normalize`` is a preset name or "off"."""
    norm = validate.choice(normalize, ("off", *NORM_PRESETS), "Normalize")
    return AugSettings(
        size=validate.integer(size, "size"), crop_padding=validate.integer(crop_padding, "crop padding"),
        resized_crop_min_scale=validate.number(rrc_scale, "RandomResizedCrop min scale"),
        hflip=bool(hflip), vflip=bool(vflip), rotation=validate.number(rotation, "rotation"),
        translate=validate.number(translate, "translate"), scale=validate.number(scale, "affine scale"),
        shear=validate.number(shear, "shear"), jitter=validate.number(jitter, "colour jitter"),
        blur_sigma=validate.number(blur_sigma, "blur sigma"), normalize="" if norm == "off" else norm,
        n=validate.integer(n, "number of samples"),
        seed=validate.integer(0 if seed is None or seed == "" else seed, "seed"))


def pipeline(s: AugSettings) -> tuple[list[Transform], list[str]]:
    """The random (PIL → PIL) transforms and their source lines, in order."""
    T = _v2()
    ts: list[tuple[Transform, str]] = []
    if s.crop_padding:
        ts.append((T.RandomCrop(s.size, padding=s.crop_padding),
                   f"T.RandomCrop({s.size}, padding={s.crop_padding})"))
    if s.resized_crop_min_scale:
        ts.append((T.RandomResizedCrop(s.size, scale=(s.resized_crop_min_scale, 1.0), antialias=True),
                   f"T.RandomResizedCrop({s.size}, scale=({s.resized_crop_min_scale:g}, 1.0))"))
    if s.hflip:
        ts.append((T.RandomHorizontalFlip(0.5), "T.RandomHorizontalFlip(p=0.5)"))
    if s.vflip:
        ts.append((T.RandomVerticalFlip(0.5), "T.RandomVerticalFlip(p=0.5)"))
    if s.rotation:
        ts.append((T.RandomRotation(s.rotation), f"T.RandomRotation(degrees={s.rotation:g})"))
    if s.translate or s.scale or s.shear:
        sc = (1 - s.scale, 1 + s.scale)
        ts.append((T.RandomAffine(0, translate=(s.translate, s.translate), scale=sc, shear=s.shear),
                   f"T.RandomAffine(degrees=0, translate=({s.translate:g}, {s.translate:g}), "
                   f"scale=({sc[0]:g}, {sc[1]:g}), shear={s.shear:g})"))
    if s.jitter:
        j = s.jitter
        ts.append((T.ColorJitter(brightness=j, contrast=j, saturation=j, hue=min(j / 4, 0.5)),
                   f"T.ColorJitter(brightness={j:g}, contrast={j:g}, saturation={j:g}, "
                   f"hue={min(j / 4, 0.5):g})"))
    if s.blur_sigma:
        ts.append((T.GaussianBlur(s.blur_kernel, sigma=(0.1, s.blur_sigma)),
                   f"T.GaussianBlur(kernel_size={s.blur_kernel}, sigma=(0.1, {s.blur_sigma:g}))"))
    return [t for t, _ in ts], [c for _, c in ts]


def code(s: AugSettings) -> str:
    """The torchvision code that produces the grid (the same transforms, seed and order)."""
    _, lines = pipeline(s)
    tail = ["T.ToImage(),", "T.ToDtype(torch.float32, scale=True),  # uint8 0..255 -> float 0..1"]
    if s.normalize:
        mean, std = NORM_PRESETS[s.normalize]
        tail.append(f"T.Normalize(mean={list(mean)}, std={list(std)}),  # (x - mean) / std")
    body = "\n".join(f"    {line}" for line in [*(f"{x}," for x in lines), *tail])
    return (
        "import torch\nfrom PIL import Image\nfrom torchvision.transforms import v2 as T\n\n"
        f"img = Image.open('image.png').convert('RGB')\n"
        f"img = T.CenterCrop(min(img.size))(img)\n"
        f"img = T.Resize(({s.size}, {s.size}), antialias=True)(img)  # the 'original' tile\n\n"
        f"transform = T.Compose([\n{body}\n])\n\n"
        f"torch.manual_seed({s.seed})\n"
        f"samples = [transform(img) for _ in range({s.n})]  # {s.n} tensors (3, {s.size}, {s.size})\n"
        "# the grid shows each sample before ToImage/ToDtype/Normalize (these draw no random numbers)\n")


def square(img: Image.Image, size: int) -> Image.Image:
    """Centre-crop to a square and resize to ``size`` (the 'original' tile)."""
    T = _v2()
    side = min(img.size)
    return T.Resize((size, size), antialias=True)(T.CenterCrop(side)(img.convert("RGB")))


def channel_stats(x: torch.Tensor) -> list[dict[str, float]]:
    """Per-channel mean, std, min and max of a (C, H, W) float tensor."""
    return [{"mean": round(float(c.mean()), 4), "std": round(float(c.std()), 4),
             "min": round(float(c.min()), 4), "max": round(float(c.max()), 4)} for c in x]


@dataclass(frozen=True)
class Preview:
    """The grid (original first, then the samples), the code and the Normalize statistics."""

    grid: np.ndarray
    samples: list[np.ndarray]
    code: str
    stats: dict


def preview(img: Image.Image, s: AugSettings) -> Preview:
    """Augment ``img`` ``s.n`` times with a seeded RNG; also report Normalize's effect."""
    T = _v2()
    base = square(img, s.size)
    transforms, _ = pipeline(s)
    compose = T.Compose(transforms) if transforms else T.Identity()
    with _RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(s.seed)
        outs = [compose(base) for _ in range(s.n)]
    arrays = [np.asarray(o.convert("RGB"), dtype=np.uint8) for o in outs]
    first = T.ToDtype(torch.float32, scale=True)(T.ToImage()(outs[0]))
    stats: dict = {"before_normalize": channel_stats(first)}
    if s.normalize:
        mean, std = NORM_PRESETS[s.normalize]
        stats |= {"mean": list(mean), "std": list(std),
                  "after_normalize": channel_stats(T.Normalize(mean, std)(first))}
    return Preview(_grid([np.asarray(base, dtype=np.uint8), *arrays]), arrays, code(s), stats)


def _grid(tiles: list[np.ndarray], cols: int = 6, gap: int = 6) -> np.ndarray:
    h, w = tiles[0].shape[:2]
    cols = min(cols, len(tiles))
    rows = -(-len(tiles) // cols)
    out = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap, 3), 255, np.uint8)
    for k, t in enumerate(tiles):
        r, c = divmod(k, cols)
        y, x = gap + r * (h + gap), gap + c * (w + gap)
        out[y:y + h, x:x + w] = t
        if k == 0:  # frame the original in blue
            out[y - 2:y, x - 2:x + w + 2] = out[y + h:y + h + 2, x - 2:x + w + 2] = (40, 90, 220)
            out[y:y + h, x - 2:x] = out[y:y + h, x + w:x + w + 2] = (40, 90, 220)
    return out


def stats_markdown(stats: dict) -> str:
    """A small table of the first sample's tensor before and after Normalize."""
    rows = ["| channel | before: mean | std | min | max | after: mean | std | min | max |",
            "|---|---|---|---|---|---|---|---|---|"]
    after = stats.get("after_normalize") or [None] * len(stats["before_normalize"])
    for c, (b, a) in enumerate(zip(stats["before_normalize"], after)):
        tail = (f"{a['mean']} | {a['std']} | {a['min']} | {a['max']}" if a else "– | – | – | –")
        rows.append(f"| {'RGB'[c]} | {b['mean']} | {b['std']} | {b['min']} | {b['max']} | {tail} |")
    head = ("Normalize: `x' = (x - mean) / std` with mean = "
            f"{stats['mean']}, std = {stats['std']}\n\n" if "mean" in stats else "Normalize is off.\n\n")
    return head + "First sample, as a float tensor in [0, 1] before Normalize:\n\n" + "\n".join(rows)
