"""Datasets for the training studio, preloaded as uint8 tensors in memory (read-only, cached).

- MNIST: the idx ``.gz`` files in ``<data_dir>/MNIST/raw``; 55,000 train, 5,000 held out (the
  last 5,000 of a fixed permutation of the official training set), the official 10,000 test.
- CIFAR-10 subset: ``<data_dir>/cifar10/*.npy.xz`` (cached once as ``.npy`` in the cache dir);
  ``limits.CIFAR_SUBSET_TRAIN`` train and 1,000 held-out images from the training set, the first
  ``limits.CIFAR_SUBSET_TEST`` test images.
- MNIST as 3-channel 32x32 (for transfer learning on a CIFAR backbone): zero-padded by 2 and the
  grey channel repeated, normalised with CIFAR's statistics.

Batches are converted on the fly: ``x = (uint8 / 255 - mean) / std``.
"""

from __future__ import annotations

import gzip
import lzma
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from playground import config, limits, validate
from playground.studio.presets import DataShape

MNIST = "MNIST"
CIFAR = "CIFAR-10 subset"
DATASET_CHOICES: tuple[str, ...] = (MNIST, CIFAR)
MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                 "truck")


@dataclass(frozen=True, eq=False)
class DataSplit:
    """Train / held-out / test tensors (uint8 ``(N, C, H, W)``, int64 labels) and how to normalise.

    ``pad`` and ``flip`` describe the training augmentation (random crop with that zero padding,
    random horizontal flip) applied when augmentation is on.
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_held: torch.Tensor
    y_held: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: tuple[float, ...]
    std: tuple[float, ...]
    classes: tuple[str, ...]
    pad: int = 2
    flip: bool = False

    @property
    def shape(self) -> DataShape:
        """Channels, height, width and the number of classes."""
        _, c, h, w = self.x_train.shape
        return DataShape(int(c), int(h), int(w), len(self.classes))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, C, H, W)`` → float ``(x / 255 - mean) / std`` per channel."""
        m = torch.tensor(self.mean).view(1, -1, 1, 1)
        s = torch.tensor(self.std).view(1, -1, 1, 1)
        return (x.float() / 255.0 - m) / s

    def describe(self) -> str:
        """One line: sizes of the three splits."""
        c, h, w = self.x_train.shape[1:]
        return (f"{self.name}: {len(self.x_train):,} train / {len(self.x_held):,} held-out / "
                f"{len(self.x_test):,} test images of {c}x{h}x{w}, {len(self.classes)} classes")


def _need_dir(sub: str, data_dir: str | None) -> Path:
    base = config.data_dir(data_dir)
    if base is None:
        raise ValueError(
            "no data directory found: pass --data-dir, set CNN_PLAYGROUND_DATA, or place the "
            "datasets in ../shared/data (see the README's Data section)")
    path = base / sub
    if not path.is_dir():
        raise ValueError(f"{path} does not exist: the data directory lacks {sub} (see the README)")
    return path


