"""Connected components of a boolean mask in any number of dimensions (vectorised numpy).

Two voxels ``a`` and ``b`` are neighbours when ``0 < sum_i |a_i - b_i| <= connectivity`` and
``max_i |a_i - b_i| = 1``: ``connectivity = 1`` is face connectivity (4 in 2-D, 6 in 3-D), and
``connectivity = ndim`` is full connectivity (8 in 2-D, 26 in 3-D), the conventions of
``scipy.ndimage.generate_binary_structure(ndim, connectivity)``.

:func:`label_components` labels with numpy array operations only (no Python loop over voxels),
so a whole 35 x 128 x 128 volume labels in milliseconds (a predicted tumour mask) to a few
tenths of a second (a random mask of half foreground).
"""

from __future__ import annotations

import itertools

import numpy as np


def neighbour_offsets(ndim: int, connectivity: int | None = None) -> list[tuple[int, ...]]:
    """The offsets of a voxel's neighbours (see the module doc); ``None`` means ``ndim``."""
    c = ndim if connectivity is None else connectivity
    if ndim < 1 or not 1 <= c <= ndim:
        raise ValueError(f"connectivity must be in 1..ndim={ndim}, got {connectivity}")
    return [o for o in itertools.product((-1, 0, 1), repeat=ndim) if 0 < sum(map(abs, o)) <= c]


def label_components(mask: np.ndarray, connectivity: int | None = None) -> tuple[np.ndarray, int]:
    """Components of ``mask``: (labels int32 of the mask's shape, 0 = off, 1..n in scan order; n).

    Vectorised hooking and pointer jumping on the ``F`` foreground voxels, numbered ``0..F-1`` in
    scan order of the mask padded by one ``False`` voxel per side (so a neighbour is flat index
    ``i + step`` and never leaves the array):

    - every voxel ``v`` starts as its own root, ``L[v] = v``;
    - **hook**: for every edge ``(u, v)`` between neighbours whose roots differ, the roots
      ``L[u]`` and ``L[v]`` both point to ``min(L[u], L[v])``; edges whose ends share a root are
      settled and drop out of later rounds;
    - **jump**: ``L <- L[L]`` until every voxel points at a root (``L[L] = L``);
    - stop when no edge joins two roots. ``L[v]`` is always a voxel of ``v``'s component and
      never grows, so each component ends with one root, its first voxel in scan order, and the
      roots ranked in scan order (``cumsum(L = v)``) are the labels.
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim == 0:
        raise ValueError("mask must have at least one dimension")
    pad = np.pad(m, 1)
    flat = pad.ravel()
    strides = np.array(pad.strides) // pad.itemsize
    steps = [int(np.dot(o, strides)) for o in neighbour_offsets(m.ndim, connectivity)]
    fg = np.flatnonzero(flat)
    number = np.full(flat.size, -1, np.int64)
    number[fg] = np.arange(fg.size)
    src_parts, dst_parts = [fg[:0]], [fg[:0]]
    for s in (s for s in steps if s > 0):  # each edge once: from the voxel to its "later" neighbour
        on = flat[fg + s]
        src_parts.append(np.flatnonzero(on))
        dst_parts.append(number[fg[on] + s])
    src, dst = np.concatenate(src_parts), np.concatenate(dst_parts)
    roots = np.arange(fg.size)
    while True:
        a, b = roots[src], roots[dst]
        apart = a != b
        if not apart.any():
            break
        src, dst, a, b = src[apart], dst[apart], a[apart], b[apart]
        low = np.minimum(a, b)
        np.minimum.at(roots, a, low)
        np.minimum.at(roots, b, low)
        while not np.array_equal(jumped := roots[roots], roots):
            roots = jumped
    rank = np.cumsum(roots == np.arange(fg.size), dtype=np.int32)
    lab = np.zeros(flat.size, np.int32)
    lab[fg] = rank[roots]
    inner = tuple(slice(1, -1) for _ in range(m.ndim))
    return lab.reshape(pad.shape)[inner].copy(), int(rank[-1]) if fg.size else 0


def largest_component(mask: np.ndarray, connectivity: int | None = 1) -> np.ndarray:
    """``mask`` with only its largest component kept (face-connected by default; the first in scan
    order on a tie)."""
    lab, n = label_components(mask, connectivity)
    if n <= 1:
        return lab > 0
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    sizes[0] = 0
    return lab == int(np.argmax(sizes))
