"""Print the shipped digit models' accuracy on the full MNIST test set (10,000 images).

    python -m playground.digits.evaluate [--data-dir DIR] [--model lenet5_mnist mlp_mnist]

Each model is rebuilt from its metadata, loaded with ``weights_only=True``, and evaluated on the
test images read from the data directory (or torchvision's download); the accuracy recorded at
training time is printed beside the measured one.
"""

from __future__ import annotations

import argparse
import time

import torch

from playground import weights
from playground.digits.data import load_mnist
from playground.digits.inference import LENET, MLP, load_model
from playground.digits.train import confusion, evaluate


def main(argv: list[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--model", nargs="+", default=[LENET, MLP])
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    data = load_mnist(args.data_dir)
    data_hash = weights.file_hash(data.gz_files)
    results: dict[str, float] = {}
    for name in args.model:
        t = time.perf_counter()
        model, meta = load_model(name)
        loss, acc, pred = evaluate(model, data.x_test, data.y_test, meta["config"]["in_size"])
        cm = confusion(data.y_test, pred, meta["config"]["num_classes"])
        errors = int((pred != data.y_test).sum())
        same = "same data as training" if meta["data_hash"] == data_hash else "DIFFERENT data hash"
        print(f"{name}: {meta['config']['arch']}, {weights.param_count(model):,} parameters; "
              f"MNIST test accuracy {100 * acc:.2f} % ({errors} errors / {len(pred):,}), "
              f"loss {loss:.4f}; recorded {100 * meta['test_accuracy']:.2f} %; {same}; "
              f"{time.perf_counter() - t:.1f} s")
        worst = sorted(range(len(cm)), key=lambda k: cm[k, k] / cm[k].sum())[:3]
        print("  hardest classes: " + ", ".join(
            f"{k} ({100 * cm[k, k] / cm[k].sum():.2f} %)" for k in worst))
        results[name] = acc
    return results


if __name__ == "__main__":
    main()
