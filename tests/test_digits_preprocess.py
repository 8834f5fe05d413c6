"""MNIST-faithful preprocessing on synthetic inputs: the 28×28 output has the ink's longer side at
20 px and its centre of mass at (14, 14), whatever the input's size, position, stroke or polarity."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from playground.digits.preprocess import BlankCanvas, center_of_mass, prepare
from playground.digits.strokes import Placement, digit_strokes, render


def bbox_side(p: np.ndarray, thresh: float = 0.0) -> tuple[int, int]:
    rows, cols = np.flatnonzero((p > thresh).any(1)), np.flatnonzero((p > thresh).any(0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def check_mnist_like(pixels: np.ndarray) -> None:
    assert pixels.shape == (28, 28) and pixels.dtype == np.float32
    assert 0.0 <= pixels.min() and pixels.max() <= 1.0
    assert max(bbox_side(pixels)) == 20
    cy, cx = center_of_mass(pixels)
    assert abs(cy - 14) <= 0.5 + 1e-9 and abs(cx - 14) <= 0.5 + 1e-9, (cy, cx)


def drawn(digit: int, **kw) -> np.ndarray:
    brush = kw.pop("brush", 20)
    size = kw.pop("size", (280, 280))
    return np.asarray(render(digit_strokes(digit, Placement(**kw)), size=size, brush=brush))


@pytest.mark.parametrize("case,img", [
    ("centred", drawn(3)),
    ("off-centre", drawn(5, cx=60, cy=60, height=90)),
    ("tiny", drawn(2, cx=200, cy=100, height=22, brush=3)),
    ("huge", drawn(7, size=(1600, 1200), cx=600, cy=600, height=1100, brush=90)),
    ("thick strokes", drawn(0, brush=45)),
    ("thin strokes", drawn(8, brush=2)),
    ("inverted (light on dark)", 255 - drawn(4)),
    ("narrow 1", drawn(1, height=230)),
])
def test_output_is_mnist_like(case: str, img: np.ndarray) -> None:
    p = prepare(img)
    check_mnist_like(p.pixels)


def test_polarity_is_detected_and_both_give_the_same_input() -> None:
    img = drawn(6)
    dark_on_light, light_on_dark = prepare(img), prepare(255 - img)
    assert dark_on_light.inverted and not light_on_dark.inverted
    np.testing.assert_allclose(dark_on_light.pixels, light_on_dark.pixels, atol=1e-5)


def test_aspect_ratio_is_kept() -> None:
    a = np.full((200, 200), 255, np.uint8)
    a[20:180, 90:130] = 0  # a 160×40 bar → 20×5
    h, w = bbox_side(prepare(a).pixels, 0.5)
    assert h == 20 and w == 5


def test_photo_with_grey_paper_and_noise() -> None:
    rng = np.random.default_rng(0)
    ink = drawn(9).astype(np.float32) / 255  # 1 on paper, 0 on ink
    photo = 0.75 * ink + 0.12 + rng.normal(0, 0.02, ink.shape) + np.linspace(0, 0.08, 280)[None, :]
    rgb = np.repeat((np.clip(photo, 0, 1) * 255).astype(np.uint8)[..., None], 3, axis=2)
    p = prepare(rgb)
    assert p.inverted
    check_mnist_like(p.pixels)


def test_transparent_background_either_ink_colour() -> None:
    mask = drawn(2) < 128
    for colour, inverted in (((0, 0, 0), True), ((255, 255, 255), False)):
        rgba = np.zeros((280, 280, 4), np.uint8)
        rgba[mask] = (*colour, 255)
        p = prepare(Image.fromarray(rgba, "RGBA"))
        assert p.inverted == inverted
        check_mnist_like(p.pixels)


def test_normalisation_and_padding() -> None:
    p = prepare(drawn(3))
    t28, t32 = p.tensor(28), p.tensor(32)
    assert t28.shape == (1, 1, 28, 28) and t32.shape == (1, 1, 32, 32)
    np.testing.assert_allclose(t28.numpy()[0, 0], (p.pixels - 0.1307) / 0.3081, atol=1e-6)
    np.testing.assert_allclose(t32.numpy()[0, 0, 2:30, 2:30], t28.numpy()[0, 0], atol=1e-6)
    assert np.allclose(t32.numpy()[0, 0, :2], -0.1307 / 0.3081)


@pytest.mark.parametrize("img", [
    np.full((280, 280), 255, np.uint8), np.zeros((280, 280), np.uint8),
    np.full((50, 50, 3), 128, np.uint8), (np.full((280, 280), 250) - (np.arange(280) % 3)).astype(np.uint8),
])
def test_blank_or_uniform_is_blank_canvas(img: np.ndarray) -> None:
    with pytest.raises(BlankCanvas, match="draw a digit"):
        prepare(img)


def test_bad_inputs_are_explained() -> None:
    with pytest.raises(ValueError, match="too small"):
        prepare(np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ValueError, match="not an image"):
        prepare(b"this is a text file, not a PNG")
    buf = io.BytesIO()
    Image.new("L", (3000, 2000), 255).save(buf, "PNG")
    with pytest.raises(BlankCanvas):
        prepare(buf.getvalue())  # large but blank: downscaled, then "draw a digit"


@settings(max_examples=25, deadline=None)
@given(digit=st.integers(0, 9), height=st.floats(30, 250), brush=st.floats(2, 40),
       cx=st.floats(0.3, 0.7), cy=st.floats(0.3, 0.7), slant=st.floats(-0.3, 0.3),
       invert=st.booleans())
def test_any_drawn_digit_becomes_mnist_like(digit, height, brush, cx, cy, slant, invert) -> None:
    img = drawn(digit, cx=cx * 300, cy=cy * 300, height=height, brush=brush, slant=slant, size=(300, 300))
    check_mnist_like(prepare(255 - img if invert else img).pixels)
