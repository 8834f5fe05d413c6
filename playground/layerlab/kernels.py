"""Kernels for the Layer Lab: the course's presets, a safe parser for typed kernels, random kernels.

All kernels are float32 numpy arrays ``(kh, kw)``. A bank of kernels of different sizes is
embedded (zero-padded, centred) into the largest size so one ``F.conv2d`` call computes every map
exactly: a kernel surrounded by zeros gives the same products as the kernel itself, shifted only
when the size difference is odd (then the extra zero row/column is at the bottom/right).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from playground import limits, validate

__all__ = ["PRESETS", "PRESET_NAMES", "preset", "parse_kernel", "random_kernels", "KernelBank",
           "kernel_bank", "kernel_to_text"]

_P = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "gaussian": [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
    "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "laplacian": [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "emboss": [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]],
    "outline": [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]],
}
PRESETS: dict[str, np.ndarray] = {}
for _name, _rows in _P.items():
    _k = np.asarray(_rows, dtype=np.float32)
    _k.setflags(write=False)
    PRESETS[_name] = _k
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)
"""Preset names in display order: identity, box blur, gaussian, sharpen, sobel x, sobel y,
laplacian, emboss, outline."""

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MAX_ABS = 1e6


def preset(name: str) -> np.ndarray:
    """Return a copy of the preset kernel ``name`` (case-insensitive)."""
    key = str(name).strip().lower()
    if key not in PRESETS:
        raise ValueError(f"unknown kernel preset {validate.echo(name)}; choose one of {', '.join(PRESET_NAMES)}")
    return PRESETS[key].copy()


def _token(tok: str) -> float:
    """One number: ``-1``, ``0.25``, ``1e-3`` or a fraction ``1/9``."""
    if "/" in tok:
        num, _, den = tok.partition("/")
        if not (_NUMBER.match(num) and _NUMBER.match(den)):
            raise ValueError(f"{validate.echo(tok)} is not a number or a fraction like 1/9")
        d = float(den)
        if d == 0:
            raise ValueError(f"{validate.echo(tok)} divides by zero")
        return float(num) / d
    if tok.lower() in ("nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity"):
        raise ValueError(f"values must be finite numbers, got {validate.echo(tok)}")
    if not _NUMBER.match(tok):
        raise ValueError(f"{tok[:20]!r} is not a number (write e.g. 0 -1 0; -1 5 -1; 0 -1 0)")
    return float(tok)


def parse_kernel(text: str, max_side: int = limits.MAX_KERNEL_SIDE, what: str = "custom kernel"
                 ) -> np.ndarray:
    """Parse a kernel typed as a matrix, without ``eval``.

    Accepted forms: ``[[0,-1,0],[-1,5,-1],[0,-1,0]]``, rows on separate lines (numbers separated by
    spaces or commas), or rows separated by ``;``. Fractions like ``1/9`` are allowed. Raises
    ``ValueError`` for empty, ragged, non-finite, non-numeric, too large (> ``max_side`` per side)
    or huge (|x| > 1e6) input.
    """
    if not isinstance(text, str):
        raise ValueError(f"the {what} must be text, got {type(text).__name__}")
    if len(text) > limits.MAX_KERNEL_TEXT:
        raise ValueError(f"the {what} text is {len(text)} characters; the limit is {limits.MAX_KERNEL_TEXT}")
    t = text.replace("\u2212", "-").strip()
    if not t:
        raise ValueError(f"the {what} is empty: type rows like  0 -1 0; -1 5 -1; 0 -1 0")
    if t.count("[") != t.count("]") or t.count("(") != t.count(")"):
        raise ValueError(f"unbalanced brackets in the {what}")
    inner = re.findall(r"[\[(]([^\[\]()]*)[\])]", t)
    nested = re.search(r"[\[(]\s*[\[(]", t) is not None
    if nested and inner:
        rows_text = inner
    else:
        rows_text = re.split(r"[;\n]+", re.sub(r"[\[\]()]", " ", t))
    rows: list[list[float]] = []
    for rt in rows_text:
        toks = [x for x in re.split(r"[,\s]+", rt.strip()) if x]
        if toks:
            try:
                rows.append([_token(x) for x in toks])
            except ValueError as exc:
                raise ValueError(f"{what}: {exc}") from None
    if not rows:
        raise ValueError(f"the {what} has no numbers")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"the {what} is ragged: rows have {sorted(widths)} numbers; every row "
                         "needs the same count")
    kh, kw = len(rows), widths.pop()
    if kh > max_side or kw > max_side:
        raise ValueError(f"the {what} is {kh}×{kw}; the limit is {max_side}×{max_side}")
    k = np.asarray(rows, dtype=np.float64)
    if np.abs(k).max() > _MAX_ABS:
        raise ValueError(f"{what} values must be within ±{_MAX_ABS:g}")
    return k.astype(np.float32)


def random_kernels(n: int, kh: int, kw: int, seed: int = 0) -> np.ndarray:
    """``n`` seeded random kernels ``(n, kh, kw)``: zero-mean, unit L1 norm (edge-like filters)."""
    for name, v, hi in (("number of random kernels", n, limits.MAX_FEATURE_KERNELS),
                        ("kernel height", kh, limits.MAX_KERNEL_SIDE),
                        ("kernel width", kw, limits.MAX_KERNEL_SIDE)):
        if not 1 <= v <= hi:
            raise ValueError(f"{name} must be between 1 and {hi}, got {v}")
    rng = np.random.default_rng(int(seed))
    k = rng.standard_normal((n, kh, kw))
    if kh * kw > 1:
        k -= k.mean(axis=(1, 2), keepdims=True)
    k /= np.maximum(np.abs(k).sum(axis=(1, 2), keepdims=True), 1e-12)
    return k.astype(np.float32)


@dataclass(frozen=True)
class KernelBank:
    """Kernels ``(K, kh, kw)`` sharing one size, their titles, and notes on any zero-embedding."""

    kernels: np.ndarray
    titles: tuple[str, ...]
    notes: tuple[str, ...]


def _embed(k: np.ndarray, kh: int, kw: int) -> np.ndarray:
    out = np.zeros((kh, kw), dtype=np.float32)
    top, left = (kh - k.shape[0]) // 2, (kw - k.shape[1]) // 2
    out[top:top + k.shape[0], left:left + k.shape[1]] = k
    return out


def kernel_bank(names: list[str] | tuple[str, ...], custom: str = "", n_random: int = 0,
                random_size: tuple[int, int] = (3, 3), seed: int = 0) -> KernelBank:
    """Collect presets ``names``, an optional typed ``custom`` kernel and ``n_random`` seeded
    random kernels into one bank of the largest size (at most ``MAX_FEATURE_KERNELS``)."""
    ks: list[np.ndarray] = [preset(n) for n in names]
    titles = [str(n).lower() for n in names]
    if custom and custom.strip():
        ks.append(parse_kernel(custom))
        titles.append("custom")
    if n_random:
        rk = random_kernels(int(n_random), int(random_size[0]), int(random_size[1]), seed)
        ks.extend(rk)
        titles.extend(f"random {i} (seed {seed})" for i in range(len(rk)))
    if not ks:
        raise ValueError("choose at least one kernel: a preset, a custom kernel or random kernels")
    if len(ks) > limits.MAX_FEATURE_KERNELS:
        raise ValueError(f"{len(ks)} kernels chosen; the limit is {limits.MAX_FEATURE_KERNELS}")
    kh = max(k.shape[0] for k in ks)
    kw = max(k.shape[1] for k in ks)
    notes = tuple(f"{t} ({k.shape[0]}×{k.shape[1]}) is embedded in a {kh}×{kw} kernel of zeros"
                  for t, k in zip(titles, ks) if k.shape != (kh, kw))
    bank = np.stack([_embed(k, kh, kw) for k in ks])
    return KernelBank(bank, tuple(titles), notes)


def kernel_to_text(k: np.ndarray) -> str:
    """Format a kernel as rows of numbers (6 significant digits) that :func:`parse_kernel` reads."""
    return "\n".join(" ".join(f"{float(v):.6g}" for v in row) for row in np.asarray(k))
