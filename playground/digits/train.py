"""Train LeNet-5 or the MLP baseline on MNIST and write ``assets/<arch>_mnist.pt/.json``.

    python -m playground.digits.train --model lenet5 [--data-dir DIR] [--epochs 12]
    python -m playground.digits.train --model mlp
    torchrun --nproc_per_node=2 -m playground.digits.train --model lenet5   # data-parallel

Both models get the same recipe: Adam with a one-cycle learning-rate schedule, batch 128,
cross-entropy, and the augmentation of :mod:`playground.digits.augment`. The recipe was fixed in
advance; the test set is only *reported* (per epoch and at the end), never used to pick a checkpoint:
the weights saved are those after the last epoch.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import torch
import torch.nn.functional as F
from tqdm import tqdm

from playground import config, distributed, weights
from playground.digits import augment as aug
from playground.digits.data import MNIST_MEAN, MNIST_STD, load_mnist, to_model_input
from playground.digits.models import CONFIGS, build_model

CODE_FILES = ("playground/digits/models.py", "playground/digits/data.py",
              "playground/digits/augment.py", "playground/digits/train.py")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(CONFIGS), default="lenet5")
    p.add_argument("--data-dir", default=None, help="folder holding MNIST/raw/*.gz (or CNN_PLAYGROUND_DATA)")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=128, help="per process")
    p.add_argument("--lr", type=float, default=3e-3, help="peak learning rate of the one-cycle schedule")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-augment", action="store_true", help="train on the plain images")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the forward pass")
    p.add_argument("--limit-batches", type=int, default=0, help="stop each epoch early (smoke tests)")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads per process")
    p.add_argument("--name", default=None, help="asset name (default <model>_mnist)")
    p.add_argument("--assets-dir", default=str(config.ASSETS_DIR))
    return p.parse_args(argv)


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, in_size: int,
             batch: int = 1000) -> tuple[float, float, torch.Tensor]:
    """Mean cross-entropy, accuracy and predictions on uint8 images ``x`` (N, 28, 28)."""
    model.eval()
    loss_sum, preds = 0.0, []
    for i in range(0, len(x), batch):
        xb = to_model_input(x[i:i + batch].float().div_(255).unsqueeze(1), in_size)
        logits = model(xb).float()
        loss_sum += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        preds.append(logits.argmax(1))
    pred = torch.cat(preds)
    return loss_sum / len(x), (pred == y).float().mean().item(), pred


def confusion(y: torch.Tensor, pred: torch.Tensor, k: int) -> torch.Tensor:
    """``C[i, j]`` = number of test images of class i predicted as j."""
    return torch.bincount(y * k + pred, minlength=k * k).view(k, k)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    ctx = distributed.setup(prefer_cuda=False)
    torch.manual_seed(args.seed)

    # ---- data ---------------------------------------------------------------------------------
    data = load_mnist(args.data_dir)
    cfg = CONFIGS[args.model]()
    in_size = cfg["in_size"]
    n_train = len(data.x_train)

    # ---- model --------------------------------------------------------------------------------
    model = build_model(cfg)
    ddp_model = distributed.wrap(model, ctx)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sampler = distributed.sampler(torch.utils.data.TensorDataset(data.y_train), ctx, shuffle=True,
                                  seed=args.seed)
    per_rank = n_train // ctx.world_size
    steps = per_rank // args.batch_size + (per_rank % args.batch_size > 0)
    if args.limit_batches:
        steps = min(steps, args.limit_batches)
    # one-cycle: warm up for 25 % of the steps, then anneal to ~0 (why: fast, robust, no tuning)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps * args.epochs,
                                                pct_start=0.25)
    gen = torch.Generator().manual_seed(args.seed * 1000 + ctx.rank)

    # ---- training -----------------------------------------------------------------------------
    history: list[dict[str, float]] = []
    t0 = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        distributed.set_epoch(sampler, epoch)
        order = torch.tensor(list(iter(sampler))) if sampler is not None else torch.randperm(n_train, generator=gen)
        ddp_model.train()
        te, loss_sum, seen = time.perf_counter(), 0.0, 0
        bar = tqdm(range(steps), desc=f"{args.model} epoch {epoch}/{args.epochs}", disable=not ctx.is_main,
                   leave=False, mininterval=2.0)
        for step in bar:
            idx = order[step * args.batch_size:(step + 1) * args.batch_size]
            xb = data.x_train[idx].float().div_(255).unsqueeze(1)
            if not args.no_augment:
                xb = aug.augment(xb, gen)
            xb, yb = to_model_input(xb, in_size), data.y_train[idx]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                logits = ddp_model(xb)
            loss = F.cross_entropy(logits.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item() * len(idx)
            seen += len(idx)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{loss.item():.4f}")
        train_loss = distributed.all_reduce_mean(loss_sum / max(seen, 1), ctx)
        test_loss, test_acc, _ = evaluate(model, data.x_test, data.y_test, in_size)
        row = {"epoch": epoch, "train_loss": round(train_loss, 5), "test_loss": round(test_loss, 5),
               "test_acc": round(test_acc, 5), "lr_end": sched.get_last_lr()[0],
               "seconds": round(time.perf_counter() - te, 1)}
        history.append(row)
        if ctx.is_main:
            tqdm.write(f"epoch {epoch:2d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
                       f"test acc {100 * test_acc:.2f} %  ({row['seconds']:.0f} s)")
    train_seconds = time.perf_counter() - t0

    # ---- evaluation and saving ----------------------------------------------------------------
    test_loss, test_acc, pred = evaluate(model, data.x_test, data.y_test, in_size)
    cm = confusion(data.y_test, pred, cfg["num_classes"])
    per_class = (cm.diag().float() / cm.sum(1).clamp(min=1).float()).tolist()
    meta = {
        "config": cfg, "param_count": weights.param_count(model),
        "dataset": "MNIST (60,000 train / 10,000 test)",
        "test_accuracy": round(test_acc, 5), "test_loss": round(test_loss, 5),
        "test_errors": int((pred != data.y_test).sum()),
        "per_class_accuracy": [round(a, 5) for a in per_class], "confusion_matrix": cm.tolist(),
        "history": history, "seed": args.seed,
        "recipe": {"optimizer": "Adam", "lr_max": args.lr, "weight_decay": args.weight_decay,
                   "schedule": "OneCycleLR(pct_start=0.25)", "epochs": args.epochs,
                   "batch_size_per_process": args.batch_size, "processes": ctx.world_size,
                   "loss": "cross_entropy", "bf16_autocast": args.bf16,
                   "augmentation": None if args.no_augment else aug.RECIPE,
                   "limit_batches": args.limit_batches or None, "checkpoint": "last epoch"},
        "preprocessing": {"mean": MNIST_MEAN, "std": MNIST_STD, "input": f"{in_size}x{in_size}",
                          "pad": (in_size - 28) // 2},
        "data_hash": weights.file_hash(data.gz_files), "code_hash": weights.code_hash(*CODE_FILES),
        "training_seconds": round(train_seconds, 1), "hardware": weights.hardware(),
    }
    if ctx.is_main:
        from pathlib import Path

        path = weights.save(model, args.name or f"{args.model}_mnist", meta, assets_dir=Path(args.assets_dir))
        print(f"test accuracy {100 * test_acc:.2f} % ({meta['test_errors']} errors); "
              f"trained in {train_seconds:.0f} s; wrote {path} and {path.with_suffix('.json').name}")
    del ddp_model  # the DDP reducer holds the process group
    distributed.cleanup(ctx)
    return meta


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    main()
