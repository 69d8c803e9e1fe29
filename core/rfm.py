"""RFM: recency, frequency and monetary quintile scores (1-5) and the named segments.

Scores are computed among the customers with a purchase (prospects get none):

- R from `recency_days` (fewer days since the last purchase is better),
- F from `count_purchase_days` (days with a purchase),
- M from `revenue` (net of refunds, to date).

A score is the quintile of the customer's rank: `1 + 5 * (rank - 1) // n`, the rank being
the lowest rank among ties (ascending, so 1 is the worst). Customers with the same value
get the same score, and ties fall to the lower quintile: with ten distinct values the
scores are 1, 1, 2, 2, 3, 3, 4, 4, 5, 5.

The month ends of customer_monthly get R and F by these same functions (`rf_scores`), among
the customers rated at each month end (core.stars' `month_end_scores`); no SQL re-derives
them. No reader wants a month end's M, so none is kept.

The segment is read from an R x F grid (`SegmentGrid`, rows R = 1..5, columns F = 1..5):
every cell names one segment, so every buyer is in exactly one. The grid is data; the
default (`DEFAULT_GRID`) is the classic one with "Lost" for the oldest, least frequent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import ranks

SEGMENTS = (
    "champions",
    "loyal_customers",
    "potential_loyalist",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "lost",
)

SEGMENT_NAMES = {  # the English names (the dashboard reads its own catalogs)
    "champions": "Champions",
    "loyal_customers": "Loyal Customers",
    "potential_loyalist": "Potential Loyalist",
    "new_customers": "New Customers",
    "promising": "Promising",
    "need_attention": "Need Attention",
    "about_to_sleep": "About To Sleep",
    "at_risk": "At Risk",
    "cant_lose_them": "Can't Lose Them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

# Rows: R = 1 (longest ago) .. 5 (most recent); columns: F = 1 (rarest) .. 5 (most frequent).
SegmentGrid = tuple[tuple[str, ...], ...]
DEFAULT_GRID: SegmentGrid = (
    ("lost", "lost", "at_risk", "at_risk", "cant_lose_them"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"),
    ("promising", "potential_loyalist", "potential_loyalist", "loyal_customers", "loyal_customers"),
    ("new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"),
)

REQUIRED = ("recency_days", "count_purchase_days", "revenue")


def check_grid(grid: SegmentGrid) -> SegmentGrid:
    """`grid` as a 5 x 5 tuple of known segment names, or a ValueError naming the problem."""
    rows = tuple(tuple(str(cell) for cell in row) for row in grid)
    if len(rows) != 5 or any(len(row) != 5 for row in rows):
        raise ValueError("the segment grid must have 5 rows (R = 1..5) of 5 cells (F = 1..5)")
    unknown = sorted({cell for row in rows for cell in row} - set(SEGMENTS))
    if unknown:
        raise ValueError(f"unknown segment(s) {unknown} in the grid; known: {', '.join(SEGMENTS)}")
    return rows


def quintile_scores(values: np.ndarray) -> np.ndarray:
    """1-5 per value: `1 + 5 * (rank - 1) // n` with the lowest rank among ties (ascending)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    below, _ = ranks.ties(values)  # lowest rank among ties - 1: the values below
    return quintile_of_ties(below)


def quintile_of_ties(below: np.ndarray) -> np.ndarray:
    """`quintile_scores` from how many values are below each (`ranks.ties`)."""
    return (1 + 5 * below // max(len(below), 1)).astype(np.int8)


def segment_of(r_score: np.ndarray, f_score: np.ndarray, grid: SegmentGrid = DEFAULT_GRID):
    """The segment name of each (R, F) pair from the grid."""
    cells = np.array(check_grid(grid), dtype=object)
    return cells[np.asarray(r_score) - 1, np.asarray(f_score) - 1]


def rfm_segments(features: pd.DataFrame, grid: SegmentGrid = DEFAULT_GRID) -> pd.DataFrame:
    """`features` (customer_features as a DataFrame) with `r_score`, `f_score`, `m_score`
    (1-5, null for customers without a purchase) and `segment` (a name of SEGMENTS, null
    for customers without a purchase) added."""
    missing = [c for c in REQUIRED if c not in features.columns]
    if missing:
        raise ValueError(f"rfm_segments needs column(s) {', '.join(missing)} of customer_features")
    out = features.copy()
    buyer = _buyers(features)
    scores = rfm_arrays(features, buyer, grid)
    for name, values in scores.items():
        column = pd.Series(pd.NA, index=out.index, dtype="Int8" if name != "segment" else object)
        column[buyer] = values
        out[name] = column
    return out


def rfm_arrays(features: pd.DataFrame, buyer: np.ndarray, grid: SegmentGrid = DEFAULT_GRID):
    """The RFM scores and segment of the buyers (rows where `buyer`) as arrays."""
    recency = features["recency_days"].to_numpy(dtype=float, na_value=np.nan)[buyer]
    frequency = features["count_purchase_days"].to_numpy(dtype=float, na_value=0)[buyer]
    revenue = features["revenue"].to_numpy(dtype=float, na_value=0)[buyer]
    r, f = rf_scores(recency, frequency)
    m = quintile_scores(revenue)
    return {"r_score": r, "f_score": f, "m_score": m, "segment": segment_of(r, f, grid)}


def rf_scores(recency: np.ndarray, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, F) quintile scores of buyers' recency days (NaN: none, the worst) and purchase
    days: what the segment is read from (the month ends keep only these two)."""
    recency = np.asarray(recency, dtype=float)
    r = quintile_scores(-np.nan_to_num(recency, nan=np.inf))
    return r, quintile_scores(np.asarray(frequency, dtype=float))


def _buyers(features: pd.DataFrame) -> np.ndarray:
    if "is_buyer" in features.columns:
        return features["is_buyer"].fillna(False).to_numpy(dtype=bool)
    return features["count_purchase_days"].fillna(0).to_numpy() > 0


def rfm_grid_summary(features: pd.DataFrame) -> pd.DataFrame:
    """One row per R x F cell (all 25): `r_score, f_score, segment, customers, revenue`
    (revenue over the trailing 12 months). `features` has r_score, f_score, segment."""
    cells = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    )
    rated = features.dropna(subset=["r_score", "f_score"])
    counts = (
        rated.assign(r_score=rated["r_score"].astype(int), f_score=rated["f_score"].astype(int))
        .groupby(["r_score", "f_score"], as_index=False)
        .agg(customers=("customer_id", "size"), revenue=("revenue_12m", "sum"))
    )
    out = cells.merge(counts, on=["r_score", "f_score"], how="left").fillna(
        {"customers": 0, "revenue": 0.0}
    )
    out["customers"] = out["customers"].astype(int)
    return out
