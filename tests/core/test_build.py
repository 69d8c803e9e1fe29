"""customer_features: one row per customer signed up by the as-of date."""

import datetime as dt

import pytest

from core import db
from core.build import build


def test_grain_and_revenue_add_up(demo_db):
    con = db.connect(demo_db)
    as_of = dt.date(2026, 6, 30)
    result = build(con, as_of=as_of)
    f = con.execute("select * from customer_features").df()
    assert result.customer_features == len(f) > 0
    assert f["customer_id"].notna().all()
    assert f["customer_id"].is_unique
    signed_up = con.execute(
        "select count(*) from customers where signed_up_at < ?::date + 1", [as_of]
    ).fetchone()[0]
    assert len(f) == signed_up
    revenue = con.execute(
        "select sum(amount) from transactions where ordered_at < ?::date + 1", [as_of]
    ).fetchone()[0]
    assert f["revenue"].sum() == pytest.approx(revenue, rel=1e-9)
    assert (f.loc[f["is_buyer"], "recency_days"] >= 0).all()
    assert (f["count_purchase_days"] <= f["count_orders"]).all()
    assert db.built_as_of(con) == as_of
    build(con)  # leave the fixture as it was built: as of the last day with data
    con.close()


def test_default_as_of_is_the_last_day_with_data(demo_db):
    con = db.connect(demo_db)
    last = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    assert build(con).as_of == last
    con.close()


def test_build_on_an_empty_database(empty_db):
    con = db.connect(empty_db)
    assert build(con).customer_features == 0


def test_a_table_with_uncompressed_keys_is_the_same_table(tmp_path):
    """create_table stores the text keys uncompressed (they took most of the staging
    tables' write) and is otherwise `create table as`: the same columns, types and rows.
    (A database file: an in-memory one compresses nothing.)"""
    import duckdb

    from core.build import create_table

    con = duckdb.connect(tmp_path / "keys.duckdb")
    query = """
        select 'c' || (i % 7) as customer_id, 'o' || i as order_key, 'north' as region,
            (i / 3)::decimal(38, 6) as amount, case when i % 2 = 0 then date '2024-01-01' end
            as valid_to
        from range(300000) as r(i)
        where i < $limit
    """
    create_table(con, "kept", query, {"limit": 200000})
    con.execute("create table expected as " + query, {"limit": 200000})
    assert con.execute("describe kept").fetchall() == con.execute("describe expected").fetchall()
    assert con.execute("select * from kept except all select * from expected").fetchall() == []
    assert con.execute("select count(*) from kept").fetchone()[0] == 200000
    con.execute("checkpoint")

    def compressions(table: str) -> dict[str, list[str]]:
        return dict(
            con.execute(
                "select column_name, list(distinct compression) from pragma_storage_info(?) "
                "where segment_type = 'VARCHAR' group by column_name",
                [table],
            ).fetchall()
        )

    kept, expected = compressions("kept"), compressions("expected")
    assert kept["customer_id"] == kept["order_key"] == ["Uncompressed"]
    assert expected["customer_id"] != ["Uncompressed"]  # what `create table as` does
    assert kept["region"] == expected["region"]  # other text as DuckDB chooses
