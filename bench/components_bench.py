"""Time of :func:`playground.seg.components.label_components` on LGG-sized volumes (35 x 128 x 128).

Run: ``python bench/components_bench.py [--n 10]``. Three masks, face connectivity (the largest
3-D component step of ``crossval --lcc`` and ``evaluate --lcc``):

- ``tumour``: the ground-truth mask of the LGG patient with the most tumour voxels (from the data
  directory; skipped when there is none), what a trained model predicts;
- ``random p``: independent voxels, each ``True`` with probability ``p`` (seed 0), what the
  tests' tiny random models predict.

Prints the p50 / p95 wall time and the mean process-CPU time per call; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import summary, time_ms  # noqa: E402


def masks() -> dict[str, np.ndarray]:
    """The benchmark's masks by name (see the module doc)."""
    import numpy as np

    from playground.seg import data

    rng = np.random.default_rng(0)
    out: dict[str, np.ndarray] = {}
    try:
        d = data.load_lgg()
    except FileNotFoundError as e:
        print(f"no LGG data, tumour mask skipped: {e}")
    else:
        sizes = {p: int(d.masks[d.patients == p].sum()) for p in set(d.patients.tolist())}
        p = max(sizes, key=sizes.__getitem__)
        idx = np.flatnonzero(d.patients == p)
        idx = idx[np.argsort(d.slices[idx])]
        out[f"tumour ({p}, {sizes[p]} voxels)"] = d.masks[idx]
    for q in (0.05, 0.5):
        out[f"random p={q}"] = rng.random((35, 128, 128)) < q
    return out


def main() -> None:
    """Print the time of one labelling per mask."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=10, help="timed calls per mask")
    args = p.parse_args()
    if args.n < 1:
        p.error(f"--n must be at least 1, got {args.n}")
    from playground.seg.components import label_components

    for name, m in masks().items():
        n = label_components(m, 1)[1]  # also the warm-up call
        c = time.process_time()
        ms = time_ms(lambda: label_components(m, 1), args.n)  # noqa: B023 - called at once
        cpu = 1000 * (time.process_time() - c) / args.n
        print(f"label_components {name}, shape {m.shape}, {n} components: {summary(ms)}, "
              f"CPU {cpu:.1f} ms per call")


if __name__ == "__main__":
    main()
