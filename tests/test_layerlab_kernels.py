"""Kernel presets, the safe custom-kernel parser and random kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import limits
from playground.layerlab.kernels import (PRESET_NAMES, PRESETS, kernel_bank, kernel_to_text,
                                         parse_kernel, preset, random_kernels)


def test_presets_are_the_course_kernels() -> None:
    assert PRESET_NAMES == ("identity", "box blur", "gaussian", "sharpen", "sobel x", "sobel y",
                            "laplacian", "emboss", "outline")
    np.testing.assert_array_equal(preset("sharpen"), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    np.testing.assert_array_equal(preset("Sobel X"), [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(preset("sobel y"), preset("sobel x").T)
    assert preset("box blur").sum() == pytest.approx(1.0)
    assert preset("gaussian").sum() == pytest.approx(1.0)
    assert preset("laplacian").sum() == 0 and preset("outline").sum() == 0
    with pytest.raises(ValueError, match="unknown kernel preset"):
        preset("blurry")
    k = preset("identity")
    k[0, 0] = 9  # a copy: the table itself is read-only
    assert PRESETS["identity"][0, 0] == 0


@pytest.mark.parametrize("text", [
    "[[0,-1,0],[-1,5,-1],[0,-1,0]]", "0 -1 0\n-1 5 -1\n0 -1 0", "0,-1,0; -1,5,-1; 0,-1,0",
    "[0 -1 0]\n[-1 5 -1]\n[0 -1 0]", "((0, -1, 0), (-1, 5, -1), (0, -1, 0))", "0 −1 0; −1 5 −1; 0 −1 0",
])
def test_parse_kernel_forms(text: str) -> None:
    np.testing.assert_array_equal(parse_kernel(text), preset("sharpen"))


def test_parse_kernel_fractions_and_single_row() -> None:
    np.testing.assert_allclose(parse_kernel("1/9 1/9 1/9"), [[1 / 9] * 3], rtol=1e-6)
    assert parse_kernel("[1, 2, 3]").shape == (1, 3)
    assert parse_kernel("1e-1 .5 -2.").tolist() == [[pytest.approx(0.1), 0.5, -2.0]]


@pytest.mark.parametrize("text, match", [
    ("", "empty"), ("   \n ", "empty"), ("1 2\n3", "ragged"), ("nan 1", "finite"),
    ("1 inf", "finite"), ("1 2 x", "not a number"), ("__import__('os')", "not a number|brackets"),
    ("[[1,2],[3,4]", "unbalanced"), ("1/0", "divides by zero"), ("1e7", "within"),
    ("lambda: 1", "not a number"), ("().__class__", "not a number|no numbers"),
    (" ".join(["1"] * (limits.MAX_KERNEL_SIDE + 1)), "limit"), ("1" * (limits.MAX_KERNEL_TEXT + 1), "characters"),
])
def test_parse_kernel_rejects_bad_text(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_kernel(text)


def test_parse_kernel_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_kernel(None)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_kernel_text_round_trip(kh: int, kw: int, seed: int) -> None:
    k = np.random.default_rng(seed).integers(-50, 50, size=(kh, kw)).astype(np.float32) / 4
    np.testing.assert_array_equal(parse_kernel(kernel_to_text(k)), k)


def test_random_kernels_are_seeded_zero_mean() -> None:
    a, b = random_kernels(4, 3, 5, seed=7), random_kernels(4, 3, 5, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 3, 5)
    np.testing.assert_allclose(a.mean(axis=(1, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(np.abs(a).sum(axis=(1, 2)), 1, rtol=1e-5)
    assert not np.array_equal(a, random_kernels(4, 3, 5, seed=8))
    for bad in ((0, 3, 3), (limits.MAX_FEATURE_KERNELS + 1, 3, 3), (2, 0, 3), (2, 3, 99)):
        with pytest.raises(ValueError, match="between"):
            random_kernels(*bad)


def test_kernel_bank_embeds_smaller_kernels_centred() -> None:
    bank = kernel_bank(["sobel x"], custom="1 1 1 1 1\n" * 5, n_random=2, random_size=(3, 3), seed=1)
    assert bank.kernels.shape == (4, 5, 5)
    assert bank.titles == ("sobel x", "custom", "random 0 (seed 1)", "random 1 (seed 1)")
    np.testing.assert_array_equal(bank.kernels[0, 1:4, 1:4], preset("sobel x"))
    assert bank.kernels[0, 0].sum() == 0 and bank.kernels[0, :, 0].sum() == 0
    assert any("embedded" in n for n in bank.notes)
    with pytest.raises(ValueError, match="at least one kernel"):
        kernel_bank([], "", 0)
    with pytest.raises(ValueError, match="limit"):
        kernel_bank(list(PRESET_NAMES), "", limits.MAX_FEATURE_KERNELS)
