"""Evaluate a shipped U-Net on held-out data: ``python -m playground.seg.evaluate --task lgg|em|digits``.

Prints the metrics of :mod:`playground.seg.metrics` on the task's held-out split (LGG: the 10
test patients; EM: images 25-29, each 512x512 in one tile; digits: 500 scenes of MNIST test
digits) and the wall time. Rebuilds the model from the weights' metadata.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from playground.seg.inference import load_model
from playground.seg.tasks import TASKS


def main(argv: list[str] | None = None) -> None:
    """Load the weights, run the held-out evaluation, print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.time()
    model, meta = load_model(args.task)
    task = TASKS[args.task](args.data_dir)
    res = task.test(model)
    print(f"{args.task}: {meta['name']} ({meta['param_count']:,} parameters, {meta['steps_done']} steps, "
          f"trained {meta['train_seconds'] / 60:.1f} min); held-out: {task.dataset}")
    print(json.dumps(res, indent=1))
    print(f"evaluated in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
