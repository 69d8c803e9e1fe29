"""Review of issue 16 (what to offer next): defects shown by tests marked xfail(strict)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from core import db, offers

DAY = dt.date(2025, 3, 1)


@pytest.fixture
def fourteen_customers(tmp_path):
    """14 customers without order ids (a basket is a customer's history): 9 bought A, the
    other 5 bought B."""
    con = db.connect(tmp_path / "fourteen.duckdb")
    ids = [f"c{i:02d}" for i in range(14)]
    con.register("ids", pd.DataFrame({"customer_id": ids}))
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select customer_id, date '2025-01-01' from ids"
    )
    lines = pd.DataFrame(
        {
            "transaction_id": [f"t{i}" for i in range(14)],
            "customer_id": ids,
            "ordered_at": pd.Timestamp(DAY),
            "amount": 10.0,
            "product_category": ["A"] * 9 + ["B"] * 5,
        }
    )
    con.register("lines", lines)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount, "
        "product_category) select * from lines"
    )
    yield con
    con.close()


def test_the_basket_count_is_the_number_of_baskets(fourteen_customers):
    found = offers.association_rules(fourteen_customers, DAY)
    assert found.basket == "customer"
    assert found.items["baskets"].sum() == 14  # each customer's basket holds one item
    assert found.baskets == 14
