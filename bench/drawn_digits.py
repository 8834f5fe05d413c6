"""Drawn-digit accuracy through the real browser: draw N digits with the mouse on the Digits tab's
sketchpad (random size 98–238 px on the 280 px canvas, position, slant, wobble) with several brush
widths, and read the page's prediction.

    python bench/drawn_digits.py [--n 60] [--seed 0] [--brush-radii 7,10,14]

The digits are split evenly over the brush radii (default 7, 10 and 14 px: strokes 14, 20 and 28 px
wide). Each radius gets its own app, built with that sketchpad brush size, which is what a student
gets by picking the size in the sketchpad's toolbar (driving that popover slider from Playwright
was unreliable). ``--thicken`` instead widens each stroke by extra shifted passes of the default
brush (slow).

Needs Debian Chromium (/usr/bin/chromium) and Playwright's Python package.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import served_app  # noqa: E402
from playground.digits.strokes import random_placement  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.test_ui_digits_browser import clear, draw_and_read, open_digits  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--brush-radii", default="7,10,14",
                    help="comma-separated sketchpad brush radii in px; the digits are split evenly over them")
    ap.add_argument("--thicken", action="store_true",
                    help="vary stroke width 20–36 px by extra shifted passes (slow: ~2 min a digit here)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    radii = parse_radii(args.brush_radii)
    rng = np.random.default_rng(args.seed)
    ok, wrong, seconds, i = 0, [], 0.0, 0
    per_radius: dict[int, list[int]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for r_i, radius in enumerate(radii):
            n_here = args.n // len(radii) + (r_i < args.n % len(radii))
            with served_app(demo_with_brush(radius)) as (_, url):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                open_digits(page, url)
                t0 = time.perf_counter()  # the drawing time, without the app's start-up
                for j in range(n_here):
                    digit = i % 10
                    place, brush = random_placement(rng)
                    if j:
                        clear(page)
                    # --thicken: the brush passes again along the path, shifted by up to (width − 2r)/2 px
                    width = max(2.0 * radius, brush + 8) if args.thicken else 2.0 * radius
                    got = draw_and_read(page, digit, place, thicken=(width - 2 * radius) / 2)
                    ok += got == str(digit)
                    per_radius.setdefault(radius, []).append(got == str(digit))
                    if got != str(digit):
                        wrong.append(f"{digit}→{got} (height {place.height:.0f}px, stroke {width:.0f}px)")
                    i += 1
                    print(f"{i:3d}: drew {digit} (height {place.height:.0f} px, stroke {width:.0f} px), "
                          f"page shows {got}", flush=True)
                seconds += time.perf_counter() - t0
                page.close()
        browser.close()
    for radius, hits in per_radius.items():
        print(f"  brush radius {radius} px (stroke {2 * radius} px): {sum(hits)}/{len(hits)}")
    print(f"drawn-digit accuracy: {ok}/{args.n} = {100 * ok / args.n:.1f} % "
          f"({seconds:.0f} s of drawing); wrong: {wrong or 'none'}")


def parse_radii(text: str) -> list[int]:
    """``"7,10,14"`` → ``[7, 10, 14]``; each radius must be an integer in 1..40 px."""
    try:
        radii = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"--brush-radii must be comma-separated integers, got {text!r}") from None
    if not radii or not all(1 <= r <= 40 for r in radii):
        raise SystemExit(f"--brush-radii must list radii in 1..40 px, got {text!r}")
    return radii


def demo_with_brush(radius: int):  # noqa: ANN201 - a gr.Blocks
    """The whole app, with the Digits sketchpad's brush radius set to ``radius`` px."""
    import app as app_module
    from playground.ui import digits

    default = digits.BRUSH_RADIUS
    digits.BRUSH_RADIUS = radius
    try:
        return app_module.build_demo()
    finally:
        digits.BRUSH_RADIUS = default


if __name__ == "__main__":
    main()
