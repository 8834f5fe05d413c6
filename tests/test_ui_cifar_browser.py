"""CIFAR-10 tab in Chromium: upload an image, see both models' top-5 and Grad-CAM heatmaps; pick a
gallery test image; open the model cards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from playground.cifar import data
from tests.conftest import screenshot


def open_cifar(page, app_url: str) -> None:  # noqa: ANN001
    page.goto(app_url)
    page.wait_for_selector("#app-title", timeout=30_000)
    page.get_by_role("tab", name="CIFAR-10").click()
    page.wait_for_selector("#cifar-input", state="visible", timeout=15_000)


def wait_for_results(page) -> None:  # noqa: ANN001
    for key in ("vgg", "resnet"):
        page.wait_for_selector(f"#cifar-{key}-top5 .output-class, #cifar-{key}-top5 [data-testid='label-output-value']",
                               timeout=90_000)
        page.wait_for_selector(f"#cifar-{key}-cam img", timeout=90_000)
        page.wait_for_selector(f"#cifar-{key}-features img", timeout=90_000)
    page.wait_for_selector("#cifar-agreement .cifar-agree, #cifar-agreement .cifar-disagree", timeout=30_000)


def test_upload_shows_both_models(app_url: str, page, tmp_path: Path) -> None:  # noqa: ANN001
    x, y = data.load_split("test")
    img = Image.fromarray(np.array(x[12])).resize((300, 200), Image.Resampling.BICUBIC)
    path = tmp_path / "upload.png"
    img.save(path)
    open_cifar(page, app_url)
    page.set_input_files("#cifar-input input[type=file]", str(path))
    wait_for_results(page)
    for key in ("vgg", "resnet"):
        text = page.inner_text(f"#cifar-{key}-top5")
        assert any(c in text for c in data.CLASSES), text
        src = page.get_attribute(f"#cifar-{key}-cam img", "src")
        assert src, "Grad-CAM image has no source"
    assert page.locator("#cifar-seen img").count() == 1
    screenshot(page, "cifar_upload")
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors


def test_gallery_and_model_cards(app_url: str, page) -> None:  # noqa: ANN001
    open_cifar(page, app_url)
    page.wait_for_selector("#cifar-gallery img", timeout=30_000)
    page.locator("#cifar-gallery img").nth(5).click()
    wait_for_results(page)
    assert "true label" in page.inner_text("#cifar-truth")
    page.get_by_text("Model cards").click()
    page.wait_for_selector("#cifar-vgg-curves img", timeout=60_000)
    page.wait_for_selector("#cifar-resnet-hardest img", timeout=60_000)
    assert "Test accuracy" in page.inner_text("#cifar-vgg-card")
    screenshot(page, "cifar_cards")
