"""The Digits tab's model card, built once on demand from the shipped weights and their metadata:
per-layer output shapes and parameter counts, training curves, per-class accuracy, the confusion
matrix and the learned conv filters.

Parameters per layer: conv ``C_out·(C_in·k² + 1)``, linear ``out·(in + 1)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from PIL import Image

from playground.digits import render
from playground.digits.inference import LENET, MLP, load_model
from playground.digits.models import Net

if TYPE_CHECKING:  # matplotlib is imported on first use: it is not needed to start the app
    from matplotlib.figure import Figure


def layer_table(model: Net) -> str:
    """Markdown: each layer, its output shape for one input, and its parameter count."""
    size = model.config["in_size"]
    with torch.inference_mode():
        _, acts = model.forward_with_activations(torch.zeros(1, 1, size, size))
    rows = ["| layer | output shape | parameters |", "|---|---|---:|", f"| input | 1×{size}×{size} | 0 |"]
    for name, layer in model.layers.named_children():
        n = sum(p.numel() for p in layer.parameters())
        shape = "×".join(str(d) for d in acts[name].shape[1:])
        rows.append(f"| {name} ({type(layer).__name__}) | {shape} | {n:,} |")
    total = sum(p.numel() for p in model.parameters())
    rows.append(f"| **total** | | **{total:,}** |")
    return "\n".join(rows)


def summary(metas: dict[str, dict[str, Any]]) -> str:
    """Markdown comparing the shipped models: parameters, test accuracy, recipe, time, data hash."""
    rows = ["| model | parameters | MNIST test accuracy | errors / 10,000 | epochs | training time | hardware |",
            "|---|---:|---:|---:|---:|---:|---|"]
    for title, m in metas.items():
        rows.append(f"| {title} | {m['param_count']:,} | {100 * m['test_accuracy']:.2f} % | "
                    f"{m.get('test_errors', '?')} | {m['recipe']['epochs']} | "
                    f"{m.get('training_seconds', 0):.0f} s | {m.get('hardware', '?')} |")
    m = next(iter(metas.values()))
    rows.append("")
    rows.append(f"Recipe: {m['recipe']['optimizer']}, one-cycle peak lr {m['recipe']['lr_max']}, "
                f"batch {m['recipe']['batch_size_per_process']}, seed {m['seed']}; augmentation "
                f"{m['recipe']['augmentation']}. Data hash `{m['data_hash'][:16]}…`, "
                f"code hash `{m.get('code_hash', '?')[:16]}…`.")
    return "\n".join(rows)


def curves(metas: dict[str, dict[str, Any]]) -> Figure:
    """Train/test loss and test accuracy per epoch, from the metadata's history."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2), dpi=90, layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for title, m in metas.items():
        ep = [h["epoch"] for h in m["history"]]
        ax1.plot(ep, [h["train_loss"] for h in m["history"]], "--", label=f"{title} train")
        ax1.plot(ep, [h["test_loss"] for h in m["history"]], "-", label=f"{title} test")
        ax2.plot(ep, [100 * h["test_acc"] for h in m["history"]], "o-", ms=3, label=title)
    ax1.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="loss")
    ax2.set(xlabel="epoch", ylabel="%", title="test accuracy", ylim=(96, 100))
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    ax2.grid(alpha=0.3)
    return fig


def classes(metas: dict[str, dict[str, Any]], confusion_of: str) -> Figure:
    """Per-class accuracy of each model, and the confusion matrix of ``confusion_of``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.8), dpi=90, layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    width = 0.8 / len(metas)
    for i, (title, m) in enumerate(metas.items()):
        acc = [100 * a for a in m["per_class_accuracy"]]
        ax1.bar([k + (i - (len(metas) - 1) / 2) * width for k in range(len(acc))], acc, width, label=title)
    ax1.set(xticks=range(10), xlabel="digit", ylabel="%", ylim=(95, 100), title="per-class test accuracy")
    ax1.legend(fontsize=7)
    cm = metas[confusion_of]["confusion_matrix"]
    off = [[0 if r == c else v for c, v in enumerate(row)] for r, row in enumerate(cm)]
    ax2.imshow(off, cmap="Reds")
    for r, row in enumerate(cm):
        for c, v in enumerate(row):
            ax2.text(c, r, str(v), ha="center", va="center", fontsize=6 if r == c else 7,
                     color="#1a6" if r == c else "black")
    ax2.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
            title=f"{confusion_of} confusion matrix (test set)")
    return fig


def filters(model: Net) -> tuple[Image.Image, Image.Image]:
    """conv1's and conv2's learned 5×5 kernels (diverging colours, 0 is white)."""
    w1 = model.layers.conv1.weight.detach().numpy()
    w2 = model.layers.conv2.weight.detach().numpy()
    return (render.filter_grid(w1, f"conv1 weights {w1.shape[0]}×{w1.shape[1]}×5×5", cell=40),
            render.filter_grid(w2, f"conv2 weights {w2.shape[0]}×{w2.shape[1]}×5×5 "
                                   "(row: output map, column: input map)", cell=25))


def model_card() -> tuple[str, str, Figure, Figure, Image.Image, Image.Image]:
    """(summary, layer tables, curves, per-class + confusion, conv1 filters, conv2 filters).

    Figures are built fresh per call (a matplotlib figure must not be shared between threads).
    """
    lenet, lmeta = load_model(LENET)
    mlp, mmeta = load_model(MLP)
    metas = {"LeNet-5": lmeta, "MLP 784-300-10": mmeta}
    table = ("**LeNet-5**\n\n" + layer_table(lenet) + "\n\n**MLP baseline**\n\n" + layer_table(mlp))
    f1, f2 = filters(lenet)
    return summary(metas), table, curves(metas), classes(metas, "LeNet-5"), f1, f2
