"""In Chromium: draw two separated digits on the taxonomy sketchpad with real mouse strokes and see
two instances with the right labels; upload an MRI slice (taken from the data dir at test time)
and see the mask overlay; then upload a non-image and see the message with every result cleared."""

from __future__ import annotations

import shutil
from pathlib import Path

from playground.digits.strokes import Placement, digit_strokes, draw_on_page
from playground.seg import view
from playground.ui.segmentation import CANVAS
from tests.conftest import screenshot

PAD = "#seg-sketchpad"


def open_tab(page, app_url: str, sub: str) -> None:  # noqa: ANN001
    page.goto(app_url)
    page.get_by_role("tab", name="Segmentation").click()
    page.get_by_role("tab", name=sub).click()


def test_draw_two_digits_and_see_two_instances(page, app_url: str) -> None:  # noqa: ANN001
    open_tab(page, app_url, "Taxonomy canvas")
    page.wait_for_selector(f'{PAD} button[aria-label="Brush"].highlight', timeout=30_000)
    strokes = digit_strokes(1, Placement(cx=150, cy=128, height=150)) + \
        digit_strokes(7, Placement(cx=360, cy=128, height=150))
    draw_on_page(page, PAD, strokes, canvas=CANVAS)
    page.wait_for_timeout(500)
    page.locator("#seg-scene-run").click()
    summary = page.locator("#seg-scene-summary")
    summary.get_by_text("detected").wait_for(timeout=60_000)
    text = summary.inner_text()
    screenshot(page, "seg_taxonomy_1_7")
    assert "2 digit instances detected" in text and ": 1, 7 " in text, text
    assert page.locator("#seg-views img").count() >= 6 or page.locator("#seg-views").inner_text()
    errors = [e for e in page.console_errors if "favicon" not in e]
    assert not errors, errors


def test_upload_mri_slice_and_see_overlay(page, app_url: str, tmp_path: Path) -> None:  # noqa: ANN001
    src = view.inference.examples("lgg")[0]  # a held-out slice from the data dir, copied to temp
    slice_png = tmp_path / "mri_slice.png"
    shutil.copy(src, slice_png)
    open_tab(page, app_url, "Medical and EM")
    page.locator("#seg-upload input[type=file]").set_input_files(str(slice_png))
    page.wait_for_selector("#seg-upload img", timeout=30_000)
    page.locator("#seg-run").click()
    page.wait_for_selector("#seg-overlay img", timeout=60_000)
    page.wait_for_selector("#seg-mask img", timeout=60_000)
    size = page.evaluate("() => { const i = document.querySelector('#seg-overlay img');"
                         " return [i.naturalWidth, i.naturalHeight]; }")
    assert size == [128, 128]
    page.get_by_text("ground truth unknown").first.wait_for(timeout=30_000)
    page.wait_for_selector("#seg-features img", timeout=60_000)  # feature maps follow
    screenshot(page, "seg_mri_overlay")
    errors = [e for e in page.console_errors if "favicon" not in e]
    assert not errors, errors

    # Then a file that is not an image: a clear message, and none of the slice's results stay.
    bad = tmp_path / "notimage.png"
    bad.write_text("this is not an image")
    page.locator("#seg-upload input[type=file]").set_input_files(str(bad))
    page.locator("#seg-run").click()
    page.get_by_text("is not an image PIL can read").first.wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('#seg-features img')"
                           " && !document.querySelector('#seg-overlay img')", timeout=30_000)
    screenshot(page, "seg_bad_upload_cleared")
    # and the tab recovers: the slice again gives its overlay and feature maps
    page.locator("#seg-upload input[type=file]").set_input_files(str(slice_png))
    page.wait_for_selector("#seg-upload img", timeout=30_000)
    page.locator("#seg-run").click()
    page.wait_for_selector("#seg-overlay img", timeout=60_000)
    page.wait_for_selector("#seg-features img", timeout=60_000)
