"""The demo data generator: contract, reproducibility and the story the data must tell."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, demo
from core.contract import RAW_TABLES

END = dt.date(2025, 12, 31)  # three full Double 11s; Spring Festivals 2024 and 2025 inside
START = END - dt.timedelta(days=demo.HISTORY_DAYS - 1)
CUSTOMERS = 4_000
KEYS = {"customers": "customer_id", "transactions": "transaction_id"}
KEYS |= {"interactions": "interaction_id", "feedback": "feedback_id"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(connection, counts) of a demo database of 4,000 customers ending on END."""
    con = db.connect(tmp_path_factory.mktemp("demo") / "x.duckdb")
    counts = demo.build_demo(con, customers=CUSTOMERS, seed=3, end=END)
    yield con, counts
    con.close()


@pytest.fixture(scope="module")
def con(built):
    return built[0]


def one(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def test_every_table_is_filled_and_the_counts_are_returned(built):
    con, counts = built
    assert counts == db.row_counts(con)
    assert counts["customers"] == CUSTOMERS
    assert all(n > 0 for n in counts.values())
    assert counts["transactions"] > 3 * CUSTOMERS
    assert db.data_version(con) == 1


def test_frames_follow_the_contract():
    tables = demo.generate_demo(300, seed=1, end=END)
    assert list(tables) == list(RAW_TABLES)
    for name, frame in tables.items():
        assert list(frame.columns) == RAW_TABLES[name].columns


def test_same_seed_and_end_give_identical_tables():
    first = demo.generate_demo(2_000, seed=5, end=END)
    again = demo.generate_demo(2_000, seed=5, end=END)
    other = demo.generate_demo(2_000, seed=6, end=END)
    later = demo.generate_demo(2_000, seed=5, end=END + dt.timedelta(days=1))
    for name in RAW_TABLES:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["transactions"].equals(other["transactions"])
    assert not first["customers"]["signed_up_at"].equals(later["customers"]["signed_up_at"])


def test_build_writes_exactly_the_generated_tables(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    demo.build_demo(con, customers=500, seed=2, end=END)
    frames = demo.generate_demo(500, seed=2, end=END)
    for name, key in KEYS.items():
        stored = con.execute(f"select * from {name} order by {key}").df()
        expected = frames[name].sort_values(key, ignore_index=True)
        assert len(stored) == len(expected)
        for column in expected.columns:
            assert stored[column].astype(str).tolist() == expected[column].astype(str).tolist(), (
                name,
                column,
            )


def test_every_row_belongs_to_a_customer(con):
    for name in ("transactions", "interactions", "feedback"):
        orphans = (
            f"select count(*) from {name} "
            "where customer_id not in (select customer_id from customers)"
        )
        assert one(con, orphans) == 0, name


def test_referrals_point_to_earlier_buying_customers(con):
    referred = con.execute(
        "select c.acquisition_channel, c.signed_up_at, r.customer_id as referrer, "
        "r.signed_up_at as referrer_signed_up, "
        "(select min(ordered_at) from transactions t where t.customer_id = r.customer_id) "
        "as referrer_first_order "
        "from customers c left join customers r on r.customer_id = c.referred_by "
        "where c.referred_by is not null or c.acquisition_channel = 'referral'"
    ).df()
    assert len(referred) > 0.05 * CUSTOMERS
    assert (referred["acquisition_channel"] == "referral").all()
    assert referred["referrer"].notna().all()
    assert (referred["referrer_signed_up"] < referred["signed_up_at"]).all()
    assert (referred["referrer_first_order"] < referred["signed_up_at"]).all()


def test_nothing_happens_before_sign_up_or_after_end(con):
    checks = {
        "transactions": "ordered_at",
        "interactions": "occurred_at",
        "feedback": "submitted_at",
    }
    for name, column in checks.items():
        early = (
            f"select count(*) from {name} x join customers c using (customer_id) "
            f"where x.{column} < c.signed_up_at"
        )
        assert one(con, early) == 0, name
        assert one(con, f"select max({column})::date from {name}") <= END
    assert one(con, "select min(signed_up_at)::date from customers") >= START
    assert one(con, "select max(signed_up_at)::date from customers") <= END
    assert one(con, "select max(resolved_at)::date from feedback") <= END
    assert one(con, "select count(*) from feedback where resolved_at < submitted_at") == 0
    assert one(con, "select max(birth_date) from customers") < START


def test_about_a_fifth_never_buy(con):
    prospects = one(
        con,
        "select avg((customer_id not in (select customer_id from transactions))::int) "
        "from customers",
    )
    assert 0.12 <= prospects <= 0.30
    by_channel = dict(
        con.execute(
            "select acquisition_channel, "
            "avg((customer_id not in (select customer_id from transactions))::int) "
            "from customers group by 1"
        ).fetchall()
    )
    assert by_channel["search_ads"] > by_channel["referral"] + 0.1


def test_buyers_average_four_to_eight_orders_with_a_long_tail(con):
    orders = con.execute(
        "select count(*) as n from transactions where amount > 0 group by customer_id"
    ).df()["n"]
    assert 4 <= orders.mean() <= 8
    assert orders.max() > 10 * orders.median()
    value = one(con, "select avg(amount) from transactions where amount > 0")
    assert 220 <= value <= 400


def test_ids_are_unique_and_readable(con):
    for name, key in KEYS.items():
        assert one(con, f"select count(*) - count(distinct {key}) from {name}") == 0, name
    assert one(con, "select min(customer_id) from customers") == "C0000001"
    assert one(con, "select min(transaction_id) from transactions") == "T00000001"
    assert one(con, "select count(*) from interactions where interaction_id not like 'I%'") == 0
    assert one(con, "select count(*) from feedback where feedback_id not like 'F%'") == 0
    assert one(con, "select count(*) - count(distinct email) from customers") == 0
    bad_phones = (
        "select count(*) from customers where not regexp_full_match(phone, '1[3-9][0-9]{9}')"
    )
    assert one(con, bad_phones) == 0


def test_customers_read_naturally(con):
    row = con.execute("select name, email, city, region from customers limit 1").fetchone()
    name, email, city, region = row
    assert 2 <= len(name) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in name)
    assert email.endswith("@example.com") and "." in email.split("@")[0]
    assert (city, region) in {(en, r) for en, _, r, _ in demo._CITY_TABLE}
    shares = dict(
        con.execute(
            "select city, count(*) / sum(count(*)) over () from customers group by 1"
        ).fetchall()
    )
    assert shares["Shanghai"] > shares["Lanzhou"]
    with_birthday = one(con, "select avg((birth_date is not null)::int) from customers")
    assert 0.6 <= with_birthday <= 0.8
    assert one(con, "select count(*) from customers where acquisition_cost is null") == 0


def test_csat_and_nps_are_on_their_scales_and_only_on_surveys(con):
    stats = con.execute(
        "select min(csat), max(csat), min(nps), max(nps), avg(csat), "
        "100 * (avg((nps >= 9)::int) - avg((nps <= 6)::int)) "
        "from feedback where kind = 'survey'"
    ).fetchone()
    assert stats[:4] == (1, 5, 0, 10)
    assert 3.8 <= stats[4] <= 4.3
    assert 0 < stats[5] < 35
    assert (
        one(con, "select count(*) from feedback where kind <> 'survey' and csat is not null") == 0
    )
    kinds = dict(con.execute("select kind, count(*) from feedback group by 1").fetchall())
    assert set(kinds) == {"survey", "complaint", "suggestion"}
    orders = one(con, "select count(*) from transactions where amount > 0")
    assert 0.10 <= kinds["survey"] / orders <= 0.16


def test_complaints_are_resolved_in_hours_and_appear_as_inbound_interactions(con):
    hours = con.execute(
        "select epoch(resolved_at - submitted_at) / 3600 as h "
        "from feedback where kind = 'complaint'"
    ).df()["h"]
    assert 20 <= hours.median() <= 40
    assert (hours > 48).mean() > 0.1
    open_complaints = con.execute(
        "select submitted_at from feedback where kind = 'complaint' and resolved_at is null"
    ).df()["submitted_at"]
    assert (open_complaints.dt.date >= END - dt.timedelta(days=14)).all()
    complaints = one(con, "select count(*) from feedback where kind = 'complaint'")
    touches = one(con, "select count(*) from interactions where kind = 'complaint'")
    assert touches == complaints
    assert (
        one(
            con,
            "select count(*) from interactions where kind = 'complaint' and direction <> 'inbound'",
        )
        == 0
    )
    follow_ups = one(con, "select count(*) from interactions where kind = 'follow_up'")
    assert 0.4 * complaints < follow_ups < complaints


def test_cost_is_filled_and_margin_differs_by_category(con):
    assert one(con, "select count(*) from transactions where cost is null") == 0
    margins = dict(
        con.execute(
            "select product_category, 1 - sum(cost) / sum(amount) from transactions group by 1"
        ).fetchall()
    )
    assert margins["beauty"] == pytest.approx(0.55, abs=0.02)
    assert margins["electronics"] == pytest.approx(0.12, abs=0.02)
    assert margins["beauty"] > margins["apparel"] > margins["food"] > margins["electronics"]


def test_about_three_percent_of_orders_are_refunded_later(con):
    refunds = con.execute(
        "select count(*), max(amount), max(cost), max(quantity) from transactions where amount < 0"
    ).fetchone()
    orders = one(con, "select count(*) from transactions where amount > 0")
    assert 0.02 <= refunds[0] / orders <= 0.04
    assert refunds[1] < 0 and refunds[2] < 0 and refunds[3] < 0
    channels = {r[0] for r in con.execute("select distinct channel from transactions").fetchall()}
    assert channels == {"app", "mini_program", "web", "store"}


def daily_revenue(con) -> pd.Series:
    frame = con.execute(
        "select ordered_at::date as day, sum(amount) as revenue from transactions group by 1"
    ).df()
    return frame.set_index(pd.to_datetime(frame["day"]))["revenue"].sort_index()


def test_double_11_towers_over_an_ordinary_november_day(con):
    revenue = daily_revenue(con)
    for year in (2023, 2024, 2025):
        november = revenue[(revenue.index.year == year) & (revenue.index.month == 11)]
        assert november[f"{year}-11-11"] > 2.5 * november.median(), year
        june = revenue[(revenue.index.year == year) & (revenue.index.month == 6)]
        assert june[f"{year}-06-18"] > 1.5 * june.median(), year


def test_spring_festival_weeks_are_quiet(con):
    revenue = daily_revenue(con)
    for new_year in (dt.date(2024, 2, 10), dt.date(2025, 1, 29)):
        offset = (revenue.index - pd.Timestamp(new_year)).days
        festival = revenue[(offset >= -7) & (offset <= 6)].mean()
        around = revenue[(abs(offset) >= 14) & (abs(offset) <= 42)].mean()
        assert festival < 0.75 * around, new_year


def test_seasonality_has_mean_one_and_the_festivals_in_place():
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2025-01-01"))
    season = pd.Series(demo.seasonality(days), index=pd.DatetimeIndex(days))
    assert season.mean() == pytest.approx(1.0)
    assert season.idxmax() == pd.Timestamp("2024-11-11")
    assert season["2024-02-10"] < 0.6 * season["2024-03-10"]
    assert season["2024-06-18"] > season["2024-06-10"] > season["2024-05-20"]
    assert season["2024-12-12"] > season["2024-12-05"]


def test_unhappy_customers_repeat_less(con):
    buyers = con.execute(
        "with orders as (select customer_id, count(*) as n from transactions "
        "where amount > 0 group by 1), "
        "surveys as (select customer_id, avg(csat) as csat from feedback "
        "where kind = 'survey' group by 1) "
        "select csat, n from surveys join orders using (customer_id)"
    ).df()
    unhappy = buyers[buyers["csat"] <= 3]
    happy = buyers[buyers["csat"] >= 4.5]
    assert len(unhappy) > 100 and len(happy) > 100
    assert (unhappy["n"] >= 2).mean() < (happy["n"] >= 2).mean() - 0.05
    assert unhappy["n"].mean() < 0.8 * happy["n"].mean()
    complaint_share = con.execute(
        "select avg(csat) filter (where customer_id in "
        "(select customer_id from feedback where kind = 'complaint')), avg(csat) "
        "from feedback where kind = 'survey'"
    ).fetchone()
    assert complaint_share[0] < complaint_share[1]


def test_outreach_rises_with_value_and_visits_go_to_the_best(con):
    touches = con.execute(
        "with revenue as (select customer_id, sum(amount) as revenue from transactions "
        "group by 1), "
        "touches as (select customer_id, count(*) as n, count(*) filter (where channel in "
        "('visit', 'event')) as vip from interactions where kind = 'outreach' group by 1) "
        "select c.customer_id, coalesce(r.revenue, 0) as revenue, coalesce(t.n, 0) as n, "
        "coalesce(t.vip, 0) as vip from customers c left join revenue r using (customer_id) "
        "left join touches t using (customer_id)"
    ).df()
    decile = pd.qcut(touches["revenue"].rank(method="first"), 10, labels=False)
    assert touches.loc[decile == 9, "n"].mean() > 2 * touches.loc[decile <= 2, "n"].mean()
    assert touches.loc[decile == 9, "vip"].sum() > touches.loc[decile <= 5, "vip"].sum()
    assert (
        one(
            con,
            "select count(*) from interactions where kind = 'outreach' and direction <> 'outbound'",
        )
        == 0
    )


def test_outreach_follows_only_the_past(con):
    # every touch comes at most outreach_after_days (+ a day for times of day) after the
    # customer's latest sign-up or purchase before it; outreach that ran on to a fixed time
    # after the last-ever purchase broke this in every long gap between two purchases
    touches, matched, longest = con.execute(
        "with anchors as (select customer_id, signed_up_at as at from customers "
        "union all select customer_id, ordered_at from transactions where amount >= 0), "
        "touches as (select customer_id, occurred_at from interactions "
        "where kind = 'outreach') "
        "select (select count(*) from touches), count(*), "
        "max(date_diff('second', a.at, t.occurred_at)) / 86400 "
        "from touches t asof join anchors a "
        "on t.customer_id = a.customer_id and t.occurred_at >= a.at"
    ).fetchone()
    pause = demo.DEMO_PARAMS.outreach_after_days
    assert touches > CUSTOMERS and matched == touches
    assert pause - 5 < longest < pause + 1


def test_refuses_to_overwrite_without_replace(tmp_path):
    con = db.connect(tmp_path / "x.duckdb")
    demo.build_demo(con, customers=300, seed=1, end=END)
    before = db.row_counts(con)
    with pytest.raises(ValueError, match="already holds data"):
        demo.build_demo(con, customers=200, seed=1, end=END)
    assert db.row_counts(con) == before
    counts = demo.build_demo(con, customers=200, seed=1, end=END, replace=True)
    assert counts == db.row_counts(con) and counts["customers"] == 200
    assert db.data_version(con) == 2


def test_a_failed_build_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    con = db.connect(tmp_path / "x.duckdb")
    demo.build_demo(con, customers=300, seed=1, end=END)
    before = db.row_counts(con)
    insert = demo.insert_frame

    def failing(con, table, frame):
        if table == "feedback":
            raise RuntimeError("disk full")
        return insert(con, table, frame)

    monkeypatch.setattr(demo, "insert_frame", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        demo.build_demo(con, customers=200, seed=1, end=END, replace=True)
    assert db.row_counts(con) == before
    assert db.data_version(con) == 1


@pytest.mark.parametrize("customers", [0, -5, 2.5, "10"])
def test_bad_sizes_are_refused(customers):
    with pytest.raises(ValueError, match="customers"):
        demo.generate_demo(customers, end=END)
