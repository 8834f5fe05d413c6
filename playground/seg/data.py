"""Segmentation datasets: LGG brain MRI (split by patient) and ISBI-2012 EM membranes.

Both are read from ``config.data_dir()`` (never copied into the repository) and cached as
``.npz`` in ``config.cache_dir()`` so that a second load takes milliseconds.

LGG (Buda et al. 2019): ``lgg_mri/images/<PATIENT>_<slice>.png`` (RGB 128x128: pre-contrast,
FLAIR, post-contrast) and ``masks/<PATIENT>_<slice>.png`` ({0, 255}). The patient id is the file
name without ``_<slice>``. **Splits are by patient**: neighbouring slices of one patient are nearly
identical, so a split by slice would leak test slices into training.

ISBI-2012 (Cardona et al. 2010): 30 pairs ``images/NN.png`` / ``masks/NN.png``, 512x512 grey.
Masks: 0 = membrane, 255 = cell interior. Here the *positive* class is **membrane** (target 1),
the thin structure the U-Net paper segments.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from PIL import Image

from playground import config
from playground.weights import file_hash

LGG_SPLIT_SEED = 0
LGG_N_VAL = 5  # patients for validation curves during training
LGG_N_TEST = 10  # held-out patients for the reported metrics
BRAIN_FLAIR_MIN = 10  # 8-bit FLAIR above this is brain; the skull-stripped background is 0
EM_TEST_IDS = (25, 26, 27, 28, 29)  # held-out EM images (the last five of the stack)
EM_VAL_IDS = (24,)


def require_dir(sub: str, data_root: str | Path | None = None) -> Path:
    """``<data dir>/<sub>`` or a ``FileNotFoundError`` saying how to point to the data."""
    root = config.data_dir(data_root)
    if root is None or not (root / sub).is_dir():
        raise FileNotFoundError(
            f"dataset folder {sub!r} not found: pass --data-dir or set {config.DATA_ENV_VAR} "
            f"(looked in {root or 'no data directory'})")
    return root / sub


# ---------------------------------------------------------------------------------------------
# LGG
_SLICE_RE = re.compile(r"^(?P<pid>.+)_(?P<slice>\d+)\.png$")


def patient_of(filename: str) -> tuple[str, int]:
    """``'TCGA_CS_4941_19960909_12.png' -> ('TCGA_CS_4941_19960909', 12)``."""
    m = _SLICE_RE.match(Path(filename).name)
    if not m:
        raise ValueError(f"LGG file name {filename!r} is not <PATIENT>_<slice>.png")
    return m["pid"], int(m["slice"])


@dataclass(frozen=True)
class LGGSplit:
    """Patient ids of each split (disjoint)."""

    train: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]


def lgg_split(patients: list[str], seed: int = LGG_SPLIT_SEED) -> LGGSplit:
    """Shuffle the sorted patient ids with ``seed``; the first 10 are test, the next 5 val."""
    ids = sorted(set(patients))
    if len(ids) < LGG_N_TEST + LGG_N_VAL + 1:
        raise ValueError(f"need at least {LGG_N_TEST + LGG_N_VAL + 1} patients, got {len(ids)}")
    random.Random(seed).shuffle(ids)
    test = tuple(sorted(ids[:LGG_N_TEST]))
    val = tuple(sorted(ids[LGG_N_TEST:LGG_N_TEST + LGG_N_VAL]))
    train = tuple(sorted(ids[LGG_N_TEST + LGG_N_VAL:]))
    return LGGSplit(train, val, test)


def lgg_cv_split(patients: list[str], fold: int, folds: int = 5, seed: int = LGG_SPLIT_SEED) -> LGGSplit:
    """Fold ``fold`` of a ``folds``-fold patient-level cross-validation of the non-test patients.

    The test patients are those of :func:`lgg_split` and never enter a fold. The other patients
    (train + val of :func:`lgg_split`, in its shuffled order) are dealt round-robin into
    ``folds`` groups: patient ``i`` goes to group ``i mod folds``. Group ``fold`` validates, the
    rest train, so every non-test patient is validated exactly once over the folds.
    """
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}")
    if not isinstance(fold, int) or not 0 <= fold < folds:
        raise ValueError(f"fold must be an integer in [0, {folds - 1}], got {fold!r}")
    base = lgg_split(patients, seed)
    ids = sorted(set(patients))
    random.Random(seed).shuffle(ids)
    rest = [p for p in ids if p not in set(base.test)]
    if len(rest) < 2 * folds:
        raise ValueError(f"{folds} folds need at least {2 * folds} non-test patients, got {len(rest)}")
    val = tuple(sorted(rest[fold::folds]))
    train = tuple(sorted(p for p in rest if p not in set(val)))
    return LGGSplit(train, val, base.test)


@dataclass
class LGGData:
    """All slices in memory: images (N, 128, 128, 3) uint8, masks (N, 128, 128) bool."""

    images: np.ndarray
    masks: np.ndarray
    patients: np.ndarray  # (N,) patient id per slice
    slices: np.ndarray  # (N,) slice number
    files: list[str]
    data_hash: str

    @cached_property
    def neighbours(self) -> tuple[np.ndarray, np.ndarray]:
        """:func:`slice_neighbours` of these slices, computed once."""
        return slice_neighbours(self.patients, self.slices)

    def subset(self, pids: tuple[str, ...]) -> np.ndarray:
        """Indices of the slices of ``pids``, ordered by patient then slice."""
        keep = np.isin(self.patients, list(pids))
        idx = np.nonzero(keep)[0]
        order = np.lexsort((self.slices[idx], self.patients[idx]))
        return idx[order]


def slice_neighbours(patients: np.ndarray, slices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(below, above)``: for each slice ``i``, the index of the same patient's slice just below
    and just above it in slice-number order; ``i`` itself at either end of the volume.

    ``patients[i]`` and ``slices[i]`` name slice ``i`` (any order, as in :class:`LGGData`)."""
    patients, slices = np.asarray(patients), np.asarray(slices)
    if patients.shape != slices.shape or patients.ndim != 1:
        raise ValueError(f"patients and slices must be 1-D of one length, got {patients.shape} and {slices.shape}")
    order = np.lexsort((slices, patients))
    below, above = np.arange(len(order)), np.arange(len(order))
    same = patients[order[1:]] == patients[order[:-1]]
    below[order[1:][same]] = order[:-1][same]
    above[order[:-1][same]] = order[1:][same]
    return below, above


