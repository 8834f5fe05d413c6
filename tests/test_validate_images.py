"""Issue 8: big photos are shrunk cheaply before conversion, the Digits tab explains uploads that
Gradio could not decode, and ``import app`` loads neither torchvision nor matplotlib.

The cheap path (``load_image(..., max_side=...)``: JPEG DCT scaling, integer box reduction) must
give the same final size and note as the full decode followed by :func:`downscale`, and nearly the
same pixels.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import imageio, limits
from playground.digits import preprocess, view
from playground.ui import digits as ui

ROOT = Path(__file__).resolve().parent.parent
SIDE = limits.WORK_IMAGE_SIDE


def _photo(path: Path, size: tuple[int, int], fmt: str, **save) -> Path:
    """A smooth photo-like picture with a dark bar (cheap to make, compressible)."""
    w, h = size
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    rgb = np.dstack([np.broadcast_to(x, (h, w)), np.broadcast_to(y, (h, w)),
                     np.full((h, w), 128, np.float32)]).astype(np.uint8)
    rgb[h // 3: h // 2, w // 4: 3 * w // 4] = 0
    Image.fromarray(rgb).save(path, fmt, **save)
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("big")
    return {"jpeg": _photo(d / "big.jpg", (4000, 3000), "JPEG", quality=90),
            "png": _photo(d / "big.png", (4000, 3000), "PNG", compress_level=1)}


@pytest.mark.parametrize("kind", ["jpeg", "png"])
def test_cheap_path_gives_the_same_size_note_and_nearly_the_same_pixels(big, kind: str) -> None:  # noqa: ANN001
    full, note_full = imageio.downscale(imageio.load_image(big[kind], "L"), SIDE)
    fast_raw = imageio.load_image(big[kind], "L", max_side=SIDE)
    assert max(fast_raw.size) < 4000, "the big image must be shrunk before conversion"
    assert max(fast_raw.size) >= imageio.REDUCE_GAP * SIDE
    assert imageio.original_size(fast_raw) == (4000, 3000)
    fast, note_fast = imageio.downscale(fast_raw, SIDE)
    assert fast.size == full.size == (512, 384) and note_fast == note_full
    assert "4000×3000" in note_fast
    diff = np.abs(np.asarray(fast, float) - np.asarray(full, float))
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 12


def test_jpeg_is_decoded_at_a_reduced_dct_scale(big) -> None:  # noqa: ANN001
    img = imageio._decode(big["jpeg"], "big.jpg", SIDE)
    assert img.size == (2000, 1500)  # 1/2 scale: still >= REDUCE_GAP × 512 on the long side
    assert img.info[imageio.ORIGINAL_SIZE] == (4000, 3000)


def test_cheap_path_keeps_exif_rotation(tmp_path: Path) -> None:
    img = Image.new("RGB", (3000, 1200), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, 300, 1200))  # red band on the left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    p = tmp_path / "rotated.jpg"
    img.save(p, "JPEG", exif=exif, quality=95)
    fast = imageio.load_image(p, max_side=SIDE)
    assert imageio.original_size(fast) == (1200, 3000)
    small, note = imageio.downscale(fast, SIDE)
    assert small.size == (205, 512) and "1200×3000" in note
    top = np.asarray(small)[5, small.width // 2]
    assert top[0] > 200 and top[1] < 80, "the stored left band must be on top once upright"


def test_a_cropped_image_reports_its_own_size(big) -> None:  # noqa: ANN001
    fast = imageio.load_image(big["png"], max_side=SIDE)
    crop = fast.crop((0, 0, fast.width // 2, fast.height))
    assert imageio.original_size(crop) == crop.size


def test_sixteen_bit_and_palette_big_images_take_the_cheap_path(tmp_path: Path) -> None:
    g16 = (np.arange(1800 * 1200, dtype=np.uint32).reshape(1200, 1800) % 65536).astype(np.uint16)
    p16 = tmp_path / "g16.png"
    Image.fromarray(g16).save(p16)
    img = imageio.load_image(p16, "L", max_side=SIDE // 2)
    assert img.mode == "L" and max(img.size) < 1800 and imageio.original_size(img) == (1800, 1200)
    pal = Image.new("P", (2400, 1600), 3)
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] * 64)
    pp = tmp_path / "pal.png"
    pal.save(pp)
    img = imageio.load_image(pp, "RGB", max_side=SIDE // 2)
    assert tuple(np.asarray(img)[0, 0]) == (0, 0, 255) and max(img.size) < 2400


def test_bomb_is_still_refused_before_decoding(tmp_path: Path) -> None:
    from tests.upload_corpus import make_bomb

    with pytest.raises(ValueError, match="too many pixels"):
        imageio.load_image(make_bomb(tmp_path), max_side=SIDE)


# digits ---------------------------------------------------------------------------------------------
def test_digits_reads_a_big_jpeg_once(big, monkeypatch) -> None:  # noqa: ANN001
    calls = []
    real = imageio.load_image

    def counting(*a, **k):  # noqa: ANN002, ANN003, ANN202
        calls.append(k.get("max_side"))
        return real(*a, **k)

    monkeypatch.setattr(imageio, "load_image", counting)
    gray, note = preprocess.to_gray(str(big["jpeg"]))
    assert calls == [SIDE], "an opaque JPEG needs one decode, at a reduced size"
    assert gray.shape == (384, 512) and "4000×3000" in note


def test_digits_min_side_uses_the_upload_size(tmp_path: Path) -> None:
    p = tmp_path / "strip.png"
    Image.new("L", (5000, 9), 255).save(p)  # 9 px tall: enough for the check, even once reduced
    with pytest.raises(preprocess.BlankCanvas):
        preprocess.prepare(str(p))
    Image.new("L", (5000, 6), 255).save(p)
    with pytest.raises(ValueError, match="5000×6 px: too small"):
        preprocess.prepare(str(p))


@pytest.mark.parametrize("data, match", [(b"", "empty"), (b"plain text", "not an image"),
                                         (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not an image|corrupt")])
def test_classify_sketch_explains_an_undecodable_upload_path(tmp_path: Path, data: bytes,
                                                             match: str) -> None:
    import re

    f = tmp_path / "drawing.png"
    f.write_bytes(data)
    for callback in (ui.classify_sketch, ui.classify_digit):
        with pytest.raises(gr.Error) as info:
            callback(str(f))
        assert re.search(match, info.value.message), info.value.message


def test_digits_tab_uses_lenient_upload_components() -> None:
    from playground.ui.components import LenientImage, LenientSketchpad

    with gr.Blocks() as demo:
        ui.build_digits()
    inputs = {f.api_name: f.inputs[0] for f in demo.fns.values()
              if f.api_name in ("classify_sketch", "classify_digit")}
    assert isinstance(inputs["classify_sketch"], LenientSketchpad)
    assert isinstance(inputs["classify_digit"], LenientImage)
    assert inputs["classify_digit"].type == "filepath"


def test_a_drawn_digit_is_read_the_same_way() -> None:
    canvas = np.full((280, 280), 255, np.uint8)
    canvas[40:240, 130:150] = 0  # a "1"
    rgba = np.dstack([canvas] * 3 + [np.full_like(canvas, 255)])
    out = view.classify({"background": rgba, "layers": [rgba], "composite": rgba})
    assert max(out.lenet, key=out.lenet.get) == "1"


# cold start -----------------------------------------------------------------------------------------
def test_import_app_loads_neither_torchvision_nor_matplotlib() -> None:
    code = ("import sys, app; heavy = [m for m in ('torchvision', 'matplotlib') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"imported at start: {out.stdout.strip()}"
