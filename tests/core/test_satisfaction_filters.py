"""The Satisfaction figures with the shared filters, and the customers behind a picked
point, checked against pandas on the raw feedback restricted by hand: on the demo and on
the marketplace (CSAT reviews only)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db
from core.filters import Filters, chosen_ids
from core.satisfaction import (
    BACKLOG_AGES,
    NPS_BANDS,
    Pick,
    churn_by_band,
    complaint_backlog,
    complaints_by_month,
    month_start,
    picked_customers,
    satisfaction_kpis,
    satisfaction_trend,
    value_at_risk,
    value_at_risk_summary,
)


def _shop(path):
    con = db.connect(path, read_only=True)
    as_of = con.execute("select max(submitted_at)::date from feedback").fetchall()[0][0]
    return con, as_of


def _feedback(con) -> pd.DataFrame:
    return con.execute("select * from feedback").df()


def _first_channel(con) -> Filters:
    """The customers of the most common acquisition channel, or of the most common region,
    or (data without either, the marketplace's) those who signed up in the later half."""
    for column, kind in (("acquisition_channel", "channels"), ("region", "regions")):
        found = con.execute(
            f"select {column} from customers where {column} is not null "
            "group by 1 order by count(*) desc, 1 limit 1"
        ).fetchall()
        if found:
            return Filters(**{kind: (found[0][0],)})
    # the marketplace knows only when its customers first bought: the later half of them
    middle = con.execute("select median(signed_up_at)::date from customers").fetchall()[0][0]
    return Filters(joined_from=middle)


@pytest.fixture(params=["demo_db", "market_db"])
def shop(request):
    con, as_of = _shop(request.getfixturevalue(request.param))
    ids = chosen_ids(con, _first_channel(con))
    assert 0 < len(ids) < con.execute("select count(*) from customers").fetchall()[0][0]
    yield con.cursor(), as_of, ids
    con.close()


def test_everyone_chosen_gives_the_unfiltered_figures(shop):
    con, as_of, _ = shop
    everyone = np.asarray(
        con.execute("select customer_id from customers").fetchnumpy()["customer_id"], dtype=object
    )
    assert satisfaction_kpis(con, as_of, customers=everyone) == satisfaction_kpis.live(con, as_of)
    pd.testing.assert_frame_equal(
        satisfaction_trend(con, as_of, "channel", customers=everyone),
        satisfaction_trend(con, as_of, "channel"),
    )
    pd.testing.assert_frame_equal(
        complaints_by_month(con, as_of, customers=everyone), complaints_by_month(con, as_of)
    )
    assert value_at_risk_summary(con, as_of, customers=everyone) == value_at_risk_summary(
        con, as_of
    )


def test_the_trend_counts_the_chosen_customers_answers(shop):
    con, as_of, ids = shop
    trend = satisfaction_trend(con, as_of, "all", months=24, min_answers=1, customers=ids)
    answers = _feedback(con)
    answers = answers[
        answers["customer_id"].isin(ids)
        & (answers["csat"].notna() | answers["nps"].notna())
        & (answers["submitted_at"] >= pd.Timestamp(month_start(as_of, 24)))
        & (answers["submitted_at"] < pd.Timestamp(as_of + dt.timedelta(days=1)))
    ]
    by_month = answers.groupby(answers["submitted_at"].dt.to_period("M").dt.start_time)
    expected = by_month.agg(csat_answers=("csat", "count"), nps_answers=("nps", "count"))
    found = trend.set_index("month").loc[expected.index]
    assert found["csat_answers"].tolist() == expected["csat_answers"].tolist()
    assert found["nps_answers"].tolist() == expected["nps_answers"].tolist()
    csat = by_month["csat"].mean()
    assert found["csat"].to_numpy() == pytest.approx(csat.to_numpy(dtype=float), nan_ok=True)
    unfiltered = satisfaction_trend(con, as_of, "all", months=24, min_answers=1)
    assert trend["csat_answers"].sum() < unfiltered["csat_answers"].sum()


def test_the_kpis_count_the_chosen_customers(shop):
    con, as_of, ids = shop
    now = satisfaction_kpis(con, as_of, customers=ids).current
    rows = _feedback(con)
    start = pd.Timestamp(as_of) - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    end = pd.Timestamp(as_of + dt.timedelta(days=1))
    year = rows[(rows["submitted_at"] >= start) & (rows["submitted_at"] < end)]
    chosen = year[year["customer_id"].isin(ids)]
    assert now.csat_answers == chosen["csat"].notna().sum()
    assert now.nps_answers == chosen["nps"].notna().sum()
    assert now.complaints == (chosen["kind"] == "complaint").sum()
    buyers = con.execute(
        "select distinct customer_id from transactions where ordered_at >= ? and ordered_at < ?",
        [start.to_pydatetime(), end.to_pydatetime()],
    ).df()
    assert now.buyers == buyers["customer_id"].isin(ids).sum()
    assert now.buyers < satisfaction_kpis.live(con, as_of).current.buyers


def test_complaints_and_the_backlog_of_the_chosen_customers(demo_db):
    con, as_of = _shop(demo_db)
    con = con.cursor()
    ids = chosen_ids(con, _first_channel(con))
    monthly = complaints_by_month(con, as_of, customers=ids)
    rows = _feedback(con)
    complaints = rows[
        (rows["kind"] == "complaint")
        & rows["customer_id"].isin(ids)
        & (rows["submitted_at"] >= pd.Timestamp(month_start(as_of, 24)))
    ]
    assert monthly.loc[monthly["is_total"], "complaints"].sum() == len(complaints)
    # a day with a backlog (the demo resolves its complaints within days): each channel's
    # open complaints are everyone's restricted to it, and together they are everyone's
    day = con.execute(
        "select d::date from generate_series(?::date - interval 400 day, ?::date, interval 1 day) "
        "as g(d) join feedback as f on f.kind = 'complaint' "
        "and f.submitted_at < d + interval 1 day "
        "and (f.resolved_at is null or f.resolved_at >= d + interval 1 day) "
        "group by d order by count(*) desc, d limit 1",
        [as_of, as_of],
    ).fetchall()[0][0]
    everyone = complaint_backlog(con, day)
    assert len(everyone) > 1
    channels = con.execute(
        "select acquisition_channel, list(customer_id) from customers group by 1"
    ).fetchall()
    parts = []
    for _, members in channels:
        mine = complaint_backlog(con, day, customers=np.asarray(members, dtype=object))
        expected = everyone.loc[everyone["customer_id"].isin(members), "feedback_id"]
        assert mine["feedback_id"].tolist() == expected.tolist()
        parts.extend(mine["feedback_id"])
    assert sorted(parts) == sorted(everyone["feedback_id"])


def test_bands_and_value_at_risk_are_the_chosen_buyers(shop):
    con, as_of, ids = shop
    for measure in ("nps", "csat"):
        bands = churn_by_band(con, as_of, measure=measure, customers=ids).set_index("band")
        for band in bands.index:
            members = picked_customers(con, as_of, Pick("band", band, measure))
            mine = members[members["customer_id"].isin(ids)]
            assert bands.loc[band, "buyers"] == len(mine)
            assert bands.loc[band, "churned"] == (mine["stage"] == "churned").sum()
            # the filtered pick is the unfiltered one restricted by hand
            chosen = picked_customers(con, as_of, Pick("band", band, measure), customers=ids)
            assert chosen["customer_id"].tolist() == mine["customer_id"].tolist()
    listed = value_at_risk(con, as_of, customers=ids)
    everyone = value_at_risk(con, as_of)
    assert (
        listed["customer_id"].tolist()
        == everyone.loc[everyone["customer_id"].isin(ids), "customer_id"].tolist()
    )
    # every buyer is in one NPS band: together, the per-customer frame of the whole base
    buyers = pd.concat(
        [picked_customers(con, as_of, Pick("band", band, "nps")) for band in NPS_BANDS]
    )
    mine = buyers[buyers["customer_id"].isin(ids)]
    unhappy = (mine["latest_nps"] <= 6) | (mine["latest_csat"] <= 2) | (mine["open_complaints"] > 0)
    summary = value_at_risk_summary(con, as_of, customers=ids)
    assert summary.buyers == len(mine)
    assert summary.unhappy == unhappy.sum()
    if mine["value"].notna().any():
        assert summary.unhappy_value == pytest.approx(mine.loc[unhappy, "value"].sum())
    else:  # the marketplace: the value model cannot run, so the value is unknown, not 0
        assert summary.unhappy_value is None


def test_the_answers_behind_a_point_of_the_trend(shop):
    con, as_of, ids = shop
    trend = satisfaction_trend(con, as_of, "channel", min_answers=1, customers=ids)
    point = trend[trend["csat_answers"] + trend["nps_answers"] > 0].iloc[-1]
    month = point["month"].date()
    pick = Pick("answers", point["group_key"], "channel", month)
    found = picked_customers(con, as_of, pick, customers=ids)
    rows = _feedback(con)
    by_hand = rows[
        rows["customer_id"].isin(ids)
        & (rows["csat"].notna() | rows["nps"].notna())
        & (rows["submitted_at"].dt.to_period("M").dt.start_time == pd.Timestamp(month))
        & (rows["channel"].fillna("unknown") == point["group_key"])
    ]
    counts = by_hand.groupby("customer_id").size()
    assert found.set_index("customer_id")["picked"].sort_index().to_dict() == counts.to_dict()
    # a row answers CSAT, NPS or both: the point's counts are each at most the rows picked
    assert max(point["csat_answers"], point["nps_answers"]) <= found["picked"].sum()
    assert found["picked"].sum() <= point["csat_answers"] + point["nps_answers"]


def test_the_complaints_behind_a_bar_and_a_backlog_age(demo_db):
    con, as_of = _shop(demo_db)
    con = con.cursor()
    monthly = complaints_by_month(con, as_of)
    bar = monthly[~monthly["is_total"] & (monthly["complaints"] > 0)].iloc[-1]
    month = bar["month"].date()
    found = picked_customers(con, as_of, Pick("complaints", bar["category"], month=month))
    assert found["picked"].sum() == bar["complaints"]
    every = picked_customers(con, as_of, Pick("complaints", None, month=month))
    total = monthly.loc[monthly["is_total"] & (monthly["month"] == bar["month"]), "complaints"]
    assert every["picked"].sum() == total.iloc[0]
    backlog = complaint_backlog(con, as_of)
    for low in BACKLOG_AGES:
        pick = Pick("backlog", age_from=low)
        high = pick.age_to if pick.age_to is not None else np.inf
        aged = backlog[(backlog["age_days"] >= low) & (backlog["age_days"] < high)]
        found = picked_customers(con, as_of, pick)
        assert found.set_index("customer_id")["picked"].sort_index().to_dict() == (
            aged.groupby("customer_id").size().to_dict()
        )


def test_an_unknown_pick_is_refused():
    with pytest.raises(ValueError, match="unknown pick"):
        Pick("pie")
