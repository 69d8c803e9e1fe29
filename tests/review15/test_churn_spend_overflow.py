"""Review of issue 15: ChurnHistory sums a customer's purchase-day spend in whole millionths
as numpy int64 (core/churn.py, ChurnHistory.features: per_customer(spend)), which wraps
silently past 2**63 millionths (about 9.22 trillion in the currency); churn_features.sql,
which it claims to equal, sums decimal(38, 6) and gets it right. A single purchase day of
that size makes core/sql/churn_history.sql's ::bigint cast raise instead."""

import datetime as dt

import pandas as pd
import pytest

from core import db
from core.build import build_staging
from core.churn import ChurnHistory, churn_features


def _shop(path, amounts):
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "values ('a', '2024-01-01'), ('b', '2024-01-01')"
    )
    rows = [
        {
            "transaction_id": f"t{i}",
            "customer_id": "a",
            "ordered_at": dt.datetime(2024, 1 + i, 2),  # one purchase day a month
            "amount": amount,
        }
        for i, amount in enumerate(amounts)
    ]
    rows.append(
        {
            "transaction_id": "tb",
            "customer_id": "b",
            "ordered_at": dt.datetime(2024, 1, 5),
            "amount": 10.0,
        }
    )
    db.insert_frame(con, "transactions", pd.DataFrame(rows))
    build_staging(con)
    return con


@pytest.mark.xfail(
    strict=True, reason="int64 millionths wrap: spend of 10 trillion reads as -8.4 trillion"
)
def test_a_big_spender_keeps_a_positive_spend(tmp_path):
    con = _shop(tmp_path / "big.duckdb", [5e12, 5e12])  # each day fits in int64 millionths
    cut = dt.date(2024, 3, 1)
    expected = churn_features(con, cut)
    found, _ = ChurnHistory.read(con).features(cut)
    assert expected.loc[0, "spend_365"] == 1e13  # the SQL's decimal sum
    pd.testing.assert_frame_equal(found, expected, check_exact=True)


@pytest.mark.xfail(strict=True, reason="churn_history.sql casts a day's spend to bigint millionths")
def test_a_purchase_day_of_ten_trillion_is_read(tmp_path):
    con = _shop(tmp_path / "day.duckdb", [1e13])
    cut = dt.date(2024, 3, 1)
    expected = churn_features(con, cut)
    found, _ = ChurnHistory.read(con).features(cut)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
