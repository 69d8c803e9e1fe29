"""Lifecycle stages, funnel, flows, cohorts and channel economics on a hand-made shop.

Thirteen customers, as of 2025-06-30, default rules (new: first purchase <= 90 days ago or
a single purchase day; at risk: > max(90, 2 x mean gap) days without a purchase; churned:
> 365 days). Each line says what the customer is there to show.
"""

import datetime as dt

import pandas as pd
import pytest

from core import db, sql
from core.lifecycle import (
    DEFAULT_RULES,
    Drill,
    LifecycleRules,
    add_stages,
    channel_economics,
    cohort_retention,
    customer_stages,
    drill_down,
    funnel,
    lifecycle_customers,
    lifecycle_snapshot,
    payback_curves,
    payback_months,
    stage_counts,
    stage_history,
    staged,
)

AS_OF = dt.date(2025, 6, 30)

# customer_id, signed up, acquisition channel, acquisition cost, referred by
CUSTOMERS = [
    ("p1", "2025-01-10", "wechat", 40, None),  # prospect
    ("p2", "2025-06-30 20:00", "tmall", 90, None),  # prospect, signed up on the as-of day
    ("late", "2025-07-05", "tmall", 90, None),  # after the as-of date: not counted
    ("n1", "2025-05-01", "wechat", 40, None),  # new: one purchase 60 days ago
    ("n2", "2025-04-20", "tmall", 90, None),  # new: repeat, but first purchase 66 days ago
    ("a1", "2024-01-01", "jd", 80, None),  # active: every ~91 days, last 29 days ago
    ("a2", "2024-01-01", "jd", 90, None),  # at risk: every 10 days, then 140 days silent
    ("a3", "2023-06-15", "jd", 100, None),  # active: 150 days silent, but a ~193-day rhythm
    ("r1", "2024-12-01", "douyin", 70, None),  # at risk: one purchase 149 days ago
    ("c1", "2023-01-01", "douyin", 50, None),  # churned: last purchase 425 days ago
    ("c2", "2023-06-01", "tmall", 90, None),  # churned in June 2025 (a refund is no purchase)
    ("x1", "2025-06-29", None, None, "a1"),  # new: two orders on one day = one purchase day
    ("e1", "2025-04-01", "wechat", 40, "c1"),  # new: exactly 90 days since its one purchase
    ("z1", "2023-01-01", "referral", 30, None),  # churned for two years, back in June 2025
]

# customer_id, ordered at, amount (cost is always half the amount: margin = amount / 2)
ORDERS = [
    ("n1", "2025-05-01 10:00", 40),
    ("n2", "2025-04-25 10:00", 100),
    ("n2", "2025-05-10 10:00", 50),
    ("n2", "2025-06-20 10:00", 80),
    *[("a1", f"{d} 12:00", 200) for d in ("2024-06-01", "2024-09-01", "2024-12-01")],
    *[("a1", f"{d} 12:00", 200) for d in ("2025-03-01", "2025-06-01")],
    *[("a2", f"2025-{d} 09:00", 30) for d in ("01-01", "01-11", "01-21", "01-31", "02-10")],
    *[("a3", f"{d} 15:00", 100) for d in ("2023-07-01", "2024-01-01", "2024-07-01")],
    ("a3", "2025-01-31 15:00", 100),
    ("r1", "2025-02-01 08:00", 60),
    ("c1", "2023-02-01 08:00", 80),
    ("c1", "2024-05-01 08:00", 120),
    ("c2", "2024-06-01 08:00", 100),
    ("c2", "2024-06-10 08:00", -100),
    ("x1", "2025-06-30 09:00", 20),
    ("x1", "2025-06-30 21:00", 30),
    ("e1", "2025-04-01 11:00", 40),
    ("z1", "2023-01-10 11:00", 500),
    ("z1", "2025-06-15 11:00", 70),
    ("late", "2025-07-06 11:00", 999),
]

