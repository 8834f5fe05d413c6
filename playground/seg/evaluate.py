"""Evaluate a shipped U-Net on held-out data: ``python -m playground.seg.evaluate --task lgg|em|digits``.

Prints the metrics of :mod:`playground.seg.metrics` on the task's held-out split (LGG: the 10
test patients; EM: images 25-29, each 512x512 in one tile; digits: 500 scenes of MNIST test
digits) and the wall time. Rebuilds the model from the weights' metadata.

``--flair-only`` (LGG): score the test patients with FLAIR copied into all three channels, which
is what the app feeds the model for a greyscale upload. ``--lcc`` (LGG): score each test
patient's largest 3-D component only, the published pipeline's volume post-processing
(:func:`playground.seg.postprocess.volume_largest_component`; the app shows single slices and
does not apply it). ``--tta`` (LGG): average each slice's probability with its mirror's
(:func:`playground.seg.postprocess.flip_tta_prob`); ``--threshold T``: call a pixel tumour at
probability >= T instead of 0.5. The post-processing that nested cross-validation picks on every
fold of the slice-context recipe (README, eleventh study) is ``--tta --threshold 0.4 --lcc``.
``--single-slice`` (LGG, a slice-context model): each slice's own FLAIR as its neighbours, what
the app feeds it for an upload.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from playground.seg import data
from playground.seg.inference import load_model
from playground.seg.tasks import TASKS, lgg_probabilities, lgg_report_of


def lgg_test_report(model: torch.nn.Module, d: data.LGGData, pids: tuple[str, ...], flair_only: bool = False,
                    tta: bool = False, threshold: float = 0.5, lcc: bool = False,
                    neighbours: bool = True) -> dict:
    """:func:`metrics.lgg_report` of ``pids``' slices after the chosen post-processing: mask =
    ``p >= threshold`` where ``p`` is the probability (mirror-averaged with ``tta``), then each
    patient's largest 3-D component with ``lcc`` (:func:`playground.seg.tasks.lgg_report_of`)."""
    prob = lgg_probabilities(model, d, pids, flair_only, tta, neighbours)
    return lgg_report_of(prob, d, d.subset(pids), lcc, threshold)


def main(argv: list[str] | None = None) -> None:
    """Load the weights, run the held-out evaluation, print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--flair-only", action="store_true",
                   help="LGG: FLAIR copied into all 3 channels (a greyscale upload)")
    p.add_argument("--lcc", action="store_true",
                   help="LGG: score each patient's largest 3-D component only (published post-processing)")
    p.add_argument("--tta", action="store_true", help="LGG: average with the mirrored slice's prediction")
    p.add_argument("--threshold", type=float, default=0.5, help="LGG: tumour where probability >= this (0 < T < 1)")
    p.add_argument("--single-slice", action="store_true",
                   help="LGG, slice-context model: each slice's own FLAIR as its neighbours (an upload)")
    args = p.parse_args(argv)
    lgg_only = args.flair_only or args.lcc or args.tta or args.single_slice or args.threshold != 0.5
    if lgg_only and args.task != "lgg":
        p.error("--flair-only, --lcc, --tta, --threshold and --single-slice apply to --task lgg only")
    if not 0.0 < args.threshold < 1.0:
        p.error(f"--threshold must be in (0, 1), got {args.threshold}")
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model, meta = load_model(args.task)
    task = TASKS[args.task](args.data_dir)
    if lgg_only:
        d = data.load_lgg(args.data_dir)
        res = lgg_test_report(model, d, data.lgg_split(list(d.patients)).test, args.flair_only, args.tta,
                              args.threshold, args.lcc, not args.single_slice)
        if args.flair_only:
            print("FLAIR copied into all 3 channels (what the app does with a greyscale upload)")
        if args.single_slice:
            print("each slice's own FLAIR as its neighbours (what the app does with an upload)")
        if args.tta:
            print("flip TTA: the mean of the slice's and its mirror's probabilities")
        if args.threshold != 0.5:
            print(f"tumour where probability >= {args.threshold:g}")
        if args.lcc:
            print("each patient's largest 3-D component only (the published pipeline's post-processing)")
    else:
        res = task.test(model)
    print(f"{args.task}: {meta['name']} ({meta['param_count']:,} parameters, {meta['steps_done']} steps, "
          f"trained {meta['train_seconds'] / 60:.1f} min); held-out: {task.dataset}")
    print(json.dumps(res, indent=1))
    print(f"evaluated in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
