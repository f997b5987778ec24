"""Statistics the report shows. Every estimator and test comes from scipy /
statsmodels; this module only chooses them and packages the results.

- Summary: median with a percentile-bootstrap 95 % CI (scipy.stats.bootstrap),
  quartiles and IQR (numpy/scipy), Tukey fences (Q1 - 1.5 IQR, Q3 + 1.5 IQR):
  samples outside are flagged as outliers and kept.
- A/B: Mann-Whitney U two-sided (scipy.stats.mannwhitneyu), rank-biserial effect
  size r = 2 U_new / (n_new n_base) - 1 (> 0: new tends to be larger = slower),
  ratio of medians with a bootstrap CI; Benjamini-Hochberg across a suite
  (statsmodels.stats.multitest.multipletests, method fdr_bh).
- Geometric mean of ratios (scipy.stats.gmean) with a bootstrap CI over workloads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

CONFIDENCE = 0.95
ALPHA = 0.05
NOISE_FLOOR = 0.03  # |ratio - 1| below this is "~" even when significant
MIN_REPS = 5  # fewer repetitions: the report warns
_RESAMPLES = 2000
_SEED = 20261201  # bootstrap is seeded: the same data renders the same report


@dataclass(frozen=True)
class Summary:
    n: int
    median: float
    ci_low: float
    ci_high: float
    q1: float
    q3: float
    iqr: float
    fence_low: float
    fence_high: float
    outliers: tuple[float, ...]
    minimum: float
    maximum: float


def _rng() -> np.random.Generator:
    return np.random.default_rng(_SEED)


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(x, axis=axis)


def median_ci(samples: Sequence[float]) -> tuple[float, float]:
    """Percentile-bootstrap CI of the median; a single sample or constant
    samples give a zero-width interval (no resampling can move them)."""
    x = np.asarray(samples, dtype=float)
    if len(x) < 2 or np.all(x == x[0]):
        return float(x[0]), float(x[0])
    res = sps.bootstrap((x,), _median, confidence_level=CONFIDENCE, n_resamples=_RESAMPLES,
                        method="percentile", vectorized=True, random_state=_rng())
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarize(samples: Sequence[float]) -> Summary:
    if len(samples) == 0:
        raise ValueError("summarize: no samples")
    x = np.asarray(samples, dtype=float)
    q1, med, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    iqr = float(sps.iqr(x))
    lo, hi = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    ci = median_ci(x)
    return Summary(n=len(x), median=med, ci_low=ci[0], ci_high=ci[1], q1=q1, q3=q3, iqr=iqr,
                   fence_low=lo, fence_high=hi,
                   outliers=tuple(float(v) for v in x if v < lo or v > hi),
                   minimum=float(x.min()), maximum=float(x.max()))


def ratio_of_medians(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """median(a)/median(b) and its percentile-bootstrap CI (independent samples)."""
    xa, xb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    point = float(np.median(xa) / np.median(xb))
    if len(xa) < 2 or len(xb) < 2 or (np.all(xa == xa[0]) and np.all(xb == xb[0])):
        return point, point, point

    def stat(u: np.ndarray, v: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(u, axis=axis) / np.median(v, axis=axis)

    res = sps.bootstrap((xa, xb), stat, confidence_level=CONFIDENCE, n_resamples=_RESAMPLES,
                        method="percentile", vectorized=True, paired=False, random_state=_rng())
    return point, float(res.confidence_interval.low), float(res.confidence_interval.high)


@dataclass
class Comparison:
    ratio: float  # median(new) / median(base); < 1: new is faster
    ratio_low: float
    ratio_high: float
    p: float  # Mann-Whitney U two-sided
    effect: float  # rank-biserial correlation in [-1, 1]
    n_new: int
    n_base: int
    q: float = math.nan  # Benjamini-Hochberg adjusted p (set by adjust())
    significant: bool = False
    verdict: str = "~"  # "faster" | "slower" | "~"
    notes: list[str] = field(default_factory=list)


def compare(new: Sequence[float], base: Sequence[float]) -> Comparison:
    x, y = np.asarray(new, dtype=float), np.asarray(base, dtype=float)
    ratio, lo, hi = ratio_of_medians(x, y)
    if np.all(np.concatenate([x, y]) == x[0]):
        p, u = 1.0, len(x) * len(y) / 2.0  # identical data: no evidence either way
    else:
        res = sps.mannwhitneyu(x, y, alternative="two-sided")
        p, u = float(res.pvalue), float(res.statistic)
    effect = 2.0 * u / (len(x) * len(y)) - 1.0
    c = Comparison(ratio=ratio, ratio_low=lo, ratio_high=hi, p=p, effect=effect, n_new=len(x), n_base=len(y))
    if min(len(x), len(y)) < MIN_REPS:
        c.notes.append(f"only {min(len(x), len(y))} repetitions (< {MIN_REPS}): the test has little power")
    return c


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    if not pvalues:
        return []
    _, q, _, _ = multipletests(list(pvalues), alpha=ALPHA, method="fdr_bh")
    return [float(v) for v in q]


def adjust(comparisons: Sequence[Comparison], alpha: float = ALPHA, noise_floor: float = NOISE_FLOOR) -> None:
    """Benjamini-Hochberg across `comparisons` (one suite), then a verdict:
    significant after BH and beyond the noise floor, else "~"."""
    qs = bh_adjust([c.p for c in comparisons])
    for c, q in zip(comparisons, qs):
        c.q = q
        c.significant = q < alpha and abs(c.ratio - 1.0) >= noise_floor
        c.verdict = ("slower" if c.ratio > 1 else "faster") if c.significant else "~"


def geomean_ci(ratios: Sequence[float]) -> tuple[float, float, float]:
    """Geometric mean of ratios; CI by bootstrapping the workloads (needs >= 3,
    otherwise the interval is reported as NaN)."""
    r = np.asarray(ratios, dtype=float)
    g = float(sps.gmean(r))
    if len(r) < 3 or np.all(r == r[0]):
        return g, math.nan, math.nan
    res = sps.bootstrap((r,), sps.gmean, confidence_level=CONFIDENCE, n_resamples=_RESAMPLES,
                        method="percentile", random_state=_rng())
    return g, float(res.confidence_interval.low), float(res.confidence_interval.high)


@dataclass(frozen=True)
class ChangePoint:
    index: int  # the point starts a new level: series[index] differs from series[index-1]
    ratio: float
    q: float


def change_points_many(serieses: Sequence[Sequence[Sequence[float]]], alpha: float = ALPHA,
                       noise_floor: float = NOISE_FLOOR) -> list[list[ChangePoint]]:
    """Change points in several histories (each: one sample list per commit,
    oldest first), e.g. every workload x machine of a report.

    Method (documented in reports/README.md): each pair of adjacent commits of a
    series is tested with Mann-Whitney U (two-sided); the p-values of ALL pairs
    of all series are Benjamini-Hochberg adjusted together; a commit is a change
    point when q < alpha and its median moved by at least the noise floor
    relative to the previous commit.
    """
    comps = [[compare(s[i], s[i - 1]) for i in range(1, len(s))] for s in serieses]
    adjust([c for cs in comps for c in cs], alpha, noise_floor)
    return [[ChangePoint(index=i + 1, ratio=c.ratio, q=c.q) for i, c in enumerate(cs) if c.significant]
            for cs in comps]


def change_points(series: Sequence[Sequence[float]], alpha: float = ALPHA,
                  noise_floor: float = NOISE_FLOOR) -> list[ChangePoint]:
    """change_points_many for one series."""
    return change_points_many([series], alpha, noise_floor)[0]
