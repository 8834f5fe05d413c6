"""The lesion-fade augmentation of the LGG recipe (``train --lesion-fade``, ``augment.lesion_fade``)."""

from __future__ import annotations

import pytest
import torch

from playground.seg import augment
from playground.seg.tasks import lgg_task


def _scan(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` three-channel 32x32 slices: brain 0.4 (FLAIR) with a 0.8 square lesion, and its mask."""
    x = torch.zeros(n, 3, 32, 32)
    x[:, :, 4:28, 4:28] = 0.4
    x[:, 1, 12:20, 12:20] = 0.8
    y = torch.zeros(n, 1, 32, 32)
    y[:, 0, 12:20, 12:20] = 1.0
    return x, y


def test_the_lesion_moves_toward_the_brain_median_by_at_most_strength() -> None:
    x, y = _scan(400)
    out = augment.lesion_fade(x, y, torch.Generator().manual_seed(0), p=0.5, strength=0.6)
    inner = out[:, 1, 14:18, 14:18]  # deep inside: the soft mask is 1 there
    a = (0.8 - inner[:, 0, 0]) / (0.8 - 0.4)  # the fraction each sample moved
    assert torch.allclose(inner, inner[:, :1, :1].expand_as(inner))
    faded = a > 1e-6
    assert 0.42 < faded.float().mean() < 0.58  # half the samples
    assert float(a.max()) <= 0.6 + 1e-6 and float(a.min()) >= 0.0
    assert torch.equal(out[:, [0, 2]], x[:, [0, 2]])  # the other channels stay
    assert torch.equal(out[~faded], x[~faded])
    assert torch.equal(out[:, :, :2], x[:, :, :2])  # off the brain nothing changes
    assert torch.equal(out[:, 1, 5, 5], x[:, 1, 5, 5])  # far from the lesion the brain stays
    # The mask's corner (12, 12): the 3x3-dilated mask covers 16 of its 5x5 box, so it moves 16/25.
    corner = (0.8 - out[faded, 1, 12, 12]) / (0.8 - 0.4)
    assert torch.allclose(corner, a[faded] * 16 / 25, atol=1e-6)


def test_tumour_free_samples_and_p_zero_are_untouched() -> None:
    x, y = _scan(20)
    g = torch.Generator().manual_seed(1)
    assert torch.equal(augment.lesion_fade(x, torch.zeros_like(y), g, p=1.0), x)
    assert torch.equal(augment.lesion_fade(x, y, g, p=0.0), x)

def test_every_named_channel_fades_toward_its_own_median_dark_lesions_too() -> None:
    x, y = _scan(50)
    x[:, 2, 12:20, 12:20] = 0.2  # dark in channel 2 (a cyst)
    out = augment.lesion_fade(x, y, torch.Generator().manual_seed(2), channels=(1, 2), p=1.0, strength=0.5)
    up = (out[:, 2, 16, 16] - 0.2) / (0.4 - 0.2)
    down = (0.8 - out[:, 1, 16, 16]) / (0.8 - 0.4)
    assert torch.allclose(up, down, atol=1e-6) and float(up.max()) <= 0.5 and float(up.min()) > 0
    assert torch.equal(out[:, 0], x[:, 0])


def test_the_same_generator_gives_the_same_batch() -> None:
    x, y = _scan(16)
    a = augment.lesion_fade(x, y, torch.Generator().manual_seed(5))
    b = augment.lesion_fade(x, y, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


@pytest.mark.parametrize("kw, match", [({"p": 1.5}, "p in"), ({"strength": 1.0}, "strength"),
                                       ({"channels": (3,)}, "channels"), ({"channels": ()}, "channels")])
def test_bad_settings_are_refused(kw: dict, match: str) -> None:
    x, y = _scan(2)
    with pytest.raises(ValueError, match=match):
        augment.lesion_fade(x, y, torch.Generator(), **kw)


@pytest.mark.parametrize("context, channels", [(False, (1,)), (True, (1, 3, 4))])
def test_the_task_fades_the_flair_channels_with_the_warped_mask(monkeypatch: pytest.MonkeyPatch,
                                                                context: bool, channels: tuple[int, ...]) -> None:
    calls: list[tuple] = []
    real = augment.lesion_fade

    def spy(x: torch.Tensor, y: torch.Tensor, g: torch.Generator, **kw: object) -> torch.Tensor:
        out = real(x, y, g, **kw)
        calls.append((y.clone(), kw["channels"], (out != x).flatten(2).any(2)))
        return out

    monkeypatch.setattr(augment, "lesion_fade", spy)
    lgg_task(fold=(0, 5), context=context).sample(torch.Generator().manual_seed(3), 16)
    assert calls == []  # off unless asked for
    _, y = lgg_task(fold=(0, 5), context=context, lesion_fade=True).sample(torch.Generator().manual_seed(3), 16)
    (y_seen, ch, changed), = calls
    assert ch == channels and torch.equal(y_seen, y)  # the mask it faded by is the label
    assert bool(changed[:, 1].any()) and not bool(changed[~y.flatten(1).any(1)].any())


def test_train_cli_rejects_lesion_fade_outside_lgg() -> None:
    from playground.seg import train

    with pytest.raises(SystemExit, match="--lesion-fade applies to --task lgg only"):
        train.main(["--task", "em", "--lesion-fade", "--steps", "1"])
