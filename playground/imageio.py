"""Safe image loading for every tab: one place that turns any upload into a clean RGB/L image.

Handles: EXIF rotation (``ImageOps.exif_transpose``), 16-bit, CMYK, palette, LA/RGBA (composited on
a background), animated images (first frame), truncated files, decompression bombs (PIL's
``MAX_IMAGE_PIXELS`` is set from :mod:`playground.limits`), non-images and empty files. Errors are
``ValueError`` with a message a student can act on.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from playground import limits

Image.MAX_IMAGE_PIXELS = limits.MAX_IMAGE_PIXELS


def _open(source: Any) -> Image.Image:
    """Open ``source`` (PIL image, numpy array, path or bytes) without decoding more than needed."""
    if source is None:
        raise ValueError("no image was given: upload or draw one first")
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return from_array(source)
    if isinstance(source, dict):  # gr.ImageEditor / Sketchpad value
        comp = source.get("composite")
        if comp is None:
            comp = source.get("background")
        if comp is None:
            raise ValueError("no image was given: upload or draw one first")
        return _open(comp)
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ValueError("the file is empty (0 bytes), not an image")
        return _decode(io.BytesIO(bytes(source)), "upload")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"image file not found: {path.name}")
        size = path.stat().st_size
        if size == 0:
            raise ValueError(f"{path.name} is empty (0 bytes), not an image")
        if size > limits.MAX_UPLOAD_BYTES:
            raise ValueError(
                f"{path.name} is {size / 1e6:.1f} MB; the limit is {limits.MAX_UPLOAD_BYTES / 1e6:.0f} MB"
            )
        return _decode(path, path.name)
    raise ValueError(f"unsupported image value of type {type(source).__name__}")


def _decode(fp: Any, name: str) -> Image.Image:
    try:
        img = Image.open(fp)
        # PIL only *warns* between 1x and 2x MAX_IMAGE_PIXELS: refuse before decoding.
        if img.width * img.height > limits.MAX_IMAGE_PIXELS:
            raise ValueError(
                f"{name} has too many pixels ({img.width}×{img.height} = {img.width * img.height:,}; "
                f"limit {limits.MAX_IMAGE_PIXELS:,})"
            )
        img.load()
        if getattr(img, "n_frames", 1) > 1:  # keep the first frame, release the file handle
            img.seek(0)
            first = img.copy()
            img.close()
            img = first
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"{name} has too many pixels (limit {limits.MAX_IMAGE_PIXELS:,}): {exc}"
        ) from None
    except UnidentifiedImageError:
        raise ValueError(f"{name} is not an image PIL can read (PNG, JPEG, GIF, BMP, WebP…)") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"{name} could not be decoded (truncated or corrupt file): {exc}") from None
    return img


def from_array(arr: np.ndarray) -> Image.Image:
    """Convert a numpy image (H×W, H×W×1/3/4; uint8, uint16, bool or float in [0, 1]) to PIL."""
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"image array must be H×W or H×W×3/4, got shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"image is empty (shape {a.shape})")
    if a.shape[0] * a.shape[1] > limits.MAX_IMAGE_PIXELS:
        raise ValueError(f"image has too many pixels (limit {limits.MAX_IMAGE_PIXELS:,})")
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        if a.max(initial=0.0) <= 1.0:
            a = a * 255.0
        a = np.clip(a, 0, 255).astype(np.uint8)
    elif a.dtype == np.uint16 or a.dtype.itemsize > 1:
        a = (a.astype(np.float64) / max(float(np.iinfo(a.dtype).max), 1.0) * 255.0).astype(np.uint8) \
            if a.dtype == np.uint16 else np.clip(a, 0, 255).astype(np.uint8)
    return Image.fromarray(a.astype(np.uint8))


def load_image(
    source: Any, mode: str = "RGB", background: tuple[int, int, int] = (255, 255, 255)
) -> Image.Image:
    """Load any upload as an upright ``mode`` ("RGB" or "L") image.

    Transparent pixels are composited onto ``background``; animated files give their first frame;
    16-bit images are scaled to 8 bits.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    img = _open(source)
    try:
        img.seek(0)
    except (AttributeError, EOFError):
        pass
    try:
        img = ImageOps.exif_transpose(img) or img
    except Exception:  # malformed EXIF must not break loading; keep the pixels as stored
        pass
    if img.width < 1 or img.height < 1:
        raise ValueError(f"image is empty ({img.width}×{img.height})")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if arr.max(initial=0) > 255 else 255.0
        img = Image.fromarray(np.clip(arr / hi * 255.0, 0, 255).astype(np.uint8))
    elif img.mode == "F":
        img = from_array(np.asarray(img))
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, background + (255,))
        img = Image.alpha_composite(base, rgba)
    return img.convert(mode)


def downscale(img: Image.Image, max_side: int = limits.WORK_IMAGE_SIDE) -> tuple[Image.Image, str]:
    """Shrink ``img`` so its longer side is ≤ ``max_side``; return it and a note ("" if unchanged)."""
    w, h = img.size
    if max(w, h) <= max_side:
        return img, ""
    scale = max_side / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img.resize(new, Image.Resampling.LANCZOS), f"downscaled from {w}×{h} to {new[0]}×{new[1]}"
