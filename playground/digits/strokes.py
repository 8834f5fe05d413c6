"""The project's own pen paths for the digits 0–9, for tests and benchmarks that draw digits.

Each digit is a list of strokes; each stroke a polyline in a unit box (x right, y down, both in
[0, 1]). :func:`digit_strokes` places a digit on a canvas at a given size and position, with an
optional random slant, aspect change and wobble (``jitter``); :func:`render` rasterises strokes
with a round brush, as the browser's sketchpad does. The Playwright tests move the real mouse
along the same paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 24) -> Stroke:
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees; 0 = right, 90 = down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(a0, a1, n)]


def _eight(n: int = 48) -> Stroke:
    # x = 0.5 + 0.27·sin 2t, y = 0.5 − 0.45·cos t: top lobe, crossing at the centre, bottom lobe
    return [(0.5 - 0.27 * math.sin(2 * t), 0.5 - 0.45 * math.cos(t)) for t in np.linspace(0, 2 * math.pi, n)]


DIGITS: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.3, 0.45, -90, 275, 40)],
    1: [[(0.6, 0.05), (0.55, 0.5), (0.5, 0.95)]],
    2: [_arc(0.5, 0.3, 0.3, 0.25, 200, 360, 16) + _arc(0.5, 0.3, 0.3, 0.25, 0, 40, 6)[1:]
        + [(0.2, 0.93), (0.85, 0.93)]],
    3: [_arc(0.48, 0.28, 0.28, 0.23, 210, 450, 20) + _arc(0.48, 0.72, 0.3, 0.23, 270, 510, 20)[1:]],
    4: [[(0.62, 0.05), (0.15, 0.65), (0.88, 0.65)], [(0.62, 0.3), (0.62, 0.95)]],
    5: [[(0.8, 0.06), (0.3, 0.06), (0.25, 0.45)] + _arc(0.5, 0.66, 0.3, 0.28, 235, 485, 20)[1:]],
    6: [_arc(0.85, 0.55, 0.55, 0.5, 245, 180, 10) + _arc(0.52, 0.7, 0.22, 0.25, 180, 540, 28)[1:]],
    7: [[(0.15, 0.08), (0.85, 0.08), (0.42, 0.95)]],
    8: [_eight()],
    9: [_arc(0.5, 0.3, 0.27, 0.25, 0, 360, 28) + [(0.77, 0.3), (0.72, 0.95)]],
}


@dataclass(frozen=True)
class Placement:
    """Where and how a digit is drawn on the canvas (pixels)."""

    cx: float = 140.0
    cy: float = 140.0
    height: float = 200.0
    width_ratio: float = 0.7
    slant: float = 0.0       # shear of x by y (tan of the slant angle), positive leans right
    wobble: float = 0.0      # smooth random displacement, as a fraction of the height
    seed: int = 0


def digit_strokes(digit: int, place: Placement = Placement()) -> list[Stroke]:
    """The strokes of ``digit`` in canvas pixels."""
    if digit not in DIGITS:
        raise ValueError(f"digit must be 0–9, got {digit!r}")
    rng = np.random.default_rng(place.seed)
    phase = rng.uniform(0, 2 * math.pi, 4)
    h, w = place.height, place.height * place.width_ratio
    out: list[Stroke] = []
    for stroke in DIGITS[digit]:
        pts: Stroke = []
        for x, y in stroke:
            dx = place.wobble * math.sin(3 * y + phase[0]) * math.cos(2 * x + phase[1])
            dy = place.wobble * math.sin(3 * x + phase[2]) * math.cos(2 * y + phase[3])
            u, v = (x - 0.5 + dx) * w, (y - 0.5 + dy) * h
            pts.append((place.cx + u - place.slant * v, place.cy + v))
        out.append(pts)
    return out


def densify(stroke: Stroke, step: float = 4.0) -> Stroke:
    """Insert points so that consecutive points are at most ``step`` px apart (smooth mouse moves)."""
    out: Stroke = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        out.extend((x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1))
    return out


def render(strokes: list[Stroke], size: tuple[int, int] = (280, 280), brush: float = 20.0,
           ink: int = 0, paper: int = 255) -> Image.Image:
    """Rasterise strokes with a round brush of diameter ``brush`` (an L image)."""
    img = Image.new("L", size, paper)
    draw = ImageDraw.Draw(img)
    r = brush / 2
    for stroke in strokes:
        pts = densify(stroke, max(1.0, r / 2))
        for x, y in pts:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)
        draw.line(pts, fill=ink, width=max(1, round(brush)), joint="curve")
    return img


def random_placement(rng: np.random.Generator, canvas: int = 280) -> tuple[Placement, float]:
    """A random size/position/slant/wobble for a digit, and a random brush diameter (px)."""
    height = rng.uniform(0.35, 0.85) * canvas
    width_ratio = rng.uniform(0.55, 0.8)
    margin_y, margin_x = height / 2 + 12, height * width_ratio / 2 + 12
    place = Placement(cx=rng.uniform(margin_x, canvas - margin_x), cy=rng.uniform(margin_y, canvas - margin_y),
                      height=height, width_ratio=width_ratio, slant=rng.uniform(-0.2, 0.25),
                      wobble=rng.uniform(0.0, 0.04), seed=int(rng.integers(1 << 30)))
    return place, float(rng.uniform(12, 28))


# ---- drawing on the real sketchpad in a browser (duck-typed Playwright ``page``; no import) ----

def canvas_origin(page, selector: str, canvas: int | tuple[int, int] = 280,  # noqa: ANN001
                  ) -> tuple[float, float, float]:
    """Page coordinates of the canvas's top-left pixel and its zoom (from the toolbar's "132%").

    ``canvas`` is the canvas size in pixels: one side for a square one, or ``(width, height)``.
    Without a zoom figure the canvas fits its box: ``zoom = min(box_w / width, box_h / height)``,
    centred, so the origin is ``box_x + (box_w - width * zoom) / 2`` (and the same for y).
    """
    width, height = (canvas, canvas) if isinstance(canvas, int) else canvas
    box = page.locator(f"{selector} canvas").first.bounding_box()
    text = page.locator(selector).inner_text()
    pct = [int(t[:-1]) for t in text.split() if t.endswith("%") and t[:-1].isdigit()]
    zoom = pct[0] / 100 if pct else min(box["width"] / width, box["height"] / height)
    return box["x"] + (box["width"] - width * zoom) / 2, box["y"] + (box["height"] - height * zoom) / 2, zoom


def draw_on_page(page, selector: str, strokes: list[Stroke],  # noqa: ANN001
                 canvas: int | tuple[int, int] = 280, step: float = 5.0) -> None:
    """Press, move and release the real mouse along each stroke (canvas pixels)."""
    x0, y0, zoom = canvas_origin(page, selector, canvas)
    for stroke in strokes:
        pts = densify(stroke, step)
        page.mouse.move(x0 + pts[0][0] * zoom, y0 + pts[0][1] * zoom)
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(x0 + x * zoom, y0 + y * zoom)
        page.mouse.up()
