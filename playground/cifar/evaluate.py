"""Evaluate the shipped CIFAR-10 models on the full 10,000-image test set.

``python -m playground.cifar.evaluate [--data-dir D] [--write-meta]`` prints each shipped model's
test accuracy (with the same horizontal-flip averaging the app uses, and without it). The metric
helpers here are also used by ``train.py`` to fill the metadata: per-class accuracy, the confusion
matrix and the "hardest test images" (confidently wrong ones).
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from playground.cifar import data

SHIPPED: tuple[str, ...] = ("cifar_vgg", "cifar_resnet")
N_HARDEST = 24


@torch.no_grad()
def predict_logits(model: nn.Module, images: np.ndarray,
                   batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """``(f(x), (f(x) + f(flip(x))) / 2)`` for uint8 HWC ``images``: single-view logits and the
    mean of the image's and its mirror's logits (exactly what the app computes)."""
    model.eval()
    plain, tta = [], []
    for i in range(0, len(images), batch_size):
        x = data.normalize(np.asarray(images[i:i + batch_size])).contiguous(memory_format=torch.channels_last)
        logits = model(x).float()
        plain.append(logits)
        tta.append(0.5 * (logits + model(x.flip(-1)).float()))
    return torch.cat(plain), torch.cat(tta)


def metrics(logits: torch.Tensor, labels: np.ndarray, n_hardest: int = N_HARDEST) -> dict[str, Any]:
    """Accuracy, per-class accuracy, confusion matrix (rows = true, columns = predicted) and the
    ``n_hardest`` most confidently wrong images (index, true, predicted, softmax confidence)."""
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    k = logits.shape[1]
    prob = logits.softmax(1)
    conf, pred = prob.max(1)
    cm = torch.bincount(y * k + pred, minlength=k * k).view(k, k)
    per_class = (cm.diag().float() / cm.sum(1).clamp_min(1).float()).tolist()
    wrong = (pred != y).nonzero().flatten()
    order = wrong[conf[wrong].argsort(descending=True)][:n_hardest]
    hardest = [{"index": int(i), "label": int(y[i]), "pred": int(pred[i]), "confidence": round(float(conf[i]), 4)}
               for i in order]
    return {"accuracy": float((pred == y).float().mean()), "per_class_accuracy": per_class,
            "confusion_matrix": cm.tolist(), "hardest": hardest}


def evaluate(model: nn.Module, split: data.Split = "test", data_dir: str | None = None,
             limit: int | None = None) -> dict[str, Any]:
    """Test metrics with flip averaging (headline) plus plain single-view accuracy (first ``limit``
    images only, for smoke tests)."""
    x, y = data.load_split(split, data_dir)
    x, y = x[:limit], y[:limit]
    logits_plain, logits = predict_logits(model, np.asarray(x))
    res = metrics(logits, y)
    res["accuracy_no_tta"] = metrics(logits_plain, y, n_hardest=0)["accuracy"]
    return res


def main(argv: list[str] | None = None) -> None:
    """Print each shipped model's test accuracy; ``--write-meta`` refreshes the metadata's metrics."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--write-meta", action="store_true", help="rewrite the metrics in assets/<name>.json")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    from playground.cifar.inference import load_model  # lazy: keeps this module light
    from playground.config import ASSETS_DIR

    for name in SHIPPED:
        t = time.time()
        model, meta = load_model(name)
        res = evaluate(model, "test", args.data_dir)
        print(f"{name}: test accuracy {res['accuracy']:.2%} (flip-averaged, as in the app), "
              f"{res['accuracy_no_tta']:.2%} single view; 10,000 images; "
              f"recorded {meta.get('test_accuracy', float('nan')):.2%}; {time.time() - t:.0f} s")
        if args.write_meta:
            path = ASSETS_DIR / f"{name}.json"
            full = json.loads(path.read_text())
            full.update(test_accuracy=res["accuracy"], test_accuracy_no_tta=res["accuracy_no_tta"],
                        per_class_accuracy=res["per_class_accuracy"],
                        confusion_matrix=res["confusion_matrix"], hardest_test_images=res["hardest"])
            path.write_text(json.dumps(full, indent=1) + "\n")


if __name__ == "__main__":
    main()
