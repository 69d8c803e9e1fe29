"""The build gives the same answer to the bit however DuckDB's and the build's threads run:
money is summed exactly (decimals), and scikit-learn's fits in threads leave the process's
warning filters as they were."""

import datetime as dt
import warnings
from decimal import Decimal

import pytest

from core import churn, db, sql

MONEY = {  # customer_features column: (stg_orders column, only the 12 months)
    "revenue": ("amount", False),
    "margin": ("margin", False),
    "revenue_12m": ("amount", True),
    "margin_12m": ("margin", True),
}


def exact_sums(con, as_of: dt.date) -> dict[str, dict[str, float | None]]:
    """Per money column, each customer's orders summed in Python's decimals (staging keeps 6
    decimals) and rounded once to a double: the one answer whatever order the rows come in."""
    rows = con.execute(
        "select o.customer_id, o.amount, o.margin, o.ordered_at >= w.current_start "
        f"from stg_orders_at($as_of) as o, ({sql.load('stg_windows').strip()}) as w",
        {"as_of": as_of},
    ).fetchall()
    sums: dict[str, dict[str, Decimal | None]] = {column: {} for column in MONEY}
    for customer, amount, margin, recent in rows:
        values = {"amount": amount, "margin": margin}
        for column, (source, only_12m) in MONEY.items():
            total = sums[column].setdefault(customer, None)
            value = values[source]
            if value is None or (only_12m and not recent):
                continue
            sums[column][customer] = (total or Decimal(0)) + Decimal(f"{value:.6f}")
    return {
        column: {c: None if v is None else float(v) for c, v in by.items()}
        for column, by in sums.items()
    }


@pytest.mark.parametrize("database", ["uk_shop_db", "demo_db"])
def test_money_is_the_exact_sum_of_the_orders(database, request):
    """A sum of doubles depends on the order the rows are added in (DuckDB's threads add
    row groups in any order), and a last-bit difference ties or unties two customers' ranks:
    revenue and margin are each customer's orders summed exactly, then rounded once."""
    con = db.connect(request.getfixturevalue(database), read_only=True)
    as_of = db.built_as_of(con)
    want = exact_sums(con, as_of)
    got = con.execute(
        "select customer_id, revenue, margin, revenue_12m, margin_12m from customer_features "
        "where count_orders + count_refunds > 0"
    ).df()
    value_inputs = con.execute(sql.load("customer_value_inputs", con), {"as_of": as_of}).df()
    con.close()
    assert len(got) > 100
    for column in MONEY:
        expected = got["customer_id"].map(want[column])
        differ = got[column].fillna(-1.0) != expected.astype(float).fillna(-1.0)
        if column in ("revenue_12m",):  # no order in the 12 months: 0, not unknown
            differ &= ~(expected.isna() & (got[column] == 0))
        assert not differ.any(), (column, got.loc[differ, ["customer_id", column]].head())
    expected = value_inputs["customer_id"].map(want["revenue"])
    assert (value_inputs["revenue"] == expected).all()


def test_classifier_fits_in_threads_leave_the_warning_filters_alone(demo_db):
    """scikit-learn empties and restores the process's warning filters around each task of
    a fit or prediction; the churn step's threads take turns there, so the filters the build
    started with are the ones it ends with (not a copy another thread restored)."""
    con = db.connect(demo_db, read_only=True)
    as_of = db.built_as_of(con)
    filters = warnings.filters
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        shown = warnings.filters
        for _ in range(2):
            results = churn.churn_risks(con, as_of, settings=churn.ChurnSettings(threads=2))
        assert warnings.filters is shown
    con.close()
    assert warnings.filters is filters
    assert not any(isinstance(r, churn.Reason) for r in results.values())
    assert not [w for w in caught if "delayed" in str(w.message)]
