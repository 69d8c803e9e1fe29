"""The staging layer (core/sql/stg_*.sql): one definition of an order and a purchase day,
built once by `core build` as versioned tables, read as of any date without a later line
leaking in; the same rows derived from the lines where the tables are not built."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import churn, clv, db, lifecycle, overview, satisfaction, settings, sql, stars, value
from core.build import build

DAY_1 = dt.date(2025, 3, 1)
LONG_AGO = dt.date(1900, 1, 1)


def day(n: int) -> dt.date:
    return DAY_1 + dt.timedelta(days=n - 1)


def _shop(path):
    """a: order A1 of 100 on day 1 whose refund line of 150 (same order id) comes on day 10,
    so A1 is a purchase until day 9 and a refund from day 10; then A2 of 40 on day 20.
    b: one free order (amount 0) on day 3, and nothing else. c: signed up, never bought."""
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) values "
        "('a', $d1), ('b', $d1), ('c', $d1)",
        {"d1": day(1)},
    )
    con.execute(
        """
        insert into transactions
            (transaction_id, order_id, customer_id, ordered_at, amount, cost) values
            ('t1', 'A1', 'a', $d1 + interval 10 hour, 100, 60),
            ('t2', 'A1', 'a', $d10 + interval 9 hour, -150, -90),
            ('t3', 'A2', 'a', $d20 + interval 12 hour, 40, 25),
            ('t4', null, 'b', $d3 + interval 15 hour, 0, 0)
        """,
        {"d1": day(1), "d3": day(3), "d10": day(10), "d20": day(20)},
    )
    return con


@pytest.fixture(params=["built", "never_built", "changed_since_build"])
def shop(request, tmp_path):
    """The shop read three ways: from the staging tables (built), from the lines (never
    built), and from the lines again once the data changed after the build (an import
    raises the data version: the tables are then out of date)."""
    con = _shop(tmp_path / "shop.duckdb")
    if request.param != "never_built":
        build(con, as_of=day(20))
    if request.param == "changed_since_build":
        con.execute(
            "insert into customers (customer_id, signed_up_at) values ('d', $d1)", {"d1": day(1)}
        )
        db.bump_data_version(con)
    assert sql.staging_is_current(con) == (request.param == "built")
    yield con
    con.close()


def _features(con, as_of: dt.date) -> pd.DataFrame:
    return (
        con.execute(sql.load("customer_features", con), {"as_of": as_of})
        .df()
        .set_index("customer_id")
    )


def _purchase_days(con, as_of: dt.date) -> list[tuple]:
    rows = con.execute(
        sql.load("purchase_days_after", con), {"after": LONG_AGO, "as_of": as_of}
    ).fetchall()
    return [(customer, purchased_on, spend) for customer, purchased_on, spend in rows]


def test_a_later_refund_line_is_not_seen_before_its_day(shop):
    early = _features(shop, day(5))
    assert early.loc["a", "count_orders"] == 1
    assert early.loc["a", "count_refunds"] == 0
    assert early.loc["a", "revenue"] == 100
    assert early.loc["a", "margin"] == 40
    assert early.loc["a", "count_purchase_days"] == 1
    assert bool(early.loc["a", "is_buyer"])
    assert _purchase_days(shop, day(5)) == [("a", day(1), 100.0), ("b", day(3), 0.0)]

    refunded = _features(shop, day(10))
    assert refunded.loc["a", "count_orders"] == 0
    assert refunded.loc["a", "count_refunds"] == 1
    assert refunded.loc["a", "revenue"] == -50
    assert refunded.loc["a", "margin"] == -20
    assert refunded.loc["a", "count_purchase_days"] == 0
    assert not bool(refunded.loc["a", "is_buyer"])
    assert _purchase_days(shop, day(10)) == [("b", day(3), 0.0)]

    later = _features(shop, day(20))
    assert later.loc["a", "count_orders"] == 1  # A2
    assert later.loc["a", "revenue"] == -10
    assert _purchase_days(shop, day(20)) == [("a", day(20), 40.0), ("b", day(3), 0.0)]


def test_the_btyd_summary_follows_the_as_of_date(shop):
    early = clv.btyd_summary(shop, day(5), unit="days").set_index("customer_id")
    assert list(early.index) == ["a", "b"]
    assert early.loc["a", ["frequency", "recency", "T"]].tolist() == [0, 0, 4]
    refunded = clv.btyd_summary(shop, day(10), unit="days").set_index("customer_id")
    assert list(refunded.index) == ["b"]  # a's only purchase day was refunded on day 10


def test_the_as_of_macros_keep_the_version_of_the_day(tmp_path):
    con = _shop(tmp_path / "shop.duckdb")
    build(con, as_of=day(20))
    query = (
        "select amount, margin, count_lines, is_purchase, is_refund "
        "from stg_orders_at(?) where order_key = 'A1'"
    )
    assert con.execute(query, [day(1) - dt.timedelta(days=1)]).fetchall() == []
    assert con.execute(query, [day(9)]).fetchall() == [(100.0, 40.0, 1, True, False)]
    assert con.execute(query, [day(10)]).fetchall() == [(-50.0, -20.0, 2, False, True)]
    assert con.execute(query, [day(400)]).fetchall() == [(-50.0, -20.0, 2, False, True)]
    days = "select customer_id, purchased_on from stg_purchase_days_at(?) order by all"
    assert con.execute(days, [day(9)]).fetchall() == [("a", day(1)), ("b", day(3))]
    assert con.execute(days, [day(10)]).fetchall() == [("b", day(3))]
    # the tables hold each version once: A1 before and after its refund line
    assert con.execute("select count(*) from stg_orders where order_key = 'A1'").fetchone() == (2,)


def test_a_free_order_is_a_purchase_for_every_result_that_counts_them(shop):
    """b's only order is free (amount 0): a buyer with one purchase day everywhere."""
    as_of = day(20)
    features = _features(shop, as_of)
    assert bool(features.loc["b", "is_buyer"])
    assert features.loc["b", ["count_orders", "count_purchase_days"]].tolist() == [1, 1]
    assert not bool(features.loc["c", "is_buyer"])

    summary = clv.btyd_summary(shop, as_of, unit="days").set_index("customer_id")
    assert summary.loc["b", "frequency"] == 0
    assert summary.loc["b", "T"] == 17

    assert value.customer_inputs(shop, as_of).set_index("customer_id").loc["b", "count_orders"] == 1

    churn_rows = churn.churn_features(shop, as_of).set_index("customer_id")
    assert churn_rows.loc["b", "count_purchase_days"] == 1

    stages = lifecycle.customer_stages(shop, as_of).set_index("customer_id")
    assert stages.loc["b", "stage"] == "new"
    assert stages.loc["b", "count_purchase_days"] == 1
    assert stages.loc["c", "stage"] == "prospect"

    kpis = overview.overview_kpis(shop, as_of)
    assert (kpis.active_customers, kpis.orders) == (2, 2)  # a (A2) and b
    months = overview.monthly_revenue(shop, as_of).set_index("month")
    assert months.loc[pd.Timestamp(day(1)), ["orders", "customers"]].tolist() == [2, 2]

    history = shop.execute(
        sql.load("loyalty_history", shop), {"as_of": as_of, "period_days": 30}
    ).df()
    assert history.set_index("customer_id").loc["b", "purchase_days"] == 1

    [(first, last)] = shop.execute(sql.load("purchase_span", shop), {"as_of": as_of}).fetchall()
    assert (first, last) == (day(3), day(20))  # a's day-1 purchase is refunded by then

    assert satisfaction.satisfaction_kpis(shop, as_of).current.buyers == 2

    cohorts = lifecycle.cohort_retention(shop, as_of)
    month_0 = cohorts[cohorts["months_since_signup"] == 0]
    assert month_0["buyers"].tolist() == [2]


