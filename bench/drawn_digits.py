"""Drawn-digit accuracy through the real browser: draw N digits with the mouse on the Digits tab's
sketchpad (random size 98–238 px on the 280 px canvas, position, slant, wobble, stroke width 20–36 px) and read the page's prediction.

    python bench/drawn_digits.py [--n 60] [--seed 0]

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
    ap.add_argument("--thicken", action="store_true",
                    help="vary stroke width 20–36 px by extra shifted passes (slow: ~2 min a digit here)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    rng = np.random.default_rng(args.seed)
    ok, wrong = 0, []
    with served_app() as (_, url), sync_playwright() as pw:
        t0 = time.perf_counter()  # the drawing time, without the app's start-up
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        open_digits(page, url)
        for i in range(args.n):
            digit = i % 10
            place, brush = random_placement(rng)
            if i:
                clear(page)
            # wider strokes: the 20 px brush passes again along the path, shifted by up to
            # (width − 20)/2 px (setting the toolbar's size slider from Playwright was unreliable)
            width = max(20.0, brush + 8) if args.thicken else 20.0
            got = draw_and_read(page, digit, place, thicken=(width - 20) / 2)
            ok += got == str(digit)
            if got != str(digit):
                wrong.append(f"{digit}→{got} (height {place.height:.0f}px, stroke {width:.0f}px)")
            print(f"{i + 1:3d}: drew {digit}, page shows {got}", flush=True)
        browser.close()
    print(f"drawn-digit accuracy: {ok}/{args.n} = {100 * ok / args.n:.1f} % "
          f"({time.perf_counter() - t0:.0f} s); wrong: {wrong or 'none'}")


if __name__ == "__main__":
    main()
