"""Safe image loading for every tab: one place that turns any upload into a clean RGB/L image.

Handles: EXIF rotation (``ImageOps.exif_transpose``), 16-bit, CMYK, palette, LA/RGBA (composited on
a background), animated images (first frame), truncated files, decompression bombs (PIL's
``MAX_IMAGE_PIXELS`` is set from :mod:`playground.limits`), non-images and empty files. Errors are
``ValueError`` with a message a student can act on.

Big photos are shrunk cheaply when the caller says how large it will show them (``max_side``): a
JPEG is decoded at 1/2, 1/4 or 1/8 scale (``Image.draft``, DCT scaling) and any image is then
box-reduced by an integer factor (``Image.reduce``), keeping at least ``REDUCE_GAP`` × the final
size so that :func:`downscale`'s Lanczos pass gives the same picture. The stored size is kept in
``img.info[ORIGINAL_SIZE]`` so the "downscaled from W×H" note names the upload's real size.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from playground import limits

Image.MAX_IMAGE_PIXELS = limits.MAX_IMAGE_PIXELS

ORIGINAL_SIZE = "playground_original_size"
"""``img.info`` key: the (width, height) of the upright upload before any cheap reduction."""
REDUCE_GAP = 2
"""Cheap reductions keep at least this many times the final size (as ``Image.thumbnail`` does)."""
_REDUCIBLE = frozenset({"L", "LA", "RGB", "RGBA", "I", "F", "CMYK", "PA"})
_EXIF_ORIENTATION = 0x0112


def _target(size: tuple[int, int], max_side: int | None) -> tuple[int, int] | None:
    """The smallest size a cheap reduction may reach: ``REDUCE_GAP`` × the final downscaled size
    (``None`` when the image is not larger than that)."""
    w, h = size
    if not max_side or max(w, h) <= REDUCE_GAP * max_side:
        return None
    s = REDUCE_GAP * max_side / max(w, h)
    return max(1, math.ceil(w * s)), max(1, math.ceil(h * s))


def _open(source: Any, max_side: int | None = None) -> Image.Image:
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
        return _open(comp, max_side)
    if isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ValueError("the file is empty (0 bytes), not an image")
        return _decode(io.BytesIO(bytes(source)), "upload", max_side)
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
        return _decode(path, path.name, max_side)
    raise ValueError(f"unsupported image value of type {type(source).__name__}")


def _decode(fp: Any, name: str, max_side: int | None = None) -> Image.Image:
    """Decode the file (a JPEG at a reduced DCT scale when ``max_side`` allows it)."""
    try:
        img = Image.open(fp)
        # PIL only *warns* between 1x and 2x MAX_IMAGE_PIXELS: refuse before decoding.
        if img.width * img.height > limits.MAX_IMAGE_PIXELS:
            raise ValueError(
                f"{name} has too many pixels ({img.width}×{img.height} = {img.width * img.height:,}; "
                f"limit {limits.MAX_IMAGE_PIXELS:,})"
            )
        stored = img.size
        target = _target(stored, max_side)
        if target is not None and img.format in ("JPEG", "MPO"):  # MPO: phones' multi-picture JPEG
            img.draft("RGB", target)  # decode at 1/2, 1/4 or 1/8 scale, still >= target
        img.load()
        img.info[ORIGINAL_SIZE] = stored
        if getattr(img, "n_frames", 1) > 1:  # keep the first frame, release the file handle
            img.seek(0)
            first = img.copy()
            img.close()
            img = first
            img.info[ORIGINAL_SIZE] = stored
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


def _reduce(img: Image.Image, max_side: int | None) -> Image.Image:
    """Box-reduce ``img`` by the largest integer factor that keeps ``REDUCE_GAP`` × the final size."""
    target = _target(original_size(img), max_side)
    if target is None:
        return img
    factor = min(img.width // target[0], img.height // target[1])
    if factor < 2:
        return img
    if img.mode in ("I;16", "I;16B", "I;16L"):
        img = img.convert("I")  # same values, a mode reduce() supports
    elif img.mode == "P":
        img = img.convert("RGBA")  # what load_image does with a palette anyway
    elif img.mode == "1":
        img = img.convert("L")
    if img.mode not in _REDUCIBLE:
        return img
    return img.reduce(factor)


def _upright_size(img: Image.Image, stored: tuple[int, int]) -> tuple[int, int]:
    """``stored`` as seen after EXIF rotation (orientations 5–8 swap width and height)."""
    try:
        orientation = img.getexif().get(_EXIF_ORIENTATION, 1)
    except Exception:  # noqa: BLE001 - malformed EXIF: exif_transpose keeps the pixels as stored
        return stored
    return (stored[1], stored[0]) if orientation in (5, 6, 7, 8) else stored


def original_size(img: Image.Image) -> tuple[int, int]:
    """The upright size of the upload ``img`` came from (``img.size`` unless it was reduced).

    The tag is trusted only if ``img`` is that size shrunk by one factor (±1 px of rounding), so an
    image cropped or edited after loading reports its own size.
    """
    tag = img.info.get(ORIGINAL_SIZE)
    try:
        w, h = (int(tag[0]), int(tag[1]))  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return img.size
    iw, ih = img.size
    f = max(w, h) / max(iw, ih, 1)
    if f < 1 or abs(w / f - iw) > 1.01 or abs(h / f - ih) > 1.01:
        return img.size
    return w, h


def load_image(
    source: Any, mode: str = "RGB", background: tuple[int, int, int] = (255, 255, 255),
    max_side: int | None = None,
) -> Image.Image:
    """Load any upload as an upright ``mode`` ("RGB" or "L") image.

    Transparent pixels are composited onto ``background``; animated files give their first frame;
    16-bit images are scaled to 8 bits. With ``max_side`` (the size :func:`downscale` will bring it
    to), a big image is shrunk cheaply first (JPEG DCT scaling, integer box reduction) but stays
    at least ``REDUCE_GAP`` × that size; :func:`original_size` still gives the upload's size.
    """
    if mode not in ("RGB", "L"):
        raise ValueError(f"mode must be 'RGB' or 'L', got {mode!r}")
    img = _open(source, max_side)
    try:
        img.seek(0)
    except (AttributeError, EOFError):
        pass
    upright = _upright_size(img, original_size(img))
    img = _reduce(img, max_side)
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
    out = img.convert(mode)
    if out is img:  # never tag the caller's own PIL image
        out = img.copy()
    out.info[ORIGINAL_SIZE] = upright
    return out


def downscale(img: Image.Image, max_side: int = limits.WORK_IMAGE_SIDE) -> tuple[Image.Image, str]:
    """Shrink ``img`` so its longer side is ≤ ``max_side``; return it and a note ("" if unchanged).

    The new size and the note follow :func:`original_size`, so an image that ``load_image`` already
    reduced cheaply ends at the same size, and the note names the upload's real size.
    """
    w, h = original_size(img)
    if max(w, h) <= max_side:
        return img, ""
    scale = max_side / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return img.resize(new, Image.Resampling.LANCZOS), f"downscaled from {w}×{h} to {new[0]}×{new[1]}"
