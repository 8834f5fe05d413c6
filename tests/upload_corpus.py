"""Hostile upload corpus: files a class of students (or an attacker) may upload, generated on demand.

Every ``make_*`` function writes one file into ``directory`` and returns its path; ``build_corpus``
writes them all and returns ``{name: path}``. Generation is fast (< 1 s for the whole corpus
except the 50-megapixel photo, ~0.5 s) and deterministic. Any tab's tests can use it::

    from tests.upload_corpus import build_corpus, EXPECT
    corpus = build_corpus(tmp_path)            # {"truncated_png": Path(...), ...}
    for name, path in corpus.items():
        ...  # EXPECT[name] is "ok" or "error" for playground.imageio.load_image

``EXPECT`` records what :func:`playground.imageio.load_image` must do with each file: ``"ok"`` (an
upright RGB/L image) or ``"error"`` (a ``ValueError`` whose message contains one of
``ERROR_WORDS[name]``). PNG files are written by hand (``_png``) so that a declared size can be
huge while the file stays tiny (the decompression bomb) and big images compress in milliseconds.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from playground import limits

# --- raw PNG writer (fast, and able to lie about the size) --------------------------------------

_PNG_SIG = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {"L": (0, 1), "RGB": (2, 3), "LA": (4, 2), "RGBA": (6, 4)}


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def _png(width: int, height: int, mode: str, row: Callable[[int], bytes], rows: int | None = None,
         bit_depth: int = 8, level: int = 6) -> bytes:
    """PNG bytes declaring ``width``×``height`` whose first ``rows`` rows come from ``row(y)``.

    ``rows < height`` gives a file that *declares* a large image but holds only a few rows.
    """
    color_type, channels = _COLOR_TYPE[mode]
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    comp = zlib.compressobj(level)
    parts = []
    for y in range(height if rows is None else rows):
        parts.append(comp.compress(b"\x00" + row(y)))  # filter type 0 ("None") per row
    parts.append(comp.flush())
    return _PNG_SIG + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"".join(parts)) + _chunk(b"IEND", b"")


def _gradient(w: int = 64, h: int = 48) -> Image.Image:
    """A small RGB test card: horizontal red ramp, vertical green ramp, blue block top-left."""
    x = np.linspace(0, 255, w, dtype=np.float64)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h, dtype=np.float64)[:, None].repeat(w, 1)
    a = np.stack([x, y, np.full((h, w), 60.0)], axis=2).astype(np.uint8)
    a[: h // 4, : w // 4] = (0, 0, 255)
    return Image.fromarray(a, "RGB")


# --- the corpus ---------------------------------------------------------------------------------

def make_truncated_png(d: Path) -> Path:
    """A valid PNG cut to 60 % of its bytes (IDAT ends early, no IEND)."""
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8)).save(buf, "PNG")
    data = buf.getvalue()
    p = d / "truncated.png"
    p.write_bytes(data[: int(len(data) * 0.6)])
    return p


def make_truncated_jpeg(d: Path) -> Path:
    """A valid JPEG cut to half of its bytes (no EOI marker)."""
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), np.uint8)).save(buf, "JPEG")
    data = buf.getvalue()
    p = d / "truncated.jpg"
    p.write_bytes(data[: len(data) // 2])
    return p


def make_photo_50mp(d: Path) -> Path:
    """An 8000×6250 (50 MP) blocky JPEG, like a phone photo; ~1 MB, under MAX_UPLOAD_BYTES."""
    w, h = 8000, 6250
    assert w * h <= limits.MAX_IMAGE_PIXELS, "the 50 MP photo must be under the pixel limit"
    img = Image.new("RGB", (w, h), (0, 0, 128))
    draw = ImageDraw.Draw(img)
    for i, x in enumerate(range(0, w, 500)):  # blocky content: cheap to draw and to encode
        for j, y in enumerate(range(0, h, 500)):
            draw.rectangle([x, y, x + 499, y + 499], fill=(i % 4 * 60, j % 4 * 60, 128))
    p = d / "photo_50mp.jpg"
    img.save(p, "JPEG", quality=70)
    return p


def make_bomb(d: Path) -> Path:
    """A ~1 kB PNG declaring 30000×30000 (900 MP, > 2×MAX_IMAGE_PIXELS): PIL must refuse it."""
    w = h = 30_000
    assert w * h > 2 * limits.MAX_IMAGE_PIXELS
    zero = bytes(w)
    p = d / "bomb.png"
    p.write_bytes(_png(w, h, "L", lambda y: zero, rows=4, level=9))
    return p


def make_bomb_warning_zone(d: Path) -> Path:
    """A complete, valid 10000×9000 (90 MP) grey PNG, ~400 kB: above MAX_IMAGE_PIXELS, below 2×.

    PIL only *warns* between the limit and twice the limit; the app must still refuse it.
    """
    w, h = 10_000, 9_000
    assert limits.MAX_IMAGE_PIXELS < w * h <= 2 * limits.MAX_IMAGE_PIXELS
    line = bytes([128]) * w
    p = d / "bomb_90mp.png"
    p.write_bytes(_png(w, h, "L", lambda y: line, level=1))
    return p


def make_gray16(d: Path) -> Path:
    """A 16-bit greyscale PNG (mode I;16) with a 0…65535 horizontal ramp."""
    a = np.linspace(0, 65535, 64).astype(">u2")[None, :].repeat(32, 0)
    p = d / "gray16.png"
    p.write_bytes(_png(64, 32, "L", lambda y: a[y].tobytes(), bit_depth=16))
    return p


def make_cmyk(d: Path) -> Path:
    """A CMYK JPEG (as exported by print workflows)."""
    p = d / "cmyk.jpg"
    _gradient().convert("CMYK").save(p, "JPEG", quality=95)
    return p


def make_palette(d: Path) -> Path:
    """A palette (mode P) PNG with a transparent palette entry."""
    img = _gradient().convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    p = d / "palette.png"
    img.save(p, "PNG", transparency=0)
    return p


def make_rgba(d: Path) -> Path:
    """An RGBA PNG: opaque left half, fully transparent right half (must become the background)."""
    a = np.zeros((32, 64, 4), np.uint8)
    a[:, :32] = (255, 0, 0, 255)
    a[:, 32:] = (0, 255, 0, 0)
    p = d / "rgba.png"
    Image.fromarray(a, "RGBA").save(p, "PNG")
    return p


def make_la(d: Path) -> Path:
    """A greyscale + alpha (LA) PNG."""
    a = np.zeros((32, 32, 2), np.uint8)
    a[..., 0] = 40
    a[:16, :, 1] = 255
    p = d / "gray_alpha.png"
    Image.fromarray(a, "LA").save(p, "PNG")
    return p


def make_animated_gif(d: Path) -> Path:
    """A 3-frame animated GIF: red, green, blue frames (the first frame, red, must be used)."""
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    p = d / "animated.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return p


def make_exif_rotated(d: Path) -> Path:
    """A 60×40 JPEG stored sideways with EXIF Orientation = 6 (display rotated 90° clockwise).

    Stored pixels: a red block in the top-left corner on white. Upright (as a phone shows it) the
    image is 40 wide × 60 tall and the red block is in the top-right corner.
    """
    a = np.full((40, 60, 3), 255, np.uint8)
    a[:15, :15] = (255, 0, 0)
    img = Image.fromarray(a, "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    p = d / "exif_rot6.jpg"
    img.save(p, "JPEG", quality=95, exif=exif.tobytes())
    return p


def make_svg(d: Path) -> Path:
    """An SVG (vector, not a raster image PIL can decode)."""
    p = d / "drawing.svg"
    p.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28">'
                 '<circle cx="14" cy="14" r="10" fill="black"/></svg>')
    return p


def make_text_as_png(d: Path) -> Path:
    """A text file renamed ``.png``."""
    p = d / "notes.png"
    p.write_text("this is not an image\n" * 20)
    return p


def make_empty(d: Path) -> Path:
    """A zero-byte ``.png``."""
    p = d / "empty.png"
    p.write_bytes(b"")
    return p


def make_tiny(d: Path) -> Path:
    """A 1×1 pixel PNG."""
    p = d / "tiny_1x1.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(p)
    return p


def make_extreme_aspect(d: Path) -> Path:
    """A 4000×1 strip (extreme aspect ratio: downscaling must keep at least 1 pixel)."""
    p = d / "strip_4000x1.png"
    Image.new("RGB", (4000, 1), (0, 0, 0)).save(p)
    return p


CORPUS: dict[str, Callable[[Path], Path]] = {
    "truncated_png": make_truncated_png,
    "truncated_jpeg": make_truncated_jpeg,
    "photo_50mp": make_photo_50mp,
    "bomb": make_bomb,
    "bomb_90mp": make_bomb_warning_zone,
    "gray16": make_gray16,
    "cmyk": make_cmyk,
    "palette": make_palette,
    "rgba": make_rgba,
    "gray_alpha": make_la,
    "animated_gif": make_animated_gif,
    "exif_rotated": make_exif_rotated,
    "svg": make_svg,
    "text_as_png": make_text_as_png,
    "empty": make_empty,
    "tiny_1x1": make_tiny,
    "strip_4000x1": make_extreme_aspect,
}
"""Name → generator."""

EXPECT: dict[str, str] = {
    "truncated_png": "error", "truncated_jpeg": "error", "photo_50mp": "ok", "bomb": "error",
    "bomb_90mp": "error", "gray16": "ok", "cmyk": "ok", "palette": "ok", "rgba": "ok",
    "gray_alpha": "ok", "animated_gif": "ok", "exif_rotated": "ok", "svg": "error",
    "text_as_png": "error", "empty": "error", "tiny_1x1": "ok", "strip_4000x1": "ok",
}
"""What ``playground.imageio.load_image`` must do with each file."""

ERROR_WORDS: dict[str, tuple[str, ...]] = {
    "truncated_png": ("truncated", "corrupt"),
    "truncated_jpeg": ("truncated", "corrupt"),
    "bomb": ("too many pixels", "limit"),
    "bomb_90mp": ("too many pixels", "limit"),
    "svg": ("not an image",),
    "text_as_png": ("not an image",),
    "empty": ("empty", "0 bytes"),
}
"""For ``"error"`` entries: at least one of these words must appear in the ValueError message."""


def make_oversize_upload(d: Path) -> Path:
    """A PNG-signed file 1 MB larger than ``MAX_UPLOAD_BYTES`` (the upload layer must refuse it).

    Not in ``CORPUS``: it is only meaningful through HTTP (Gradio's ``max_file_size``).
    """
    p = d / "oversize.png"
    with p.open("wb") as f:
        f.write(_PNG_SIG)
        f.write(np.random.default_rng(2).integers(0, 256, limits.MAX_UPLOAD_BYTES + 2**20,
                                                 np.uint8).tobytes())
    return p


def build_corpus(directory: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write the corpus (or the ``names`` subset) into ``directory``; return ``{name: path}``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {n: CORPUS[n](directory) for n in (names or list(CORPUS))}
