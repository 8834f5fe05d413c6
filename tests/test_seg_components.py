"""Connected components in n-D, the largest component, and the per-patient 3-D post-processing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from playground.seg import postprocess
from playground.seg.components import label_components, largest_component, neighbour_offsets


def reference_components(m: np.ndarray, connectivity: int) -> list[set[tuple[int, ...]]]:
    """Components by a plain union-find over every pair of neighbouring True voxels."""
    parent: dict[tuple[int, ...], tuple[int, ...]] = {}

    def find(a: tuple[int, ...]) -> tuple[int, ...]:
        while parent[a] != a:
            a = parent[a]
        return a

    on = [tuple(int(v) for v in p) for p in np.argwhere(m)]
    for p in on:
        parent[p] = p
    for p in on:
        for q in on:
            d = [abs(a - b) for a, b in zip(p, q)]
            if max(d) == 1 and sum(d) <= connectivity:
                parent[find(p)] = find(q)
    groups: dict[tuple[int, ...], set[tuple[int, ...]]] = {}
    for p in on:
        groups.setdefault(find(p), set()).add(p)
    return list(groups.values())


@st.composite
def masks(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    seed = draw(st.integers(0, 2**31 - 1))
    p = draw(st.sampled_from([0.0, 0.2, 0.45, 0.7, 1.0]))
    return np.random.default_rng(seed).random(shape) < p, draw(st.integers(1, ndim))


@given(masks())
def test_labels_are_exactly_the_union_find_components(case: tuple[np.ndarray, int]) -> None:
    m, c = case
    lab, n = label_components(m, c)
    assert lab.shape == m.shape and lab.dtype == np.int32
    assert ((lab > 0) == m).all()
    ref = reference_components(m, c)
    assert n == len(ref)
    got = [{tuple(int(v) for v in p) for p in np.argwhere(lab == k)} for k in range(1, n + 1)]
    assert sorted(map(sorted, got)) == sorted(map(sorted, ref))
    firsts = [min(g) for g in got]  # labels are numbered in scan (C) order of each one's first voxel
    assert firsts == sorted(firsts)


def test_neighbour_counts_follow_the_connectivity() -> None:
    assert [len(neighbour_offsets(2, c)) for c in (1, 2)] == [4, 8]
    assert [len(neighbour_offsets(3, c)) for c in (1, 2, 3)] == [6, 18, 26]
    assert len(neighbour_offsets(3)) == 26
    for bad in (0, 3):
        with pytest.raises(ValueError, match="connectivity"):
            neighbour_offsets(2, bad)
    with pytest.raises(ValueError, match="dimension"):
        label_components(np.array(True))


def test_a_whole_volume_is_one_component() -> None:
    lab, n = label_components(np.ones((35, 128, 128), bool), 1)
    assert n == 1 and (lab == 1).all()


def test_largest_component_keeps_the_first_on_a_tie() -> None:
    m = np.zeros((3, 8), bool)
    m[0, 0:2] = m[2, 5:7] = True  # two components of 2
    out = largest_component(m)
    assert out.sum() == 2 and out[0, 0:2].all()
    assert not largest_component(np.zeros((4, 4), bool)).any()


def test_volume_largest_component_stacks_slices_in_slice_order() -> None:
    """Slices 1, 10, 2 (the files' lexicographic order): 1 and 2 touch, 10 does not."""
    pred = np.zeros((5, 6, 6), bool)
    patients = np.array(["a", "a", "a", "b", "b"])
    slices = np.array([1, 10, 2, 1, 2])
    pred[0, 0:2, 0:2] = True  # a, slice 1: 4 voxels ...
    pred[2, 0:2, 0:2] = True  # ... joined through the face to slice 2's 4: 8 in all
    pred[1, 3:6, 3:5] = True  # a, slice 10: 6 voxels, the largest *slice*, not the largest volume
    pred[3, 0, 0] = True  # b, slice 1: 1 voxel
    pred[4, 1, 1] = True  # b, slice 2: touches slice 1 only at a corner (not face-connected)
    pred[4, 4, 4:6] = True  # b, slice 2: 2 voxels: b's largest
    out = postprocess.volume_largest_component(pred, patients, slices)
    assert out[0].sum() == 4 and out[2].sum() == 4 and not out[1].any()
    assert not out[3].any() and out[4].sum() == 2 and out[4, 4, 4:6].all()
    lexicographic = postprocess.volume_largest_component(pred[[0, 1, 2]], patients[:3], np.array([1, 2, 3]))
    assert lexicographic[1].sum() == 6 and not lexicographic[0].any()  # the wrong order loses the tumour
    with pytest.raises(ValueError, match="repeated slice"):
        postprocess.volume_largest_component(pred, patients, np.array([1, 1, 2, 1, 2]))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        postprocess.volume_largest_component(pred[0], patients, slices)


def test_lcc_scores_the_largest_component_of_the_same_predictions() -> None:
    """``lgg_scores(lcc=True)`` with the shipped model: the masks scored are each patient's largest
    3-D component of the plain masks, and the probabilities returned are unchanged."""
    from playground.seg import data, metrics
    from playground.seg.inference import load_model
    from playground.seg.tasks import lgg_scores

    model, _ = load_model("lgg")
    d = data.load_lgg()
    pids = data.lgg_split(list(d.patients)).test[:3]
    raw, prob = lgg_scores(model, d, pids)
    post, prob2 = lgg_scores(model, d, pids, lcc=True)
    assert np.array_equal(prob, prob2)
    idx = d.subset(pids)
    want = postprocess.volume_largest_component(prob >= 0.5, d.patients[idx], d.slices[idx])
    assert want.sum() <= (prob >= 0.5).sum()
    for pid in pids:
        sel = d.patients[idx] == pid
        assert post["patient_dice"][pid] == pytest.approx(metrics.dice(want[sel], d.masks[idx][sel]))
    assert post["fp_rate_empty"] <= raw["fp_rate_empty"]  # the step only removes voxels


def test_every_offset_pair_is_symmetric() -> None:
    for ndim, c in itertools.product((1, 2, 3), (1, 2, 3)):
        if c <= ndim:
            offs = set(neighbour_offsets(ndim, c))
            assert offs == {tuple(-v for v in o) for o in offs}
