"""The hostile upload corpus (tests/upload_corpus.py) against the loader and every image endpoint.

1. ``playground.imageio.load_image`` on each file: an upright RGB/L image or a ``ValueError``
   whose message names the problem, in well under a second (the 50 MP photo: a few seconds).
2. Every image-taking API endpoint of the running app (discovered from
   ``client.view_api(return_format="dict")``: parameters whose component is Image, ImageEditor,
   Sketchpad, Paint or File) gets each corpus file through ``gradio_client.handle_file``: a result
   or a ``gr.Error`` with a clear message (judged by ``tests.test_fuzz_api.unclear_reason``),
   within the time limit, and the app still answers afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from playground import limits
from bench.startup import is_image_component
from playground.imageio import downscale, load_image
from tests.upload_corpus import CORPUS, ERROR_WORDS, EXPECT, build_corpus, make_oversize_upload

IMAGE_COMPONENTS = {"Image", "ImageEditor", "Sketchpad", "Paint", "File"}
UPLOAD_TABS = ("Layer Lab", "Digits", "CIFAR-10", "Segmentation")
"""Tabs that take an uploaded image: each must expose at least one image endpoint once it lands."""
CALL_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


# --- 1. the loader ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CORPUS))
def test_load_image_handles_corpus_file(corpus: dict[str, Path], name: str) -> None:
    limit_s = 8.0 if name == "photo_50mp" else 1.0
    t0 = time.perf_counter()
    if EXPECT[name] == "ok":
        img = load_image(corpus[name])
        assert img.mode == "RGB" and img.width >= 1 and img.height >= 1
        assert load_image(corpus[name], mode="L").mode == "L"
    else:
        with pytest.raises(ValueError) as info:
            load_image(corpus[name])
        msg = str(info.value).lower()
        assert any(w in msg for w in ERROR_WORDS[name]), msg
        assert "traceback" not in msg
    assert time.perf_counter() - t0 < limit_s


def test_bomb_in_pil_warning_zone_is_refused(corpus: dict[str, Path]) -> None:
    """REGRESSION (request 8-R1): 60–120 MP is only a *warning* in PIL; the limit must still hold.

    PIL raises ``DecompressionBombError`` only above 2×``MAX_IMAGE_PIXELS`` and merely warns
    between 1× and 2×, so a 90 MP PNG (400 kB) was decoded in full (270 MB as RGB).
    """
    with Image.open(corpus["bomb_90mp"]) as im:
        assert im.width * im.height > limits.MAX_IMAGE_PIXELS
    with pytest.raises(ValueError, match="too many pixels"):
        load_image(corpus["bomb_90mp"])


def test_exif_rotated_photo_comes_out_upright(corpus: dict[str, Path]) -> None:
    img = np.asarray(load_image(corpus["exif_rotated"]))
    assert img.shape == (60, 40, 3), "orientation 6: a 60×40 stored image displays 40 wide, 60 tall"
    top_right, top_left, bottom_left = img[3, 36], img[3, 3], img[56, 3]
    assert top_right[0] > 200 and top_right[1] < 60 and top_right[2] < 60, top_right  # red block
    assert top_left.min() > 200 and bottom_left.min() > 200  # white elsewhere


def test_16bit_is_scaled_to_8bit(corpus: dict[str, Path]) -> None:
    a = np.asarray(load_image(corpus["gray16"], mode="L")).astype(int)
    assert a[:, 0].max() <= 2 and a[:, -1].min() >= 253, (a[0, 0], a[0, -1])
    assert np.all(np.diff(a[0]) >= 0), "the 16-bit ramp must stay monotonic"


def test_rgba_transparency_is_composited_on_the_background(corpus: dict[str, Path]) -> None:
    white = np.asarray(load_image(corpus["rgba"]))
    assert tuple(white[5, 5]) == (255, 0, 0) and tuple(white[5, 60]) == (255, 255, 255)
    black = np.asarray(load_image(corpus["rgba"], background=(0, 0, 0)))
    assert tuple(black[5, 60]) == (0, 0, 0)


def test_palette_cmyk_and_gif(corpus: dict[str, Path]) -> None:
    from tests.upload_corpus import _gradient

    ref = np.asarray(_gradient()).astype(int)
    cmyk = np.asarray(load_image(corpus["cmyk"])).astype(int)
    assert cmyk.shape == ref.shape and np.abs(cmyk - ref).mean() < 25, "CMYK colours must survive"
    pal = np.asarray(load_image(corpus["palette"])).astype(int)
    assert pal.shape == ref.shape
    gif = np.asarray(load_image(corpus["animated_gif"]))
    assert tuple(gif[10, 10]) == (255, 0, 0), "an animated GIF gives its first frame"


def test_huge_photo_downscales_to_work_size(corpus: dict[str, Path]) -> None:
    img, note = downscale(load_image(corpus["photo_50mp"]))
    assert max(img.size) == limits.WORK_IMAGE_SIDE and "8000" in note
    strip, _ = downscale(load_image(corpus["strip_4000x1"]))
    assert strip.height >= 1 and strip.width == limits.WORK_IMAGE_SIDE


# --- 2. every image endpoint of the running app -------------------------------------------------

def _tab_of_endpoints() -> dict[str, str]:
    """api_name → tab title, by walking each event's input components up to their ``gr.Tab``."""
    import gradio as gr

    import app as app_module

    demo = app_module.build_demo()
    out: dict[str, str] = {}
    for fn in demo.fns.values():
        if not fn.api_name:
            continue
        for block in list(fn.inputs) + list(fn.outputs):
            node, tab = block, None
            while node is not None:  # the outermost Tab: tabs nest sub-tabs (Layer Lab's views)
                if isinstance(node, gr.Tab):
                    tab = node
                node = getattr(node, "parent", None)
            if tab is not None:
                out[str(fn.api_name)] = str(tab.label)
                break
    return out