@pytest.mark.parametrize("name", ["demo_db", "small_db", "uk_shop_db", "market_db"])
def test_btyd_summary_and_customer_features_count_the_same_purchase_days(request, name):
    con = db.connect(request.getfixturevalue(name), read_only=True)
    try:
        [(as_of,)] = con.execute("select max(as_of) from customer_features").fetchall()
        assert sql.staging_is_current(con)
        features = con.execute(
            "select customer_id, is_buyer, count_orders, count_purchase_days, "
            "first_purchase_at::date as first_on, last_purchase_at::date as last_on "
            "from customer_features"
        ).df()
        summary = clv.btyd_summary(con, as_of, unit="days")
    finally:
        con.close()
    buyers = features[features["count_purchase_days"] > 0].set_index("customer_id")
    assert (features["is_buyer"] == (features["count_purchase_days"] > 0)).all()
    assert (features["is_buyer"] == (features["count_orders"] > 0)).all()
    summary = summary.set_index("customer_id")
    assert sorted(summary.index) == sorted(buyers.index)
    buyers = buyers.loc[summary.index]
    assert (summary["frequency"] == buyers["count_purchase_days"] - 1).all()
    recency = (buyers["last_on"] - buyers["first_on"]).dt.days
    assert (summary["recency"] == recency).all()
    age = (pd.Timestamp(as_of) - buyers["first_on"]).dt.days
    assert (summary["T"] == age).all()


