"""Playwright + Chromium: the Layer Lab updates live, explains invalid settings, plays the sliding
window. With UPDATE_SCREENSHOT=1 it also rewrites docs/screenshot.png (the README's picture)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import screenshot

DOCS_SHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"


def _set(page, elem: str, value: str) -> None:
    box = page.locator(f"#{elem} input, #{elem} textarea").first
    box.fill(value)
    box.press("Tab")


def _open_lab(page, app_url: str) -> None:
    page.goto(app_url)
    page.get_by_role("tab", name="Layer Lab").click()
    expect(page.locator("#lab-output-shape")).to_contain_text("(1, 16, 32, 32)", timeout=60_000)


def test_live_shape_formula_and_invalid_explanation(page, app_url: str) -> None:
    _open_lab(page, app_url)
    expect(page.locator("#lab-formula")).to_contain_text("⌊31 / 1⌋")
    for elem, value in (("lab-kernel-h", "5"), ("lab-kernel-w", "5"), ("lab-stride-h", "2"),
                        ("lab-stride-w", "2")):
        _set(page, elem, value)
    expect(page.locator("#lab-output-shape")).to_contain_text("(1, 16, 15, 15)", timeout=20_000)
    expect(page.locator("#lab-formula")).to_contain_text("⌊(32 + 2·1 − 1·(5 − 1) − 1) / 2⌋")
    expect(page.locator("#lab-formula")).to_contain_text("⌊29 / 2⌋")
    expect(page.locator("#lab-counts")).to_contain_text("1,216")  # 16·3·5·5 + 16
    expect(page.locator("#lab-code")).to_contain_text("kernel_size=5")
    expect(page.locator("#lab-error")).not_to_contain_text("would be")
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        _write_docs_screenshot(page)
    _set(page, "lab-kernel-h", "40")
    err = page.locator("#lab-error")
    expect(err).to_contain_text("output height would be", timeout=20_000)
    expect(err).to_contain_text("use padding >=")
    expect(page.locator("#lab-output-shape")).to_contain_text("invalid")
    screenshot(page, "layer_lab_invalid")
    _set(page, "lab-kernel-h", "5")
    expect(page.locator("#lab-error")).not_to_contain_text("would be", timeout=20_000)
    expect(page.locator("#lab-output-shape")).to_contain_text("(1, 16, 15, 15)")
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors


def test_sliding_window_plays_and_stops(page, app_url: str) -> None:
    _open_lab(page, app_url)
    page.get_by_role("tab", name="Sliding window").click()
    expr = page.locator("#sliding-expr")
    expect(expr).to_contain_text("out[0, 0]", timeout=30_000)
    page.locator("#slide-play").click()
    expect(expr).to_contain_text("out[0, 2]", timeout=30_000)
    page.locator("#slide-stop").click()
    expect(page.locator("#sliding-grid td[data-hl='1']")).to_have_count(9)
    screenshot(page, "layer_lab_sliding")


def _write_docs_screenshot(page) -> None:
    """A small (< 300 KB), 1280-wide PNG of the Layer Lab for the README."""
    from PIL import Image

    page.locator("#feature-maps img").first.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    png = page.screenshot(full_page=True)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    img = img.crop((0, 0, img.width, min(img.height, 1900)))
    if img.width > 1280:
        img = img.resize((1280, round(img.height * 1280 / img.width)))
    img = img.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
    img.save(DOCS_SHOT, optimize=True)
    assert DOCS_SHOT.stat().st_size < 300_000
