"""Check that data-parallel training keeps every rank's parameters identical after every step.

Run on two CPU processes (gloo)::

    OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node=2 -m playground.studio.ddp_check \
        --steps 3 --out /tmp/ddp.json

or as one process emulating N ranks (the reference: one big batch made of the N ranks' batches)::

    python -m playground.studio.ddp_check --emulate 2 --steps 3 --out /tmp/ref.json

It uses ``playground.distributed`` exactly like the training scripts: ``setup``, ``wrap``,
``sampler``, ``set_epoch``, ``all_reduce_mean``, ``cleanup``. After each step the ranks all-gather
their flattened parameters and rank 0 records whether they are bitwise identical. DDP averages
gradients over ranks, so with equal per-rank batches the step equals one step on the union batch:
    g = (1/N) Σ_r ∇ mean_{i ∈ B_r} loss_i = ∇ mean_{i ∈ ∪B_r} loss_i
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from playground import distributed


# ---- data and model -----------------------------------------------------------------------------
def make_data(n: int = 64) -> TensorDataset:
    """A small synthetic set, identical on every rank (fixed seed)."""
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g))


def make_model() -> nn.Module:
    """A tiny CNN with a fixed seed (DDP also broadcasts rank 0's weights when wrapping)."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64, 3))


def flat_params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in distributed.unwrap(model).parameters()])


# ---- training -----------------------------------------------------------------------------------
def run_ddp(steps: int, batch: int) -> dict:
    """Train under torchrun; return (on rank 0) the per-step identity records and final params."""
    ctx = distributed.setup(prefer_cuda=False)
    torch.set_num_threads(1)
    ds = make_data()
    model = distributed.wrap(make_model(), ctx)
    sampler = distributed.sampler(ds, ctx, shuffle=True, seed=0)
    loader = DataLoader(ds, batch_size=batch, sampler=sampler, shuffle=sampler is None)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    records, step, epoch = [], 0, 0
    while step < steps:
        distributed.set_epoch(sampler, epoch)
        for x, y in loader:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            flat = flat_params(model)
            gathered = [torch.zeros_like(flat) for _ in range(ctx.world_size)]
            if ctx.enabled:
                dist.all_gather(gathered, flat)
            else:
                gathered = [flat]
            records.append({
                "step": step,
                "identical": all(torch.equal(g, gathered[0]) for g in gathered),
                "max_abs_diff": max(float((g - gathered[0]).abs().max()) for g in gathered),
                "loss": distributed.all_reduce_mean(float(loss.detach()), ctx),
            })
            if step >= steps:
                break
        epoch += 1
    out = {"world_size": ctx.world_size, "records": records, "params": flat_params(model).tolist()}
    del model, opt, loader  # the DDP reducer holds the process group
    distributed.cleanup(ctx)
    return out if ctx.is_main else {}


def run_emulated(world: int, steps: int, batch: int) -> dict:
    """One process: each step uses the union of the ``world`` ranks' batches (the DDP reference)."""
    torch.set_num_threads(1)
    ds = make_data()
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    samplers = [DistributedSampler(ds, num_replicas=world, rank=r, shuffle=True, seed=0,
                                   drop_last=True) for r in range(world)]
    step, epoch = 0, 0
    while step < steps:
        for s in samplers:
            s.set_epoch(epoch)
        orders = [list(s) for s in samplers]
        for i in range(0, len(orders[0]), batch):
            loss = sum(nn.functional.cross_entropy(model(ds.tensors[0][o[i:i + batch]]),
                                                   ds.tensors[1][o[i:i + batch]]) for o in orders) / world
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step >= steps:
                break
        epoch += 1
    return {"world_size": 1, "emulated": world, "params": flat_params(model).tolist()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8, help="per-rank batch size")
    parser.add_argument("--emulate", type=int, default=0, help="emulate N ranks in one process")
    parser.add_argument("--out", type=Path, required=True, help="JSON result (written by rank 0)")
    args = parser.parse_args(argv)
    res = (run_emulated(args.emulate, args.steps, args.batch) if args.emulate
           else run_ddp(args.steps, args.batch))
    if res:
        args.out.write_text(json.dumps(res))
        print(json.dumps({k: v for k, v in res.items() if k != "params"}))


if __name__ == "__main__":
    main()
    # The check is done and the process group destroyed. Skip the interpreter's teardown: under
    # load, Gloo's C++ threads could still end a rank there with std::terminate (SIGABRT,
    # "terminate called without an active exception"), which torchrun reports as a failed run.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
