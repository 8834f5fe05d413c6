"""Patient-level cross-validation report of the LGG recipe: ``python -m playground.seg.crossval``.

Train the folds first (each one a normal training run on :func:`data.lgg_cv_split`)::

    for k in 0 1 2 3 4; do
      python -m playground.seg.train --task lgg --base 16 --bf16 --threads 2 --steps 3000 \\
        --batch 16 --channel-gain --modality-dropout --fold $k --folds 5 --name seg_unet_lgg_cv$k \\
        --assets-dir runs/lgg_md
    done

(``runs/lgg_cv``: the same without ``--modality-dropout``. ``runs/lgg_ema``: with ``--threads 1
--max-minutes 50 --eval-every 1000 --ema 0.998 --raw-name seg_unet_lgg_rawcv$k``, two folds at a
time, so the one run gives both the weight average and the last weights. ``runs/lgg_ctx``: the
same plus ``--context``, the 2.5-D input; ``runs/lgg_ctx/run.sh``. ``runs/lgg_fade``: plus
``--lesion-fade``, with ``--max-minutes 110`` for four runs at once; ``runs/lgg_base`` the
recipe beside it. ``runs/lgg_s1`` and ``runs/lgg_s2``: the recipe again with ``--seed 1`` and
``--seed 2``; ``runs/lgg_s1/run.sh``. ``runs/lgg_hm`` and ``runs/lgg_pb``: the recipe plus
``--hard-mining`` or ``--patient-balanced``, five folds at once; ``runs/lgg_hm/run.sh``.
``runs/lgg_ctx6``: ``--context`` at ``--steps 6000``, five folds at once; ``runs/lgg_ctx6/run.sh``.
``runs/lgg_ctx6s1``: the same with ``--seed 1``, nice'd beside the shipped model's training;
``runs/lgg_ctx6s1/run.sh``.)

Then this command scores every fold model on the patients it never saw: its own validation fold
(the five folds together cover every non-test patient once) and the 10 test patients. It prints

- per fold: the per-patient 3-D Dice on its validation patients and on the test patients;
- the cross-validated estimate: the mean over all non-test patients of each one's 3-D Dice by the
  model that did not train on it (and the standard deviation over the folds' means);
- the test Dice of the *ensemble* of the fold models (mean of their probabilities).

``--flair-only`` scores every slice with FLAIR copied into all three channels (what the app does
with a greyscale upload).

``--single-slice``: models trained with slice context (``train --context``, 2.5-D) get each
slice's own FLAIR in place of its neighbours', as the app's single-slice upload does.

``--lcc`` scores each patient's largest 3-D component only
(:func:`postprocess.volume_largest_component`), the volume post-processing of the published
pipeline whose Dice of about 0.82 issue 5 quotes.

``--sweep`` scores the post-processing candidates of :mod:`playground.seg.postprocess` (flip TTA,
threshold, small-component removal, largest 3-D component; :data:`playground.seg.nested.SWEEP`) on the out-of-fold
predictions, and gives a
**nested** estimate: fold ``k``'s patients are scored with the candidate that is best on the
other folds' patients, so the choice never sees the patients it is scored on.

``--against DIR/PREFIX`` scores a second set of fold models the same way and prints the paired
per-patient difference (:func:`playground.seg.paired.paired`), the fair way to compare two recipes on the same folds.
Several ``--against`` sets (e.g. two seeds of the recipe) are each scored, and the reference is
their per-patient mean (:func:`playground.seg.paired.mean_map`).
``--only K ...`` scores some folds alone (a pilot trained on those folds only).

``--sweep --also DIR/PREFIX ...`` does the same for a per-fold ensemble: fold ``k``'s
probabilities are averaged over ``--dir``'s model and each ``DIR/PREFIX{k}``.
``--thresholds T ...`` replaces the sweep's thresholds. ``--cache DIR`` keeps every model's
probabilities (plain and mirrored pass, :func:`playground.seg.nested.member_probabilities`), so sweeping other
ensembles of the same models runs no model twice. With ``--sweep``, ``--against DIR/PREFIX``
sweeps those fold models alone the same way and pairs the two nested per-patient Dice maps.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from playground.seg import data
from playground.seg.inference import load_unet
from playground.seg.nested import SWEEP, sweep
from playground.seg.paired import mean_map, paired, print_paired
from playground.seg.tasks import lgg_report_of, lgg_scores


def report(assets_dir: Path, folds: int = 5, prefix: str = "seg_unet_lgg_cv",
           data_root: str | None = None, flair_only: bool = False, lcc: bool = False,
           only: tuple[int, ...] | None = None, d: data.LGGData | None = None,
           neighbours: bool = True) -> dict:
    """Score the ``folds`` fold models in ``assets_dir``; return the figures (see the module doc).

    ``lcc``: score each patient's largest 3-D component only (:func:`postprocess.volume_largest_component`).
    ``only``: score these folds alone (a pilot); the "cross-validated" figures then cover their
    patients only. ``d``: the LGG slices, already loaded (else loaded from ``data_root``).
    ``neighbours=False``: models with slice context get each slice's own FLAIR as its neighbours
    (a single uploaded slice; :func:`tasks.lgg_input`)."""
    ks = tuple(range(folds)) if only is None else tuple(sorted(set(only)))
    if not ks or not all(0 <= k < folds for k in ks):
        raise ValueError(f"folds to score must be in 0..{folds - 1}, got {only}")
    d = data.load_lgg(data_root) if d is None else d
    patients = list(d.patients)
    test = data.lgg_split(patients).test
    test_idx = d.subset(test)
    rows, pooled, test_probs = [], {}, []
    for k in ks:
        sp = data.lgg_cv_split(patients, k, folds)
        model, meta = load_unet(f"{prefix}{k}", assets_dir)
        val, _ = lgg_scores(model, d, sp.val, flair_only, lcc, neighbours)
        tst, prob_test = lgg_scores(model, d, test, flair_only, lcc, neighbours)
        test_probs.append(prob_test)
        pooled.update(val["patient_dice"])
        rows.append({"fold": k, "n_val_patients": len(sp.val), "val_patient_dice": val["patient_dice_3d"],
                     "val_fp_rate_empty": val["fp_rate_empty"],
                     "test_patient_dice": tst["patient_dice_3d"], "seed": meta.get("seed"),
                     "steps": meta.get("steps_done"), "train_minutes": round(meta.get("train_seconds", 0) / 60, 1)})
    ens = lgg_report_of(np.mean(test_probs, axis=0), d, test_idx, lcc)
    fold_means = [r["val_patient_dice"] for r in rows]
    return {
        "folds": rows,
        "cv_patient_dice": float(np.mean(list(pooled.values()))),
        "cv_patient_dice_each": dict(sorted(pooled.items())),
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
    p.add_argument("--lcc", action="store_true",
                   help="score each patient's largest 3-D component only (the published pipeline's step)")
    p.add_argument("--single-slice", action="store_true",
                   help="models with slice context (train --context) see no neighbours: each slice's own "
                        "FLAIR instead, as for one uploaded slice")
    p.add_argument("--sweep", action="store_true",
                   help="score the post-processing candidates out of fold, with a nested choice")
    p.add_argument("--also", nargs="+", default=[], metavar="DIR/PREFIX",
                   help="with --sweep: average each fold's probabilities with these fold models too "
                        "(DIR/PREFIX{k}.pt; a per-fold ensemble)")
    p.add_argument("--thresholds", type=float, nargs="+", default=list(SWEEP["threshold"]), metavar="T",
                   help="with --sweep: the probability thresholds to try (each in (0, 1))")
    p.add_argument("--cache", default=None, metavar="DIR",
                   help="with --sweep: keep each model's probabilities here and reuse them")
    p.add_argument("--only", type=int, nargs="+", default=None, metavar="K",
                   help="score only these folds (a pilot trained on some folds)")
    p.add_argument("--against", nargs="+", default=None, metavar="DIR/PREFIX",
                   help="also score these fold models the same way and print the paired per-patient "
                        "difference (this run minus them) with a bootstrap 95%% interval; with several "
                        "sets, against their per-patient mean")
    args = p.parse_args(argv)
    for flag, given in (("--also", args.also), ("--cache", args.cache)):
        if given and not args.sweep:
            raise SystemExit(f"{flag} needs --sweep")
    if args.only and args.sweep:
        raise SystemExit("--only does not combine with --sweep")
    if not all(0 < t < 1 for t in args.thresholds):
        raise SystemExit(f"--thresholds must each lie in (0, 1), got {args.thresholds}")
    also = tuple((Path(a).parent, Path(a).name) for a in args.also)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    if args.sweep:
        grid = {**SWEEP, "threshold": tuple(args.thresholds)}
        cache = None if args.cache is None else Path(args.cache)
        r = sweep(Path(args.dir), args.folds, args.prefix, args.data_dir, args.flair_only, grid=grid, also=also,
                  neighbours=not args.single_slice, cache=cache)
        if also:
            print(f"each fold: mean probability of {1 + len(also)} models ({args.dir}/{args.prefix}, "
                  + ", ".join(args.also) + ")")
        print(f"{'tta':>5} {'threshold':>9} {'min_area':>8} {'lcc':>5} {'CV Dice':>8}")
        for c in sorted(r["candidates"], key=lambda c: -c["cv_patient_dice"]):
            print(f"{c['tta']!s:>5} {c['threshold']:9.2f} {c['min_area']:8d} {c['lcc']!s:>5} "
                  f"{c['cv_patient_dice']:8.3f}")
        print(f"nested (choice made on the other folds): {r['nested_cv_patient_dice']:.3f}; "
              f"choices {r['nested_choices']}")
        if args.against:
            maps = []
            for ref in map(Path, args.against):
                other = sweep(ref.parent, args.folds, ref.name, args.data_dir, args.flair_only, grid=grid,
                              neighbours=not args.single_slice, cache=cache)
                print(f"{ref}: nested {other['nested_cv_patient_dice']:.3f}")
                maps.append(other["patient_dice"])
            print_paired(paired(r["patient_dice"], mean_map(maps)),
                         f"{_refs(args.against)} (nested the same way)")
        print(f"evaluated in {time.time() - t0:.1f} s")
        return
    only = None if args.only is None else tuple(args.only)
    d = data.load_lgg(args.data_dir)  # loaded once, also for --against
    r = report(Path(args.dir), args.folds, args.prefix, flair_only=args.flair_only, lcc=args.lcc, only=only, d=d,
               neighbours=not args.single_slice)
    if args.flair_only:
        print("FLAIR copied into all 3 channels (what the app does with a greyscale upload)")
    if args.single_slice:
        print("no slice context: each slice's own FLAIR as its neighbours (one uploaded slice)")
    if args.lcc:
        print("each patient's largest 3-D component only (the published pipeline's post-processing)")
    print(f"{'fold':>4} {'val patients':>12} {'val Dice':>9} {'val FP':>7} {'test Dice':>9} {'minutes':>8}")
    for row in r["folds"]:
        print(f"{row['fold']:4d} {row['n_val_patients']:12d} {row['val_patient_dice']:9.3f} "
              f"{row['val_fp_rate_empty']:7.3f} {row['test_patient_dice']:9.3f} {row['train_minutes']:8.1f}")
    print(f"cross-validated per-patient Dice over {r['cv_n_patients']} non-test patients"
          + ("" if only is None else f" (folds {', '.join(map(str, only))} only)") + ": "
          f"{r['cv_patient_dice']:.3f} (sd of the fold means {r['cv_fold_sd']:.3f}; "
          f"{r['cv_patients_below_0.8']} patients below 0.8)")
    print(f"test (10 patients): mean of the fold models {r['test_mean_of_folds']:.3f}; ensemble of the "
          f"{len(r['folds'])} fold models {r['test_ensemble']['patient_dice_3d']:.3f}")
    if args.against:
        maps = []
        for ref in map(Path, args.against):
            other = report(ref.parent, args.folds, ref.name, flair_only=args.flair_only, lcc=args.lcc, only=only,
                           d=d, neighbours=not args.single_slice)
            print(f"{ref}: cross-validated per-patient Dice {other['cv_patient_dice']:.3f}")
            maps.append(other["cv_patient_dice_each"])
        r["paired_against"] = {"models": args.against[0] if len(args.against) == 1 else args.against,
                               **paired(r["cv_patient_dice_each"], mean_map(maps))}
        print_paired(r["paired_against"], _refs(args.against))
    print(json.dumps(r, indent=1))
    print(f"evaluated in {time.time() - t0:.1f} s")


def _refs(against: list[str]) -> str:
    """How the reference is named in the paired line: one set, or the mean of several."""
    return against[0] if len(against) == 1 else "the per-patient mean of " + ", ".join(against)


if __name__ == "__main__":
    main()
