"""The shared renderers: feature grids with colour scales and HTML value tables."""

from __future__ import annotations

import numpy as np
import pytest

from playground.render import colorize, feature_grid, format_value, value_grid_html


def test_colorize_scales_and_marks_missing_values() -> None:
    a = np.array([[0.0, 1.0], [2.0, np.nan]])
    rgb = colorize(a, "gray")
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[1, 0].tolist() == [255, 255, 255]
    assert rgb[1, 1].tolist() == [255, 255, 255]  # NaN drawn white
    assert 120 <= rgb[0, 1, 0] <= 135
    assert (colorize(np.ones((3, 3))) == colorize(np.ones((3, 3)))[0, 0]).all()  # constant map
    with pytest.raises(ValueError, match="colormap"):
        colorize(a, "no-such-map")


def test_feature_grid_layout() -> None:
    maps = np.random.default_rng(0).standard_normal((6, 40, 20)).astype(np.float32)
    img = feature_grid(maps, ["a", "b"], max_maps=5, tile=64)
    assert img.mode == "RGB"
    assert img.width > 4 * 32 and img.height > 2 * 64  # 4 columns, 2 rows for 5 maps
    single = feature_grid(maps[0])
    assert single.width < img.width * 2
    with pytest.raises(ValueError, match="shape"):
        feature_grid(np.zeros((2, 0, 3)))
    with pytest.raises(ValueError, match="max_maps"):
        feature_grid(maps, max_maps=0)


def test_format_value() -> None:
    assert [format_value(v) for v in (3.0, -0.0, 0.125, -1.5, float("nan"), float("-inf"))] == \
        ["3", "0", "0.125", "−1.5", "·", "−∞"]
    assert format_value(1 / 3, 2) == "0.33" and format_value(-1e-9) == "0"


def test_value_grid_html_prints_every_value_and_highlight() -> None:
    a = np.arange(6, dtype=float).reshape(2, 3)
    hl = np.zeros((2, 3), int)
    hl[1, 2] = 1
    kinds = np.array([["pad", "in", "in"], ["in", "zero", "outside"]], dtype=object)
    h = value_grid_html(a, highlight=hl, kinds=kinds, title="x <b>", elem_id="g")
    assert h.count("<td") == 6 and 'id="g"' in h
    assert "x &lt;b&gt;" in h  # escaped
    assert 'data-hl="1"' in h and h.count('data-kind="pad"') == 1
    for v in ("0", "1", "2", "3", "4"):
        assert f">{v}</td>" in h
    assert "><" in h.split('data-kind="outside"')[1][:400]  # outside cell prints no value
    with pytest.raises(ValueError, match="highlight shape"):
        value_grid_html(a, highlight=np.zeros((3, 3)))
