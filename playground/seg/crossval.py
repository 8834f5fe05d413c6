"""Patient-level cross-validation report of the LGG recipe: ``python -m playground.seg.crossval``.

Train the folds first (each one a normal training run on :func:`data.lgg_cv_split`)::

    for k in 0 1 2 3 4; do
      python -m playground.seg.train --task lgg --base 16 --bf16 --threads 2 --steps 3000 \\
        --batch 16 --channel-gain --fold $k --folds 5 --name seg_unet_lgg_cv$k --assets-dir runs/lgg_cv
    done

Then this command scores every fold model on the patients it never saw: its own validation fold
(the five folds together cover every non-test patient once) and the 10 test patients. It prints

- per fold: the per-patient 3-D Dice on its validation patients and on the test patients;
- the cross-validated estimate: the mean over all non-test patients of each one's 3-D Dice by the
  model that did not train on it (and the standard deviation over the folds' means);
- the test Dice of the *ensemble* of the fold models (mean of their probabilities).

``--flair-only`` scores every slice with FLAIR copied into all three channels (what the app does
with a greyscale upload).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from playground.seg import data, metrics
from playground.seg.inference import load_unet
from playground.seg.tasks import lgg_scores


def report(assets_dir: Path, folds: int = 5, prefix: str = "seg_unet_lgg_cv",
           data_root: str | None = None, flair_only: bool = False) -> dict:
    """Score the ``folds`` fold models in ``assets_dir``; return the figures (see the module doc)."""
    d = data.load_lgg(data_root)
    patients = list(d.patients)
    test = data.lgg_split(patients).test
    test_idx = d.subset(test)
    rows, pooled, test_probs = [], {}, []
    for k in range(folds):
        sp = data.lgg_cv_split(patients, k, folds)
        model, meta = load_unet(f"{prefix}{k}", assets_dir)
        val, _ = lgg_scores(model, d, sp.val, flair_only)
        tst, prob_test = lgg_scores(model, d, test, flair_only)
        test_probs.append(prob_test)
        pooled.update(val["patient_dice"])
        rows.append({"fold": k, "n_val_patients": len(sp.val), "val_patient_dice": val["patient_dice_3d"],
                     "test_patient_dice": tst["patient_dice_3d"], "seed": meta.get("seed"),
                     "steps": meta.get("steps_done"), "train_minutes": round(meta.get("train_seconds", 0) / 60, 1)})
    ens = metrics.lgg_report(np.mean(test_probs, axis=0), d.masks[test_idx], d.patients[test_idx])
    fold_means = [r["val_patient_dice"] for r in rows]
    return {
        "folds": rows,
        "cv_patient_dice": float(np.mean(list(pooled.values()))),
        "cv_n_patients": len(pooled),
        "cv_fold_sd": float(np.std(fold_means, ddof=1)) if len(fold_means) > 1 else float("nan"),
        "cv_patients_below_0.8": int(sum(v < 0.8 for v in pooled.values())),
        "test_mean_of_folds": float(np.mean([r["test_patient_dice"] for r in rows])),
        "test_ensemble": {k: v for k, v in ens.items() if k != "patient_dice"},
        "test_ensemble_patient_dice": ens["patient_dice"],
    }


def main(argv: list[str] | None = None) -> None:
    """Print the cross-validation report as a table and JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", default="runs/lgg_cv", help="where the fold weights are")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--prefix", default="seg_unet_lgg_cv")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--flair-only", action="store_true", help="FLAIR copied into all 3 channels (a greyscale upload)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    r = report(Path(args.dir), args.folds, args.prefix, args.data_dir, args.flair_only)
    if args.flair_only:
        print("FLAIR copied into all 3 channels (what the app does with a greyscale upload)")
    print(f"{'fold':>4} {'val patients':>12} {'val Dice':>9} {'test Dice':>9} {'minutes':>8}")
    for row in r["folds"]:
        print(f"{row['fold']:4d} {row['n_val_patients']:12d} {row['val_patient_dice']:9.3f} "
              f"{row['test_patient_dice']:9.3f} {row['train_minutes']:8.1f}")
    print(f"cross-validated per-patient Dice over {r['cv_n_patients']} non-test patients: "
          f"{r['cv_patient_dice']:.3f} (sd of the fold means {r['cv_fold_sd']:.3f}; "
          f"{r['cv_patients_below_0.8']} patients below 0.8)")
    print(f"test (10 patients): mean of the fold models {r['test_mean_of_folds']:.3f}; ensemble of the "
          f"{args.folds} fold models {r['test_ensemble']['patient_dice_3d']:.3f}")
    print(json.dumps(r, indent=1))
    print(f"evaluated in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