# The definition before the staging tables, recomputed from the lines as known at the end of
# the as-of day: what every as-of reading of the tables must give.
LINES_AS_OF = """
    select
        customer_id,
        coalesce(order_id, transaction_id) as order_key,
        min(ordered_at) as ordered_at,
        sum(amount::decimal(38, 6))::double as amount,
        sum((amount - cost)::decimal(38, 6))::double as margin,
        count(*) as count_lines
    from transactions
    where ordered_at < $as_of::date + interval 1 day
    group by all
"""
ORDERS_BY_HAND = f"""
    select *, amount >= 0 as is_purchase, amount < 0 as is_refund
    from ({LINES_AS_OF})
    order by customer_id, order_key
"""
DAYS_BY_HAND = f"""
    select
        customer_id,
        ordered_at::date as purchased_on,
        sum(amount::decimal(38, 6))::double as spend,
        count(*) filter (where amount >= 0) as count_orders
    from ({LINES_AS_OF})
    group by all
    having bool_or(amount >= 0)
    order by customer_id, purchased_on
"""


@pytest.fixture(scope="module")
def busy_shop(tmp_path_factory):
    """40 customers, 400 lines over 60 days: orders of 1-4 lines, later lines up to 20
    days after the first, refund lines (some netting the order below 0), free lines, lines
    without an order id, costs missing on some. Built as of its last day."""
    rng = np.random.default_rng(14)
    rows = []
    for i in range(400):
        order = f"o{rng.integers(0, 150)}" if rng.random() < 0.8 else None
        customer = f"c{int(order[1:]) % 40}" if order else f"c{rng.integers(0, 40)}"
        rows.append(
            {
                "transaction_id": f"t{i}",
                "order_id": order,
                "customer_id": customer,
                "day": int(rng.integers(0, 60)),
                "hour": int(rng.integers(0, 24)),
                "amount": float(rng.choice([0, -30.5, -80, 12.25, 55, 100.1])),
                "cost": None if rng.random() < 0.3 else float(rng.integers(-20, 40)),
            }
        )
    lines = pd.DataFrame(rows)
    # an order's lines start on its first line's day and come within 20 days of it
    first = lines.groupby("order_id")["day"].transform("min")
    lines["day"] = np.where(lines["order_id"].notna(), first + lines["day"] % 21, lines["day"])
    lines["ordered_at"] = pd.Timestamp(DAY_1) + pd.to_timedelta(
        lines["day"] * 24 + lines["hour"], unit="h"
    )
    path = tmp_path_factory.mktemp("busy") / "busy.duckdb"
    con = db.connect(path)
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'c' || i, $d1 from range(40) t(i)",
        {"d1": DAY_1},
    )
    db.insert_frame(con, "transactions", lines.drop(columns=["day", "hour"]))
    build(con)
    spanning = con.execute("select count(*) from stg_orders where valid_to is not null")
    assert spanning.fetchone()[0] > 10  # the case the versions are for is well represented
    con.close()
    return path


def test_every_as_of_date_reads_what_the_lines_said_that_day(busy_shop):
    con = db.connect(busy_shop, read_only=True)
    [(last,)] = con.execute("select max(ordered_at)::date from transactions").fetchall()
    orders = (
        "select customer_id, order_key, ordered_at, amount, margin, count_lines, is_purchase, "
        "is_refund from stg_orders_at($as_of) order by customer_id, order_key"
    )
    days = (
        "select customer_id, purchased_on, spend, count_orders "
        "from stg_purchase_days_at($as_of) order by customer_id, purchased_on"
    )
    for n in range(-1, (last - DAY_1).days + 3):
        params = {"as_of": DAY_1 + dt.timedelta(days=n)}
        assert (
            con.execute(orders, params).fetchall() == con.execute(ORDERS_BY_HAND, params).fetchall()
        )
        assert con.execute(days, params).fetchall() == con.execute(DAYS_BY_HAND, params).fetchall()
    con.close()


