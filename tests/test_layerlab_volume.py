"""Multi-channel view: each output cell = Σ_c per-channel dot products + bias == F.conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import limits
from playground.layerlab.views import volume_html
from playground.layerlab.volume import (default_volume, filters_to_text, parse_biases, parse_filters,
                                        parse_volume, volume_to_text, volume_view)


def test_course_default_5x5x3_pad1_two_filters_stride2() -> None:
    x, w, b = default_volume()
    assert x.shape == (3, 5, 5) and w.shape == (2, 3, 3, 3) and b.tolist() == [1, 0]
    view = volume_view(x, w, b, stride=2, padding=1)
    assert view.output.shape == (2, 3, 3) and view.padded.shape == (3, 7, 7)
    assert len(view.steps) == 18
    ref = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(w), torch.from_numpy(b), 2, 1)[0]
    np.testing.assert_allclose(view.output, ref.numpy())
    for st_ in view.steps:
        assert st_.result == pytest.approx(ref[st_.filter, st_.out[0], st_.out[1]].item())
        assert st_.result == pytest.approx(sum(st_.per_channel) + st_.bias)
        assert len(st_.per_channel) == 3 and len(st_.terms) == 3
    html = volume_html(view, 10)
    assert "step 11 of 18" in html and 'id="volume-expr"' in html and "bias" in html


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 4), k=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7),
       kk=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2), seed=st.integers(0, 99))
def test_cell_sums_equal_conv2d(c, k, h, w, kk, s, p, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(c, h, w)).astype(float)
    wt = rng.integers(-2, 3, size=(k, c, kk, kk)).astype(float)
    b = rng.integers(-2, 3, size=k).astype(float)
    if h + 2 * p < kk or w + 2 * p < kk:
        with pytest.raises(ValueError, match="output would be"):
            volume_view(x, wt, b, s, p)
        return
    view = volume_view(x, wt, b, s, p)
    ref = F.conv2d(torch.from_numpy(x)[None], torch.from_numpy(wt), torch.from_numpy(b), s, p)[0].numpy()
    got = np.array([st_.result for st_ in view.steps]).reshape(ref.shape)
    np.testing.assert_allclose(got, ref, atol=1e-9)


def test_text_round_trip_and_errors() -> None:
    x, w, b = default_volume(3)
    np.testing.assert_array_equal(parse_volume(volume_to_text(x)), x)
    np.testing.assert_array_equal(parse_filters(filters_to_text(w)), w)
    np.testing.assert_array_equal(parse_biases("1, 0", 2), [1, 0])
    np.testing.assert_array_equal(parse_biases("", 2), [0, 0])
    with pytest.raises(ValueError, match="one per filter"):
        parse_biases("1", 2)
    with pytest.raises(ValueError, match="same size"):
        parse_volume("1 2\n3 4\n\n1 2 3")
    with pytest.raises(ValueError, match="empty"):
        parse_volume("# only a comment")
    with pytest.raises(ValueError, match="channels"):
        volume_view(x, w[:, :2], b)
    with pytest.raises(ValueError, match="limit"):
        parse_volume("\n\n".join(["1"] * (limits.MAX_VOLUME_CHANNELS + 1)))
    with pytest.raises(ValueError, match="not a number"):
        parse_filters("1 x\n---\n1 2")
    with pytest.raises(ValueError, match="stride"):
        volume_view(x, w, b, stride=0)
