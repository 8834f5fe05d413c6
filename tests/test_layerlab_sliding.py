"""Sliding-window steps: every window reads exactly the cells PyTorch reads (checked with
F.unfold and max_pool2d's indices), its printed sum equals PyTorch's output, and transposed
convolution by zero insertion + padding + flipped kernel equals F.conv_transpose2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import limits
from playground.layerlab.sliding import conv_view, pool_view, transposed_view
from playground.layerlab.transposed import conv_transpose_as_conv, flip_weight, zero_insert
from playground.layerlab.views import clamp_step, sliding_html


def _input_index(view, cell) -> int:
    """1-based flat index of the input element at a grid cell (0 for padding)."""
    if view.kinds[cell] != "in":
        return 0
    pt, pl = np.argwhere(view.kinds == "in").min(axis=0)
    r, c = cell[0] - pt, cell[1] - pl
    return int(r * view.input.shape[1] + c + 1)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), kh=st.integers(1, 4), kw=st.integers(1, 4),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       d=st.tuples(st.integers(1, 3), st.integers(1, 3)), seed=st.integers(0, 999))
def test_conv_windows_read_the_cells_unfold_reads(h, w, kh, kw, s, p, d, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, size=(h, w)).astype(float)
    k = rng.integers(-2, 3, size=(kh, kw)).astype(float)
    try:
        view = conv_view(x, k, s, p, d, bias=0.5)
    except ValueError as exc:
        with pytest.raises(RuntimeError):
            F.conv2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), stride=s, padding=p, dilation=d)
        assert "output would be empty" in str(exc)
        return
    ref = F.conv2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None],
                   torch.tensor([0.5], dtype=torch.float64), s, p, d)[0, 0].numpy()
    np.testing.assert_allclose(view.output, ref)
    np.testing.assert_allclose([wd.result for wd in view.windows], ref.reshape(-1), atol=1e-9)
    idx = torch.arange(1, h * w + 1, dtype=torch.float64).reshape(1, 1, h, w)
    cols = F.unfold(idx, (kh, kw), dilation=d, padding=p, stride=s)[0].T.numpy()  # (L, kh*kw)
    for wd, col in zip(view.windows, cols):
        assert [_input_index(view, c) for c in wd.cells] == col.astype(int).tolist()
        mask = view.window_mask(view.windows.index(wd))
        assert (mask == 1).sum() + (mask == 4).sum() == kh * kw
        assert ((mask == 5).sum() == (d[0] * (kh - 1) + 1) * (d[1] * (kw - 1) + 1) - kh * kw)


@pytest.mark.parametrize("ceil_mode", [False, True])
@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       data=st.data())
def test_max_pool_windows_choose_torch_argmax(ceil_mode, h, w, k, s, d, data) -> None:
    p = (data.draw(st.integers(0, k[0] // 2)), data.draw(st.integers(0, k[1] // 2)))
    x = np.random.default_rng(h * 100 + w).permutation(h * w).reshape(h, w).astype(float)
    t = torch.from_numpy(x)[None, None]
    try:
        ref, ind = F.max_pool2d(t, k, s, p, d, ceil_mode=ceil_mode, return_indices=True)
    except RuntimeError:
        with pytest.raises(ValueError):
            pool_view(x, "max", k, s, p, d, ceil_mode)
        return
    view = pool_view(x, "max", k, s, p, d, ceil_mode)
    np.testing.assert_array_equal(view.output, ref[0, 0].numpy())
    assert [wd.result for wd in view.windows] == ref.reshape(-1).tolist()
    for wd, i_ref in zip(view.windows, ind.reshape(-1).tolist()):
        if wd.chosen is None:  # the window holds only padding: PyTorch gives −inf (index undefined)
            assert wd.result == -np.inf
        else:
            assert _input_index(view, wd.chosen) - 1 == i_ref
    gh, gw = view.grid.shape
    assert all(0 <= r < gh and 0 <= c < gw for wd in view.windows for r, c in wd.cells)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), ceil_mode=st.booleans(), cip=st.booleans(),
       div=st.sampled_from([None, 1, 3]), data=st.data())
def test_avg_pool_windows_and_divisors(h, w, k, s, ceil_mode, cip, div, data) -> None:
    p = (data.draw(st.integers(0, k[0] // 2)), data.draw(st.integers(0, k[1] // 2)))
    x = np.random.default_rng(h + 17 * w).integers(0, 9, size=(h, w)).astype(float)
    t = torch.from_numpy(x)[None, None]
    try:
        ref = F.avg_pool2d(t, k, s, p, ceil_mode, cip, div)[0, 0].numpy()
    except RuntimeError:
        with pytest.raises(ValueError):
            pool_view(x, "avg", k, s, p, 1, ceil_mode, cip, div)
        return
    view = pool_view(x, "avg", k, s, p, 1, ceil_mode, cip, div)
    np.testing.assert_allclose([wd.result for wd in view.windows], ref.reshape(-1), atol=1e-12)
    for wd in view.windows:  # the window is exactly k cells from (i·s, j·s) in padded coordinates
        i, j = wd.out
        assert wd.cells == tuple((i * s[0] + a, j * s[1] + b) for a in range(k[0]) for b in range(k[1]))


def test_ceil_mode_window_partly_outside_is_shown() -> None:
    x = np.arange(1, 26, dtype=float).reshape(5, 5)
    view = pool_view(x, "max", 2, 2, 0, 1, ceil_mode=True)
    assert view.output.shape == (3, 3) and view.grid.shape == (6, 6)
    last = view.windows[-1]
    assert [view.kinds[c] for c in last.cells] == ["in", "outside", "outside", "outside"]
    assert last.result == 25 and "max(25)" in last.expression
    assert "ceil_mode" in " ".join(view.notes)
    floor = pool_view(x, "max", 2, 2, 0, 1, ceil_mode=False)
    assert floor.output.shape == (2, 2) and floor.grid.shape == (5, 5)


def test_padding_and_dilation_are_visible() -> None:
    view = conv_view(np.ones((4, 4)), np.ones((2, 2)), stride=2, padding=1, dilation=2)
    assert view.grid.shape == (6, 6)
    assert (view.kinds == "pad").sum() == 36 - 16
    mask = view.window_mask(0)
    assert mask[0, 0] == 1 and mask[0, 1] == 5 and mask[2, 2] == 1  # a gap between the taps
    assert view.windows[1].cells[0] == (0, 2)  # the next window jumps by the stride
    html = sliding_html(view, 1)
    assert 'id="sliding-grid"' in html and "step 2 of" in html and "out[0, 1]" in html


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 2), g=st.integers(1, 2), cin_g=st.integers(1, 2), cout_g=st.integers(1, 3),
       h=st.integers(1, 6), w=st.integers(1, 6), k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)), p=st.tuples(st.integers(0, 3), st.integers(0, 3)),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)), data=st.data())
def test_transposed_conv_recipe_equals_conv_transpose2d(n, g, cin_g, cout_g, h, w, k, s, p, d, data) -> None:
    op = (data.draw(st.integers(0, max(s[0], d[0]) - 1)), data.draw(st.integers(0, max(s[1], d[1]) - 1)))
    gen = torch.Generator().manual_seed(h * 7 + w)
    x = torch.randn(n, g * cin_g, h, w, generator=gen, dtype=torch.float64)
    wt = torch.randn(g * cin_g, cout_g, *k, generator=gen, dtype=torch.float64)
    b = torch.randn(g * cout_g, generator=gen, dtype=torch.float64)
    try:
        ref = F.conv_transpose2d(x, wt, b, s, p, op, g, d)
    except RuntimeError:
        with pytest.raises(ValueError):
            conv_transpose_as_conv(x, wt, b, s, p, op, d, g)
        return
    steps = conv_transpose_as_conv(x, wt, b, s, p, op, d, g)
    torch.testing.assert_close(steps.output, ref)
    assert steps.zero_inserted.shape[-2:] == ((h - 1) * s[0] + 1, (w - 1) * s[1] + 1)
    assert steps.padding[0] == d[0] * (k[0] - 1) - p[0] and steps.padding[1] == steps.padding[0] + op[0]


def test_zero_insert_and_flip() -> None:
    x = torch.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    z = zero_insert(x, (2, 3))
    assert z[0, 0].tolist() == [[1, 0, 0, 2], [0, 0, 0, 0], [3, 0, 0, 4]]
    w = torch.arange(4.0).reshape(1, 1, 2, 2)
    assert flip_weight(w)[0, 0].tolist() == [[3, 2], [1, 0]]


def test_transposed_view_steps_and_kinds() -> None:
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    k = np.arange(9, dtype=float).reshape(3, 3)
    view = transposed_view(x, k, stride=2, padding=1, output_padding=1)
    ref = F.conv_transpose2d(torch.from_numpy(x)[None, None], torch.from_numpy(k)[None, None],
                             None, 2, 1, 1)[0, 0].numpy()
    np.testing.assert_allclose(view.output, ref)
    np.testing.assert_allclose([wd.result for wd in view.windows], ref.reshape(-1))
    assert view.zero_inserted.shape == (5, 5) and view.output.shape == (6, 6)
    assert view.grid.shape == (8, 8) and (view.kinds == "zero").sum() == 25 - 9
    np.testing.assert_array_equal(view.kernel, k[::-1, ::-1])
    assert "max |recipe − F.conv_transpose2d| = 0.00e+00" in view.notes[-1]
    assert "1. zeros inserted" in sliding_html(view, 0)


def test_grid_limits_and_bad_values() -> None:
    big = np.zeros((limits.MAX_GRID_SIDE + 1, 2))
    with pytest.raises(ValueError, match="up to"):
        conv_view(big, np.ones((1, 1)))
    with pytest.raises(ValueError, match="finite"):
        conv_view(np.array([[np.nan]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="at most half"):
        pool_view(np.ones((4, 4)), "max", 2, 2, padding=2)
    with pytest.raises(ValueError, match="dilation"):
        pool_view(np.ones((4, 4)), "avg", 2, 2, dilation=2)
    with pytest.raises(ValueError, match="padded grid"):
        conv_view(np.ones((16, 16)), np.ones((3, 3)), padding=20)
    assert clamp_step(None, 5) == 0 and clamp_step(99, 5) == 4 and clamp_step("x", 5) == 0
