"""CIFAR-10 from the data directory (``<data_dir>/cifar10/*.npy.xz``), cached as plain ``.npy``.

The files are ``x_{train,test}.npy.xz`` (uint8, N×32×32×3, HWC) and ``y_{train,test}.npy`` (uint8
labels), read with ``np.load(lzma.open(path))`` (≈8 s); the decoded arrays are cached in
``config.cache_dir()/cifar10`` and memory-mapped afterwards. The test set is never used for
training or for any choice: ``train_val_split`` holds out part of the training set as validation.
"""

from __future__ import annotations

import lzma
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from playground import config
from playground.weights import file_hash

CLASSES: tuple[str, ...] = ("airplane", "automobile", "bird", "cat", "deer",
                            "dog", "frog", "horse", "ship", "truck")
MEAN: tuple[float, float, float] = (0.4914, 0.4822, 0.4465)
"""Per-channel mean of the CIFAR-10 training pixels in [0, 1] (the published statistics)."""
STD: tuple[float, float, float] = (0.2470, 0.2435, 0.2616)
"""Per-channel standard deviation of the training pixels in [0, 1]."""
VAL_SIZE = 5_000
DATA_HINT = ("CIFAR-10 was not found. Put x_train.npy.xz, y_train.npy, x_test.npy.xz and y_test.npy "
             "in <data dir>/cifar10 (see ../shared/data/README.md; the images are the official "
             "https://www.cs.toronto.edu/~kriz/cifar.html release) and pass --data-dir or set "
             "CNN_PLAYGROUND_DATA.")
Split = Literal["train", "test"]


def cifar_dir(data_dir: str | Path | None = None) -> Path | None:
    """``<data_dir>/cifar10`` if it holds the files, else ``None``."""
    root = config.data_dir(data_dir)
    if root is None:
        return None
    d = root / "cifar10"
    needed = ("x_train.npy.xz", "y_train.npy", "x_test.npy.xz", "y_test.npy")
    return d if all((d / f).is_file() for f in needed) else None


def _require_dir(data_dir: str | Path | None) -> Path:
    d = cifar_dir(data_dir)
    if d is None:
        raise FileNotFoundError(DATA_HINT)
    return d


def load_split(split: Split, data_dir: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images uint8 (N, 32, 32, 3), labels int64 (N,))`` for ``"train"`` or ``"test"``.

    The first call decodes the ``.xz`` file and caches it as ``.npy``; later calls memory-map it.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    d = _require_dir(data_dir)
    src = d / f"x_{split}.npy.xz"
    cache = config.cache_dir() / "cifar10"
    cache.mkdir(parents=True, exist_ok=True)
    # the cache name carries the source size, so a different data set never reuses a stale cache
    cached = cache / f"x_{split}_{src.stat().st_size}.npy"
    if not cached.is_file():
        with lzma.open(src) as f:
            x = np.load(f)
        tmp = cached.with_suffix(".tmp.npy")
        np.save(tmp, x)
        tmp.replace(cached)
    x = np.load(cached, mmap_mode="r")
    y = np.load(d / f"y_{split}.npy").astype(np.int64)
    if x.shape[1:] != (32, 32, 3) or len(x) != len(y):
        raise ValueError(f"unexpected CIFAR-10 {split} arrays: images {x.shape}, labels {y.shape}")
    return x, y


def data_hash(data_dir: str | Path | None = None) -> str:
    """sha256 over the four source files (names and bytes)."""
    d = _require_dir(data_dir)
    return file_hash([d / f for f in ("x_train.npy.xz", "y_train.npy", "x_test.npy.xz", "y_test.npy")])


def train_val_split(n: int = 50_000, val_size: int = VAL_SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random partition of ``range(n)`` into (train indices, validation indices)."""
    if not 0 <= val_size < n:
        raise ValueError(f"val_size must be in [0, {n}), got {val_size}")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[val_size:]), np.sort(perm[:val_size])


def normalize(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 HWC (N, H, W, 3) or (H, W, 3) → float NCHW ``(x/255 - mean) / std``."""
    x = torch.from_numpy(np.array(images, dtype=np.uint8, copy=True))
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must be (N, H, W, 3) uint8, got shape {tuple(x.shape)}")
    x = x.permute(0, 3, 1, 2).float().div_(255)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


class CIFAR10Arrays(Dataset):
    """A small Dataset over the arrays: item ``i`` is (normalised (3, 32, 32) tensor, label)."""

    def __init__(self, split: Split = "test", data_dir: str | Path | None = None,
                 indices: np.ndarray | None = None):
        self.images, self.labels = load_split(split, data_dir)
        self.indices = np.arange(len(self.labels)) if indices is None else np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        j = int(self.indices[i])
        return normalize(np.array(self.images[j]))[0], int(self.labels[j])
