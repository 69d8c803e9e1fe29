"""What the Lifecycle page reads off the channel economics: unknown stays empty, with why."""

import numpy as np
import pandas as pd

from ui import lifecycle as lc


def _economics() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": ["unknown", "referral", "wechat", "jd"],
            "cac": [np.nan, 0.0, 50.0, 40.0],
            "value_per_customer": [120.0, 80.0, 30.0, 200.0],
            "predicted_clv_per_customer": [np.nan] * 4,
            "payback_months": [np.nan, 1.0, np.nan, 3.0],
            "basis": ["revenue"] * 4,
        }
    )


def test_no_or_zero_cac_gives_an_empty_ratio_not_zero_or_infinite():
    table = lc.economics_table(_economics()).set_index("channel")
    assert table["value_to_cac"].isna().tolist() == [True, True, False, False]
    assert table.loc["WeChat", "value_to_cac"] == 30 / 50
    assert np.isfinite(table["value_to_cac"].dropna()).all()


def test_each_kind_of_empty_cell_is_explained_with_its_channels():
    gaps = lc.economics_gaps(_economics())
    assert len(gaps) == 3
    no_cac, free, not_paid_back = gaps
    assert no_cac.startswith("Empty CAC, ratio and payback for Unknown:")
    assert free.startswith("Empty ratio for Referral:")
    assert not_paid_back.startswith("Empty payback for WeChat:")
    known = _economics().iloc[[3]]
    assert lc.economics_gaps(known) == []


def test_the_words_follow_the_basis():
    assert lc.economics_basis(_economics()) == "revenue"
    assert lc.economics_labels("revenue")["per_customer"] == "Revenue / customer"
    assert lc.economics_labels("margin")["per_customer"] == "Margin / customer"
