"""The three segmentation tasks: how to draw a training batch and how to score held-out data.

Each :class:`Task` knows its U-Net config, its weight name, its input normalisation, a batch
sampler (a fresh random batch per step, reproducible from a ``torch.Generator``) and two
evaluations (validation during training, held-out test for the report).

Inputs: LGG ``RGB / 255`` (N, 3, H, W); EM ``grey / 255`` (N, 1, H, W); digits ``ink in [0, 1]``
(white on black, N, 1, H, W).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from playground.seg import augment, balance, data, metrics, mining, postprocess, scenes
from playground.weights import file_hash

WEIGHT_NAMES = {"lgg": "seg_unet_lgg", "em": "seg_unet_em", "digits": "seg_unet_digits"}
MNIST_VAL_FROM = 55_000  # MNIST training digits >= this index make the validation scenes


@dataclass
class Task:
    """A loaded task: data in memory plus its functions."""

    name: str
    data_hash: str
    sample: Callable[[torch.Generator, int], tuple[torch.Tensor, torch.Tensor]]
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    validate: Callable[[torch.nn.Module], dict]
    test: Callable[[torch.nn.Module], dict]
    key_metric: str
    dataset: str
    #: more held-out reports, recorded beside ``test`` in the weights' metadata (name -> report)
    extra_tests: dict[str, Callable[[torch.nn.Module], dict]] = field(default_factory=dict)
    #: called with the last batch's logits after each step (hard-example mining), or None
    feedback: Callable[[torch.Tensor], None] | None = None
    #: the pools it draws from (tumour slices, tumour-free slices) when it mines
    pools: tuple[mining.HardPool, ...] = ()


def _soft_dice_loss(p: torch.Tensor, y: torch.Tensor, dims: tuple[int, ...], eps: float) -> torch.Tensor:
    """``1 - (2 Σ p g + eps) / (Σ p + Σ g + eps)``, the sums over ``dims``."""
    return 1 - (2 * (p * y).sum(dims) + eps) / (p.sum(dims) + y.sum(dims) + eps)


def dice_loss(logits: torch.Tensor, y: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Soft Dice loss ``1 - (2 Σ p g + eps) / (Σ p + Σ g + eps)`` over the whole batch."""
    return _soft_dice_loss(torch.sigmoid(logits), y, tuple(range(logits.ndim)), eps)


def dice_loss_per_image(logits: torch.Tensor, y: torch.Tensor, eps: float = 1.0,
                        empty: bool = False) -> torch.Tensor:
    """Mean over images of ``1 - (2 Σ p g + eps) / (Σ p + Σ g + eps)``, each sum over one image.

    A small lesion weighs as much as a large one, as in the per-patient Dice. By default only the
    images with foreground count, and the others are left to the cross-entropy term (zero when the
    batch has none). ``empty=True`` counts every image: on one without foreground the term is
    ``1 - eps / (Σ p + eps)``, so any predicted mass there costs."""
    p = torch.sigmoid(logits)
    dims = tuple(range(1, p.ndim))
    d = _soft_dice_loss(p, y, dims, eps)
    if empty:
        return d.mean()
    has = y.sum(dims) > 0
    if not bool(has.any()):
        return p.sum() * 0.0
    return d[has].mean()


def loss_per_image(logits: torch.Tensor, y: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """Each image's ``mean BCE + 1 - (2 Σ p g + eps) / (Σ p + Σ g + eps)`` (N,), no gradient.

    The score :class:`mining.HardPool` keeps per slice: :func:`bce_dice` taken over one image."""
    with torch.no_grad():
        logits = logits.float()
        dims = tuple(range(1, logits.ndim))
        bce = F.binary_cross_entropy_with_logits(logits, y, reduction="none").mean(dims)
        return bce + _soft_dice_loss(torch.sigmoid(logits), y, dims, eps)


def bce_dice(logits: torch.Tensor, y: torch.Tensor,
             dice: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = dice_loss) -> torch.Tensor:
    """Binary cross-entropy plus a soft Dice loss (robust to the small tumour / membrane fraction).

    ``dice``: :func:`dice_loss` (one Dice over the batch) or e.g. :func:`dice_loss_per_image`."""
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, y) + dice(logits, y)


# ---------------------------------------------------------------------------------------------
LGG_CONTEXT_CHANNELS = 5  # pre-contrast, FLAIR, post-contrast, FLAIR below, FLAIR above


