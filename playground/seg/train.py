"""Train a small U-Net on one task: ``python -m playground.seg.train --task lgg|em|digits``.

Runs alone or data-parallel under ``torchrun --nproc_per_node=N -m playground.seg.train``
(gloo on CPU): each rank draws its own random batches (seed + rank) from the same infinite
augmented stream, DDP averages the gradients. Rank 0 validates, checkpoints and saves.

Precision: ``--bf16`` turns on ``torch.autocast("cpu", torch.bfloat16)``. Measured on this
2-core AVX-512-BF16 CPU (2 threads, 128x128, batch 16, channels_last, 2026-12-01): base 8 fp32 11
img/s, bf16 37 img/s; base 16 fp32 9, bf16 22 img/s. (An earlier measurement at 1 thread, batch 8
on a heavily shared CPU found bf16 slower, so fp32 stays the default; the shipped LGG model used
``--bf16``.)

``--ema DECAY`` keeps an exponential moving average of the parameters,
``ema <- DECAY * ema + (1 - DECAY) * w`` after every step, and validates and saves it instead of
the last weights (``--raw-name`` saves those too). Its BatchNorm statistics are recomputed on 50
fresh training batches before each use (:func:`refresh_bn`).

Weights are saved to ``assets/seg_unet_<task>.{pt,json}`` at every validation (``"complete":
false``), so a run that is cut off still leaves usable weights, and once more at the end with
the held-out test metrics.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

import torch
from tqdm import tqdm

from playground import distributed, weights
from playground.seg import mining
from playground.seg.tasks import LGG_CONTEXT_CHANNELS, TASKS, WEIGHT_NAMES
from playground.seg.unet import CONFIGS, UNet

DEFAULTS = {  # steps, batch, lr, minutes: sized for ~15-25 minutes on one busy CPU core
    "lgg": dict(steps=3000, batch=16, lr=3e-3, minutes=45.0),
    "em": dict(steps=1000, batch=8, lr=3e-3, minutes=18.0),
    "digits": dict(steps=1600, batch=16, lr=3e-3, minutes=22.0),
}
AUGMENT = {  # what each task's sampler does (playground/seg/tasks.py)
    "lgg": "h-flip, affine ±15° scale 0.9-1.1, gain ±10 % / bias ±5 %",
    "em": "flips, rot90, elastic (3x3 grid, σ=10 px), gain ±10 % / bias ±5 %",
    "digits": "fresh random scenes (1-5 digits, positions, scales) every batch",
}
CODE = ("playground/seg/unet.py", "playground/seg/tasks.py", "playground/seg/data.py",
        "playground/seg/scenes.py", "playground/seg/augment.py", "playground/seg/metrics.py",
        "playground/seg/train.py", "playground/seg/mining.py", "playground/seg/balance.py")


def lr_at(step: int, total: int, peak: float, warmup: int = 50, time_frac: float = 0.0) -> float:
    """Linear warm-up to ``peak`` then cosine decay to ``peak / 100``.

    Progress is ``max(step / total, time_frac)``: on a shared CPU whose speed is unknown in
    advance the schedule still anneals fully before the wall-clock budget runs out.
    """
    if step < warmup:
        return peak * (step + 1) / warmup
    t = max((step - warmup) / max(1, total - warmup), time_frac)
    return peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


BN_REFRESH_BATCHES = 50


def refresh_bn(model: torch.nn.Module, sample: Callable[[torch.Generator, int], tuple[torch.Tensor, torch.Tensor]],
               g: torch.Generator, batch: int, batches: int = BN_REFRESH_BATCHES) -> None:
    """Recompute ``model``'s BatchNorm running statistics on ``batches`` fresh training batches.

    Each statistic becomes the plain mean over the batches (``torch.optim.swa_utils.update_bn``:
    momentum ``None``, train mode, no gradients). Averaged weights need this: BatchNorm normalises
    with the statistics of *its own* weights' activations, and an average of the running
    statistics of past weights does not match them (measured: the EMA model of an LGG run at
    step 1000 predicted no tumour at all with averaged statistics).
    """
    torch.optim.swa_utils.update_bn((sample(g, batch)[0] for _ in range(batches)), model)


def _minutes_until(hhmm: str) -> float:
    """Minutes from now until today's ``HH:MM`` UTC."""
    now = datetime.datetime.now(datetime.timezone.utc)
    h, m = (int(v) for v in hhmm.split(":"))
    return (now.replace(hour=h, minute=m, second=0, microsecond=0) - now).total_seconds() / 60


