"""Slice context (2.5-D input) for one image in the app: the neighbouring slices' FLAIR.

A U-Net trained with ``train --context`` takes 5 channels: pre-contrast, FLAIR, post-contrast,
then the FLAIR of the same patient's slice below and above (:func:`playground.seg.tasks.lgg_input`).
The app has one image, so it finds the neighbours itself:

- a held-out example ``lgg_mri/images/<PATIENT>_<n>.png`` has its neighbours beside it: the
  same patient's files with the next lower and next higher slice numbers, or the slice itself at
  either end of the volume, exactly as :func:`playground.seg.data.slice_neighbours` picks them
  for training;
- an upload has none, so its own FLAIR stands in for both, as for the 25 % of training samples
  that :func:`playground.seg.augment.context_dropout` gives no context.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from playground.seg import data

FLAIR = 1  # the FLAIR channel of an LGG slice (pre-contrast, FLAIR, post-contrast)


def neighbour_paths(image_path: str | Path) -> tuple[Path, Path] | None:
    """``(below, above)``: the files of the same patient's slices just below and just above
    ``image_path`` in slice-number order (``image_path`` itself at either end of the volume);
    ``None`` if the file is not named ``<PATIENT>_<slice>.png`` or does not exist."""
    p = Path(image_path)
    try:
        pid, n = data.patient_of(p.name)
    except ValueError:
        return None
    if not p.is_file():
        return None
    slices: dict[int, Path] = {}
    for q in p.parent.glob(f"{pid}_*.png"):
        try:
            qpid, qn = data.patient_of(q.name)
        except ValueError:
            continue
        if qpid == pid:  # the glob also matches a patient id that extends this one
            slices[qn] = q
    lower = [s for s in slices if s < n]
    higher = [s for s in slices if s > n]
    return (slices[max(lower)] if lower else p, slices[min(higher)] if higher else p)


def _flair(path: Path, size: tuple[int, int]) -> np.ndarray:
    """FLAIR of the RGB slice at ``path`` at ``size`` = (w, h), bilinear, / 255: (h, w) float32."""
    img = Image.open(path).convert("RGB")
    if img.size != size:
        img = img.resize(size, Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.float32)[..., FLAIR] / 255.0


def with_context(x: np.ndarray, neighbours: tuple[Path, Path] | None) -> tuple[np.ndarray, str]:
    """``x`` (3, h, w), the model input of one slice, with the two context channels appended:
    ``(5, h, w)`` and a note for the user saying where the context came from.

    ``neighbours`` = ``(below, above)`` files (:func:`neighbour_paths`), read at ``x``'s size; with
    ``None`` the slice's own FLAIR ``x[1]`` fills both channels."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(f"slice context needs a (3, H, W) input, got shape {x.shape}")
    if neighbours is None:
        ctx = np.repeat(x[FLAIR:FLAIR + 1], 2, axis=0)
        note = ("slice context: an upload has no neighbouring slices, so its own FLAIR stands in for "
                "the slices below and above (the model saw this on a quarter of its training samples); "
                "pick a held-out example to give it the real neighbours")
    else:
        size = (x.shape[2], x.shape[1])
        ctx = np.stack([_flair(Path(q), size) for q in neighbours])
        names = [Path(q).name for q in neighbours]
        note = (f"slice context: the FLAIR of the neighbouring slices {names[0]} (below) and {names[1]} "
                f"(above) as two more input channels (a slice at the end of its volume is its own neighbour)")
    return np.concatenate([x, ctx], axis=0), note
