"""Scene generator: masks agree with instance ids and boxes; test scenes use MNIST test digits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.seg import scenes
from playground.seg.components import label_components


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    return scenes.load_mnist("test")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_masks_ids_and_boxes_agree(seed: int) -> None:
    digits, labels = scenes.load_mnist("test")
    s = scenes.make_scene(np.random.default_rng(seed), digits, labels)
    n = len(s.labels)
    assert 1 <= n <= 5 and s.boxes.shape == (n, 4)
    assert s.image.shape == s.semantic.shape == s.instance.shape == (scenes.SCENE_SIDE,) * 2
    assert set(np.unique(s.instance)) <= set(range(n + 1))
    assert ((s.instance > 0) == (s.semantic > 0)).all()
    assert ((s.semantic > 0) == (s.image >= scenes.INK_THRESHOLD)).all()
    for k in range(1, n + 1):
        m = s.instance == k
        assert m.any()
        assert (s.semantic[m] == 1 + s.labels[k - 1]).all()
        ys, xs = np.nonzero(m)
        assert tuple(s.boxes[k - 1]) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_scene_batch_shapes_and_classes() -> None:
    d, lab = scenes.load_mnist("train")
    x, y = scenes.scene_batch(np.random.default_rng(0), d[:1000], lab[:1000], 8)
    assert x.shape == (8, 1, 64, 64) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.shape == (8, 64, 64) and y.max() < scenes.NUM_CLASSES


def test_test_scenes_use_only_test_digits(monkeypatch: pytest.MonkeyPatch, mnist_test) -> None:
    asked: list[str] = []
    real = scenes.load_mnist

    def spy(split: str, data_root=None):  # noqa: ANN001, ANN202
        asked.append(split)
        return real(split, data_root)

    monkeypatch.setattr(scenes, "load_mnist", spy)
    a = scenes.test_scenes(5)
    b = scenes.test_scenes(5)
    assert asked == ["test", "test"]
    assert all((x.image == y.image).all() for x, y in zip(a, b))  # fixed seed: reproducible


def test_idx_reader_matches_mnist_header(mnist_test) -> None:
    imgs, labels = mnist_test
    assert imgs.shape == (10_000, 28, 28) and labels.shape == (10_000,)
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first MNIST test labels


def test_bad_split() -> None:
    with pytest.raises(ValueError, match="split"):
        scenes.load_mnist("val")


def _brute_components(m: np.ndarray) -> int:
    """Count 8-connected components by repeated flood fill on a copy (independent of BFS code)."""
    m = m.copy()
    n = 0
    while m.any():
        n += 1
        ys, xs = np.nonzero(m)
        front = {(ys[0], xs[0])}
        while front:
            y, x = front.pop()
            if 0 <= y < m.shape[0] and 0 <= x < m.shape[1] and m[y, x]:
                m[y, x] = False
                front |= {(y + dy, x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    return n


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.floats(0.1, 0.7))
def test_label_components_properties(seed: int, p: float) -> None:
    m = np.random.default_rng(seed).random((12, 15)) < p
    lab, n = label_components(m)
    assert n == _brute_components(m)
    assert ((lab > 0) == m).all()
    # no two 8-neighbours carry different labels
    pad = np.pad(lab, 1)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            nb = pad[1 + dy:13 + dy, 1 + dx:16 + dx]
            assert not ((lab > 0) & (nb > 0) & (nb != lab)).any()


def test_label_components_diagonal_is_connected() -> None:
    m = np.eye(5, dtype=bool)
    assert label_components(m)[1] == 1
    assert label_components(np.zeros((3, 3), bool))[1] == 0
