"""The app's slice context: a held-out example's neighbours found on disk, as training reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from playground.seg import data, inference, slice_context
from playground.seg.tasks import LGG_CONTEXT_CHANNELS, lgg_input
from playground.seg.unet import UNet, UNetConfig


def _slice(folder: Path, name: str, flair: int = 0) -> Path:
    p = folder / name
    a = np.zeros((8, 8, 3), np.uint8)
    a[..., 1] = flair
    Image.fromarray(a).save(p)
    return p


def test_neighbours_follow_slice_numbers_and_stop_at_the_volume_ends(tmp_path: Path) -> None:
    for n in (1, 2, 10):
        _slice(tmp_path, f"TCGA_A_{n}.png")
    _slice(tmp_path, "TCGA_A_7_3.png")  # patient TCGA_A_7, slice 3: the glob TCGA_A_* matches it too
    _slice(tmp_path, "TCGA_B_5.png")
    one, two, ten = (tmp_path / f"TCGA_A_{n}.png" for n in (1, 2, 10))
    assert slice_context.neighbour_paths(two) == (one, ten)  # 10 follows 2 as a number
    assert slice_context.neighbour_paths(one) == (one, two)
    assert slice_context.neighbour_paths(ten) == (two, ten)
    alone = tmp_path / "TCGA_B_5.png"
    assert slice_context.neighbour_paths(alone) == (alone, alone)
    assert slice_context.neighbour_paths(tmp_path / "TCGA_A_7_3.png") == ((tmp_path / "TCGA_A_7_3.png",) * 2)
    assert slice_context.neighbour_paths(tmp_path / "TCGA_A_3.png") is None  # no such file
    _slice(tmp_path, "photo.png")
    assert slice_context.neighbour_paths(tmp_path / "photo.png") is None  # not <PATIENT>_<slice>.png


def test_held_out_examples_get_the_neighbours_training_used() -> None:
    d = data.load_lgg()
    index = {f: i for i, f in enumerate(d.files)}
    below, above = d.neighbours
    examples = data.lgg_examples()
    assert examples
    for p in examples:
        got = slice_context.neighbour_paths(p)
        i = index[p.name]
        assert got is not None and (got[0].name, got[1].name) == (d.files[below[i]], d.files[above[i]])


def test_the_app_input_of_an_example_equals_the_training_input() -> None:
    d = data.load_lgg()
    index = {f: i for i, f in enumerate(d.files)}
    for p in data.lgg_examples()[::15]:
        _, x, _ = inference.prepare(p, "lgg")
        x5, note = slice_context.with_context(x, slice_context.neighbour_paths(p))
        assert x5.shape == (LGG_CONTEXT_CHANNELS, 128, 128) and "below" in note
        assert np.array_equal(x5, lgg_input(d, np.array([index[p.name]]), context=True)[0])


def test_an_upload_gets_its_own_flair_as_context_and_sizes_are_matched(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((3, 6, 10), dtype=np.float32)
    x5, note = slice_context.with_context(x, None)
    assert x5.shape == (5, 6, 10) and np.array_equal(x5[:3], x)
    assert np.array_equal(x5[3], x[1]) and np.array_equal(x5[4], x[1]) and "upload" in note
    lo, hi = _slice(tmp_path, "P_1.png", 51), _slice(tmp_path, "P_3.png", 255)  # 8x8 files for a 6x10 input
    x5, _ = slice_context.with_context(x, (lo, hi))
    assert x5.shape == (5, 6, 10)
    assert np.allclose(x5[3], 0.2) and np.allclose(x5[4], 1.0)
    with pytest.raises(ValueError, match=r"\(3, H, W\)"):
        slice_context.with_context(x[:1], None)


def test_segment_feeds_a_context_model_five_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    model = UNet(UNetConfig(in_channels=LGG_CONTEXT_CHANNELS, num_classes=1, depth=2, base=4)).eval()
    monkeypatch.setattr(inference, "load_model", lambda task: (model, {}))
    example = data.lgg_examples()[0]
    res = inference.segment(example, "lgg", example, slice_path=example)
    assert res.model_input.shape == (5, 128, 128) and any("(below)" in n for n in res.notes)
    upload = inference.segment(Image.open(example), "lgg")
    assert upload.model_input.shape == (5, 128, 128) and any("upload" in n for n in upload.notes)
    assert np.array_equal(upload.model_input[3], upload.model_input[1])
