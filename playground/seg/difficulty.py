"""What makes an LGG patient hard: ``python -m playground.seg.difficulty --report FILE``.

Reads a saved :mod:`playground.seg.crossval` report (its printed output, which ends in JSON with
``cv_patient_dice_each``) and sets each patient's out-of-fold 3-D Dice beside three properties of
the scan, all from the FLAIR channel (channel 1) of the 128x128 slices:

- ``contrast``: ``median(FLAIR in the tumour mask) / median(FLAIR in the brain outside it)``, the
  brain being the pixels with FLAIR > :data:`data.BRAIN_FLAIR_MIN`. A faint hyperintensity is
  near 1;
- ``brightness``: the 99th percentile of FLAIR in the brain (the scan's overall gain);
- ``voxels``: the tumour's size.

It prints them per patient, sorted by Dice, and the Pearson correlation of the Dice with each
(``r = cov(x, y) / (sd(x) sd(y))``; ``log(voxels)`` for the size) with its 95 % interval. A
lever that fixes the scan's gain (intensity normalisation) can only help if the Dice follows
``brightness``; if it follows ``contrast``, the hard tumours are the ones a reader also finds
faint.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.seg import data


@dataclass(frozen=True)
class ScanStats:
    """One patient's FLAIR figures (see the module doc)."""

    contrast: float
    brightness: float
    voxels: int


def scan_stats(d: data.LGGData, pid: str) -> ScanStats:
    """``contrast = median(FLAIR | tumour) / median(FLAIR | brain, not tumour)``, ``brightness =
    p99(FLAIR | brain)`` and the tumour's voxel count, over every slice of patient ``pid``."""
    idx = d.subset((pid,))
    if len(idx) == 0:
        raise ValueError(f"no slices of patient {pid!r}")
    flair = d.images[idx][..., 1].astype(np.float64)
    tumour = d.masks[idx].astype(bool)
    brain = flair > data.BRAIN_FLAIR_MIN
    rest = brain & ~tumour
    if not tumour.any() or not rest.any():
        raise ValueError(f"patient {pid!r} needs tumour and tumour-free brain pixels for a contrast")
    return ScanStats(float(np.median(flair[tumour]) / np.median(flair[rest])),
                     float(np.percentile(flair[brain], 99)), int(tumour.sum()))


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """``r = cov(x, y) / (sd(x) sd(y))``; needs two or more points and neither constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"pearson needs two equal-length series of >= 2 points, got {x.size} and {y.size}")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        raise ValueError("pearson is undefined for a constant series")
    return float(np.corrcoef(x, y)[0, 1])


def fisher_interval(r: float, n: int, z95: float = 1.959964) -> tuple[float, float]:
    """95 % interval of a Pearson ``r`` over ``n`` points: ``tanh(atanh(r) ± 1.96 / sqrt(n - 3))``
    (Fisher's z transform; needs ``n >= 4`` and ``|r| < 1``)."""
    if n < 4 or not -1 < r < 1:
        raise ValueError(f"the Fisher interval needs n >= 4 and |r| < 1, got n={n}, r={r}")
    z, se = np.arctanh(r), 1 / np.sqrt(n - 3)
    return float(np.tanh(z - z95 * se)), float(np.tanh(z + z95 * se))


def read_report(path: Path) -> dict[str, float]:
    """``cv_patient_dice_each`` of a saved crossval output (text, then the JSON report)."""
    text = Path(path).read_text()
    start = text.find("{")
    if start < 0:
        raise ValueError(f"{path}: no JSON report in it (save the output of python -m playground.seg.crossval)")
    report, _ = json.JSONDecoder().raw_decode(text[start:])
    if "cv_patient_dice_each" not in report:
        raise ValueError(f"{path}: the report has no cv_patient_dice_each (rerun crossval with this code)")
    return {str(k): float(v) for k, v in report["cv_patient_dice_each"].items()}


def table(dice: dict[str, float], d: data.LGGData) -> tuple[list[tuple[str, float, ScanStats]], dict[str, float]]:
    """Rows ``(patient, Dice, stats)`` sorted by Dice, and the correlations of the Dice with
    ``contrast``, ``brightness`` and ``log_voxels``."""
    rows = sorted(((p, v, scan_stats(d, p)) for p, v in dice.items()), key=lambda r: r[1])
    y = np.array([r[1] for r in rows])
    corr = {"contrast": pearson(y, np.array([r[2].contrast for r in rows])),
            "brightness": pearson(y, np.array([r[2].brightness for r in rows])),
            "log_voxels": pearson(y, np.log([r[2].voxels for r in rows]))}
    return rows, corr


def main(argv: list[str] | None = None) -> None:
    """Print the per-patient table and the correlations."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--report", required=True, help="a saved output of python -m playground.seg.crossval")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    rows, corr = table(read_report(Path(args.report)), data.load_lgg(args.data_dir))
    print(f"{'patient':<24} {'Dice':>6} {'contrast':>8} {'brightness':>10} {'voxels':>7}")
    for pid, v, s in rows:
        print(f"{pid:<24} {v:6.3f} {s.contrast:8.2f} {s.brightness:10.0f} {s.voxels:7d}")
    print(f"Pearson r of the Dice over {len(rows)} patients (95 % interval, Fisher z):")
    for k, r in corr.items():
        lo, hi = fisher_interval(r, len(rows))
        print(f"  {k:<10} {r:+.2f} ({lo:+.2f} to {hi:+.2f})")


if __name__ == "__main__":
    main()