def lgg_input(d: data.LGGData, idx: np.ndarray, context: bool = False,
              neighbours: bool = True) -> np.ndarray:
    """The network input of slices ``d[idx]``: ``RGB / 255`` (N, 3, H, W) float32.

    ``context`` (2.5-D): two more channels, the FLAIR of the same patient's slice below and above
    (:func:`data.slice_neighbours`; the slice's own FLAIR at the volume's ends, or everywhere when
    ``neighbours`` is False, as for a single uploaded slice): (N, 5, H, W)."""
    x = d.images[idx].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    if not context:
        return x
    if neighbours:
        below, above = d.neighbours
        ctx = np.stack([d.images[below[idx], :, :, 1], d.images[above[idx], :, :, 1]], 1).astype(np.float32) / 255.0
    else:
        ctx = np.repeat(x[:, 1:2], 2, axis=1)
    return np.concatenate([x, ctx], axis=1)


def lgg_input_for(model: torch.nn.Module, d: data.LGGData, pids: tuple[str, ...],
                  flair_only: bool = False, neighbours: bool = True) -> np.ndarray:
    """:func:`lgg_input` of ``pids``' slices as ``model`` takes it: with slice context when it has
    :data:`LGG_CONTEXT_CHANNELS` input channels. ``flair_only``: FLAIR (channel 1) copied into the
    three sequence channels, as the app does with a greyscale upload."""
    context = getattr(getattr(model, "cfg", None), "in_channels", 3) == LGG_CONTEXT_CHANNELS
    x = lgg_input(d, d.subset(pids), context, neighbours)
    if flair_only:
        x[:, [0, 2]] = x[:, 1:2]
    return x


def lgg_probabilities(model: torch.nn.Module, d: data.LGGData, pids: tuple[str, ...],
                      flair_only: bool = False, tta: bool = False, neighbours: bool = True) -> np.ndarray:
    """Tumour probabilities (N, H, W) of the slices of ``pids``, ordered as ``d.subset(pids)``.

    ``flair_only``: copy FLAIR (channel 1) into the three sequence channels first, as the app does
    with a greyscale upload. ``tta``: average with the mirrored slice
    (:func:`postprocess.flip_tta_prob`). A model with :data:`LGG_CONTEXT_CHANNELS` input channels
    gets the neighbouring slices' FLAIR too (:func:`lgg_input`; ``neighbours=False``: its own)."""
    x = lgg_input_for(model, d, pids, flair_only, neighbours)
    if tta:
        return postprocess.flip_tta_prob(model, x, batch=32)
    return metrics.binary_prob(metrics.predict_logits(model, x, batch=32))


def lgg_scores(model: torch.nn.Module, d: data.LGGData, pids: tuple[str, ...],
               flair_only: bool = False, lcc: bool = False, neighbours: bool = True) -> tuple[dict, np.ndarray]:
    """(:func:`metrics.lgg_report` of ``pids``' slices, their probabilities) for ``model``.

    ``lcc``: score the masks after :func:`postprocess.volume_largest_component` (each patient's
    largest 3-D component, the published pipeline's step); the probabilities returned are raw."""
    prob = lgg_probabilities(model, d, pids, flair_only, neighbours=neighbours)
    return lgg_report_of(prob, d, d.subset(pids), lcc), prob


def lgg_report_of(prob: np.ndarray, d: data.LGGData, idx: np.ndarray, lcc: bool = False,
                  threshold: float = 0.5) -> dict:
    """:func:`metrics.lgg_report` of the mask ``prob >= threshold`` of the slices ``d[idx]``; ``lcc``:
    of each patient's largest 3-D component of it instead (:func:`postprocess.volume_mask`)."""
    pred = postprocess.volume_mask(prob, d.patients[idx], d.slices[idx], threshold, lcc=lcc)
    return metrics.lgg_report(pred.astype(np.float32), d.masks[idx], d.patients[idx])


