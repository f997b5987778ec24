"""Latency histograms as stored in result files (log buckets, upper bounds in
ns): merging repetitions and reading quantiles off the cumulative counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


@dataclass(frozen=True)
class Hist:
    upper_ns: np.ndarray
    counts: np.ndarray
    min_ns: float
    max_ns: float

    @property
    def count(self) -> int:
        return int(self.counts.sum())

    def quantile(self, q: float) -> float:
        """Upper bound of the bucket that holds the ceil(q*count)-th sample,
        clamped to [min, max] (the runtime's HistogramSnapshot::quantile)."""
        n = self.count
        if n == 0:
            return 0.0
        rank = max(1, int(np.ceil(q * n)))
        i = int(np.searchsorted(np.cumsum(self.counts), rank))
        return float(min(max(self.upper_ns[i], self.min_ns), self.max_ns))


def merge(hists: Sequence[dict[str, Any]]) -> Hist:
    """Bucket-wise sum of repetitions (bounds may differ in length; the union
    of bounds is used)."""
    bounds = np.unique(np.concatenate([np.asarray(h["upper_ns"], dtype=float) for h in hists]))
    counts = np.zeros(len(bounds), dtype=np.int64)
    for h in hists:
        idx = np.searchsorted(bounds, np.asarray(h["upper_ns"], dtype=float))
        np.add.at(counts, idx, np.asarray(h["counts"], dtype=np.int64))
    nonempty = [h for h in hists if h["count"] > 0]
    lo = min((float(h["min_ns"]) for h in nonempty), default=0.0)
    hi = max((float(h["max_ns"]) for h in nonempty), default=0.0)
    return Hist(upper_ns=bounds, counts=counts, min_ns=lo, max_ns=hi)


MARKS = (("p50", 0.50), ("p99", 0.99), ("p99.9", 0.999))


def marks(h: Hist) -> dict[str, float]:
    out = {name: h.quantile(q) for name, q in MARKS}
    out["max"] = h.max_ns
    return out
