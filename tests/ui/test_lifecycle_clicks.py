"""A click on a Lifecycle chart opens the customers behind what was clicked: the point's
customdata (as the figure sends it to the browser) names the group, `clicked_drill` turns
the selection event into a drill-down, and the list it gives is the group counted by hand
from every customer's stage, on the demo and on the UK shop (no channels: all 'unknown')."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from core import db, lifecycle
from core.lifecycle import Drill
from ui import charts
from ui import lifecycle as lc


def _event(figure, curve: int, index: int) -> dict:
    """The selection event Streamlit returns for a click on point `index` of trace `curve`,
    its customdata as the browser received it (the figure's JSON)."""
    sent = json.loads(figure.to_json())["data"][curve]
    point = {"curve_number": curve, "point_number": index, "point_index": index}
    if "customdata" in sent:
        point["customdata"] = sent["customdata"][index]
    return {"points": [point], "point_indices": [index], "box": [], "lasso": []}


@pytest.fixture(params=["demo", "uk"])
def shop(request, demo_db, uk_shop_db):
    con = db.connect(demo_db if request.param == "demo" else uk_shop_db)
    as_of = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    yield con, as_of, lifecycle.customer_stages(con, as_of)
    con.close()


def _listed(con, as_of, drill: Drill) -> list[str]:
    return sorted(lifecycle.lifecycle_customers(con.cursor(), as_of, drill=drill)["customer_id"])


def test_a_funnel_step_opens_its_customers(shop):
    con, as_of, stages = shop
    snap = lifecycle.lifecycle_snapshot(con.cursor(), as_of)
    overall = snap.funnel.iloc[0]
    figure = charts.lifecycle_funnel(
        ["A", "B", "C", "D"],
        [int(overall[s]) for s in lc.FUNNEL_STEPS],
        "t",
        keys=list(lc.FUNNEL_STEPS),
    )
    repeat = stages["count_purchase_days"] >= 2
    by_hand = {
        "acquired": stages,
        "converted": stages[stages["first_purchase_on"].notna()],
        "repeat": stages[repeat],
        "retained": stages[repeat & stages["stage"].isin(["new", "active"])],
    }
    for index, step in enumerate(lc.FUNNEL_STEPS):
        drill = lc.clicked_drill("funnel", _event(figure, 0, index))
        assert drill == Drill(group=None if step == "acquired" else step)
        assert _listed(con, as_of, drill) == sorted(by_hand[step]["customer_id"])
        assert len(by_hand[step]) == overall[step]  # the step's figure is the list's length


def test_a_rate_bar_opens_the_groups_customers_who_reached_the_step(shop):
    con, as_of, stages = shop
    snap = lifecycle.lifecycle_snapshot(con.cursor(), as_of)
    rates = {"conversion_rate": "C", "repeat_rate": "R", "retention_rate": "K"}
    labels = {"group": "g", "rate": "r", "acquired": "a"}
    by_channel = snap.funnel_by_channel
    figure = charts.funnel_rates(by_channel, ["x"] * len(by_channel), rates, "t", labels)
    index = int(by_channel["acquired"].to_numpy().argmax())
    channel = by_channel["group_key"].iloc[index]
    drill = lc.clicked_drill("rates_channel", _event(figure, 1, index))  # the repeat rate
    assert drill == Drill(group="repeat", channel=channel)
    mine = stages[stages["acquisition_channel"].fillna("unknown") == channel]
    assert _listed(con, as_of, drill) == sorted(
        mine.loc[mine["count_purchase_days"] >= 2, "customer_id"]
    )

    by_cohort = snap.funnel_by_cohort
    figure = charts.funnel_rates(
        by_cohort, list(by_cohort["group_key"]), rates, "t", labels, over_time=True
    )
    index = len(by_cohort) // 2
    drill = lc.clicked_drill("rates_cohort", _event(figure, 0, index))  # conversion
    month = dt.datetime.strptime(by_cohort["group_key"].iloc[index], "%Y-%m").date()
    assert drill == Drill(group="converted", cohort=month)
    signed = pd.to_datetime(stages["signed_up_on"]).dt.to_period("M") == pd.Period(month, "M")
    assert _listed(con, as_of, drill) == sorted(
        stages.loc[signed & stages["first_purchase_on"].notna(), "customer_id"]
    )


def test_a_cohort_cell_opens_the_cohorts_buyers_of_that_month(shop):
    con, as_of, stages = shop
    cohorts = lifecycle.cohort_retention(con.cursor(), as_of)
    labels = dict.fromkeys(("cohort", "months", "value", "cohort_size", "buyers"), "x")
    figure = charts.cohort_heatmap(cohorts, "buyer_share", "t", labels)
    cells = figure.data[1]  # the cells' unseen markers carry the click
    assert len(cells.x) == len(cohorts.dropna(subset=["buyer_share"]))
    for index in (0, len(cells.x) // 2, len(cells.x) - 1):
        drill = lc.clicked_drill("cohorts", _event(figure, 1, index))
        row = cohorts[
            (cohorts["cohort"].dt.date == drill.cohort)
            & (cohorts["months_since_signup"] == drill.months_since_signup)
        ].iloc[0]
        assert cells.y[index] == f"{drill.cohort:%Y-%m}"  # the cell clicked
        assert cells.x[index] == str(drill.months_since_signup)
        listed = _listed(con, as_of, drill)
        assert len(listed) == row["buyers"]  # the cell's buyers
        cohort_ids = stages.loc[
            pd.to_datetime(stages["signed_up_on"]).dt.to_period("M")
            == pd.Period(drill.cohort, "M"),
            "customer_id",
        ]
        assert set(listed) <= set(cohort_ids)


def test_a_channels_bars_open_its_customers(shop):
    con, as_of, stages = shop
    economics = lifecycle.channel_economics(con.cursor(), as_of)
    figure = charts.channel_economics(
        economics, ["x"] * len(economics), {"cac": "CAC", "value_per_customer": "V"}, "t", "a"
    )
    for curve in (0, 1):
        index = len(economics) - 1
        drill = lc.clicked_drill("economics", _event(figure, curve, index))
        channel = economics["channel"].iloc[index]
        assert drill == Drill(channel=channel)
        mine = stages[stages["acquisition_channel"].fillna("unknown") == channel]
        assert _listed(con, as_of, drill) == sorted(mine["customer_id"])
        assert len(mine) == economics["customers"].iloc[index]


def test_no_point_no_drill_down_and_unknown_charts_are_refused():
    empty = {"points": [], "point_indices": [], "box": [], "lasso": []}
    assert lc.clicked_drill("funnel", empty) is None
    assert lc.clicked_drill("cohorts", None) is None
    with pytest.raises(ValueError, match="unknown chart"):
        lc.clicked_drill("pie", empty)