STAGES = {
    "p1": "prospect",
    "p2": "prospect",
    "n1": "new",
    "n2": "new",
    "x1": "new",
    "e1": "new",
    "a1": "active",
    "a3": "active",
    "z1": "active",
    "a2": "at_risk",
    "r1": "at_risk",
    "c1": "churned",
    "c2": "churned",
}


def build_shop(con) -> None:
    """The hand-made shop above in the raw tables of `con`."""
    customers = pd.DataFrame(
        CUSTOMERS,
        columns=[
            "customer_id",
            "signed_up_at",
            "acquisition_channel",
            "acquisition_cost",
            "referrer",
        ],
    )
    customers["signed_up_at"] = pd.to_datetime(customers["signed_up_at"], format="ISO8601")
    customers["city"] = "Shanghai"
    con.register("shop_customers", customers)
    con.execute(
        "insert into customers (customer_id, signed_up_at, city, acquisition_channel, "
        "acquisition_cost, referred_by) select customer_id, signed_up_at, city, "
        "acquisition_channel, acquisition_cost, referrer from shop_customers"
    )
    orders = pd.DataFrame(ORDERS, columns=["customer_id", "ordered_at", "amount"])
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    orders["transaction_id"] = [f"T{i}" for i in range(len(orders))]
    orders["cost"] = orders["amount"] / 2
    con.register("shop_orders", orders)
    con.execute(
        "insert into transactions (transaction_id, customer_id, ordered_at, amount, cost) "
        "select transaction_id, customer_id, ordered_at, amount, cost from shop_orders"
    )
    con.unregister("shop_customers")
    con.unregister("shop_orders")


@pytest.fixture
def shop(tmp_path):
    con = db.connect(tmp_path / "shop.duckdb")
    build_shop(con)
    return con


def test_every_customer_is_in_the_stage_worked_out_by_hand(shop):
    stages = customer_stages(shop, AS_OF).set_index("customer_id")
    assert stages["stage"].to_dict() == STAGES  # 'late' signed up after the as-of date
    assert stages.loc["a3", "mean_gap_days"] == pytest.approx(580 / 3)
    assert stages.loc["a3", "at_risk_after_days"] == pytest.approx(2 * 580 / 3)
    assert stages.loc["a2", "at_risk_after_days"] == 90  # max(90, 2 x 10)
    assert stages.loc["x1", "count_purchase_days"] == 1
    assert stages.loc["c2", "revenue"] == 0  # refunded in full
    assert stages.loc["e1", "days_since_purchase"] == 90  # not > 90: still new


def test_stage_counts_follow_the_rules(shop):
    counts = stage_counts(shop, AS_OF).set_index("stage")["customers"].to_dict()
    assert counts == {
        "prospect": 2,
        "new": 4,
        "active": 3,
        "at_risk": 2,
        "churned": 2,
        "refund_only": 0,
    }
    stricter = LifecycleRules(new_days=30, at_risk_min_days=60, churned_days=120)
    stages = customer_stages(shop, AS_OF, stricter).set_index("customer_id")["stage"]
    assert stages["n1"] == "new"  # a single purchase day, 60 days ago (not > 60)
    assert stages["n2"] == "active"  # first purchase 66 days ago: no longer new
    assert stages["a3"] == "churned"  # 150 days > 120
    assert stages["e1"] == "at_risk"  # 90 days > 60


def test_rules_are_checked():
    with pytest.raises(ValueError, match="churned_days"):
        LifecycleRules(at_risk_min_days=200, churned_days=150)
    with pytest.raises(ValueError, match="new_days must be a number from 0 to 730"):
        LifecycleRules(new_days=-1)
    assert set(LifecycleRules.help()) == {
        "new_days",
        "at_risk_min_days",
        "at_risk_gap_multiple",
        "churned_days",
    }