def _round(d: dict) -> dict:
    return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in d.items() if k != "patient_dice"}


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, train, validate, checkpoint, evaluate on held-out data and save."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=sorted(TASKS), required=True)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=150)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (and save) after this")
    p.add_argument("--deadline", default=None,
                   help="UTC HH:MM by which training must end (shrinks the minute budget)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast (slower than fp32 on our CPU)")
    # One thread: on the shared 2-core machine (load ~12) one thread trained 5-10x faster than
    # two, whose OpenMP barriers stall whenever a sibling thread is descheduled.
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--name", default=None, help="weights name (default seg_unet_<task>)")
    p.add_argument("--base", type=int, default=None, help="U-Net base width (default: CONFIGS[task])")
    p.add_argument("--depth", type=int, default=None, help="U-Net depth (default: CONFIGS[task])")
    p.add_argument("--input-norm", action="store_true",
                   help="divide each image's channels by their foreground mean (unet.normalize_intensity)")
    p.add_argument("--channel-gain", action="store_true",
                   help="LGG only: random per-channel gains in [0.25, 1.5] on half the samples (augment.channel_gain)")
    p.add_argument("--modality-dropout", action="store_true",
                   help="LGG only: FLAIR replaces the other channels on 20 %% of the samples, the post-contrast one "
                        "on 10 %% of the rest (augment.modality_dropout)")
    p.add_argument("--dice-per-image", action="store_true",
                   help="LGG only: the loss's Dice term is the mean of each tumour slice's soft Dice "
                        "(tasks.dice_loss_per_image), not one Dice over the batch")
    p.add_argument("--dice-empty", action="store_true",
                   help="with --dice-per-image: the tumour-free slices count in that mean too, so any "
                        "predicted mass on them costs")
    p.add_argument("--context", action="store_true",
                   help="LGG only: 2.5-D input, the FLAIR of the slices below and above as two more channels "
                        "(tasks.lgg_input); on 25 %% of the samples they are the slice's own FLAIR")
    p.add_argument("--lesion-fade", action="store_true",
                   help="LGG only: on half the tumour samples, pull the FLAIR inside the mask toward the brain's "
                        "median by a random fraction in [0, 0.6] (augment.lesion_fade)")
    p.add_argument("--hard-mining", action="store_true",
                   help="LGG: draw the slices with the highest recent loss more often (seg.mining.HardPool)")
    p.add_argument("--patient-balanced", action="store_true",
                   help="LGG: draw a patient uniformly, then one of its slices (seg.balance.PatientPool)")
    p.add_argument("--fold", type=int, default=None,
                   help="LGG only: train on cross-validation fold K of --folds (data.lgg_cv_split)")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--assets-dir", default=str(weights.ASSETS_DIR), help="where to write <name>.pt/.json")
    p.add_argument("--ema", type=float, default=None, metavar="DECAY",
                   help="keep an exponential moving average of the weights and buffers, "
                        "ema <- DECAY*ema + (1-DECAY)*w after every step; it is validated and saved")
    p.add_argument("--raw-name", default=None,
                   help="with --ema: also save the raw (not averaged) weights under this name")
    args = p.parse_args(argv)
    if args.ema is not None and not 0.0 < args.ema < 1.0:
        raise SystemExit(f"--ema must be in (0, 1), got {args.ema}")
    if args.raw_name is not None and args.ema is None:
        raise SystemExit("--raw-name needs --ema")
    hp = {**DEFAULTS[args.task], **{k: v for k, v in vars(args).items()
                                    if k in ("steps", "batch", "lr") and v is not None}}
    if args.max_minutes is not None:
        hp["minutes"] = args.max_minutes
    if args.deadline:
        left = _minutes_until(args.deadline) - 2.0  # keep two minutes for the held-out evaluation
        if left < 3.0:
            raise SystemExit(f"deadline {args.deadline} UTC leaves {left:.1f} min: not training")
        hp["minutes"] = min(hp["minutes"], round(left, 1))
    name = args.name or WEIGHT_NAMES[args.task]

    # ---- setup ------------------------------------------------------------------------------
    torch.set_num_threads(args.threads)
    ctx = distributed.setup(prefer_cuda=False)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed + 1000 * ctx.rank)

    # ---- data ---------------------------------------------------------------------------------
    t0 = time.time()
    if args.channel_gain and args.task != "lgg":
        raise SystemExit("--channel-gain applies to --task lgg only")
    if args.modality_dropout and args.task != "lgg":
        raise SystemExit("--modality-dropout applies to --task lgg only")
    if args.fold is not None and args.task != "lgg":
        raise SystemExit("--fold applies to --task lgg only")
    if args.dice_per_image and args.task != "lgg":
        raise SystemExit("--dice-per-image applies to --task lgg only")
    if args.dice_empty and not args.dice_per_image:
        raise SystemExit("--dice-empty needs --dice-per-image")
    if args.context and args.task != "lgg":
        raise SystemExit("--context applies to --task lgg only")
    if args.lesion_fade and args.task != "lgg":
        raise SystemExit("--lesion-fade applies to --task lgg only")
    if args.hard_mining and args.task != "lgg":
        raise SystemExit("--hard-mining applies to --task lgg only")
    if args.patient_balanced and args.task != "lgg":
        raise SystemExit("--patient-balanced applies to --task lgg only")
    if args.patient_balanced and args.hard_mining:
        raise SystemExit("--patient-balanced and --hard-mining are two samplers: pick one")
    opts = {**({"channel_gain": True} if args.channel_gain else {}),
            **({"modality_dropout": True} if args.modality_dropout else {}),
            **({"fold": (args.fold, args.folds)} if args.fold is not None else {}),
            **({"dice_per_image": True} if args.dice_per_image else {}),
            **({"dice_empty": True} if args.dice_empty else {}),
            **({"context": True} if args.context else {}),
            **({"lesion_fade": True} if args.lesion_fade else {}),
            **({"hard_mining": True} if args.hard_mining else {}),
            **({"patient_balanced": True} if args.patient_balanced else {})}
    task = TASKS[args.task](args.data_dir, **opts)
    if ctx.is_main:
        print(f"[data] {task.dataset} (loaded in {time.time() - t0:.1f}s)")

    # ---- model --------------------------------------------------------------------------------
    cfg = CONFIGS[args.task]
    if args.base is not None or args.depth is not None or args.input_norm or args.context:
        cfg = dataclasses.replace(cfg, base=args.base or cfg.base, depth=args.depth or cfg.depth,
                                  input_norm=args.input_norm or cfg.input_norm,
                                  in_channels=LGG_CONTEXT_CHANNELS if args.context else cfg.in_channels)
    core = UNet(cfg).to(memory_format=torch.channels_last)
    model = distributed.wrap(core, ctx)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=1e-4)
    # EMA of the parameters only; its BatchNorm statistics are recomputed before each use.
    ema = None if args.ema is None else torch.optim.swa_utils.AveragedModel(
        core, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(args.ema), use_buffers=False)
    kept = core if ema is None else ema.module  # the model that is validated and saved
    g_bn = torch.Generator().manual_seed(args.seed + 7919)

    refreshed_at = -1  # the step whose average last had its statistics recomputed

    def ready(at: int) -> torch.nn.Module:
        """The kept model at step ``at``, its BatchNorm statistics recomputed (once) if it is the average."""
        nonlocal refreshed_at
        if ema is not None and refreshed_at != at:
            refresh_bn(kept, task.sample, g_bn, hp["batch"])
            refreshed_at = at
        return kept
    amp = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else nullcontext
    recipe = {**hp, "optimizer": "AdamW(wd=1e-4)", "schedule": "50-step warm-up, cosine to lr/100",
              "precision": "bf16 autocast" if args.bf16 else "fp32, channels_last",
              "world_size": ctx.world_size, "threads": args.threads, "schedule_progress": "max(step/steps, elapsed/minutes)",
              "weight_ema": args.ema,
              **({"bn_refresh": f"BatchNorm statistics recomputed on {BN_REFRESH_BATCHES} training batches"}
                 if args.ema is not None else {}),
              "loss": "cross-entropy" if args.task == "digits"
              else "BCE + soft Dice per slice (every slice)" if args.dice_empty
              else "BCE + soft Dice per tumour slice" if args.dice_per_image else "BCE + soft Dice",
              "augment": AUGMENT[args.task] + (" + per-channel gain [0.25, 1.5] on half" if args.channel_gain else "")
              + (" + FLAIR copied into all channels on 20 %, into post-contrast on 10 % of the rest"
                 if args.modality_dropout else "")
              + (" + slice context: FLAIR below/above as channels 4-5, the slice's own on 25 %"
                 if args.context else "")
              + (" + lesion fade: FLAIR in the mask pulled toward the brain median by U(0, 0.6) on half the "
                 "tumour samples" if args.lesion_fade else ""),
              **({"sampling": f"hard-example mining: each half of the batch drawn with p_i = {1 - mining.MINED:g}/N + "
                              f"{mining.MINED:g} s_i/Σs, s_i <- {1 - mining.BETA:g} s_i + {mining.BETA:g} loss_i after "
                              "each visit (seg.mining.HardPool)"}
                 if args.hard_mining else {}),
              **({"sampling": "patient-balanced: each half of the batch draws a patient uniformly, then one of "
                              "its slices, P = 1/(Q n_q) (seg.balance.PatientPool)"}
                 if args.patient_balanced else {})}
    curves: dict[str, list] = {"step": [], "loss": [], "val_step": [], "val": []}

    def save(metrics: dict, complete: bool, steps_done: int, seconds: float,
             model: torch.nn.Module | None = None, out_name: str | None = None) -> None:
        weights.save(model or kept, out_name or name, {
            "task": args.task, "config": cfg.to_dict(), "param_count": weights.param_count(core), "seed": args.seed, "recipe": recipe,
            "dataset": task.dataset, "data_hash": task.data_hash, "code_hash": weights.code_hash(*CODE),
            "metrics": metrics, "key_metric": task.key_metric, "curves": curves,
            "averaged": model is None and ema is not None,
            "steps_done": steps_done, "complete": complete, "train_seconds": round(seconds, 1),
            "hardware": weights.hardware(), "command": "python -m playground.seg.train " + " ".join(argv or sys.argv[1:])},
            assets_dir=Path(args.assets_dir))

    # ---- training -----------------------------------------------------------------------------
    start, running, step = time.time(), [], 0
    bar = tqdm(range(hp["steps"]), disable=not ctx.is_main, desc=f"train {args.task}", mininterval=5)
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, hp["steps"], hp["lr"], time_frac=(time.time() - start) / 60 / hp["minutes"])
        x, y = task.sample(g, hp["batch"])
        model.train()
        with amp():
            out = model(x.contiguous(memory_format=torch.channels_last))
        loss = task.loss(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if task.feedback is not None:
            task.feedback(out)
        if ema is not None:
            ema.update_parameters(core)
        running.append(loss.item())
        if (step + 1) % 10 == 0:
            curves["step"].append(step + 1)
            curves["loss"].append(round(distributed.all_reduce_mean(sum(running) / len(running), ctx), 5))
            running = []
            bar.set_postfix(loss=curves["loss"][-1])
        timeout = (time.time() - start) / 60 > hp["minutes"]
        if ctx.is_main and ((step + 1) % args.eval_every == 0 or timeout):
            val = task.validate(ready(step + 1))
            curves["val_step"].append(step + 1)
            curves["val"].append(_round(val))
            print(f"[val] step {step + 1}: {_round(val)} ({(time.time() - start) / 60:.1f} min)")
            save({"val": _round(val)}, False, step + 1, time.time() - start)
        if timeout:
            print(f"[train] stopping at step {step + 1}: the {hp['minutes']}-minute budget is spent")
            break
    seconds = time.time() - start

    # ---- evaluation ---------------------------------------------------------------------------
    if ctx.is_main:
        ready(step + 1)
        for model_, name_ in ((core, args.raw_name), (kept, None)) if args.raw_name else ((kept, None),):
            val = task.validate(model_)
            test = task.test(model_)
            metrics = {"val": _round(val), "test": _round(test)}
            if "patient_dice" in test:
                metrics["test_patient_dice"] = {k: round(v, 4) for k, v in test["patient_dice"].items()}
            metrics.update({k: _round(f(model_)) for k, f in task.extra_tests.items()})
            save(metrics, step + 1 >= hp["steps"], step + 1, seconds, model_ if name_ else None, name_)
        print(f"[done] {step + 1} steps in {seconds / 60:.1f} min; test {_round(test)}")
    del model  # the DDP reducer holds the process group
    distributed.cleanup(ctx)


if __name__ == "__main__":
    main()
