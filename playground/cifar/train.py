"""Train a CIFAR-10 model with the airbench94 recipe and ship it to ``assets/cifar_<model>.{pt,json}``.

    python -m playground.cifar.train --model vgg --minutes 38
    torchrun --nproc_per_node=2 -m playground.cifar.train --model resnet --epochs 10

Recipe (KellerJordan/cifar10-airbench, airbench94): frozen whitening stem initialised from 5,000
training images; Nesterov SGD with airbench's decoupled hyperparameters (lr 11.5 and weight decay
0.0153 per 1024 examples, momentum 0.85, BN shifts at 64× the lr); label smoothing 0.2; batch 1024;
a triangular lr schedule (0.2 → 1 at 23 % → 0.07); Lookahead-style EMA from 30 % of training;
alternating horizontal flips + ±2-pixel reflect-padded translations; horizontal-flip averaging at
test time (the app does the same). The whitening bias trains for the first 30 % only.

The schedule is a function of *progress* p ∈ [0, 1]. With ``--epochs`` p = step / total steps (fully
deterministic). Without it, p = elapsed wall time / ``--minutes`` budget, because on a shared CPU the
number of epochs that fit in a time box is unknown in advance; the epochs actually run are recorded.
5,000 training images are held out as validation (per-epoch curves); the test set is only touched
once, after training, to report the final metrics. A checkpoint is written after every epoch, and
``--finalize`` turns the last checkpoint into shipped weights if a run is cut off.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from playground import config, distributed, weights
from playground.cifar import data, evaluate, models

HYP: dict[str, Any] = {
    "batch_size": 1024, "lr": 11.5, "momentum": 0.85, "weight_decay": 0.0153, "bias_scaler": 64.0,
    "label_smoothing": 0.2, "whiten_bias_until": 0.30, "ema_start": 0.30, "ema_every": 5,
    "ema_decay_base": 0.95, "ema_decay_pow": 3.0, "translate": 2, "lr_start": 0.2, "lr_peak_at": 0.23,
    "lr_end": 0.07, "whiten_images": 5000,
}
ARCH_REASON: dict[str, str] = {
    "vgg_air_wide": (
        "airbench94's network (Jordan 2024, the most compute-efficient known CIFAR-10 recipe), widths "
        "64/256/256, in its cfg-table form. With bf16 autocast it trains at ~900 img/s on the idle "
        "2-core CPU (fp32: ~330), so 12 epochs take ~10 min: the narrower 64/128/128 variant topped "
        "out below 93 % in 10 epochs."),
    "resnet_air_wide": (
        "airbench94's widths 64/256/256 with BasicBlock shortcuts (identity, avg-pool, or avg-pool + "
        "1x1 projection + BN) and one extra identity block in the last stage. bf16 autocast: ~600 "
        "img/s on the idle 2-core CPU, so 12 epochs take ~15 min; 64/128/128 reached 92.35 %."),
    "vgg_air": "airbench93's widths 64/128/128 (half the MACs of airbench94's network).",
    "resnet_air": "widths 64/128/128 with BasicBlock shortcuts and one extra identity block.",
}
CODE_FILES = ("playground/cifar/models.py", "playground/cifar/data.py", "playground/cifar/train.py",
              "playground/cifar/evaluate.py")


def lr_factor(p: float) -> float:
    """Triangular schedule: ``lr_start`` → 1 (at ``lr_peak_at``) → ``lr_end`` (at p = 1)."""
    a, peak, b = HYP["lr_start"], HYP["lr_peak_at"], HYP["lr_end"]
    p = min(max(p, 0.0), 1.0)
    return a + (1 - a) * p / peak if p < peak else 1 + (b - 1) * (p - peak) / (1 - peak)


def augment(padded: torch.Tensor, flip: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random ±r translations of reflect-padded images (N, 3, 32+2r, 32+2r), then flip where ``flip``."""
    r = (padded.shape[-1] - 32) // 2
    shifts = torch.randint(0, 2 * r + 1, (len(padded), 2), generator=gen)
    out = torch.empty(len(padded), 3, 32, 32)
    for sy in range(2 * r + 1):
        for sx in range(2 * r + 1):
            m = (shifts[:, 0] == sy) & (shifts[:, 1] == sx)
            if m.any():
                out[m] = padded[m, :, sy:sy + 32, sx:sx + 32]
    return torch.where(flip.view(-1, 1, 1, 1), out.flip(-1), out)


