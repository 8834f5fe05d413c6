"""In Chromium: draw every digit 0–9 on the real sketchpad with mouse strokes (the project's own
pen paths) and check the prediction the page shows; then clear the canvas and see the prompt."""

from __future__ import annotations

import time

from playground.digits.strokes import Placement, digit_strokes, draw_on_page
from tests.conftest import screenshot

PAD = "#digits-sketchpad"
LABEL = '#digits-lenet [data-testid="label-output-value"]'
SEEN = "#digits-seen28 img"
# Canvas px between two mouse events. Headless Chromium renders the editor in software, about
# 0.1-0.3 s per event, so 10 px (not draw_on_page's 5) halves the events (this test alone: 169 s
# -> 108 s). The brush is 20 px wide, so the stroke stays continuous; all ten digits still read right.
PEN_STEP = 10.0


def open_digits(page, app_url: str) -> None:  # noqa: ANN001
    page.goto(app_url)
    page.get_by_role("tab", name="Digits").click()
    ensure_brush(page)


def ensure_brush(page) -> None:  # noqa: ANN001
    """The tab selects the brush when it opens; the "Brush Size" button shows that it is active."""
    page.wait_for_selector(f'{PAD} button[aria-label="Brush"]', timeout=30_000)
    stable = 0
    for i in range(40):
        page.wait_for_timeout(400)
        if page.locator(f'{PAD} button[aria-label="Brush Size"]').count():
            stable += 1
            if stable >= 3:  # the canvas may re-initialise (and drop the tool) while it resizes
                return
            continue
        stable = 0
        if i % 3 == 2:
            page.locator(f'{PAD} button[aria-label="Brush"]').click()
    raise AssertionError("the sketchpad's brush never became active")


def seen_src(page) -> str | None:  # noqa: ANN001
    img = page.locator(SEEN)
    return img.first.get_attribute("src") if img.count() else None


def wait_for_new_prediction(page, before: str | None, timeout: float = 60.0) -> str:  # noqa: ANN001
    """Wait until the model-input picture changes from ``before`` and stays put; return the label."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        src = seen_src(page)
        if src and src != before:
            time.sleep(0.7)
            if seen_src(page) == src:
                return page.locator(LABEL).inner_text().strip()
        time.sleep(0.2)
    screenshot(page, "digits_no_prediction")
    raise AssertionError(f"no prediction within {timeout:.0f} s; label: {page.locator(LABEL).inner_text()!r}")


def clear(page) -> None:  # noqa: ANN001
    page.locator(f'{PAD} button[aria-label="Clear canvas"]').click()
    page.wait_for_function(
        "() => { const e = document.querySelector('#digits-lenet [data-testid=\"label-output-value\"]');"
        " return e && e.textContent.includes('draw a digit'); }", timeout=60_000)
    page.wait_for_timeout(300)


def draw_and_read(page, digit: int, place: Placement, thicken: float = 0.0) -> str:  # noqa: ANN001
    """Draw ``digit``; ``thicken`` > 0 passes the brush again shifted by ±thicken px (wider strokes)."""
    strokes = digit_strokes(digit, place)
    if thicken > 0:
        shifts = [(thicken, 0.0), (-thicken, 0.0), (0.0, thicken), (0.0, -thicken)]
        strokes = strokes + [[(x + dx, y + dy) for x, y in st] for dx, dy in shifts for st in strokes]
    ensure_brush(page)
    draw_on_page(page, PAD, strokes[:-1], step=PEN_STEP)
    before = seen_src(page) if len(strokes) > 1 else None
    if len(strokes) > 1:  # wait for the earlier strokes' prediction, so the last one is new
        before = wait_for_new_prediction(page, None) and seen_src(page)
    draw_on_page(page, PAD, strokes[-1:], step=PEN_STEP)
    return wait_for_new_prediction(page, before)


def test_draw_every_digit_and_see_the_prediction(page, app_url: str) -> None:
    open_digits(page, app_url)
    wrong = {}
    for d in range(10):
        if d:
            clear(page)
        place = Placement(cx=140 + 8 * ((d % 3) - 1), cy=140, height=190 - 6 * (d % 4), slant=0.05 * (d % 3))
        got = draw_and_read(page, d, place)
        if got != str(d):
            wrong[d] = got
            screenshot(page, f"digits_wrong_{d}")
    screenshot(page, "digits_last_drawn")
    assert page.locator("#digits-status").inner_text().startswith("LeNet-5 reads")
    assert not wrong, f"drawn digit → shown prediction: {wrong}"
    clear(page)
    assert "Draw a digit" in page.locator("#digits-status").inner_text()
    errors = [e for e in page.console_errors if "favicon" not in e]
    assert not errors, errors
