"""After training: test accuracy, confusion matrix, checkpoints and the export of a trained model.

Confusion matrix: ``cm[t, p]`` = number of test images of true class ``t`` predicted as ``p``;
accuracy = trace(cm) / sum(cm). The export is a ``state_dict`` file (loadable with
``torch.load(path, weights_only=True)``) plus a Python file whose ``build_model()`` rebuilds the
network and whose ``load()`` reloads the weights.
"""

from __future__ import annotations

import copy
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from playground.studio.loop import TrainRun, evaluate
from playground.studio.presets import model_code


@dataclass(frozen=True)
class Results:
    """Test-set figures of a trained run."""

    test_acc: float
    test_loss: float
    confusion: np.ndarray      # (K, K) int64, rows = true class, columns = prediction
    preds: np.ndarray          # (N_test,) predicted class per test image
    n_test: int

    @property
    def per_class_acc(self) -> np.ndarray:
        """Recall per class: cm[k, k] / sum_p cm[k, p] (nan for a class with no test images)."""
        rows = self.confusion.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / rows


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """``cm[t, p]`` counts via ``bincount(t * k + p)``."""
    return np.bincount(np.asarray(y_true) * k + np.asarray(y_pred), minlength=k * k).reshape(k, k)


def test_results(run: TrainRun) -> Results:
    """Evaluate ``run.model`` on the whole test split of ``run.data``."""
    d = run.data
    acc, loss, preds = evaluate(run.model, d, d.x_test, d.y_test)
    p = preds.numpy()
    return Results(acc, loss, confusion_matrix(d.y_test.numpy(), p, len(d.classes)), p, len(p))


def model_at(run: TrainRun, index: int) -> nn.Module:
    """A copy of ``run.model`` holding checkpoint ``index`` (in eval mode)."""
    if not run.checkpoints:
        raise ValueError("this training has no checkpoints yet")
    if not 0 <= index < len(run.checkpoints):
        raise ValueError(f"checkpoint index must be in 0..{len(run.checkpoints) - 1}, got {index}")
    m = copy.deepcopy(run.model)
    m.load_state_dict(run.checkpoints[index][1])
    return m.eval()


def first_conv(model: nn.Module) -> nn.Conv2d | None:
    """The first ``nn.Conv2d`` of ``model`` (its filters are the ones worth looking at)."""
    return next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)


@torch.no_grad()
def first_block_maps(model: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """Feature maps of one normalised image ``x`` (1, C, H, W) after the first conv and the
    activation right after it: (channels, H', W'); None for a network without a conv."""
    if not isinstance(model, nn.Sequential):
        return None
    seen_conv = False
    for layer in model:
        if seen_conv and not isinstance(layer, (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid,
                                                nn.GELU, nn.ELU, nn.BatchNorm2d)):
            return x[0]
        x = layer(x)
        seen_conv = seen_conv or isinstance(layer, nn.Conv2d)
    return x[0] if seen_conv and x.dim() == 4 else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "model"


CODE_TEMPLATE = '''"""Reload a network trained in CNN Playground's training studio.

{summary}
Inputs are normalised as x = (pixels / 255 - MEAN) / STD, per channel, shape (N, {c}, {h}, {w}).
Run ``python {code_name}`` next to ``{weights_name}`` to reload it and check the output shape.
"""

from collections import OrderedDict  # used when the layers have names
from pathlib import Path

import torch
from torch import nn

MEAN = {mean}
STD = {std}
CLASSES = {classes}
WEIGHTS = Path(__file__).with_name("{weights_name}")


def build_model() -> nn.Sequential:
    """The network, layer by layer (a plain nn.Sequential)."""
    return {code}


def load(path: Path = WEIGHTS) -> nn.Sequential:
    """Build the network and load the trained state_dict (weights_only=True: tensors only)."""
    model = build_model()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


if __name__ == "__main__":
    model = load()
    x = torch.zeros(1, {c}, {h}, {w})
    print(model(x).shape, sum(p.numel() for p in model.parameters()), "parameters")
'''


def export(run: TrainRun, title: str, out_dir: Path | None = None,
           test_acc: float | None = None) -> tuple[Path, Path]:
    """Write ``<slug>.pt`` (state_dict) and ``<slug>.py`` (build + reload code) into a fresh
    per-call temporary folder (or ``out_dir``); return both paths."""
    folder = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="studio-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    slug = _slug(f"{title}_{run.data.name}")
    wpath, cpath = folder / f"{slug}.pt", folder / f"{slug}.py"
    torch.save({k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}, wpath)
    s = run.settings
    acc = f", test accuracy {100 * test_acc:.2f} %" if test_acc is not None else ""
    summary = (f"Network: {title}; dataset: {run.data.name}; {run.step} steps of "
               f"{s.optimizer.value} (lr {s.lr:g}, batch {s.batch_size}, augmentation "
               f"{'on' if s.augment else 'off'}){acc}.")
    _, c, h, w = run.data.x_train.shape
    code = model_code(run.model).replace("\n", "\n    ")
    cpath.write_text(CODE_TEMPLATE.format(
        summary=summary, c=c, h=h, w=w, mean=tuple(run.data.mean), std=tuple(run.data.std),
        classes=list(run.data.classes), weights_name=wpath.name, code_name=cpath.name, code=code))
    return wpath, cpath
