"""Generate the Layer Lab's built-in sample images procedurally (our own pictures, no licences).

Run ``python -m playground.samples.make_samples`` to (re)write the PNGs beside this file. The
images are deterministic, so regenerating them gives identical files.

- ``checkerboard.png``: 8×8 squares (edges in both directions, perfect for Sobel x / y);
- ``shapes.png``: a circle, a square and a triangle on a soft background;
- ``house.png``: a synthetic house with a roof, door, windows and a fence (many straight edges);
- ``gradient_text.png``: a left-to-right gradient with the letters "CNN" (text and smooth ramps).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
SIZE = 256
NAMES: tuple[str, ...] = ("checkerboard", "shapes", "house", "gradient_text")


def checkerboard(size: int = SIZE, squares: int = 8) -> Image.Image:
    idx = np.arange(size) * squares // size
    board = ((idx[:, None] + idx[None, :]) % 2) * 255
    return Image.fromarray(board.astype(np.uint8), "L").convert("RGB")


def shapes(size: int = SIZE) -> Image.Image:
    y, x = np.mgrid[0:size, 0:size] / size
    bg = (200 + 40 * x - 30 * y).clip(0, 255).astype(np.uint8)
    img = Image.fromarray(np.stack([bg, bg, np.full_like(bg, 230)], axis=-1), "RGB")
    d = ImageDraw.Draw(img)
    d.ellipse((24, 24, 120, 120), fill=(220, 60, 50))
    d.rectangle((140, 40, 225, 125), fill=(40, 90, 200))
    d.polygon([(40, 230), (128, 140), (216, 230)], fill=(30, 150, 70))
    return img


def house(size: int = SIZE) -> Image.Image:
    img = Image.new("RGB", (size, size), (150, 200, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 200, size, size), fill=(90, 160, 80))                      # grass
    d.rectangle((60, 110, 196, 210), fill=(230, 210, 170), outline=(60, 40, 30), width=2)
    d.polygon([(48, 112), (128, 50), (208, 112)], fill=(170, 50, 40), outline=(60, 20, 10))
    d.rectangle((112, 150, 144, 210), fill=(110, 70, 40))                      # door
    for x0 in (76, 160):                                                       # windows
        d.rectangle((x0, 128, x0 + 22, 150), fill=(240, 250, 255), outline=(40, 40, 40), width=2)
        d.line((x0 + 11, 128, x0 + 11, 150), fill=(40, 40, 40), width=2)
        d.line((x0, 139, x0 + 22, 139), fill=(40, 40, 40), width=2)
    for x0 in range(0, size, 14):                                              # fence
        d.rectangle((x0, 214, x0 + 6, 240), fill=(250, 250, 245))
    d.rectangle((0, 222, size, 226), fill=(250, 250, 245))
    d.ellipse((200, 16, 240, 56), fill=(255, 220, 60))                         # sun
    return img


def gradient_text(size: int = SIZE) -> Image.Image:
    ramp = np.tile(np.linspace(30, 225, size, dtype=np.float64), (size, 1)).astype(np.uint8)
    img = Image.fromarray(ramp, "L").convert("RGB")
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=96)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    d.text((size // 2, size // 2), "CNN", fill=(255, 255, 255), font=font, anchor="mm",
           stroke_width=3, stroke_fill=(0, 0, 0))
    return img


BUILDERS = {"checkerboard": checkerboard, "shapes": shapes, "house": house,
            "gradient_text": gradient_text}


def sample_path(name: str) -> Path:
    """Path of a built-in sample (ValueError for an unknown name)."""
    if name not in BUILDERS:
        raise ValueError(f"unknown sample {name!r}; choose one of {', '.join(NAMES)}")
    return HERE / f"{name}.png"


def main() -> None:
    for name, build in BUILDERS.items():
        path = sample_path(name)
        build().save(path, optimize=True)
        print(f"wrote {path.relative_to(HERE.parent.parent)} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
