"""A click on the Satisfaction page's charts: the customdata each builder gives a point
turns into the group it stands for (`ui.satisfaction.pick_from_selection`), and that group's
customers are those pandas finds in the raw feedback by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core import db
from core import satisfaction as core_sat
from core.satisfaction import Pick, picked_customers
from ui import charts
from ui import satisfaction as sat


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db)  # as the app opens it: one process, one configuration
    as_of = con.execute("select max(submitted_at)::date from feedback").fetchall()[0][0]
    yield con.cursor(), as_of
    con.close()


def _click(figure, curve: int, index: int) -> dict:
    """The selection Streamlit gives for a click on point `index` of trace `curve`."""
    trace = figure.data[curve]
    custom = trace.customdata[index]
    return {
        "points": [
            {
                "curve_number": curve,
                "point_index": index,
                "x": trace.x[index],
                "y": trace.y[index],
                "customdata": list(np.atleast_1d(custom)),
            }
        ],
        "box": [],
        "lasso": [],
    }


def _feedback(con) -> pd.DataFrame:
    frame = con.execute("select * from feedback").df()
    frame["month"] = frame["submitted_at"].dt.to_period("M").dt.start_time
    return frame


def _per_customer(rows: pd.DataFrame) -> dict:
    return rows.groupby("customer_id").size().to_dict()


def test_a_trend_point_lists_who_answered_in_that_month_and_group(demo):
    con, as_of = demo
    trend = core_sat.satisfaction_trend(con, as_of, "channel", min_answers=1)
    keys = list(dict.fromkeys(trend["group_key"]))
    labels = {"month": "Month", "metric": "NPS", "answers": "Answers"}
    figure = charts.satisfaction_trend(trend, "nps", {k: k.upper() for k in keys}, "t", labels)
    curve = len(keys) - 1  # the last channel, its last month
    index = len(figure.data[curve].x) - 1
    pick = sat.pick_from_selection("answers", _click(figure, curve, index), "channel")
    month = pd.Timestamp(figure.data[curve].x[index]).date()
    assert pick == Pick("answers", keys[curve], "channel", month)
    rows = _feedback(con)
    by_hand = rows[
        (rows["channel"].fillna("unknown") == keys[curve])
        & (rows["month"] == pd.Timestamp(month))
        & (rows["csat"].notna() | rows["nps"].notna())
    ]
    found = picked_customers(con, as_of, pick)
    assert dict(zip(found["customer_id"], found["picked"], strict=True)) == _per_customer(by_hand)
    assert len(found) > 0


def test_a_complaints_bar_and_the_service_level_line_list_the_complainants(demo):
    con, as_of = demo
    monthly = core_sat.complaints_by_month(con, as_of)
    categories = {c: c.title() for c in dict.fromkeys(monthly["category"].dropna())}
    labels = {"month": "Month", "complaints": "Complaints", "sla_share": "Within 48 h"}
    figure = charts.complaints_by_category(monthly, categories, "t", labels)
    rows = _feedback(con)
    complaints = rows[rows["kind"] == "complaint"]
    for curve, trace in enumerate(figure.data):
        index = int(np.flatnonzero(np.asarray(trace.y, dtype=float) > 0)[-1])
        pick = sat.pick_from_selection("complaints", _click(figure, curve, index))
        month = pd.Timestamp(trace.x[index])
        is_line = curve == len(figure.data) - 1
        assert pick == Pick(
            "complaints", None if is_line else list(categories)[curve], month=month.date()
        )
        mine = complaints[complaints["month"] == month]
        if not is_line:
            mine = mine[mine["category"].fillna("unspecified") == pick.key]
        found = picked_customers(con, as_of, pick)
        assert dict(zip(found["customer_id"], found["picked"], strict=True)) == _per_customer(mine)


@pytest.fixture
def aged(tmp_path):
    """Open complaints of every age on AGED_DAY (the demo resolves its own within days):
    customer k1 has one 1 day old and one 45 days old, k2 two 3 days old, k3 one 10 days
    old; k4's was resolved the day before."""
    con = db.connect(tmp_path / "aged.duckdb")
    con.execute(
        "insert into customers (customer_id, signed_up_at) "
        "select 'k' || i, date '2025-01-01' from range(1, 5) t(i)"
    )
    end = dt.datetime.combine(AGED_DAY + dt.timedelta(days=1), dt.time())
    rows = [("k1", 1, None), ("k1", 45, None), ("k2", 3, None), ("k2", 3.5, None)]
    rows += [("k3", 10, None), ("k4", 5, end - dt.timedelta(days=1))]
    for i, (customer, days, resolved) in enumerate(rows):
        con.execute(
            "insert into feedback (feedback_id, customer_id, submitted_at, kind, category, "
            "resolved_at) values (?, ?, ?, 'complaint', 'delivery', ?)",
            [f"C{i}", customer, end - dt.timedelta(days=days), resolved],
        )
    yield con.cursor()
    con.close()