@pytest.mark.parametrize("offset", [5, 17, 30, 59])
def test_the_tables_and_the_lines_give_the_same_marts(busy_shop, offset):
    """Each mart reads the same rows whether `load` reads the built tables (a connection
    with current staging) or derives them from the lines (no connection)."""
    con = db.connect(busy_shop, read_only=True)
    as_of = DAY_1 + dt.timedelta(days=offset)
    for name, params in [
        ("customer_features", {"as_of": as_of}),
        ("btyd_summary", {"as_of": as_of, "unit_days": 7}),
        ("overview_kpis", {"as_of": as_of}),
        ("churn_features", {"as_of": as_of, "active_days": 365, "customers": None}),
        ("purchase_days_after", {"after": as_of - dt.timedelta(days=9), "as_of": as_of}),
        ("loyalty_history", {"as_of": as_of, "period_days": 14}),
    ]:
        tables = con.execute(sql.load(name, con), params).df()
        lines = con.execute(sql.load(name), params).df()
        key = list(tables.columns[:2])
        pd.testing.assert_frame_equal(
            tables.sort_values(key).reset_index(drop=True),
            lines.sort_values(key).reset_index(drop=True),
        )
        assert "stg_orders_at" in sql.load(name, con) or "stg_purchase_days_at" in sql.load(
            name, con
        )
        assert "_at($as_of)" not in sql.load(name)
    con.close()


def test_a_database_built_by_the_previous_version_still_answers(tmp_path):
    """No staging tables yet (a build before them): the marts derive orders from the lines."""
    con = _shop(tmp_path / "old.duckdb")
    build(con, as_of=day(20))
    expected = _features(con, day(5))
    con.execute("drop macro table stg_purchase_days_at")
    con.execute("drop macro table stg_orders_at")
    con.execute("drop table stg_purchase_days")
    con.execute("drop table stg_orders")
    con.execute("delete from meta where key = ?", [sql.STAGED_VERSION])
    assert not sql.staging_is_current(con)
    pd.testing.assert_frame_equal(_features(con, day(5)), expected)
    con.close()


def test_only_a_change_to_the_raw_tables_makes_the_staging_stale(tmp_path):
    """A rule-set save or a setting raises the data version (pages refresh) but leaves the
    orders as they were, so the pages keep reading the staging tables; an import does not."""
    con = _shop(tmp_path / "shop.duckdb")
    build(con, as_of=day(20))
    version = db.data_version(con)
    stars.save_rule_set(con, stars.DEFAULT_RULES, "wider", saved_by="test")  # re-rates
    settings.put(con, "timezone", "Europe/London")
    assert db.data_version(con) == version + 2  # pages refresh
    assert sql.staging_is_current(con)
    db.bump_data_version(con)  # what an import does once it has written rows
    assert not sql.staging_is_current(con)
    build(con, as_of=day(20))
    assert sql.staging_is_current(con)
    con.close()


def test_an_empty_database_builds_empty_staging(empty_db):
    con = db.connect(empty_db)
    build(con)
    assert sql.staging_is_current(con)
    assert con.execute("select count(*) from stg_orders_at(current_date)").fetchone() == (0,)
    assert con.execute("select count(*) from stg_purchase_days").fetchone() == (0,)
    assert overview.overview_kpis(con, dt.date.today()).orders == 0
    con.close()


def test_versions_reads_only_versioned_staging():
    with pytest.raises(ValueError, match="stg_windows"):
        sql.versions("stg_windows")
    assert "stg_orders" in sql.versions("stg_purchase_days")
    assert "{{" not in sql.versions("stg_purchase_days")


def test_a_mart_reads_every_version_from_the_tables_or_the_lines(busy_shop):
    """`{{ stg_orders versions }}` (customer_monthly) reads all the versions, not cut at an
    as-of date: the table when current, else its query over the lines; the same rows."""
    con = db.connect(busy_shop, read_only=True)
    tables, lines = sql.load("customer_monthly", con), sql.load("customer_monthly")
    assert "from stg_orders as stg_orders" in tables and "_at(" not in tables
    assert "from transactions" in lines and "$as_of" not in lines
    params = {"first_end": dt.date(2025, 3, 31), "last_end": dt.date(2025, 4, 30)}
    key = ["month_end", "customer_no"]
    from_tables = con.execute(tables, params).df().sort_values(key, ignore_index=True)
    from_lines = con.execute(lines, params).df().sort_values(key, ignore_index=True)
    con.close()
    assert len(from_tables) > 40
    pd.testing.assert_frame_equal(from_tables, from_lines)
    every = "select order_key, valid_from, valid_to from {{ stg_orders versions }}"
    assert "valid_to" in sql._expand(every, ("probe",), tables=False)
    with pytest.raises(ValueError, match="stg_windows has no versions"):
        sql._expand("select * from {{ stg_windows versions }}", ("probe",), tables=True)
