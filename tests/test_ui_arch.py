"""Architectures tab: callbacks as functions, the API through gradio_client, and a shared
builder link opened in Chromium."""

from __future__ import annotations

import re
from types import SimpleNamespace

import gradio as gr
import pytest

from playground.arch import builder, views
from tests.conftest import screenshot


def _request(query: dict) -> SimpleNamespace:
    return SimpleNamespace(query_params=query)


# --- callbacks ---------------------------------------------------------------------------------
def test_explorer_callbacks() -> None:
    js = views.table_json("resnet18", "3x224x224")
    assert js["total_params"] == 11_689_512 and js["rows"][0]["name"] == "conv1"
    md, html = views.table_view("googlenet", "3x224x224", False)
    assert "6,624,904" in md and 'data-block="inception3a"' in html and "<details" in html
    assert " open>" not in html.split("</summary>")[0]
    _, html_open = views.table_view("googlenet", "3x224x224", True)
    assert "open><summary>" in html_open
    assert views.on_arch_change("lenet5") == "1x32x32"
    with pytest.raises(gr.Error, match="size collapses at layer features.5"):
        views.table_view("alexnet", "3x16x16", False)
    with pytest.raises(gr.Error, match="unknown architecture"):
        views.table_json("resnet1000", "224")


def test_course_and_compare_callbacks() -> None:
    html, notes, text = views.course_view("vgg16")
    assert "138,357,544" in html and "138,423,208" in notes and "65,664" in notes
    fig, pts, pub = views.compare_view(["alexnet", "vgg16"])
    assert len(pts) == 2 and pub[0][3] == "84.7 % (published)"


def test_builder_callbacks() -> None:
    code, shape, note = views.preset("course_28")
    md, html, torch_code, js = views.build_view(code, shape)
    assert "8×64×3×3" in md and 'id="builder-flow"' in html and js["ok"]
    assert "✓ every shape matches PyTorch" in views.torch_check(code, shape)
    md, html, _, js = views.build_view("nn.Sequential(nn.Conv2d(1,4,3), nn.Linear(5, 2))", "1x1x8x8")
    assert "break at **layer 1**" in md and "arch-bad" in html and not js["ok"]
    new = views.add_layer(code, "ReLU", "")
    assert new.count("nn.ReLU()") == 1 and views.remove_layer(new).count("nn.ReLU()") == 0
    with pytest.raises(gr.Error):
        views.add_layer(code, "Conv2d", "1, 2, __import__('os')")
    q = views.share_query(code, shape)
    assert q.startswith("?net=") and "&shape=8x1x28x28" in q
    assert "too long" in views.share_query("x" * 10_000, shape)


def test_load_shared_restores_or_explains() -> None:
    q = builder.encode_share(builder.PRESETS["lenet_case"].code, "1x1x28x28")
    params = dict(p.split("=", 1) for p in q.split("&"))
    out = views.load_shared(_request(params))
    assert out[0] == builder.PRESETS["lenet_case"].code and out[1] == "1x1x28x28"
    assert "105,506" in out[2] and "restored" in out[2]
    assert views.load_shared_inner(_request(params))[:6] == out[:6]
    bad = views.load_shared(_request({"net": "!!"}))
    assert "Shared link" in bad[2] and "base64url" in bad[2]
    assert all(isinstance(o, dict) for o in views.load_shared(_request({})))  # no change


def test_concept_callbacks() -> None:
    rows = views.stacked_view(1, False)
    assert rows[1][2:] == ["18", "25", "−28.0%"]
    assert "14,400,000,000" in views.mlp_view(200, 200, 3, 3, 64)
    assert "57.6 GB" in views.mlp_view(200, 200, 3, 3, 64)
    assert "120,422,400" in views.inception_view(28, 28, 192, 16, 32, 5)
    assert "1×1 projection" in views.residual_view(64, 128, 56, 56, 2)
    assert "identity" in views.residual_view(64, 64, 56, 56, 1)
    assert "0.0067" in views.activation_view("1 2 3 4 5\n6 7 8 9 10", "Softmax", 0.01, 0)
    html, md = views.norm_view(2, 4, 2, 2, 0, "BatchNorm2d", 2, 3)
    assert "running_mean" in md and "eval mode" in html
    with pytest.raises(gr.Error):
        views.norm_view(2, 3, 2, 2, 0, "GroupNorm", 2, 1)