AGED_DAY = dt.date(2025, 6, 30)


def test_a_backlog_bar_lists_the_customers_with_complaints_that_old(aged):
    backlog = core_sat.complaint_backlog(aged, AGED_DAY)
    ages = core_sat.backlog_ages(backlog)
    assert ages["complaints"].tolist() == [1, 2, 1, 1]
    figure = charts.backlog_ages(
        ["a", "b", "c", "d"], ages["complaints"].tolist(), "t", "Open", edges=core_sat.BACKLOG_AGES
    )
    expected = [{"k1": 1}, {"k2": 2}, {"k3": 1}, {"k1": 1}]
    for index, low in enumerate(core_sat.BACKLOG_AGES):
        pick = sat.pick_from_selection("backlog", _click(figure, 0, index))
        assert pick == Pick("backlog", age_from=low)
        high = pick.age_to if pick.age_to is not None else np.inf
        by_hand = backlog[(backlog["age_days"] >= low) & (backlog["age_days"] < high)]
        found = picked_customers(aged, AGED_DAY, pick)
        listed = dict(zip(found["customer_id"], found["picked"], strict=True))
        assert listed == _per_customer(by_hand) == expected[index]


def test_a_band_bar_lists_its_buyers(demo):
    con, as_of = demo
    bands = core_sat.churn_by_band(con, as_of, measure="csat")
    labels = {
        "churn_rate": "Churned",
        "at_risk_rate": "At risk",
        "buyers": "Buyers",
        "rate": "Share",
        "band": "Band",
    }
    figure = charts.churn_by_band(bands, ["1", "2", "3", "4"], "t", labels)
    for curve in (0, 1):  # either bar of a band picks the band
        pick = sat.pick_from_selection("band", _click(figure, curve, 0))
        assert pick == Pick("band", bands["band"].iloc[0], "csat")
    found = picked_customers(con, as_of, pick)
    assert len(found) == bands["buyers"].iloc[0]
    assert (found["stage"] == "churned").sum() == bands["churned"].iloc[0]
    assert (found["latest_csat"] <= 2).all()  # the first CSAT band: unhappy, 1-2


def test_text_comes_back_as_it_was_in_the_data():
    """A channel of the user's own with markup in it is escaped for Plotly (charts draw data
    as text) and picked as it is written."""
    trend = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-05-01", "2025-06-01"]),
            "group_key": "a&b <shop>",
            "nps": [10.0, 20.0],
            "nps_answers": [3, 4],
        }
    )
    labels = {"month": "Month", "metric": "NPS", "answers": "Answers"}
    figure = charts.satisfaction_trend(trend, "nps", {"a&b <shop>": "A"}, "t", labels)
    assert "&amp;" in figure.data[0].customdata[1][1]
    pick = sat.pick_from_selection("answers", _click(figure, 0, 1), "channel")
    assert pick == Pick("answers", "a&b <shop>", "channel", dt.date(2025, 6, 1))


def test_no_point_picks_nothing():
    assert sat.pick_from_selection("band", {"points": [], "box": [], "lasso": []}) is None
    assert sat.pick_from_selection("band", None) is None