def test_funnel_by_hand(shop):
    row = funnel(shop, AS_OF).iloc[0]
    assert (row["acquired"], row["converted"], row["repeat"], row["retained"]) == (13, 11, 6, 4)
    assert row["conversion_rate"] == pytest.approx(11 / 13)
    assert row["repeat_rate"] == pytest.approx(6 / 11)
    assert row["retention_rate"] == pytest.approx(4 / 6)
    # days from sign-up to first purchase: 0 0 1 5 9 16 31 62 152 366 366
    assert row["median_days_to_first_purchase"] == 16
    assert row["share_first_purchase_same_day"] == pytest.approx(2 / 11)
    assert row["share_first_purchase_7_days"] == pytest.approx(4 / 11)


def test_funnel_by_channel_and_cohort(shop):
    by_channel = funnel(shop, AS_OF, by="channel").set_index("group_key")
    counts = by_channel[["acquired", "converted", "repeat", "retained"]]
    assert counts.to_dict("index") == {
        "douyin": {"acquired": 2, "converted": 2, "repeat": 1, "retained": 0},
        "jd": {"acquired": 3, "converted": 3, "repeat": 3, "retained": 2},
        "referral": {"acquired": 1, "converted": 1, "repeat": 1, "retained": 1},
        "tmall": {"acquired": 3, "converted": 2, "repeat": 1, "retained": 1},
        "unknown": {"acquired": 1, "converted": 1, "repeat": 0, "retained": 0},
        "wechat": {"acquired": 3, "converted": 2, "repeat": 0, "retained": 0},
    }
    by_cohort = funnel(shop, AS_OF, by="cohort").set_index("group_key")
    assert by_cohort.loc["2025-06", "acquired"] == 2  # p2 and x1
    assert by_cohort.loc["2025-06", "converted"] == 1
    assert by_cohort.loc["2024-01", "repeat"] == 2  # a1, a2
    assert by_cohort["acquired"].sum() == 13


def test_snapshot_agrees_with_the_single_results(shop):
    snap = lifecycle_snapshot(shop, AS_OF, limit=3)
    assert snap.stages.equals(stage_counts(shop, AS_OF))
    assert snap.funnel.equals(funnel(shop, AS_OF))
    assert snap.customers.total == 13
    assert list(snap.customers.customers["customer_id"]) == ["a1", "z1", "a3"]


def test_drill_down_lists_the_customers_of_a_stage_or_cell(shop):
    assert list(lifecycle_customers(shop, AS_OF, drill=Drill("at_risk", "jd"))["customer_id"]) == [
        "a2"
    ]
    retained = lifecycle_customers(shop, AS_OF, drill=Drill("retained"))
    assert list(retained["customer_id"]) == ["a1", "z1", "a3", "n2"]  # by revenue
    assert list(
        lifecycle_customers(shop, AS_OF, drill=Drill(channel="unknown"))["customer_id"]
    ) == ["x1"]
    cell = Drill(cohort=dt.date(2025, 4, 1), months_since_signup=1)
    assert list(lifecycle_customers(shop, AS_OF, drill=cell)["customer_id"]) == ["n2"]
    result = drill_down(shop, AS_OF, drill=Drill("new"), limit=2)
    assert result.total == 4 and len(result.customers) == 2
    assert set(result.customers.columns) >= {"customer_id", "city", "revenue", "stage"}
    assert "email" not in result.customers.columns and "name" not in result.customers.columns
    with pytest.raises(ValueError, match="unknown group"):
        Drill("loyal")


def test_stage_history_matches_the_stages_at_every_month_end(shop):
    history = stage_history(shop, AS_OF, months=30)
    assert len(history) == 30 and history["month"].iloc[-1] == pd.Timestamp("2025-06-01")
    for row in history.itertuples():
        expected = stage_counts(shop, row.day.date()).set_index("stage")["customers"]
        assert [getattr(row, s) for s in expected.index] == list(expected), row.day


