"""MNIST from the data directory (torchvision layout), with torchvision's download as a fallback.

The data directory is read-only and torchvision extracts the ``.gz`` files next to themselves, so
the four originals are first copied into ``config.cache_dir() / "MNIST" / "raw"``; torchvision then
finds them, skips the download (its md5 check passes) and extracts them there.

Model inputs: pixels in [0, 1] are normalised with MNIST's training statistics,
``x̂ = (x − 0.1307) / 0.3081``; LeNet-5's 32×32 input is the 28×28 image padded by 2 pixels of
background *before* normalising, so the border has the same value as the rest of the background.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from playground import config

MNIST_MEAN: float = 0.1307
MNIST_STD: float = 0.3081
MNIST_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
)


@dataclass(frozen=True)
class MnistArrays:
    """MNIST as uint8 tensors: images (N, 28, 28), labels (N,), and the source ``.gz`` files."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    gz_files: tuple[Path, ...]


def raw_dir(data_dir: str | Path | None = None) -> Path | None:
    """``<data dir>/MNIST/raw`` if it holds the four ``.gz`` files, else ``None``."""
    root = config.data_dir(data_dir)
    if root is None:
        return None
    raw = root / "MNIST" / "raw"
    return raw if all((raw / f).is_file() for f in MNIST_FILES) else None


def load_mnist(data_dir: str | Path | None = None, download: bool = True) -> MnistArrays:
    """Load MNIST (train 60,000 + test 10,000) from the data directory, or download it."""
    from torchvision.datasets import MNIST  # lazy: torchvision is heavy to import

    cache = config.cache_dir()
    cache_raw = cache / "MNIST" / "raw"
    src = raw_dir(data_dir)
    if src is not None:
        cache_raw.mkdir(parents=True, exist_ok=True)
        for f in MNIST_FILES:
            dst = cache_raw / f
            if not dst.is_file() or dst.stat().st_size != (src / f).stat().st_size:
                shutil.copyfile(src / f, dst)
    elif not download:
        raise FileNotFoundError(
            "MNIST not found: pass --data-dir (a folder holding MNIST/raw/*.gz) or set CNN_PLAYGROUND_DATA"
        )
    train = MNIST(str(cache), train=True, download=True)
    test = MNIST(str(cache), train=False, download=True)
    return MnistArrays(train.data, train.targets, test.data, test.targets,
                       tuple((src or cache_raw) / f for f in MNIST_FILES))


def to_model_input(x: torch.Tensor, in_size: int) -> torch.Tensor:
    """(N, 1, 28, 28) pixels in [0, 1] → normalised model input, padded to ``in_size`` if larger."""
    if x.dim() != 4 or x.shape[-2:] != (28, 28):
        raise ValueError(f"expected (N, 1, 28, 28) pixels, got {tuple(x.shape)}")
    pad = (in_size - 28) // 2
    if pad < 0 or in_size - 28 != 2 * pad:
        raise ValueError(f"model input side must be 28 + 2·pad, got {in_size}")
    if pad:
        x = F.pad(x, (pad, pad, pad, pad), value=0.0)
    return (x - MNIST_MEAN) / MNIST_STD
