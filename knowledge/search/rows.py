"""From rows (chunks, or embedded chunks) to procedures: scores are computed per row and both
scorers keep each procedure's best row."""

from __future__ import annotations

import numpy as np


class ProcedureRows:
    """The procedure number of each row, and the max of a row value per procedure."""

    def __init__(self, procedure: np.ndarray, n: int) -> None:
        self.procedure = procedure
        self.n = n
        self.starts = group_starts(procedure, n)

    def max(self, values: np.ndarray) -> np.ndarray:
        """Max of row values per procedure; uses the fast path (`starts`) when every procedure
        has rows and rows are grouped by procedure."""
        if self.starts is not None:
            return np.maximum.reduceat(values, self.starts).astype(np.float64)
        out = np.full(self.n, -np.inf if values.min(initial=0) < 0 else 0.0, dtype=np.float64)
        np.maximum.at(out, self.procedure, values)
        return out


def group_starts(procedure: np.ndarray, n: int) -> np.ndarray | None:
    """First row of each procedure when rows are grouped by procedure and none is missing."""
    if not len(procedure) or np.any(np.diff(procedure) < 0):
        return None
    starts = np.searchsorted(procedure, np.arange(n))
    present = np.zeros(n, dtype=bool)
    present[procedure] = True
    return starts if present.all() else None