def test_flows_of_june_by_hand(shop):
    june = stage_history(shop, AS_OF, months=2).iloc[-1]
    # live at the end of May: n1 n2 a1 a2 a3 r1 c2 e1 (c1 and z1 churned, x1 not a buyer)
    assert june["live_at_start"] == 8
    assert june["flow_new"] == 1  # x1
    assert june["flow_reactivated"] == 1  # z1
    assert june["flow_churned"] == 1  # c2: 364 days silent on 31 May, 394 on 30 June
    assert june["flow_retained"] == 7
    assert june["live_at_end"] == 9


def test_flows_add_up_every_month_on_the_demo(demo_db):
    con = db.connect(demo_db)
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    history = stage_history(con, as_of, months=36)
    assert len(history) == 36
    inflow = history["flow_new"] + history["flow_reactivated"]
    assert (history["live_at_start"] + inflow - history["flow_churned"]).equals(
        history["live_at_end"]
    )
    assert history["live_at_start"].iloc[1:].tolist() == history["live_at_end"].iloc[:-1].tolist()
    assert (history["flow_churned"] > 0).any() and (history["flow_reactivated"] > 0).any()
    last = history.iloc[-1]
    counts = stage_counts(con, as_of).set_index("stage")["customers"]
    assert [last[s] for s in counts.index] == list(counts)


def test_cohort_retention_by_hand(shop):
    cohorts = cohort_retention(shop, AS_OF, cohorts=3)
    cells = {
        (f"{r.cohort:%Y-%m}", r.months_since_signup): r
        for r in cohorts.itertuples()  # 2025-04: n2 e1; 2025-05: n1; 2025-06: p2 x1
    }
    assert sorted(cells) == [
        ("2025-04", 0),
        ("2025-04", 1),
        ("2025-04", 2),
        ("2025-05", 0),
        ("2025-05", 1),
        ("2025-06", 0),
    ]
    april_0, april_1, april_2 = (cells["2025-04", k] for k in range(3))
    assert april_0.cohort_size == 2 and april_0.buyer_share == 1.0
    assert april_1.buyer_share == 0.5 and april_2.buyer_share == 0.5  # n2 bought again
    assert april_0.revenue == 140 and april_0.revenue_retention == 1.0
    assert april_1.revenue_retention == pytest.approx(50 / 140)
    assert april_2.revenue_retention == pytest.approx(80 / 140)
    assert cells["2025-05", 1].buyers == 0
    assert cells["2025-06", 0].buyer_share == 0.5  # x1 bought, p2 did not


def test_channel_economics_and_payback(shop):
    economics = channel_economics(shop, AS_OF).set_index("channel")
    jd = economics.loc["jd"]
    assert (jd["customers"], jd["buyers"]) == (3, 3)
    assert jd["cac"] == pytest.approx(90)
    assert jd["margin"] == pytest.approx((1000 + 150 + 400) / 2)
    assert jd["margin_per_customer"] == pytest.approx(775 / 3)
    assert jd["roi_to_date"] == pytest.approx(775 / 270 - 1)
    assert pd.isna(jd["predicted_clv"])  # no CLV model yet
    assert economics.loc["unknown", "customers"] == 1 and pd.isna(economics.loc["unknown", "cac"])
    # douyin: c1 (from 2023-01, 29 whole months) and r1 (from 2024-12, 6 whole months)
    curve = (
        payback_curves(shop, AS_OF).query("channel == 'douyin'").set_index("months_since_signup")
    )
    assert curve.loc[0, "customers"] == 2 and curve.loc[6, "customers"] == 1
    assert curve.loc[28, "customers"] == 1 and 29 not in curve.index
    assert curve.loc[1, "value_per_customer"] == 20  # c1's margin of 40 over 2 customers
    assert curve.loc[2, "value_per_customer"] == 15  # r1's 30 over 2
    assert curve.loc[16, "cumulative_value_per_customer"] == 95  # + c1's 60 over 1
    assert economics.loc["douyin", "cac"] == 60
    assert economics.loc["douyin", "payback_months"] == 17  # reached in month 16


