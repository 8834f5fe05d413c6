"""Post-processing chosen fairly: every candidate scored out of fold, and the nested estimate.

:func:`sweep` scores each candidate of :data:`SWEEP` (flip TTA, threshold, small-component
removal, largest 3-D component; :mod:`playground.seg.postprocess`) on the cross-validation folds'
out-of-fold predictions. Its **nested** estimate scores fold ``k``'s patients with the candidate
that is best on the other folds' patients, so the choice never sees the patients it is scored on.
Per-fold ensembles average the probabilities of several recipes' fold ``k`` models;
:func:`member_probabilities` caches each model's two TTA passes so that no model runs twice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

import numpy as np

from playground.seg import data, metrics, postprocess
from playground.seg.inference import load_unet
from playground.seg.tasks import lgg_input_for


SWEEP = {"tta": (False, True), "threshold": (0.4, 0.5, 0.6), "min_area": (0, 16, 48), "lcc": (False, True)}


def _patient_dice(prob: np.ndarray, gt: np.ndarray, patients: np.ndarray, slices: np.ndarray,
                  threshold: float, min_area: int, lcc: bool) -> dict[str, float]:
    pred = postprocess.volume_mask(prob, patients, slices, threshold, min_area, lcc)
    return {str(pid): metrics.dice(pred[patients == pid], gt[patients == pid])
            for pid in sorted(set(patients.tolist()))}


def member_probabilities(where: Path, name: str, d: data.LGGData, pids: tuple[str, ...],
                         flair_only: bool = False, neighbours: bool = True,
                         cache: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(plain, mirrored) tumour probabilities (N, H, W) of model ``where/name`` on ``pids``' slices.

    Their mean is :func:`postprocess.flip_tta_prob`'s TTA probability. ``cache``: a folder where
    they are kept as ``.npy`` (float32, so scores are identical), keyed by the weights' sha256,
    the patients, a checksum of their slices and the input mode, so a sweep over other ensembles
    does not run a model twice."""
    model, meta = load_unet(name, where)
    files = None
    if cache is not None:
        idx = d.subset(pids)
        seen = [int(d.images[idx].sum(dtype=np.int64)), int(d.masks[idx].sum(dtype=np.int64))]  # the data read
        key = hashlib.sha256(json.dumps([meta.get("weights_sha256"), list(pids), seen, flair_only, neighbours])
                             .encode()).hexdigest()[:16]
        files = (cache / f"{name}-{key}-p.npy", cache / f"{name}-{key}-q.npy")
        if all(f.exists() for f in files):
            return np.load(files[0]), np.load(files[1])
    plain, mirrored = postprocess.flip_pair_prob(model, lgg_input_for(model, d, pids, flair_only, neighbours), 32)
    if files is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(files[0], plain.astype(np.float32))
        np.save(files[1], mirrored.astype(np.float32))
    return plain, mirrored


def sweep(assets_dir: Path, folds: int = 5, prefix: str = "seg_unet_lgg_cv",
          data_root: str | None = None, flair_only: bool = False,
          grid: dict[str, tuple] = SWEEP, also: tuple[tuple[Path, str], ...] = (),
          neighbours: bool = True, cache: Path | None = None) -> dict:
    """Out-of-fold per-patient 3-D Dice of every post-processing candidate, and the nested estimate.

    ``also``: more ``(dir, prefix)`` fold models; fold ``k``'s probability is then the mean over
    ``prefix{k}`` in ``assets_dir`` and every ``also`` member (a per-fold ensemble, each member
    trained without fold ``k``). ``neighbours``: as in :func:`playground.seg.crossval.report`.
    ``cache``: as in :func:`member_probabilities`.

    Returns ``{"candidates": [{"tta", "threshold", "min_area", "lcc", "cv_patient_dice", "patient_dice"}, ...],
    "nested_cv_patient_dice", "nested_choices" (per fold), "patient_dice" (nested, per patient),
    "fold_of" (patient -> fold)}``.
    """
    d = data.load_lgg(data_root)
    patients = list(d.patients)
    fold_of: dict[str, int] = {}
    scores: dict[tuple, dict[str, float]] = {}
    for k in range(folds):
        val = data.lgg_cv_split(patients, k, folds).val
        fold_of.update({p: k for p in val})
        members = [member_probabilities(where, f"{pre}{k}", d, val, flair_only, neighbours, cache)
                   for where, pre in ((assets_dir, prefix), *also)]
        idx = d.subset(val)
        for tta in grid["tta"]:
            prob = np.mean([(p + q) / 2 if tta else p for p, q in members], axis=0)
            for t, a, lcc in itertools.product(grid["threshold"], grid["min_area"], grid["lcc"]):
                scores.setdefault((tta, t, a, lcc), {}).update(
                    _patient_dice(prob, d.masks[idx], d.patients[idx], d.slices[idx], t, a, lcc))
    cands = [{"tta": c[0], "threshold": c[1], "min_area": c[2], "lcc": c[3],
              "cv_patient_dice": float(np.mean(list(v.values()))), "patient_dice": v} for c, v in scores.items()]
    nested: dict[str, float] = {}
    choices = []
    for k in range(folds):
        def others(c: tuple, k: int = k) -> float:
            return float(np.mean([v for p, v in scores[c].items() if fold_of[p] != k]))
        best = max(scores, key=others)
        choices.append({"fold": k, "tta": best[0], "threshold": best[1], "min_area": best[2], "lcc": best[3]})
        nested.update({p: v for p, v in scores[best].items() if fold_of[p] == k})
    return {"candidates": cands, "nested_cv_patient_dice": float(np.mean(list(nested.values()))),
            "nested_choices": choices, "patient_dice": nested, "fold_of": fold_of}
