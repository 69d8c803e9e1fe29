"""The lifecycle results of the customers the shared filters choose: each equals the whole
base's computation restricted by hand (pandas on every customer's stage and on the raw
tables), on the demo and on the UK shop (transactions only, no region or channel: chosen by
sign-up day); choosing everyone gives exactly the unfiltered figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db, lifecycle
from core import filters as core_filters
from core.filters import Filters
from core.lifecycle import Drill


def _day(con) -> dt.date:
    return con.execute("select max(ordered_at)::date from transactions").fetchone()[0]


def _demo_chosen(con) -> np.ndarray:
    """The demo's customers of one region and two channels."""
    region = con.execute(
        "select region from customers group by region order by count(*) desc limit 1"
    ).fetchone()[0]
    return core_filters.attribute_ids(
        con, Filters(regions=(region,), channels=("wechat", "referral"))
    )


def _uk_chosen(con) -> np.ndarray:
    """The UK shop's customers who signed up in the first half of its year."""
    first, last = con.execute(
        "select min(signed_up_at)::date, max(signed_up_at)::date from customers"
    ).fetchone()
    return core_filters.attribute_ids(con, Filters(joined_to=first + (last - first) / 2))


@pytest.fixture(params=["demo", "uk"])
def shop(request, demo_db, uk_shop_db):
    """(connection, as-of date, chosen ids) on the demo and on the UK shop."""
    path = demo_db if request.param == "demo" else uk_shop_db
    con = db.connect(path)
    chosen = _demo_chosen(con) if request.param == "demo" else _uk_chosen(con)
    total = con.execute("select count(*) from customers").fetchone()[0]
    assert 0 < len(chosen) < total  # a real choice
    yield con, _day(con), chosen
    con.close()


def _stages(con, as_of, chosen) -> pd.DataFrame:
    """Every customer's stage (whole base), restricted by hand."""
    stages = lifecycle.customer_stages(con, as_of)
    return stages[stages["customer_id"].isin(chosen)]


def test_stage_counts_and_funnels_count_only_the_chosen(shop):
    con, as_of, chosen = shop
    snap = lifecycle.lifecycle_snapshot(con.cursor(), as_of, customers=chosen)
    by_hand = _stages(con, as_of, chosen)
    counts = snap.stages.set_index("stage")["customers"]
    assert counts.to_dict() == {s: int((by_hand["stage"] == s).sum()) for s in lifecycle.STAGES}
    repeat = by_hand["count_purchase_days"] >= 2
    overall = snap.funnel.iloc[0]
    assert overall["acquired"] == len(by_hand)
    assert overall["converted"] == by_hand["first_purchase_on"].notna().sum()
    assert overall["repeat"] == repeat.sum()
    assert overall["retained"] == (repeat & by_hand["stage"].isin(["new", "active"])).sum()
    channels = by_hand["acquisition_channel"].fillna("unknown").value_counts()
    assert snap.funnel_by_channel.set_index("group_key")["acquired"].to_dict() == channels.to_dict()
    assert set(snap.customers.customers["customer_id"]) <= set(chosen)


def test_the_drill_down_lists_only_the_chosen(shop):
    con, as_of, chosen = shop
    by_hand = _stages(con, as_of, chosen)
    for drill, rows in (
        (Drill(), by_hand),
        (Drill(group="repeat"), by_hand[by_hand["count_purchase_days"] >= 2]),
        (Drill(group="churned"), by_hand[by_hand["stage"] == "churned"]),
    ):
        listed = lifecycle.lifecycle_customers(con.cursor(), as_of, drill=drill, customers=chosen)
        assert sorted(listed["customer_id"]) == sorted(rows["customer_id"])
        result = lifecycle.drill_down(con.cursor(), as_of, drill=drill, customers=chosen)
        assert result.total == len(rows)


