from __future__ import annotations

import math

import numpy as np
import pytest

from gmpkit_reports import histogram, stats


def test_summary_quartiles_and_tukey_outliers() -> None:
    s = stats.summarize([10, 11, 12, 13, 14, 15, 16, 17, 100])
    assert s.n == 9 and s.median == 14
    assert (s.q1, s.q3, s.iqr) == (12, 16, 4)
    assert (s.fence_low, s.fence_high) == (6, 22)
    assert s.outliers == (100.0,)  # flagged, and still counted in n
    assert s.ci_low <= s.median <= s.ci_high


def test_median_ci_is_deterministic_and_degenerate_cases() -> None:
    x = [5.0, 7.0, 6.0, 9.0, 6.5, 7.5]
    assert stats.median_ci(x) == stats.median_ci(x)
    assert stats.median_ci([3.0]) == (3.0, 3.0)
    assert stats.median_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)


def test_compare_detects_shift_and_sign_of_effect() -> None:
    base = [100, 101, 99, 100.5, 100.2, 99.7, 100.1, 99.9]
    slower = [v * 1.2 for v in base]
    c = stats.compare(slower, base)
    assert c.p < 0.001
    assert c.effect == pytest.approx(1.0)  # every new sample above every base sample
    assert c.ratio == pytest.approx(1.2)
    assert c.ratio_low <= 1.2 <= c.ratio_high
    stats.adjust([c])
    assert c.significant and c.verdict == "slower"


def test_identical_samples_are_not_significant() -> None:
    c = stats.compare([1.0] * 6, [1.0] * 6)
    assert c.p == 1.0 and c.effect == 0.0
    stats.adjust([c])
    assert c.verdict == "~"


def test_noise_floor_hides_tiny_but_significant_shift() -> None:
    base = [100 + 0.01 * i for i in range(10)]
    new = [v * 1.01 for v in base]  # 1 %: below the 3 % noise floor
    c = stats.compare(new, base)
    stats.adjust([c])
    assert c.q < 0.05 and c.verdict == "~"


def test_too_few_repetitions_warns() -> None:
    assert any("repetitions" in n for n in stats.compare([1, 2], [1, 2]).notes)


def test_benjamini_hochberg_matches_hand_computation() -> None:
    q = stats.bh_adjust([0.01, 0.04, 0.03, 0.2])
    assert q == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])


def test_geomean_and_ci() -> None:
    g, lo, hi = stats.geomean_ci([2.0, 0.5, 1.0])
    assert g == pytest.approx(1.0)
    assert lo <= g <= hi
    g2, lo2, hi2 = stats.geomean_ci([2.0, 8.0])
    assert g2 == pytest.approx(4.0) and math.isnan(lo2) and math.isnan(hi2)


def test_change_points_find_a_step_only() -> None:
    rng = np.random.default_rng(1)
    flat = [list(100 * rng.lognormal(0, 0.01, 8)) for _ in range(3)]
    step = [list(130 * rng.lognormal(0, 0.01, 8)) for _ in range(2)]
    cps = stats.change_points(flat + step)
    assert [c.index for c in cps] == [3]
    assert cps[0].ratio == pytest.approx(1.3, rel=0.05)
    assert stats.change_points(flat) == []


def test_change_points_share_one_bh_family() -> None:
    # p = 2/C(10,5) ~ 0.008 for a complete separation of 5 vs 5: alone it is a
    # change point; among 20 null series it no longer survives BH.
    base, shifted = [100.0, 101, 102, 103, 104], [110.0, 111, 112, 113, 114]
    assert [c.index for c in stats.change_points([base, shifted])] == [1]
    nulls = [[[100.0, 102, 104, 106, 108], [101.0, 103, 105, 107, 109]] for _ in range(20)]
    many = stats.change_points_many([[base, shifted]] + nulls)
    assert many[0] == [] and all(m == [] for m in many[1:])


def test_histogram_merge_and_quantiles() -> None:
    a = {"upper_ns": [10, 20, 40], "counts": [1, 2, 1], "count": 4, "min_ns": 8, "max_ns": 35}
    b = {"upper_ns": [10, 20, 40, 80], "counts": [0, 0, 0, 4], "count": 4, "min_ns": 50, "max_ns": 70}
    h = histogram.merge([a, b])
    assert h.count == 8 and list(h.counts) == [1, 2, 1, 4]
    assert h.quantile(0.5) == 40  # 4th of 8 samples is in (20, 40]
    assert h.quantile(1.0) == 70  # clamped to max
    assert h.quantile(0.01) == 10
    assert histogram.marks(h)["max"] == 70
