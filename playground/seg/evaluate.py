"""Evaluate a shipped U-Net on held-out data: ``python -m playground.seg.evaluate --task lgg|em|digits``.

Prints the metrics of :mod:`playground.seg.metrics` on the task's held-out split (LGG: the 10
test patients; EM: images 25-29, each 512x512 in one tile; digits: 500 scenes of MNIST test
digits) and the wall time. Rebuilds the model from the weights' metadata.

``--flair-only`` (LGG): score the test patients with FLAIR copied into all three channels, which
is what the app feeds the model for a greyscale upload. ``--lcc`` (LGG): score each test
patient's largest 3-D component only, the published pipeline's volume post-processing
(:func:`playground.seg.postprocess.volume_largest_component`; the app shows single slices and
does not apply it).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from playground.seg import data
from playground.seg.inference import load_model
from playground.seg.tasks import TASKS, lgg_scores


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
    args = p.parse_args(argv)
    if (args.flair_only or args.lcc) and args.task != "lgg":
        p.error("--flair-only and --lcc apply to --task lgg only")
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model, meta = load_model(args.task)
    task = TASKS[args.task](args.data_dir)
    if args.flair_only or args.lcc:
        d = data.load_lgg(args.data_dir)
        res, _ = lgg_scores(model, d, data.lgg_split(list(d.patients)).test, args.flair_only, args.lcc)
        if args.flair_only:
            print("FLAIR copied into all 3 channels (what the app does with a greyscale upload)")
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
