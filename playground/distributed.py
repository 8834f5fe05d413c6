"""Optional data parallelism for the command-line training scripts.

Every training script runs unchanged as one process (``python -m playground.<x>.train``) or
data-parallel under ``torchrun --nproc_per_node=N -m playground.<x>.train`` with
DistributedDataParallel: gloo on CPU, nccl on GPU. With DDP each rank sees ``1/N`` of every epoch
(``DistributedSampler``) and gradients are averaged by all-reduce, so the ranks' parameters stay
identical after every step.

Usage in a script::

    ctx = distributed.setup()                 # reads torchrun's env vars; no-op when absent
    model = distributed.wrap(model, ctx)      # DDP or the model itself
    sampler = distributed.sampler(dataset, ctx, shuffle=True, seed=seed)
    loader = DataLoader(dataset, batch_size=b, sampler=sampler, shuffle=sampler is None and True)
    for epoch in ...: distributed.set_epoch(sampler, epoch)
    if ctx.is_main: save weights / print
    del model                                 # the DDP reducer holds the process group
    distributed.cleanup(ctx)                  # barrier, then destroy the group
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.utils.data import Dataset, DistributedSampler


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: rank, world size and device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        """True on rank 0 (the rank that prints, evaluates and saves)."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """True when running under torchrun with more than one process."""
        return self.world_size > 1


def setup(prefer_cuda: bool = True) -> DistContext:
    """Initialise the process group if launched by torchrun (``WORLD_SIZE`` > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    cuda = prefer_cuda and torch.cuda.is_available()
    if world <= 1:
        return DistContext(device=torch.device("cuda" if cuda else "cpu"))
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(local)
    return DistContext(rank, world, local, torch.device(f"cuda:{local}" if cuda else "cpu"))


def wrap(model: torch.nn.Module, ctx: DistContext) -> torch.nn.Module:
    """Move ``model`` to the context's device and wrap it in DDP when distributed."""
    model = model.to(ctx.device)
    if not ctx.enabled:
        return model
    ids = [ctx.local_rank] if ctx.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The underlying module of a DDP wrapper (for saving a clean ``state_dict``)."""
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def sampler(dataset: Dataset, ctx: DistContext, shuffle: bool = True,
            seed: int = 0) -> DistributedSampler | None:
    """A ``DistributedSampler`` when distributed, else ``None`` (use ``shuffle=`` on the loader)."""
    if not ctx.enabled:
        return None
    return DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank,
                              shuffle=shuffle, seed=seed, drop_last=True)


def set_epoch(s: DistributedSampler | None, epoch: int) -> None:
    """Reshuffle a distributed sampler for ``epoch`` (no-op without one)."""
    if s is not None:
        s.set_epoch(epoch)


def all_reduce_mean(value: float, ctx: DistContext) -> float:
    """Average a Python float over ranks (for logging); identity when not distributed."""
    if not ctx.enabled:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    return float(t.item()) / ctx.world_size


def cleanup(ctx: DistContext) -> None:
    """Destroy the process group if one was created.

    All ranks meet at a barrier first, so no rank tears its Gloo pairs down while a peer still
    sends on them (under load that ended a rank with ``std::terminate`` / SIGABRT at exit). Drop
    the DDP wrapper before calling this: its reducer holds the process group.
    """
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
