"""2.5-D slice context for the LGG U-Net: neighbours, input channels, augmentations, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.seg import augment, data
from playground.seg.tasks import LGG_CONTEXT_CHANNELS, lgg_input, lgg_probabilities, lgg_task


def test_slice_neighbours_follow_slice_numbers_within_each_patient() -> None:
    patients = np.array(["b", "a", "b", "a", "a", "b", "c"])
    slices = np.array([2, 10, 1, 2, 1, 3, 5])  # 10 sorts after 2 as a number, not as text
    below, above = data.slice_neighbours(patients, slices)
    # a: 1 (i4), 2 (i3), 10 (i1); b: 1 (i2), 2 (i0), 3 (i5); c: 5 (i6) alone
    assert below.tolist() == [2, 3, 2, 4, 4, 0, 6]
    assert above.tolist() == [5, 1, 0, 1, 3, 5, 6]
    with pytest.raises(ValueError, match="1-D of one length"):
        data.slice_neighbours(patients, slices[:3])


def test_lgg_input_adds_the_neighbouring_flair() -> None:
    d = data.load_lgg()
    pid = sorted(set(d.patients.tolist()))[0]
    idx = d.subset((pid,))
    plain = lgg_input(d, idx)
    assert plain.shape == (len(idx), 3, 128, 128) and plain.dtype == np.float32
    assert np.array_equal(plain, d.images[idx].transpose(0, 3, 1, 2) / np.float32(255))
    ctx = lgg_input(d, idx, context=True)
    assert ctx.shape == (len(idx), LGG_CONTEXT_CHANNELS, 128, 128)
    assert np.array_equal(ctx[:, :3], plain)
    flair = plain[:, 1]  # idx is in slice order: the neighbours are the rows before and after
    assert np.array_equal(ctx[1:, 3], flair[:-1]) and np.array_equal(ctx[:-1, 4], flair[1:])
    assert np.array_equal(ctx[0, 3], flair[0]) and np.array_equal(ctx[-1, 4], flair[-1])  # the ends
    below, above = data.slice_neighbours(d.patients, d.slices)
    assert d.neighbours is d.neighbours  # computed once per LGGData
    assert np.array_equal(d.neighbours[0], below) and np.array_equal(d.neighbours[1], above)
    single = lgg_input(d, idx, context=True, neighbours=False)
    assert np.array_equal(single[:, 3], flair) and np.array_equal(single[:, 4], flair)


class _Probe(torch.nn.Module):
    """A "U-Net" whose logit is input channel ``k``: its probabilities show what it was fed."""

    def __init__(self, k: int, in_channels: int = LGG_CONTEXT_CHANNELS) -> None:
        super().__init__()
        from playground.seg.unet import UNetConfig

        self.cfg, self.k = UNetConfig(in_channels=in_channels), k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1] == self.cfg.in_channels
        return x[:, self.k:self.k + 1]


def test_context_model_probabilities_use_the_neighbours() -> None:
    d = data.load_lgg()
    pid = (sorted(set(d.patients.tolist()))[1],)
    x = lgg_input(d, d.subset(pid), context=True)

    def sig(a: np.ndarray) -> np.ndarray:
        return torch.sigmoid(torch.from_numpy(a)).numpy()

    assert np.allclose(lgg_probabilities(_Probe(3), d, pid), sig(x[:, 3]), atol=1e-6)  # FLAIR below
    assert np.allclose(lgg_probabilities(_Probe(4), d, pid), sig(x[:, 4]), atol=1e-6)  # FLAIR above
    assert np.allclose(lgg_probabilities(_Probe(4), d, pid, neighbours=False), sig(x[:, 1]), atol=1e-6)
    assert not np.allclose(x[:, 4], x[:, 1], atol=1e-2)  # so the two cases are told apart
    grey = lgg_probabilities(_Probe(0), d, pid, flair_only=True)  # a greyscale upload: FLAIR everywhere
    assert np.allclose(grey, sig(x[:, 1]), atol=1e-6)
    assert np.allclose(lgg_probabilities(_Probe(2, in_channels=3), d, pid), sig(x[:, 2]), atol=1e-6)  # 3-channel models


def test_channel_gain_can_share_one_gain_between_channels() -> None:
    g = torch.Generator().manual_seed(0)
    out = augment.channel_gain(torch.full((300, 5, 2, 2), 0.5), g, p=1.0, share=(0, 1, 2, 1, 1))
    gain = out[:, :, 0, 0] / 0.5
    assert torch.equal(gain[:, 3], gain[:, 1]) and torch.equal(gain[:, 4], gain[:, 1])
    assert (gain[:, 0] != gain[:, 1]).float().mean() > 0.99  # the others keep their own
    with pytest.raises(ValueError, match="share"):
        augment.channel_gain(out, g, share=(0, 1, 2))
    with pytest.raises(ValueError, match="share"):
        augment.channel_gain(out, g, share=(0, 1, 2, 1, 5))


def test_context_dropout_replaces_the_neighbours_by_the_slice_itself() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2000, 5, 3, 3, generator=torch.Generator().manual_seed(1))
    out = augment.context_dropout(x, g, first=3, p=0.25)
    assert torch.equal(out[:, :3], x[:, :3])
    dropped = (out[:, 3:] == out[:, 1:2]).flatten(1).all(1)
    untouched = (out == x).flatten(1).all(1)
    assert 0.22 < dropped.float().mean() < 0.28 and bool((dropped | untouched).all())
    assert torch.equal(augment.context_dropout(x, g, first=3, p=0.0), x)
    with pytest.raises(ValueError, match="first"):
        augment.context_dropout(x, g, first=1)
    with pytest.raises(ValueError, match="p in"):
        augment.context_dropout(x, g, first=3, p=2.0)


def test_context_task_samples_five_channels_with_flair_context() -> None:
    t = lgg_task(channel_gain=True, modality_dropout=True, fold=(0, 5), context=True)
    x, y = t.sample(torch.Generator().manual_seed(0), 8)
    assert x.shape == (8, LGG_CONTEXT_CHANNELS, 128, 128) and y.shape == (8, 1, 128, 128)
    assert "test_single_slice" in t.extra_tests and "test_single_slice" not in lgg_task().extra_tests


def test_train_cli_rejects_context_outside_lgg() -> None:
    from playground.seg import train

    with pytest.raises(SystemExit, match="--context applies to --task lgg only"):
        train.main(["--task", "em", "--context", "--steps", "1"])