def test_the_stage_history_ends_on_the_chosen_customers_stages(shop):
    con, as_of, chosen = shop
    history = lifecycle.stage_history(con.cursor(), as_of, customers=chosen)
    whole = lifecycle.stage_history(con.cursor(), as_of)
    last = history.iloc[-1]
    by_hand = _stages(con, as_of, chosen)["stage"].value_counts()
    assert {s: int(last[s]) for s in lifecycle.STAGES} == {
        s: int(by_hand.get(s, 0)) for s in lifecycle.STAGES
    }
    live = history["live_at_start"] + history["flow_new"] + history["flow_reactivated"]
    assert (live - history["flow_churned"] == history["live_at_end"]).all()
    merged = history.merge(whole, on="month", suffixes=("", "_all"))
    for stage in lifecycle.STAGES:  # a part of the base, every month
        assert (merged[stage] <= merged[f"{stage}_all"]).all()
    assert (merged["live_at_end"] < merged["live_at_end_all"]).any()


def test_cohorts_hold_only_the_chosen(shop):
    con, as_of, chosen = shop
    cohorts = lifecycle.cohort_retention(con.cursor(), as_of, customers=chosen)
    customers = con.execute("select customer_id, signed_up_at from customers").df()
    customers = customers[customers["customer_id"].isin(chosen)]
    start = pd.Timestamp(lifecycle.month_start(as_of, 24))
    recent = customers[
        (customers["signed_up_at"] >= start)
        & (customers["signed_up_at"] < pd.Timestamp(as_of) + pd.Timedelta(days=1))
    ]
    sizes = recent.groupby(recent["signed_up_at"].dt.to_period("M")).size()
    month_0 = cohorts[cohorts["months_since_signup"] == 0]
    assert dict(zip(month_0["cohort"].dt.to_period("M"), month_0["cohort_size"], strict=True)) == (
        sizes.to_dict()
    )
    # a cell's buyers are the customers its drill-down lists
    cell = cohorts[cohorts["buyers"] > 0].iloc[-1]
    drill = Drill(
        cohort=cell["cohort"].date(), months_since_signup=int(cell["months_since_signup"])
    )
    listed = lifecycle.lifecycle_customers(con.cursor(), as_of, drill=drill, customers=chosen)
    assert len(listed) == cell["buyers"]


def test_channel_economics_of_the_chosen(shop):
    con, as_of, chosen = shop
    economics = lifecycle.channel_economics(con.cursor(), as_of, customers=chosen)
    customers = con.execute(
        "select customer_id, coalesce(acquisition_channel, 'unknown') as channel, "
        "acquisition_cost from customers where signed_up_at::date <= ?",
        [as_of],
    ).df()
    customers = customers[customers["customer_id"].isin(chosen)]
    assert economics.set_index("channel")["customers"].to_dict() == (
        customers["channel"].value_counts().to_dict()
    )
    cac = customers.groupby("channel")["acquisition_cost"].mean()
    np.testing.assert_allclose(
        economics.set_index("channel")["cac"].reindex(cac.index).to_numpy(dtype=float),
        cac.to_numpy(dtype=float),
    )


def test_choosing_everyone_gives_the_unfiltered_figures(shop):
    con, as_of, _ = shop
    everyone = core_filters.attribute_ids(con, Filters())  # every customer's id
    cur = con.cursor()
    snap = lifecycle.lifecycle_snapshot.live(cur, as_of, customers=everyone)
    whole = lifecycle.lifecycle_snapshot.live(cur, as_of)
    pd.testing.assert_frame_equal(snap.stages, whole.stages)
    pd.testing.assert_frame_equal(snap.funnel_by_cohort, whole.funnel_by_cohort)
    pd.testing.assert_frame_equal(
        lifecycle.stage_history.live(cur, as_of, customers=everyone),
        lifecycle.stage_history.live(cur, as_of),
    )
    pd.testing.assert_frame_equal(
        lifecycle.cohort_retention.live(cur, as_of, customers=everyone),
        lifecycle.cohort_retention.live(cur, as_of),
    )
    pd.testing.assert_frame_equal(
        lifecycle.channel_economics.live(cur, as_of, customers=everyone),
        lifecycle.channel_economics.live(cur, as_of),
    )
    assert cur.execute("select count(*) from customers").fetchone()[0] == len(everyone)


def test_the_filter_must_come_before_the_stages(demo_db):
    con = db.connect(demo_db)
    as_of = _day(con)
    cur = con.cursor()
    chosen = _demo_chosen(con)
    with (
        lifecycle.staged(cur, as_of, lifecycle.DEFAULT_RULES),
        pytest.raises(ValueError, match="before staging"),
    ):
        lifecycle.drill_down(cur, as_of, customers=chosen)
    con.close()