def test_payback_months():
    curve = pd.DataFrame(
        {"months_since_signup": [0, 1, 2], "cumulative_value_per_customer": [10.0, 30.0, 50.0]}
    )
    assert payback_months(curve, 10) == 1  # within the sign-up month
    assert payback_months(curve, 30) == 2
    assert pd.isna(payback_months(curve, 51))
    assert pd.isna(payback_months(curve, float("nan")))


def test_empty_database(tmp_path):
    con = db.connect(tmp_path / "empty.duckdb")
    assert stage_counts(con, AS_OF)["customers"].sum() == 0
    snap = lifecycle_snapshot(con, AS_OF)
    assert snap.funnel.empty and snap.customers.total == 0
    history = stage_history(con, AS_OF, months=3)
    assert len(history) == 3 and history["live_at_end"].sum() == 0
    assert cohort_retention(con, AS_OF).empty
    assert channel_economics(con, AS_OF).empty


def test_the_build_step_adds_the_stage_to_customer_features(shop):
    shop.execute(
        "create table customer_features as " + sql.load("customer_features"), {"as_of": AS_OF}
    )
    add_stages(shop, AS_OF)
    add_stages(shop, AS_OF)  # again: replaces the column, no duplicate
    rows = shop.execute("select customer_id, lifecycle_stage from customer_features").fetchall()
    assert dict(rows) == STAGES


def test_a_block_for_the_same_day_and_rules_reads_the_stages_already_made(shop):
    """The build makes the stage table once: a `staged` block inside one for the same day
    and rules reads that table (here marked by deleting the new customers from it), one
    for another day makes its own, and the table goes with the block that made it."""
    counts = stage_counts(shop, AS_OF).set_index("stage")["customers"]
    assert counts["new"] > 0
    with staged(shop, AS_OF, DEFAULT_RULES):
        shop.execute("delete from temp.customer_stages where stage = 'new'")
        inside = stage_counts(shop, AS_OF).set_index("stage")["customers"]
        assert inside["new"] == 0 and inside.drop("new").equals(counts.drop("new"))
        assert db.has_table(shop, "customer_stages")  # the inner block left it in place
    assert not db.has_table(shop, "customer_stages")
    assert stage_counts(shop, AS_OF).set_index("stage")["customers"].equals(counts)


def test_default_rules_are_the_documented_ones():
    assert (
        LifecycleRules(new_days=90, at_risk_min_days=90, at_risk_gap_multiple=2.0, churned_days=365)
        == DEFAULT_RULES
    )


def test_refund_only_customers_are_not_prospects(uk_shop_db):
    """The four UK customers with only refunds (bought before the export) have a stage of
    their own, now and at every month end, and no star."""
    con = db.connect(uk_shop_db, read_only=True)
    found = con.execute(
        "select customer_id, lifecycle_stage, stars from customer_features "
        "where customer_id like '182%'"
    ).df()
    assert sorted(found["customer_id"]) == ["18200", "18201", "18202", "18203"]
    assert (found["lifecycle_stage"] == "refund_only").all()
    assert found["stars"].isna().all()
    history = stage_history(con, db.built_as_of(con), DEFAULT_RULES, months=14)
    assert history["prospect"].eq(0).all()  # every UK customer is created by a transaction
    assert history["refund_only"].iloc[-1] == 4
    con.close()


def test_trend_charts_start_at_the_first_month_with_data(uk_shop_db):
    """The UK export starts on 2010-12-01: 36 months back from 2011-12 would reach 2009-01,
    two years with nothing in them. The stage mix, the flows and the cohorts start at the
    first month with a customer or an order; every month from there is kept."""
    con = db.connect(uk_shop_db, read_only=True)
    as_of = db.built_as_of(con)
    first = con.execute(
        "select date_trunc('month', least(min(c.signed_up_at), min(t.ordered_at)))::date "
        "from customers as c, transactions as t"
    ).fetchone()[0]
    assert first == dt.date(2010, 12, 1)
    history = stage_history(con, as_of, months=36)
    assert list(history["month"]) == list(pd.date_range("2010-12-01", "2011-12-01", freq="MS"))
    assert history[["new", "refund_only"]].iloc[0].sum() > 0  # the first month holds data
    cohorts = cohort_retention(con, as_of, cohorts=24)
    assert cohorts["cohort"].min().date() == first
    con.close()