def image_endpoints(client: Any) -> dict[str, list[dict]]:
    """``{"/api_name": parameters}`` for every endpoint with an image or file parameter."""
    info = client.view_api(return_format="dict", print_info=False)
    return {
        name: ep["parameters"]
        for name, ep in info["named_endpoints"].items()
        if any(is_image_component(p.get("component")) for p in ep["parameters"])
    }


def _args(params: list[dict], path: Path | None) -> list[Any]:
    """Arguments: ``path`` for the first image parameter, defaults (or examples) for the rest."""
    from gradio_client import handle_file

    args: list[Any] = []
    used = False
    for p in params:
        comp = p.get("component")
        if is_image_component(comp) and not used and path is not None:
            used = True
            f = handle_file(str(path))
            args.append({"background": f, "layers": [], "composite": f}
                        if any(k in comp for k in ("Editor", "Sketchpad", "Paint")) else f)
        elif is_image_component(comp):
            args.append(None)
        elif p.get("parameter_has_default"):
            args.append(p.get("parameter_default"))
        else:
            args.append(p.get("example_input"))
    return args


def test_upload_tabs_expose_image_endpoints(client: Any) -> None:
    """Layer Lab must have landed with an image endpoint; any other upload tab that has landed too."""
    tabs = _tab_of_endpoints()
    img_eps = image_endpoints(client)
    landed = set(tabs.values())
    assert "Layer Lab" in landed, f"Layer Lab exposes no API endpoint yet; tabs with endpoints: {landed}"
    for tab in UPLOAD_TABS:
        if tab in landed:
            mine = [n for n in img_eps if tabs.get(n.lstrip("/")) == tab]
            assert mine, f"tab {tab!r} has endpoints but none takes an image: {sorted(tabs)}"


def test_every_image_endpoint_handles_the_corpus(client: Any, corpus: dict[str, Path]) -> None:
    from gradio_client.exceptions import AppError

    from tests.test_fuzz_api import unclear_reason

    eps = image_endpoints(client)
    assert eps, "no image-taking endpoint found"
    bad: list[str] = []
    times: dict[str, float] = {}
    for api_name, params in eps.items():
        for name, path in corpus.items():
            t0 = time.perf_counter()
            try:
                client.predict(*_args(params, path), api_name=api_name)
                outcome = "result"
            except AppError as exc:
                outcome = "error"
                why = unclear_reason(str(exc.message))
                if why:
                    bad.append(f"{api_name} <- {name}: {why}: {str(exc.message)[:200]!r}")
            except Exception as exc:  # noqa: BLE001
                outcome = "exception"
                bad.append(f"{api_name} <- {name}: {type(exc).__name__}: {str(exc)[:200]}")
            dt = time.perf_counter() - t0
            times[f"{api_name} <- {name}"] = dt
            if dt > CALL_LIMIT_S:
                bad.append(f"{api_name} <- {name}: took {dt:.1f} s ({outcome})")
            if outcome == "result" and EXPECT[name] == "error":
                pass  # a tab may legitimately show "could not read" as a result panel
    slowest = sorted(times.items(), key=lambda kv: -kv[1])[:5]
    print("\nslowest:", [(k, f"{v:.2f}s") for k, v in slowest])
    assert not bad, f"{len(bad)} problems:\n" + "\n".join(bad)
    base = client.src.rstrip("/")
    assert httpx.get(base + "/", timeout=10).status_code == 200, "app unhealthy after the corpus"


def test_oversize_upload_is_refused_and_app_survives(client: Any, tmp_path: Path) -> None:
    """A file over MAX_UPLOAD_BYTES is refused at upload time (Gradio's ``max_file_size``)."""
    eps = image_endpoints(client)
    if not eps:
        pytest.fail("no image-taking endpoint found")
    api_name, params = next(iter(eps.items()))
    big = make_oversize_upload(tmp_path)
    with pytest.raises(Exception) as info:  # noqa: PT011 - the upload layer's own error type
        client.predict(*_args(params, big), api_name=api_name)
    assert "413" in str(info.value) or "large" in str(info.value).lower() or "size" in str(
        info.value).lower(), str(info.value)[:300]
    base = client.src.rstrip("/")
    assert httpx.get(base + "/", timeout=10).status_code == 200
