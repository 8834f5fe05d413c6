"""Training studio in Chromium: train, watch the curve grow, stop, download the weights; and
closing the tab mid-training frees the training slot."""

from __future__ import annotations

import threading
import time

import torch
from gradio_client import Client

from playground import limits
from tests.conftest import screenshot

TINY = ("nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Flatten(), "
        "nn.Linear(676, 10))")


def open_studio(page, app_url: str) -> None:  # noqa: ANN001
    page.goto(app_url)
    page.wait_for_selector("#app-title", timeout=30_000)
    page.get_by_role("tab", name="Training studio").click()
    page.wait_for_selector("#studio-train", state="visible", timeout=10_000)


def box_attr(page, name: str) -> str:  # noqa: ANN001
    return page.get_attribute("#studio-progress-box", name) or ""


def start_long_training(page) -> None:  # noqa: ANN001
    amount = page.locator("#studio-amount input")
    amount.fill("3000")
    amount.press("Tab")
    page.click("#studio-train")
    page.wait_for_function(
        "() => Number(document.querySelector('#studio-progress-box')?.dataset.step || 0) > 0",
        timeout=60_000)


def test_train_watch_stop_download(page, app_url: str, tmp_path) -> None:  # noqa: ANN001
    open_studio(page, app_url)
    start_long_training(page)
    page.wait_for_function(
        "() => Number(document.querySelector('#studio-progress-box')?.dataset.points || 0) >= 2",
        timeout=60_000)
    first = int(box_attr(page, "data-points"))
    page.wait_for_function(
        f"() => Number(document.querySelector('#studio-progress-box')?.dataset.points || 0) > {first}",
        timeout=60_000)  # the curve grows
    page.wait_for_selector("#studio-loss-plot canvas, #studio-loss-plot svg", timeout=30_000)
    screenshot(page, "studio_training")
    step_before = int(box_attr(page, "data-step"))
    page.click("#studio-stop")
    page.wait_for_function(
        "() => document.querySelector('#studio-progress-box')?.dataset.status === 'stopped'",
        timeout=30_000)
    assert int(box_attr(page, "data-step")) < 3000
    assert int(box_attr(page, "data-step")) >= step_before
    page.wait_for_selector("#studio-files a", timeout=60_000)
    assert "Test accuracy" in page.inner_text("#studio-summary")
    link = page.locator("#studio-files a[download$='.pt']").first
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "weights.pt"
    info.value.save_as(path)
    sd = torch.load(path, weights_only=True)
    assert sd["conv1.weight"].shape == (6, 1, 5, 5)  # LeNet-5, the default network
    screenshot(page, "studio_results")
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors


def test_closing_the_tab_frees_the_training_slot(browser, app_url: str) -> None:  # noqa: ANN001
    pages = []
    for _ in range(limits.MAX_CONCURRENT_TRAININGS):  # fill every training slot from browsers
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = ctx.new_page()
        open_studio(pg, app_url)
        start_long_training(pg)
        pages.append((ctx, pg))
    for ctx, _ in pages:
        ctx.close()  # the user closes the tab mid-training
    # new trainings must start streaming soon, not wait ~MAX_TRAIN_SECONDS for the slots
    started: dict[int, float] = {}
    t0 = time.monotonic()

    def go(i: int) -> None:
        c = Client(app_url, verbose=False)
        job = c.submit("Custom (PyTorch text)", TINY, "MNIST", "Adam", 3e-3, 32, "steps", 40, False,
                       0, 0, 60, api_name="/train")
        for out in job:
            if out[3] and out[3]["step"] > 0:
                started.setdefault(i, time.monotonic() - t0)
        job.result()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(limits.MAX_CONCURRENT_TRAININGS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(started) == limits.MAX_CONCURRENT_TRAININGS
    assert max(started.values()) < 30, started