def _lgg_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "images").glob("*.png"))


def load_lgg(data_root: str | Path | None = None) -> LGGData:
    """Load every LGG slice (cached as .npz after the first call)."""
    root = require_dir("lgg_mri", data_root)
    files = _lgg_files(root)
    if not files:
        raise FileNotFoundError(f"no PNG slices in {root / 'images'}")
    digest = file_hash([root / "patients.txt"] if (root / "patients.txt").exists() else [])
    cache = config.cache_dir() / f"lgg_{len(files)}_{digest[:12]}.npz"
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        return LGGData(z["images"], z["masks"], z["patients"], z["slices"], list(z["files"]),
                       str(z["data_hash"]))
    imgs, masks, pids, sl = [], [], [], []
    for f in files:
        pid, s = patient_of(f)
        imgs.append(np.asarray(Image.open(root / "images" / f).convert("RGB")))
        masks.append(np.asarray(Image.open(root / "masks" / f).convert("L")) > 127)
        pids.append(pid)
        sl.append(s)
    data_hash = file_hash([root / "images" / f for f in files] + [root / "masks" / f for f in files])
    out = LGGData(np.stack(imgs), np.stack(masks), np.array(pids), np.array(sl), files, data_hash)
    np.savez(cache, images=out.images, masks=out.masks, patients=out.patients, slices=out.slices,
             files=np.array(files), data_hash=np.array(data_hash))
    return out


def lgg_examples(split: str = "test", data_root: str | Path | None = None) -> list[Path]:
    """Image paths of held-out LGG slices with tumour (for the app's example picker)."""
    root = require_dir("lgg_mri", data_root)
    files = _lgg_files(root)
    sp = lgg_split([patient_of(f)[0] for f in files])
    keep = set(getattr(sp, split))
    out = []
    for f in files:
        if patient_of(f)[0] in keep:
            m = Image.open(root / "masks" / f)
            if m.getbbox() is not None:
                out.append(root / "images" / f)
    return out


# ---------------------------------------------------------------------------------------------
# ISBI-2012 EM
@dataclass
class EMData:
    """images (30, 512, 512) uint8, membrane (30, 512, 512) bool (True = membrane)."""

    images: np.ndarray
    membrane: np.ndarray
    ids: list[int]
    data_hash: str

    def split(self) -> dict[str, list[int]]:
        """Indices of train / val / test images."""
        held = set(EM_TEST_IDS) | set(EM_VAL_IDS)
        return {"train": [i for i in self.ids if i not in held], "val": list(EM_VAL_IDS),
                "test": list(EM_TEST_IDS)}


def load_em(data_root: str | Path | None = None) -> EMData:
    """Load the 30 labelled ISBI-2012 pairs."""
    root = require_dir("isbi2012_em", data_root)
    names = sorted(p.name for p in (root / "images").glob("*.png"))
    if not names:
        raise FileNotFoundError(f"no PNG images in {root / 'images'}")
    imgs = np.stack([np.asarray(Image.open(root / "images" / n).convert("L")) for n in names])
    masks = np.stack([np.asarray(Image.open(root / "masks" / n).convert("L")) < 128 for n in names])
    data_hash = file_hash([root / "images" / n for n in names] + [root / "masks" / n for n in names])
    return EMData(imgs, masks, [int(Path(n).stem) for n in names], data_hash)


def em_examples(data_root: str | Path | None = None) -> list[Path]:
    """Paths of the held-out EM images (the app's example picker)."""
    root = require_dir("isbi2012_em", data_root)
    return [root / "images" / f"{i:02d}.png" for i in EM_TEST_IDS if (root / "images" / f"{i:02d}.png").exists()]


def mask_path_for(image_path: str | Path) -> Path | None:
    """The ground-truth mask next to a data-dir image (``images/x.png -> masks/x.png``), if any."""
    p = Path(image_path)
    if p.parent.name != "images":
        return None
    m = p.parent.parent / "masks" / p.name
    return m if m.is_file() else None
