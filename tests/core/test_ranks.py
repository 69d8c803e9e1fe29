"""Ranks with ties (core.ranks): the percentile ranks of the star scores and the RFM
quintiles are the definitions they always were, scipy's average rank and the lowest rank
among ties, whichever way ties are counted (sorted or, for whole numbers, counted)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from core import ranks, rfm, stars


def percentile_by_scipy(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n <= 1:
        return np.full(n, 100.0)
    return (rankdata(values, method="average") - 1) / (n - 1) * 100


def quintile_by_search(values: np.ndarray) -> np.ndarray:
    """1 + 5 (lowest rank among ties - 1) // n, the lowest rank found by a stable sort and a
    binary search for each value's first equal."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    lowest = np.empty(n, dtype=np.int64)
    lowest[order] = np.searchsorted(ordered, ordered, side="left") + 1
    return (1 + 5 * (lowest - 1) // n).astype(np.int8)


def grids() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    out = []
    for n in (0, 1, 2, 3, 10, 997, 20_000):
        with_nan = rng.normal(size=n)
        with_nan[rng.random(n) < 0.1] = np.nan
        with_inf = rng.integers(0, 4, n).astype(float)
        with_inf[: n // 7] = np.inf
        out += [
            rng.integers(0, 5, n).astype(float),  # few values, many ties: counted
            -rng.integers(0, 4_000, n).astype(float),  # days: counted
            rng.integers(0, 10**9, n).astype(float),  # whole, too wide to count: sorted
            np.round(rng.gamma(1.0, 300.0, n), 2),  # money with ties: sorted
            rng.normal(size=n),
            with_nan,
            with_inf,
            np.where(rng.random(n) < 0.5, 0.0, -0.0),
        ]
    return out


@pytest.mark.parametrize("values", grids(), ids=lambda v: f"n{len(v)}")
def test_percentile_rank_is_scipys_average_rank(values):
    got, want = stars.percentile_rank(values), percentile_by_scipy(values)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)  # to the bit, NaN where scipy gives NaN


@pytest.mark.parametrize("values", grids(), ids=lambda v: f"n{len(v)}")
def test_quintiles_are_the_lowest_rank_among_ties(values):
    np.testing.assert_array_equal(rfm.quintile_scores(values), quintile_by_search(values))


def test_ties_counts_below_and_equal_by_hand():
    below, equal = ranks.ties(np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0]))
    assert below.tolist() == [3, 0, 3, 2, 3, 0]
    assert equal.tolist() == [3, 2, 3, 1, 3, 2]
    below, equal = ranks.ties(np.array([0.5, np.nan, -1.0, np.nan, 0.5]))  # sorted, NaN last
    assert below.tolist() == [1, 3, 0, 3, 1]
    assert equal.tolist() == [2, 2, 1, 2, 2]