def _read_idx(path: Path) -> np.ndarray:
    """Read an idx file (``.gz`` or raw): big-endian header, then uint8 data."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _idx_file(root: Path, stem: str) -> Path:
    for cand in (root / f"{stem}.gz", root / stem):
        if cand.is_file():
            return cand
    raise ValueError(f"{root / (stem + '.gz')} is missing (MNIST needs the four idx files)")


@lru_cache(maxsize=2)
def load_mnist(data_dir: str | None = None) -> DataSplit:
    """MNIST as uint8 tensors (cached read-only; ~55 MB)."""
    raw = _need_dir("MNIST/raw", data_dir)
    xtr = _read_idx(_idx_file(raw, "train-images-idx3-ubyte"))
    ytr = _read_idx(_idx_file(raw, "train-labels-idx1-ubyte"))
    xte = _read_idx(_idx_file(raw, "t10k-images-idx3-ubyte"))
    yte = _read_idx(_idx_file(raw, "t10k-labels-idx1-ubyte"))
    perm = np.random.default_rng(0).permutation(len(xtr))
    tr, he = perm[:-5000], perm[-5000:]
    x = torch.from_numpy(xtr.copy()).unsqueeze(1)  # (60000, 1, 28, 28)
    y = torch.from_numpy(ytr.astype(np.int64))
    return DataSplit(MNIST, x[tr], y[tr], x[he], y[he],
                     torch.from_numpy(xte.copy()).unsqueeze(1), torch.from_numpy(yte.astype(np.int64)),
                     MNIST_MEAN, MNIST_STD, tuple(str(i) for i in range(10)), pad=2, flip=False)


def _cifar_array(root: Path, stem: str) -> np.ndarray:
    """``<stem>.npy`` from the cache, else decompress ``<stem>.npy.xz`` once and cache it."""
    if (root / f"{stem}.npy").is_file():
        return np.load(root / f"{stem}.npy", mmap_mode="r")
    cache = config.cache_dir() / f"cifar10_{stem}.npy"
    if not cache.is_file():
        src = root / f"{stem}.npy.xz"
        if not src.is_file():
            raise ValueError(f"{src} is missing (see the README's Data section)")
        with lzma.open(src) as f:
            arr = np.load(f)
        tmp = cache.with_suffix(f".tmp{id(arr)}.npy")
        np.save(tmp, arr)
        tmp.replace(cache)
    return np.load(cache, mmap_mode="r")


def _hwc_to_tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a).transpose(0, 3, 1, 2).copy())


@lru_cache(maxsize=2)
def load_cifar_subset(data_dir: str | None = None) -> DataSplit:
    """The CIFAR-10 subset (uint8, cached read-only)."""
    root = _need_dir("cifar10", data_dir)
    xtr, xte = _cifar_array(root, "x_train"), _cifar_array(root, "x_test")
    ytr = np.load(root / "y_train.npy").astype(np.int64)
    yte = np.load(root / "y_test.npy").astype(np.int64)
    n = limits.CIFAR_SUBSET_TRAIN
    perm = np.sort(np.random.default_rng(0).permutation(len(xtr))[: n + 1000])
    rng_order = np.random.default_rng(1).permutation(len(perm))
    tr, he = perm[rng_order[:n]], perm[rng_order[n:]]
    nt = limits.CIFAR_SUBSET_TEST
    return DataSplit(CIFAR, _hwc_to_tensor(xtr[np.sort(tr)]), torch.from_numpy(ytr[np.sort(tr)]),
                     _hwc_to_tensor(xtr[np.sort(he)]), torch.from_numpy(ytr[np.sort(he)]),
                     _hwc_to_tensor(xte[:nt]), torch.from_numpy(yte[:nt]),
                     CIFAR_MEAN, CIFAR_STD, CIFAR_CLASSES, pad=4, flip=True)


def load(name: str, data_dir: str | None = None) -> DataSplit:
    """The dataset called ``name`` (one of ``DATASET_CHOICES``); ``ValueError`` if unavailable."""
    if name == MNIST:
        return load_mnist(data_dir)
    if name == CIFAR:
        return load_cifar_subset(data_dir)
    raise ValueError(f"unknown dataset {validate.echo(name)}; choose one of {', '.join(DATASET_CHOICES)}")


def _subset(x: torch.Tensor, y: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return x[:n], y[:n]


@lru_cache(maxsize=2)
def mnist_rgb32(data_dir: str | None = None, n_train: int = 10_000) -> DataSplit:
    """MNIST as 3x32x32 (zero pad 2, grey repeated) with CIFAR normalisation, for transfer."""
    m = load_mnist(data_dir)

    def conv(x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.pad(x, (2, 2, 2, 2)).repeat(1, 3, 1, 1).contiguous()

    xtr, ytr = _subset(m.x_train, m.y_train, n_train)
    xhe, yhe = _subset(m.x_held, m.y_held, 1000)
    xte, yte = _subset(m.x_test, m.y_test, 2000)
    return DataSplit("MNIST as 3x32x32", conv(xtr), ytr, conv(xhe), yhe, conv(xte), yte,
                     CIFAR_MEAN, CIFAR_STD, m.classes, pad=2, flip=False)


@lru_cache(maxsize=4)
def cifar_two_classes(a: str = "cat", b: str = "dog", data_dir: str | None = None) -> DataSplit:
    """Two CIFAR-10 classes from the subset, relabelled 0 and 1."""
    if a == b or a not in CIFAR_CLASSES or b not in CIFAR_CLASSES:
        raise ValueError(f"pick two different CIFAR-10 classes from {', '.join(CIFAR_CLASSES)}")
    c = load_cifar_subset(data_dir)
    ia, ib = CIFAR_CLASSES.index(a), CIFAR_CLASSES.index(b)

    def pick(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        keep = (y == ia) | (y == ib)
        return x[keep].contiguous(), (y[keep] == ib).long()

    return DataSplit(f"CIFAR-10 {a} vs {b}", *pick(c.x_train, c.y_train), *pick(c.x_held, c.y_held),
                     *pick(c.x_test, c.y_test), CIFAR_MEAN, CIFAR_STD, (a, b), pad=4, flip=True)


def synthetic(n: int = 256, shape: DataShape = DataShape(1, 8, 8, 2), seed: int = 0) -> DataSplit:
    """A tiny learnable set for tests: class k is a bright square in quadrant k (plus noise)."""
    g = torch.Generator().manual_seed(seed)
    k = shape.num_classes

    def make(m: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, k, (m,), generator=g)
        x = torch.randint(0, 60, (m, shape.channels, shape.height, shape.width), generator=g)
        h2, w2 = shape.height // 2, shape.width // 2
        for i in range(m):
            q = int(y[i]) % 4
            r, c = (q // 2) * h2, (q % 2) * w2
            x[i, :, r:r + h2, c:c + w2] += 180
        return x.to(torch.uint8), y

    return DataSplit("synthetic", *make(n), *make(n // 4), *make(n // 4),
                     (0.3,) * shape.channels, (0.3,) * shape.channels,
                     tuple(str(i) for i in range(k)), pad=1, flip=False)