def lgg_task(data_root: str | None = None, channel_gain: bool = False,
             fold: tuple[int, int] | None = None, modality_dropout: bool = False,
             dice_per_image: bool = False, dice_empty: bool = False, context: bool = False,
             lesion_fade: bool = False, hard_mining: bool = False,
             patient_balanced: bool = False) -> Task:
    """LGG FLAIR abnormality, 128x128, split by patient (41 train / 5 val / 10 test).

    ``channel_gain``: also scale half the training samples' channels by random gains in
    [0.25, 1.5] (:func:`augment.channel_gain`). ``modality_dropout``: then replace the other
    channels by FLAIR on 20 % of the samples and the post-contrast one on 10 % of the rest
    (:func:`augment.modality_dropout`). ``fold=(k, n)``: train and validate on fold
    ``k`` of the ``n``-fold patient cross-validation (:func:`data.lgg_cv_split`); the test
    patients stay the same. ``dice_per_image``: the loss's Dice term is
    :func:`dice_loss_per_image` instead of one Dice over the whole batch; ``dice_empty``: that
    term counts the tumour-free slices too. ``context``: 2.5-D input, the neighbouring slices'
    FLAIR as two more channels (:func:`lgg_input`); they share FLAIR's gain, and on 25 % of the
    samples they are the slice's own FLAIR (:func:`augment.context_dropout`), so that a single
    slice without neighbours stays in the training distribution. ``lesion_fade``: on half the
    tumour samples, pull the FLAIR inside the (softened) mask toward the rest of the brain's median
    by a random fraction in [0, 0.6] (:func:`augment.lesion_fade`), so faint tumours are seen.
    ``hard_mining``: draw the tumour and the tumour-free halves of each batch from a
    :class:`mining.HardPool` each, scored by every slice's last losses (:func:`loss_per_image`,
    fed back through :attr:`Task.feedback`), so the slices the network gets wrong come up more.
    ``patient_balanced``: draw each half of the batch patient by patient
    (:class:`balance.PatientPool`: a patient uniformly, then one of its slices), so every patient
    is seen as often, as the per-patient Dice weighs it.
    """
    if hard_mining and patient_balanced:
        raise ValueError("hard_mining and patient_balanced are two different samplers: pick one")
    if dice_empty and not dice_per_image:
        raise ValueError("dice_empty needs dice_per_image")
    d = data.load_lgg(data_root)
    sp = data.lgg_split(list(d.patients)) if fold is None else data.lgg_cv_split(list(d.patients), *fold)
    tr = d.subset(sp.train)
    has = d.masks[tr].reshape(len(tr), -1).any(1)
    pos, neg = tr[has], tr[~has]
    pools = (mining.HardPool(len(pos)), mining.HardPool(len(neg))) if hard_mining else None
    by_patient = (balance.PatientPool(d.patients[pos]), balance.PatientPool(d.patients[neg])) \
        if patient_balanced else None
    last: dict[str, object] = {}  # the last batch's pool items and labels, for the feedback

    def draw(g: torch.Generator, k: int, which: int, of: np.ndarray) -> np.ndarray:
        if pools is not None:
            return pools[which].draw(g, k)
        if by_patient is not None:
            return by_patient[which].draw(g, k)
        return torch.randint(0, len(of), (k,), generator=g).numpy()

    def sample(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        # Half the batch from tumour slices: they are a third of the data and carry the signal.
        n_pos = n // 2
        jp, jn = draw(g, n_pos, 0, pos), draw(g, n - n_pos, 1, neg)
        idx = np.concatenate([pos[jp], neg[jn]])
        x = torch.from_numpy(lgg_input(d, idx, context))
        y = torch.from_numpy(d.masks[idx]).float().unsqueeze(1)
        x, y = augment.flips(x, y, g, vertical=False)
        x, y = augment.affine(x, y, g, max_deg=15.0, scale=(0.9, 1.1))
        if lesion_fade:
            x = augment.lesion_fade(x, y, g, channels=(1, 3, 4) if context else (1,))
        if channel_gain:
            x = augment.channel_gain(x, g, share=(0, 1, 2, 1, 1) if context else None)
        if modality_dropout:
            x = torch.cat([augment.modality_dropout(x[:, :3], g), x[:, 3:]], 1)
        if context:
            x = augment.context_dropout(x, g, first=3)
        last.update(items=(jp, jn), y=y)
        return augment.intensity(x, g, 0.1, 0.05), y

    def feedback(logits: torch.Tensor) -> None:
        """Score the last batch's slices in their pools; a batch not drawn by ``sample`` is refused."""
        if "y" not in last or len(logits) != len(last["y"]):  # type: ignore[arg-type]
            raise ValueError("feedback needs the logits of the last batch that sample() drew")
        losses = loss_per_image(logits, last["y"])  # type: ignore[arg-type]
        jp, jn = last["items"]  # type: ignore[misc]
        pools[0].update(jp, losses[:len(jp)])  # type: ignore[index]
        pools[1].update(jn, losses[len(jp):])  # type: ignore[index]

    loss = partial(bce_dice, dice=partial(dice_loss_per_image, empty=dice_empty)) if dice_per_image else bce_dice
    return Task("lgg", d.data_hash, sample, loss, lambda m: lgg_scores(m, d, sp.val)[0],
                lambda m: lgg_scores(m, d, sp.test)[0],
                "patient_dice_3d", f"LGG kaggle_3m, {len(set(d.patients))} patients at 128x128; train {len(sp.train)} / "
                f"val {len(sp.val)} / test {len(sp.test)} patients"
                + ("" if fold is None else f" (cross-validation fold {fold[0]} of {fold[1]})"),
                {"test_flair_only": lambda m: lgg_scores(m, d, sp.test, flair_only=True)[0],
                 "test_lcc": lambda m: lgg_scores(m, d, sp.test, lcc=True)[0],
                 **({"test_single_slice": lambda m: lgg_scores(m, d, sp.test, neighbours=False)[0]} if context else {})},
                feedback if hard_mining else None, pools or ())


def em_task(data_root: str | None = None, crop: int = 128) -> Task:
    """ISBI-2012 membranes: random crops of 24 images with flips, rotations, elastic warps."""
    d = data.load_em(data_root)
    sp = d.split()
    imgs = torch.from_numpy(d.images).float().unsqueeze(1) / 255.0  # (30, 1, 512, 512)
    mem = torch.from_numpy(d.membrane).float().unsqueeze(1)
    train_ids = torch.tensor(sp["train"])

    def sample(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        ii = train_ids[torch.randint(0, len(train_ids), (n,), generator=g)]
        big = crop + 32  # crop with a margin so the elastic warp pulls in real pixels
        tops = torch.randint(0, 512 - big + 1, (n,), generator=g)
        lefts = torch.randint(0, 512 - big + 1, (n,), generator=g)
        x = torch.stack([imgs[i, :, t:t + big, l:l + big] for i, t, l in zip(ii, tops, lefts)])
        y = torch.stack([mem[i, :, t:t + big, l:l + big] for i, t, l in zip(ii, tops, lefts)])
        x, y = augment.flips(x, y, g)
        x, y = augment.rot90(x, y, g)
        x, y = augment.elastic(x, y, g, sigma_px=10.0)
        x, y = x[..., 16:16 + crop, 16:16 + crop], y[..., 16:16 + crop, 16:16 + crop]
        return augment.intensity(x, g, 0.1, 0.05), y

    def run(model: torch.nn.Module, ids: list[int]) -> dict:
        x = d.images[ids][:, None].astype(np.float32) / 255.0
        prob = metrics.binary_prob(metrics.predict_logits(model, x, batch=1, tile=512))
        return metrics.em_report(prob, d.membrane[ids])

    return Task("em", d.data_hash, sample, bce_dice, lambda m: run(m, sp["val"]),
                lambda m: run(m, sp["test"]), "pixel_error",
                f"ISBI-2012 EM, 30 labelled 512x512 images; train {sp['train'][0]}-{sp['train'][-1]}, "
                f"val {sp['val']}, test {sp['test']}")


def digits_task(data_root: str | None = None, n_val: int = 200, n_test: int = 500) -> Task:
    """MNIST scenes, 64x64: training scenes from MNIST train digits 0..54,999, validation
    scenes from train digits 55,000..59,999, test scenes from MNIST test digits only."""
    dtr, ltr = scenes.load_mnist("train", data_root)
    val_rng = np.random.default_rng(7)
    val = [scenes.make_scene(val_rng, dtr[MNIST_VAL_FROM:], ltr[MNIST_VAL_FROM:]) for _ in range(n_val)]
    test = scenes.test_scenes(n_test, data_root=data_root)

    def sample(g: torch.Generator, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
        x, y = scenes.scene_batch(rng, dtr[:MNIST_VAL_FROM], ltr[:MNIST_VAL_FROM], n)
        return torch.from_numpy(x), torch.from_numpy(y)

    def run(model: torch.nn.Module, sc: list) -> dict:
        x = np.stack([s.image for s in sc])[:, None]
        pred = metrics.predict_logits(model, x, batch=64).argmax(1).numpy()
        gt = np.stack([s.semantic for s in sc])
        return {**metrics.miou_report(pred, gt, scenes.NUM_CLASSES, scenes.CLASS_NAMES), "n_scenes": len(sc)}

    def loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.float(), y)

    return Task("digits", file_hash(scenes.mnist_files(data_root)), sample, loss,
                lambda m: run(m, val), lambda m: run(m, test), "miou",
                f"MNIST scenes {scenes.SCENE_SIDE}x{scenes.SCENE_SIDE}, 1-5 digits, patch side "
                f"{scenes.PATCH_RANGE}; test: {n_test} scenes of MNIST test digits (seed 2024)")


TASKS: dict[str, Callable[..., Task]] = {"lgg": lgg_task, "em": em_task, "digits": digits_task}
