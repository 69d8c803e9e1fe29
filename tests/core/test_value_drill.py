"""The customers behind a bar of Customer value's charts: a group of the value by group,
a band of the CLV distribution, on the demo and on the UK shop (line-level, refunds)."""

import numpy as np
import pandas as pd
import pytest

from core import db, value


@pytest.fixture(scope="module", params=["demo", "uk"])
def values(request, demo_db, uk_shop_db):
    path = {"demo": demo_db, "uk": uk_shop_db}[request.param]
    con = db.connect(path, read_only=True)
    as_of = db.built_as_of(con)
    models = value.fit_value_models(con, as_of)
    settings = value.value_defaults(con, as_of).settings()
    found = value.customer_values(con, models, settings)
    con.close()
    return found


def test_each_group_lists_the_customers_the_bar_counts(values):
    for by in value.groupings(values):
        groups = value.clv_by_group(values, by)
        listed = 0
        for row in groups.itertuples():
            rows = value.group_customers(values, by, str(row.group))
            assert len(rows) == row.customers, (by, row.group)
            assert rows["predicted_clv"].mean() == pytest.approx(row.predicted_clv)
            assert rows["predicted_clv"].is_monotonic_decreasing
            listed += len(rows)
        assert listed == len(values)  # every customer in exactly one bar


def test_a_star_group_is_the_star_s_customers_by_hand(values):
    if "stars" not in values or values["stars"].isna().all():
        pytest.skip("no star ratings built")
    by_hand = values[values["stars"] == 5]["customer_id"]
    rows = value.group_customers(values, "stars", "5")
    assert sorted(rows["customer_id"]) == sorted(by_hand)
    assert len(rows) > 0
    unknown = value.group_customers(values, "stars", "unknown")
    assert len(unknown) == values["stars"].isna().sum()


def test_each_band_lists_the_customers_its_bar_counts(values):
    hist = value.distribution(values, "predicted_clv")
    seen = []
    for band, row in enumerate(hist.itertuples()):
        rows = value.band_customers(values, "predicted_clv", hist, band)
        assert len(rows) == row.customers, band
        clv = rows["predicted_clv"].to_numpy()
        assert (clv >= row.lower).all()
        if band < len(hist) - 1:
            assert (clv < row.upper).all()
        seen += list(rows["customer_id"])
    finite = np.isfinite(values["predicted_clv"].to_numpy(dtype=float))
    assert sorted(seen) == sorted(values["customer_id"][finite])  # each in one band


def test_a_band_outside_the_distribution_is_refused(values):
    hist = value.distribution(values, "predicted_clv")
    with pytest.raises(ValueError, match="not a row"):
        value.band_customers(values, "predicted_clv", hist, len(hist))
    with pytest.raises(ValueError, match="no such column"):
        value.group_customers(values, "region_of_mars", "x")


def test_a_group_on_a_tiny_frame_is_exact():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "stars": pd.array([5, 4, pd.NA, 5], dtype="Int8"),
            "predicted_clv": [10.0, 20.0, 5.0, 30.0],
        }
    )
    assert list(value.group_customers(frame, "stars", "5")["customer_id"]) == ["d", "a"]
    assert list(value.group_customers(frame, "stars", "unknown")["customer_id"]) == ["c"]
    hist = pd.DataFrame({"lower": [5.0, 15.0], "upper": [15.0, 30.0], "customers": [2, 2]})
    assert list(value.band_customers(frame, "predicted_clv", hist, 0)["customer_id"]) == ["a", "c"]
    assert list(value.band_customers(frame, "predicted_clv", hist, 1)["customer_id"]) == ["d", "b"]