# --- API ---------------------------------------------------------------------------------------
def test_api_architecture_table(client) -> None:  # noqa: ANN001
    js = client.predict("resnet50", "3x224x224", api_name="/architecture_table")
    assert js["total_params"] == 25_557_032 and js["total_macs"] == 4_089_184_256
    assert len(js["rows"]) == 158 and js["blocks"][1]["type"] == "Bottleneck"
    with pytest.raises(Exception, match="size collapses"):
        client.predict("alexnet", "3x16x16", api_name="/architecture_table")
    big = client.predict("vgg16", "3x1000000x1000000", api_name="/architecture_table")
    assert big["rows"][0]["output_shape"] == [1, 64, 10**6, 10**6]


def test_api_build_network(client) -> None:  # noqa: ANN001
    p = builder.PRESETS["lenet_case"]
    js = client.predict(p.code, p.shape, api_name="/build_network")
    assert js["ok"] and js["total_params"] == 105_506
    assert js["inferred_in_features"] == [{"index": 7, "name": "7", "in_features": 256}]


# --- browser -------------------------------------------------------------------------------------
def test_shared_builder_link_restores_network(page, app_url: str) -> None:  # noqa: ANN001
    code = builder.PRESETS["course_28"].code
    url = app_url + "?" + builder.encode_share(code, "8x1x28x28")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(url)
    page.wait_for_selector("table#builder-flow", timeout=90_000)
    assert page.input_value("#builder-code textarea") == code
    assert page.input_value("#builder-shape textarea, #builder-shape input") == "8x1x28x28"
    rows = page.locator("table#builder-flow tr")
    assert rows.count() == 7  # header + 6 layers
    assert "8×64×3×3" in rows.nth(6).inner_text()
    assert "23,296" in page.locator("#builder-status").inner_text()
    share = page.locator("#builder-share textarea, #builder-share input").first
    page.wait_for_function("() => window.location.search.startsWith('?net=')", timeout=30_000)
    assert re.search(r"\?net=[A-Za-z0-9_-]+&shape=8x1x28x28", share.input_value())
    screenshot(page, "arch_builder_shared_link")
    # editing the network updates the address bar
    old = page.evaluate("() => window.location.search")
    page.locator("#builder-add").click()
    page.wait_for_function("(old) => window.location.search !== old", arg=old, timeout=30_000)
    assert page.evaluate("() => window.location.search").startswith("?net=")
    # same page: the explorer's blocks collapse and expand (native <details>)
    page.get_by_role("tab", name="Explorer").click()
    page.locator("#arch-go").click()
    page.wait_for_selector("#arch-table details.arch-blk", timeout=90_000)
    block = page.locator("#arch-table details.arch-blk[data-block='layer1.0']")
    assert block.get_attribute("open") is None
    assert not page.locator("#arch-table td[title='layer1.0.conv1']").is_visible()
    block.locator("summary").click()
    page.wait_for_selector("#arch-table td[title='layer1.0.conv1']", state="visible")
    assert "11,689,512" in page.locator("#arch-totals").inner_text()
    screenshot(page, "arch_explorer_resnet18")
    # "Failed to load resource" messages carry no URL: judge them by the failed responses
    errors = [e for e in page.console_errors
              if "favicon" not in e and "Failed to load resource" not in e]
    assert not errors and not [f for f in failed if "favicon" not in f], (errors, failed)
