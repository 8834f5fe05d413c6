"""Patient-balanced sampling: every patient is drawn as often, whatever its number of slices.

The per-patient Dice weighs each patient once, but a uniform draw over slices weighs a patient by
its slice count, so a large tumour spanning 30 slices is seen ten times as often as a 3-slice
lesion. :class:`PatientPool` draws a patient uniformly, then one of its slices uniformly:

    P(slice i of patient q) = 1 / (Q * n_q)

for ``Q`` patients, patient ``q`` holding ``n_q`` of the pool's slices.
"""

from __future__ import annotations

import numpy as np
import torch


class PatientPool:
    """Draws item positions ``0 .. len(patients)-1`` patient by patient."""

    def __init__(self, patients: np.ndarray) -> None:
        patients = np.asarray(patients)
        if patients.ndim != 1 or len(patients) == 0:
            raise ValueError(f"a pool needs a non-empty 1-D array of patient ids, got shape {patients.shape}")
        order = np.argsort(patients, kind="stable")  # positions grouped by patient
        _, starts, counts = np.unique(patients[order], return_index=True, return_counts=True)
        self.order = torch.from_numpy(order)
        self.starts = torch.from_numpy(starts)
        self.counts = torch.from_numpy(counts)

    @property
    def n_patients(self) -> int:
        """``Q``, the number of distinct patients."""
        return len(self.counts)

    def probabilities(self) -> np.ndarray:
        """``P(i) = 1 / (Q * n_q)`` for each position ``i`` (its patient ``q``), float64."""
        p = np.empty(len(self.order))
        for s, c in zip(self.starts.tolist(), self.counts.tolist()):
            p[self.order[s:s + c].numpy()] = 1.0 / (self.n_patients * c)
        return p

    def draw(self, g: torch.Generator, k: int) -> np.ndarray:
        """``k`` positions: a patient uniformly, then one of its slices uniformly (with replacement)."""
        q = torch.randint(0, self.n_patients, (k,), generator=g)
        r = (torch.rand(k, generator=g, dtype=torch.float64) * self.counts[q]).long()
        return self.order[self.starts[q] + r].numpy()