class Lookahead:
    """airbench's EMA: ``ema ← lerp(ema, net, 1 - rho)`` then copy ``ema`` back into the net."""

    def __init__(self, net: nn.Module):
        self.ema = {k: v.detach().clone() for k, v in net.state_dict().items()}

    @torch.no_grad()
    def update(self, net: nn.Module, decay: float) -> None:
        for (k, e), v in zip(self.ema.items(), net.state_dict().values()):
            if v.is_floating_point():
                e.lerp_(v, 1 - decay)
                v.copy_(e)


@torch.no_grad()
def val_metrics(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(loss, accuracy) on the held-out validation images, single view."""
    model.eval()
    logits = torch.cat([model(x[i:i + 1000].contiguous(memory_format=torch.channels_last))
                        for i in range(0, len(x), 1000)])
    model.train()
    return float(F.cross_entropy(logits, y)), float((logits.argmax(1) == y).float().mean())


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "cpu"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=sorted(models.BUILDERS), required=True)
    p.add_argument("--cfg", default=None, help="cfg table entry (default vgg_air_wide / resnet_air_wide)")
    p.add_argument("--epochs", type=float, default=None, help="step-based schedule (deterministic)")
    p.add_argument("--minutes", type=float, default=40.0, help="wall-clock budget when --epochs is not given")
    p.add_argument("--deadline", default=None, help="HH:MM UTC: shrink the budget to end by then")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-bf16", dest="bf16", action="store_false",
                   help="train in fp32 (default: bf16 autocast, ~2.5x faster on an AVX-512 BF16 CPU)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--val-size", type=int, default=data.VAL_SIZE)
    p.add_argument("--train-limit", type=int, default=None, help="use only N training images (smoke tests)")
    p.add_argument("--test-limit", type=int, default=None, help="evaluate on N test images (smoke tests)")
    p.add_argument("--name", default=None, help="asset name (default cifar_<model>)")
    p.add_argument("--assets-dir", default=str(config.ASSETS_DIR), help="where to write <name>.pt/.json")
    p.add_argument("--finalize", action="store_true", help="ship the last checkpoint instead of training")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    ctx = distributed.setup()
    torch.manual_seed(args.seed + ctx.rank)
    name = args.name or f"cifar_{args.model}"
    command = "python -m playground.cifar.train " + " ".join(argv if argv is not None else sys.argv[1:])
    ckpt_path = config.cache_dir() / "cifar_ckpt" / f"{name}.pt"
    log = print if ctx.is_main else (lambda *a, **k: None)

    # ---------------------------------------------------------------- data
    x_all, y_all = data.load_split("train", args.data_dir)
    tr_idx, va_idx = data.train_val_split(len(y_all), args.val_size, seed=0)
    if args.train_limit:
        tr_idx = tr_idx[: args.train_limit]
    x_tr = data.normalize(x_all[tr_idx])
    y_tr = torch.as_tensor(y_all[tr_idx])
    x_va, y_va = data.normalize(x_all[va_idx]), torch.as_tensor(y_all[va_idx])
    pad = HYP["translate"]
    x_pad = F.pad(x_tr, (pad,) * 4, mode="reflect")  # pre-padded once: translation = a crop
    log(f"data: {len(tr_idx)} train, {len(va_idx)} validation (held out of the training set)")

    # ---------------------------------------------------------------- model
    cfg_name = args.cfg or f"{args.model}_air_wide"
    model = models.BUILDERS[args.model](num_classes=len(data.CLASSES), cfg=cfg_name)
    models.init_whitening(model.stem, x_tr[: HYP["whiten_images"]])
    model = model.to(memory_format=torch.channels_last)
    net = distributed.wrap(model, ctx)
    curves: list[dict[str, float]] = []
    train_seconds = 0.0
    epochs_done = 0.0

    if args.finalize:
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        model.load_state_dict(ck["state_dict"])
        curves, train_seconds, epochs_done = ck["curves"], ck["train_seconds"], ck["epochs"]
        command = ck.get("command", command) + "  (finalized from its last checkpoint)"
        log(f"finalizing checkpoint {ckpt_path} ({epochs_done:.2f} epochs)")
    else:
        # ------------------------------------------------------------ optimiser
        bs = HYP["batch_size"]
        kilostep = 1024 * (1 + 1 / (1 - HYP["momentum"]))  # Nesterov step ≈ lr·grad·(1 + 1/(1-m))
        lr = HYP["lr"] / kilostep
        wd = HYP["weight_decay"] * bs / kilostep
        lr_bias = lr * HYP["bias_scaler"]
        bn_bias = [m.bias for m in model.modules() if isinstance(m, models.BatchNorm)]
        ids = {id(p) for p in bn_bias}
        other = [p for p in model.parameters() if id(p) not in ids]
        opt = torch.optim.SGD([dict(params=bn_bias, lr=lr_bias, weight_decay=wd / lr_bias, base=lr_bias),
                               dict(params=other, lr=lr, weight_decay=wd / lr, base=lr)],
                              momentum=HYP["momentum"], nesterov=True)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=HYP["label_smoothing"], reduction="none")

        # ------------------------------------------------------------ training
        per_rank = len(tr_idx) // ctx.world_size
        steps_per_epoch = per_rank // (bs // ctx.world_size)
        if steps_per_epoch < 1:
            raise ValueError(f"{len(tr_idx)} training images give no full step: need at least "
                             f"batch {bs} (world size {ctx.world_size}); raise --train-limit")
        total_steps = math.ceil(args.epochs * steps_per_epoch) if args.epochs else None
        budget = args.minutes * 60
        if args.deadline and not args.epochs:
            hh, mm = (int(v) for v in args.deadline.split(":"))
            now = dt.datetime.now(dt.timezone.utc)
            end = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
            if end < now - dt.timedelta(hours=12):
                end += dt.timedelta(days=1)
            budget = min(budget, (end - now).total_seconds() - 240)  # 4 min for test eval + saving
        if not args.epochs and budget < 60:
            raise ValueError(f"time budget {budget:.0f} s is too short (deadline {args.deadline})")
        log(f"schedule: {'%.2f epochs' % args.epochs if args.epochs else 'budget %.1f min' % (budget / 60)}, "
            f"{steps_per_epoch} steps/epoch of {bs}")
        gen = torch.Generator().manual_seed(args.seed)
        flip0 = torch.rand(len(tr_idx), generator=gen) < 0.5  # alternating flip: fixed per image, toggled per epoch
        ema: Lookahead | None = None
        step, p, t0, epoch = 0, 0.0, time.time(), 0
        sampler = distributed.sampler(torch.utils.data.TensorDataset(y_tr), ctx, shuffle=True, seed=args.seed)
        net.train()
        while p < 1.0:
            distributed.set_epoch(sampler, epoch)
            order = torch.tensor(list(sampler)) if sampler is not None else torch.randperm(len(tr_idx), generator=gen)
            b = bs // ctx.world_size
            sums = {"loss": 0.0, "correct": 0.0, "n": 0}
            bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch + 1}", disable=not ctx.is_main, mininterval=5)
            for i in bar:
                idx = order[i * b:(i + 1) * b]
                x = augment(x_pad[idx], flip0[idx] ^ bool(epoch % 2), gen).contiguous(memory_format=torch.channels_last)
                y = y_tr[idx]
                for g in opt.param_groups:
                    g["lr"] = g["base"] * lr_factor(p)
                with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=args.bf16):
                    out = net(x)
                loss = loss_fn(out.float(), y).sum() * ctx.world_size  # DDP averages gradients over ranks
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if p >= HYP["whiten_bias_until"]:
                    model.stem.bias.grad = None  # frozen after the first 30 % (airbench)
                opt.step()
                step += 1
                sums["loss"] += float(loss) / ctx.world_size
                sums["correct"] += float((out.argmax(1) == y).sum())
                sums["n"] += len(y)
                p = step / total_steps if total_steps else distributed.all_reduce_mean((time.time() - t0) / budget, ctx)
                if p >= HYP["ema_start"] and step % HYP["ema_every"] == 0:
                    if ema is None:
                        ema = Lookahead(model)
                    else:
                        rho = HYP["ema_decay_base"] ** HYP["ema_every"] * min(p, 1.0) ** HYP["ema_decay_pow"]
                        ema.update(model, rho)
                bar.set_postfix(loss=f"{sums['loss'] / sums['n']:.3f}", p=f"{min(p, 1):.2f}", lr=f"{lr_factor(p):.2f}")
                if p >= 1.0:
                    break
            bar.close()
            if ema is not None:
                ema.update(model, 1.0)  # the net continues from the averaged weights
            epochs_done += (i + 1) / steps_per_epoch
            epoch += 1
            train_seconds = time.time() - t0
            if ctx.is_main:
                vl, va = val_metrics(model, x_va, y_va)
                curves.append({"epoch": round(epochs_done, 3), "train_loss": sums["loss"] / sums["n"],
                               "train_acc": sums["correct"] / sums["n"], "val_loss": vl, "val_acc": va,
                               "lr_factor": lr_factor(p), "seconds": round(time.time() - t0, 1)})
                log(f"epoch {epochs_done:.2f}: train loss {curves[-1]['train_loss']:.4f} acc "
                    f"{curves[-1]['train_acc']:.4f} | val loss {vl:.4f} acc {va:.4f} | {time.time() - t0:.0f} s",
                    flush=True)
                ckpt_path.parent.mkdir(parents=True, exist_ok=True)
                torch.save({"state_dict": model.state_dict(), "curves": curves, "train_seconds": train_seconds,
                            "epochs": epochs_done, "command": command}, ckpt_path)

    # ---------------------------------------------------------------- evaluation (test set, once)
    if ctx.is_main:
        model = model.to(memory_format=torch.contiguous_format)
        res = evaluate.evaluate(model, "test", args.data_dir, limit=args.test_limit)
        log(f"test accuracy {res['accuracy']:.4f} (flip-averaged), {res['accuracy_no_tta']:.4f} single view")
        meta = {
            "config": {"arch": args.model, "cfg": cfg_name, "num_classes": len(data.CLASSES),
                       "classes": list(data.CLASSES), "mean": list(data.MEAN), "std": list(data.STD),
                       "input_size": 32, "flip_tta": True,
                       "stages": [f"stage{i + 1}" for i in range(len(model.stages))]},
            "architecture_reason": ARCH_REASON.get(cfg_name, f"cfg {cfg_name}"),
            "dataset": "CIFAR-10 (45,000 train / 5,000 validation held out of the training set; 10,000 test)",
            "param_count": weights.param_count(model),
            "macs": models.count_macs(model), "test_accuracy": res["accuracy"],
            "test_accuracy_no_tta": res["accuracy_no_tta"], "val_accuracy": curves[-1]["val_acc"] if curves else None,
            "per_class_accuracy": res["per_class_accuracy"], "confusion_matrix": res["confusion_matrix"],
            "hardest_test_images": res["hardest"], "curves": curves, "epochs": round(epochs_done, 3),
            "train_seconds": round(train_seconds, 1), "world_size": ctx.world_size,
            "hardware": f"{_cpu_name()}; {weights.hardware()}; load average {os.getloadavg()[0]:.1f} at the end",
            "seed": args.seed, "recipe": {**HYP, "schedule": f"{args.epochs} epochs" if args.epochs
                                          else f"wall-clock budget {args.minutes} min (deadline {args.deadline})",
                                          "train_images": len(tr_idx), "test_time": "mean of logits of image and mirror",
                                          "precision": "bf16 autocast" if args.bf16 else "fp32"},
            "command": command,
            "data_hash": data.data_hash(args.data_dir), "code_hash": weights.code_hash(*CODE_FILES),
        }
        path = weights.save(model, name, meta, assets_dir=Path(args.assets_dir))
        log(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB); params {weights.param_count(model):,}; "
            f"MACs {meta['macs'] / 1e6:.1f} M; training {train_seconds / 60:.1f} min")
    del net  # the DDP reducer holds the process group
    distributed.cleanup(ctx)


if __name__ == "__main__":
    main()
