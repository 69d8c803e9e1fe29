"""Two real shops' exports, as a new user would load them: through the command line.

The files are written by tests/realshops.py in the shape the shops export (a gzipped
line-level CSV with month-first dates and C-refunds; an order export and a review export
without kind or NPS). The database the commands make must hold exactly the rows
`realshops.*_tables` says, and build.
"""

from __future__ import annotations

import pandas as pd
import pytest

from core import db, settings
from core.build import build
from core.cli import main
from tests import realshops


def _table(con, name: str, columns: list[str]) -> pd.DataFrame:
    frame = con.execute(f"select {', '.join(columns)} from {name}").df()
    if "amount" in frame:  # quantity x unit price: to the cent-and-more, so ties sort alike
        frame["amount"] = frame["amount"].round(6)
    return frame.sort_values(columns).reset_index(drop=True)


def _same(found: pd.DataFrame, expected: pd.DataFrame, columns: list[str]) -> None:
    expected = expected[columns].sort_values(columns).reset_index(drop=True)
    pd.testing.assert_frame_equal(found, expected, check_dtype=False, check_exact=False)


def test_the_uk_shop_export_loads_as_lines_of_orders(tmp_path, capsys):
    lines = realshops.uk_shop_lines()
    path = realshops.write_csv(lines, tmp_path / "online_retail.csv.gz")
    database = str(tmp_path / "uk.duckdb")
    report = tmp_path / "guests.csv"
    argv = ["import", "transactions", str(path), "--map", realshops.UK_MAP]
    assert main([*argv, "--skip-invalid", "--report", str(report), "--db", database]) == 0
    assert main(["config", "currency", "GBP", "--db", database]) == 0
    out = capsys.readouterr().out
    guests = int((lines["CustomerID"] == "").sum())
    assert f"rows rejected: {guests:,}" in out

    con = db.connect(database)
    expected = realshops.uk_shop_tables(lines)
    columns = ["order_id", "customer_id", "ordered_at", "amount", "quantity", "product_id"]
    _same(_table(con, "transactions", columns), expected["transactions"], columns)
    _same(
        _table(con, "customers", ["customer_id", "signed_up_at"]),
        expected["customers"],
        ["customer_id", "signed_up_at"],
    )
    # Each line keeps its own id: one per line, none shared by two lines of an invoice.
    ids = con.execute("select count(distinct transaction_id), count(*) from transactions")
    distinct, total = ids.fetchone()
    assert distinct == total == len(expected["transactions"])
    assert settings.get(con, "currency") == "GBP"
    con.close()
    assert main(["build", "--db", database]) == 0
    said = capsys.readouterr().out
    assert f"{len(expected['customers']):,} rows in customer_features" in said
    # What a transactions-only year lacks, said with what to import to get it.
    assert "left empty: margin:" in said and "import transactions with a cost column" in said
    assert "left empty: csat: no feedback is loaded" in said
    assert "left empty: clv" not in said  # a year of repeat buyers is enough for the models


def test_mapping_the_invoice_as_the_line_id_is_refused_with_a_hint(tmp_path, capsys):
    lines = realshops.uk_shop_lines(customers=40)
    lines = lines[lines["CustomerID"] != ""]
    path = realshops.write_csv(lines, tmp_path / "online_retail.csv")
    mapping = realshops.UK_MAP.replace("order_id=", "transaction_id=")
    database = str(tmp_path / "uk.duckdb")
    assert main(["import", "transactions", str(path), "--map", mapping, "--db", database]) == 1
    err = capsys.readouterr().err
    assert "order_id" in err
    con = db.connect(database)
    assert db.row_counts(con)["transactions"] == 0
    con.close()


def test_the_marketplace_orders_and_reviews_load(tmp_path, capsys):
    orders, reviews = realshops.marketplace()
    database = str(tmp_path / "market.duckdb")
    order_file = realshops.write_csv(orders, tmp_path / "orders.csv")
    review_file = realshops.write_csv(reviews, tmp_path / "reviews.csv")
    order_args = ["import", "transactions", str(order_file), "--map"]
    review_args = ["import", "feedback", str(review_file), "--map"]
    assert main([*order_args, realshops.MARKET_ORDERS_MAP, "--db", database]) == 0
    assert main([*review_args, realshops.MARKET_REVIEWS_MAP, "--db", database]) == 0
    capsys.readouterr()

    con = db.connect(database)
    expected = realshops.marketplace_tables(orders, reviews)
    columns = ["transaction_id", "customer_id", "ordered_at", "amount"]
    _same(_table(con, "transactions", columns), expected["transactions"], columns)
    columns = ["feedback_id", "customer_id", "submitted_at", "kind", "csat"]
    _same(_table(con, "feedback", columns), expected["feedback"], columns)
    assert con.execute("select count(*) from feedback where nps is not null").fetchone()[0] == 0
    assert build(con).customer_features == len(expected["customers"])
    con.close()


@pytest.mark.parametrize("fixture", ["uk_shop_db", "market_db"])
def test_the_shops_build_and_count_orders_not_lines(fixture, request):
    """customer_features' order counts equal a recomputation from the raw lines: an order
    is an order id (or a row without one) whose lines do not net below zero."""
    con = db.connect(request.getfixturevalue(fixture), read_only=True)
    expected = con.execute(
        """
        with orders as (
            select customer_id, coalesce(order_id, transaction_id) as order_key,
                sum(amount) as net
            from transactions group by all
        )
        select customer_id, count(*) filter (where net >= 0) as n from orders group by all
        """
    ).df()
    found = con.execute("select customer_id, count_orders as n from customer_features").df()
    merged = expected.merge(found, on="customer_id", how="outer", suffixes=("_raw", "_built"))
    merged = merged.fillna(0)
    assert (merged["n_raw"] == merged["n_built"]).all(), merged[
        merged["n_raw"] != merged["n_built"]
    ]
    con.close()
