"""RFM quintiles and the segment grid on hand-made customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import rfm
from tests.core.test_stars import dozen


def test_quintiles_of_ten_distinct_values():
    assert list(rfm.quintile_scores(np.arange(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_the_lower_quintile():
    # six customers with one purchase day rank 1 -> F 1; the rank 7..10 -> 4, 4, 5, 5
    days = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    assert list(rfm.quintile_scores(days)) == [1] * 6 + [4, 4, 5, 5]


def test_dozen_cells_and_segments_by_hand():
    out = rfm.rfm_segments(dozen())
    buyers = out.iloc[:10]
    # recency falls and frequency and revenue rise with i: R = F = M = 1,1,2,2,...,5,5
    for column in ("r_score", "f_score", "m_score"):
        assert list(buyers[column]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(buyers["segment"]) == [
        "lost", "lost", "hibernating", "hibernating", "need_attention", "need_attention",
        "loyal_customers", "loyal_customers", "champions", "champions",
    ]  # fmt: skip
    assert out.iloc[10:][["r_score", "f_score", "m_score", "segment"]].isna().all().all()


def test_recent_rare_buyers_are_new_and_old_frequent_ones_cant_be_lost():
    features = dozen()
    # c10 bought most recently but only once; c01 long ago but most often
    features.loc[9, "count_purchase_days"] = 1
    features.loc[0, "count_purchase_days"] = 99
    out = rfm.rfm_segments(features).set_index("customer_id")
    assert (out.loc["c10", "r_score"], out.loc["c10", "f_score"]) == (5, 1)
    assert out.loc["c10", "segment"] == "new_customers"
    assert (out.loc["c01", "r_score"], out.loc["c01", "f_score"]) == (1, 5)
    assert out.loc["c01", "segment"] == "cant_lose_them"


def test_the_default_grid_names_all_eleven_segments_once_per_cell():
    cells = [cell for row in rfm.DEFAULT_GRID for cell in row]
    assert len(cells) == 25 and set(cells) == set(rfm.SEGMENTS)


def test_every_buyer_is_in_exactly_one_segment():
    rng = np.random.default_rng(3)
    n = 5_000
    features = pd.DataFrame(
        {
            "customer_id": [f"x{i}" for i in range(n)],
            "is_buyer": rng.random(n) < 0.8,
            "recency_days": rng.integers(0, 900, n),
            "count_purchase_days": rng.geometric(0.4, n),
            "revenue": rng.gamma(2, 300, n),
        }
    )
    out = rfm.rfm_segments(features)
    buyers = out[out["is_buyer"]]
    assert buyers["segment"].isin(rfm.SEGMENTS).all()
    assert out.loc[~out["is_buyer"], "segment"].isna().all()
    grid = rfm.rfm_grid_summary(out.assign(revenue_12m=out["revenue"]))
    assert len(grid) == 25 and grid["customers"].sum() == len(buyers)


def test_an_edited_grid_is_used():
    grid = tuple(tuple("champions" if r == 0 else cell for cell in row) for r, row in
                 enumerate(rfm.DEFAULT_GRID))  # fmt: skip
    out = rfm.rfm_segments(dozen(), grid)
    assert list(out["segment"].iloc[:2]) == ["champions", "champions"]
    with pytest.raises(ValueError, match="5 rows"):
        rfm.rfm_segments(dozen(), grid[:4])
