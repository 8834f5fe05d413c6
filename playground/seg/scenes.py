"""Multi-digit scenes from MNIST: an image, a semantic mask, instance ids and boxes.

A scene is a ``side x side`` black canvas with 1-5 MNIST digits pasted at random positions and
scales (white ink, composited with ``max``). Labels, per pixel:

- ``semantic``: 0 = background, ``1 + d`` for digit ``d`` (11 classes);
- ``instance``: 0 = background, ``k`` = the k-th digit of the scene (1-based);
- ``boxes[k-1] = (x0, y0, x1, y1)``: the tight box of instance k's pixels, ``x1``/``y1`` exclusive;
- ``labels[k-1]``: its digit.

A pixel belongs to a digit when that digit's ink there is ``>= INK_THRESHOLD``; where two digits
overlap it belongs to the one with more ink. Boxes are computed from the instance mask, so masks,
ids and boxes always agree. Digits that end up with no visible pixel are dropped.

Training scenes draw from MNIST *training* digits; test scenes from MNIST *test* digits only.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from playground import config

NUM_CLASSES = 11  # background + 10 digits
INK_THRESHOLD = 0.35
SCENE_SIDE = 64
PATCH_RANGE = (20, 40)  # side of the pasted 28x28 MNIST patch (its digit is ~70 % of it)
MAX_OVERLAP = 0.15  # max fraction of the smaller patch that two digits' ink boxes may share
CLASS_NAMES = ["background"] + [str(d) for d in range(10)]


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (``.gz``): magic ``0x0000 dtype ndim``, big-endian dims, then the data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@lru_cache(maxsize=2)
def load_mnist(split: str, data_root: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST ``(images (N, 28, 28) uint8, labels (N,) uint8)`` for ``split`` in train/test."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = config.data_dir(data_root)
    raw = root / "MNIST" / "raw" if root else None
    if raw is None or not raw.is_dir():
        raise FileNotFoundError("MNIST not found: pass --data-dir or set "
                                f"{config.DATA_ENV_VAR} to a folder with MNIST/raw/*.gz")
    prefix = "train" if split == "train" else "t10k"
    return (_read_idx(raw / f"{prefix}-images-idx3-ubyte.gz"),
            _read_idx(raw / f"{prefix}-labels-idx1-ubyte.gz"))


def mnist_files(data_root: str | None = None) -> list[Path]:
    """The four MNIST files (for the data hash)."""
    root = config.data_dir(data_root)
    return sorted((root / "MNIST" / "raw").glob("*-ubyte.gz")) if root else []


@dataclass
class Scene:
    """One generated scene."""

    image: np.ndarray  # (H, W) float32 in [0, 1], white ink on black
    semantic: np.ndarray  # (H, W) int64, 0 background, 1 + digit
    instance: np.ndarray  # (H, W) int32, 0 background, 1..n
    boxes: np.ndarray  # (n, 4) int: x0, y0, x1, y1 (exclusive)
    labels: np.ndarray  # (n,) int digits


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection of boxes a and b over the smaller box's area."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / max(small, 1)


def make_scene(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray,
               side: int = SCENE_SIDE, n_range: tuple[int, int] = (1, 5),
               patch_range: tuple[int, int] = PATCH_RANGE, max_overlap: float = MAX_OVERLAP) -> Scene:
    """Paste ``n`` random digits (``n`` uniform in ``n_range``) onto a ``side x side`` canvas."""
    if side < patch_range[1]:
        raise ValueError(f"side {side} is smaller than the largest patch {patch_range[1]}")
    n = int(rng.integers(n_range[0], n_range[1] + 1))
    layers: list[np.ndarray] = []
    placed_boxes: list[tuple[int, int, int, int]] = []
    placed_labels: list[int] = []
    for _ in range(n):
        for _attempt in range(30):
            s = int(rng.integers(patch_range[0], patch_range[1] + 1))
            x, y = int(rng.integers(0, side - s + 1)), int(rng.integers(0, side - s + 1))
            idx = int(rng.integers(0, len(digits)))
            patch = np.asarray(Image.fromarray(digits[idx]).resize((s, s), Image.Resampling.BILINEAR),
                               dtype=np.float32) / 255.0
            ys, xs = np.nonzero(patch >= INK_THRESHOLD)
            if len(ys) == 0:
                continue
            box = (x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1)
            if all(_overlap(box, b) <= max_overlap for b in placed_boxes):
                layer = np.zeros((side, side), np.float32)
                layer[y:y + s, x:x + s] = patch
                layers.append(layer)
                placed_boxes.append(box)
                placed_labels.append(int(labels[idx]))
                break
    if not layers:
        return Scene(np.zeros((side, side), np.float32), np.zeros((side, side), np.int64),
                     np.zeros((side, side), np.int32), np.zeros((0, 4), int), np.zeros(0, int))
    stack = np.stack(layers)  # (n, H, W)
    image = stack.max(0)
    owner = stack.argmax(0)  # the digit with most ink at each pixel
    fg = image >= INK_THRESHOLD
    instance = np.zeros((side, side), np.int32)
    semantic = np.zeros((side, side), np.int64)
    boxes, labs = [], []
    for k in range(len(layers)):
        m = fg & (owner == k)
        if not m.any():
            continue  # fully hidden by other digits
        kid = len(labs) + 1
        instance[m] = kid
        semantic[m] = 1 + placed_labels[k]
        ys, xs = np.nonzero(m)
        boxes.append((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
        labs.append(placed_labels[k])
    return Scene(image, semantic, instance, np.array(boxes, int).reshape(-1, 4), np.array(labs, int))


def scene_batch(rng: np.random.Generator, digits: np.ndarray, labels: np.ndarray, n: int,
                side: int = SCENE_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """``n`` scenes as arrays: images (n, 1, side, side) float32, semantic (n, side, side) int64."""
    scenes = [make_scene(rng, digits, labels, side) for _ in range(n)]
    return (np.stack([s.image for s in scenes])[:, None], np.stack([s.semantic for s in scenes]))


def test_scenes(n: int = 500, seed: int = 2024, side: int = SCENE_SIDE,
                data_root: str | None = None) -> list[Scene]:
    """The fixed evaluation scenes: ``n`` scenes of MNIST *test* digits, seed ``seed``."""
    digits, labels = load_mnist("test", data_root)
    rng = np.random.default_rng(seed)
    return [make_scene(rng, digits, labels, side) for _ in range(n)]