def test_a_window_shorter_than_the_data_is_kept_whole(shop):
    history = stage_history(shop, AS_OF, months=6)
    assert history["month"].iloc[0] == pd.Timestamp("2025-01-01") and len(history) == 6


def test_months_before_the_first_customer_are_left_out(shop):
    """The hand-made shop's first customers signed up in January 2023 (c1, z1)."""
    history = stage_history(shop, AS_OF, months=36)
    assert history["month"].iloc[0] == pd.Timestamp("2023-01-01") and len(history) == 30
    first = history.iloc[0]
    assert (first["prospect"], first["new"]) == (1, 1)  # c1 buys in February, z1 on the 10th


def test_without_cost_margin_is_unknown_and_revenue_stands_in(shop):
    """The same shop with no cost on any transaction: margin is unknown (null, not 0), and
    revenue stands in for it per customer and in the payback."""
    shop.execute("update transactions set cost = null")
    economics = channel_economics(shop, AS_OF).set_index("channel")
    assert (economics["basis"] == "revenue").all()
    assert economics["margin"].isna().all() and economics["margin_per_customer"].isna().all()
    assert economics["roi_to_date"].isna().all()  # a return on margin: unknown, not -100%
    jd = economics.loc["jd"]
    assert jd["revenue_per_customer"] == pytest.approx((1000 + 150 + 400) / 3)
    assert jd["value_per_customer"] == jd["revenue_per_customer"]
    curve = (
        payback_curves(shop, AS_OF, basis="revenue")
        .query("channel == 'douyin'")
        .set_index("months_since_signup")
    )
    assert curve["margin"].isna().any()  # months with orders: no cost, no margin
    assert curve.loc[1, "value_per_customer"] == 40  # c1's 80 over 2 customers
    assert curve.loc[2, "cumulative_value_per_customer"] == 70  # + r1's 60 over 2
    assert economics.loc["douyin", "payback_months"] == 3  # CAC 60 reached in month 2
    assert pd.isna(economics.loc["unknown", "payback_months"])  # no CAC: unknown


def test_with_cost_a_channel_without_orders_made_no_margin(shop):
    shop.execute(
        "insert into customers (customer_id, signed_up_at, acquisition_channel, "
        "acquisition_cost) values ('f1', '2025-03-01', 'flyer', 5)"
    )
    economics = channel_economics(shop, AS_OF).set_index("channel")
    assert (economics["basis"] == "margin").all()
    flyer = economics.loc["flyer"]
    assert (flyer["margin"], flyer["revenue"], flyer["roi_to_date"]) == (0, 0, -1)
    assert economics.loc["jd", "value_per_customer"] == economics.loc["jd", "margin_per_customer"]


def test_channel_economics_of_the_uk_shop_without_cost(uk_shop_db):
    """No cost and no acquisition cost: margin, CAC, ROI and payback are unknown (empty),
    revenue per customer equals the raw lines' net amount over the customers."""
    con = db.connect(uk_shop_db, read_only=True)
    as_of = db.built_as_of(con)
    economics = channel_economics(con, as_of)
    raw_customers, raw_revenue = con.execute(
        "select (select count(*) from customers), sum(amount) from transactions"
    ).fetchone()
    con.close()
    assert economics["channel"].tolist() == ["unknown"]
    row = economics.iloc[0]
    assert row["basis"] == "revenue" and pd.isna(row["margin"])
    assert row["customers"] == raw_customers
    assert row["revenue_per_customer"] == pytest.approx(raw_revenue / raw_customers)
    assert row["value_per_customer"] == row["revenue_per_customer"]
    for unknown in ("margin_per_customer", "cac", "roi_to_date", "payback_months"):
        assert pd.isna(row[unknown]), unknown
