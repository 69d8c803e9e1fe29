"""Every figure builder of ui.charts, drawn on small frames and on a real-shaped shop: the
StarTier template, a title, axis titles, the concept colours, money in the currency given
and axes of counts that never repeat a whole number."""

from __future__ import annotations

import datetime as dt
import inspect
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core import db, overview, stars
from ui import charts, theme

MONTHS = pd.date_range("2024-01-01", periods=4, freq="MS")


@dataclass
class Case:
    """A figure and what the test should find in it."""

    figure: go.Figure
    counts: tuple[str, ...] = ()  # layout axes holding whole numbers (customers, orders...)
    money_traces: tuple[int, ...] = ()  # traces whose hover shows an amount in pounds
    money_axes: tuple[str, ...] = ()  # layout axes holding money
    stars: bool = False  # the figure draws star levels
    untitled: dict[str, str] = field(default_factory=dict)  # axis -> why it needs no title


CASES = {}  # builder name -> a function drawing it on fixture data


def case(draw):
    """Register `draw` as the case of the builder of the same name."""
    CASES[draw.__name__] = draw
    return draw


def _monthly(revenue):
    months = pd.date_range("2024-01-01", periods=len(revenue), freq="MS")
    return pd.DataFrame(
        {
            "month": months,
            "revenue": revenue,
            "orders": 1,
            "customers": 1,
            "is_partial": [False] * (len(revenue) - 1) + [True],
        }
    )


def _distribution(customers=(1, 2, 2, 1, 1)):
    counts = np.array(customers)
    return pd.DataFrame(
        {
            "stars": [1, 2, 3, 4, 5],
            "customers": counts,
            "share": counts / counts.sum(),
            "revenue_12m": [-120.0, 300.0, 1_200.0, 4_500.0, 98_000.0],
        }
    )


@case
def revenue_trend():
    labels = {"month": "Month", "revenue": "Revenue (£)", "orders": "Orders", "customers": "C"}
    return Case(
        charts.revenue_trend(_monthly([1200.0, -300.0, 800.0]), "t", labels), money_axes=("yaxis",)
    )


@case
def lifecycle_funnel():
    figure = charts.lifecycle_funnel(["Acquired", "Converted", "Repeat"], [10, 6, 3], "t")
    return Case(figure, untitled={"yaxis": "the steps name themselves", "xaxis": "hidden"})


@case
def star_mix():
    mix = pd.DataFrame(
        {"stars": [5, 4], "customer_share": [0.05, 0.95], "value_share": [0.6, np.nan]}
    )
    labels = {"customers": "Customers", "value": "Margin", "axis": "Share (%)"}
    figure = charts.star_mix(mix, ["5★", "4★"], "t", labels)
    return Case(figure, untitled={"yaxis": "the stars name themselves"})


def test_the_star_mix_writes_each_share_and_an_unknown_one_as_unknown():
    figure = star_mix().figure
    assert list(figure.data[0].text) == ["5%", "95%"]
    assert list(figure.data[1].text) == ["60%", "–"]
    assert list(figure.layout.yaxis.categoryarray) == ["4★", "5★"]  # 5 stars at the top


def test_a_click_on_the_star_charts_or_the_funnel_names_its_group_in_customdata():
    """The group a click opens comes from the point's customdata, never its translated
    label: the star first in each star bar, the step's code in each funnel step."""
    mix = star_mix().figure
    for trace in mix.data:  # customers and value bars of the same star
        assert list(trace.customdata) == [5, 4]
    bars = CASES["star_bars"]().figure
    for trace in bars.data:
        assert [row[0] for row in trace.customdata] == [1, 2, 3, 4, 5]
    keys = ["acquired", "converted", "repeat"]
    funnel = charts.lifecycle_funnel(["A", "C", "R"], [10, 6, 3], "t", keys)
    assert list(funnel.data[0].customdata) == keys
    assert lifecycle_funnel().figure.data[0].customdata is None  # no keys: nothing to name


@case
def funnel_rates():
    frame = pd.DataFrame({"conversion": [0.5, 0.25], "repeat": [0.2, 0.1], "acquired": [4, 8]})
    labels = {"group": "Channel", "rate": "Rate", "acquired": "Acquired"}
    return Case(
        charts.funnel_rates(frame, ["Web", "App"], {"conversion": "C", "repeat": "R"}, "t", labels)
    )


@case
def stage_mix():
    history = pd.DataFrame({"day": MONTHS, "prospect": [1, 1, 0, 0], "new": [0, 1, 1, 0]})
    history = history.assign(active=[0, 0, 1, 2], at_risk=0, churned=[0, 0, 0, 1])
    stages = {s: s.title() for s in ("prospect", "new", "active", "at_risk", "churned")}
    return Case(charts.stage_mix(history, stages, "t", "Month end", "Customers"), counts=("yaxis",))


@case
def lifecycle_flows():
    history = pd.DataFrame(
        {
            "month": MONTHS,
            "flow_new": [2, 1, 0, 1],
            "flow_reactivated": [0, 1, 0, 0],
            "flow_churned": [0, 1, 2, 0],
            "live_at_end": [2, 3, 1, 2],
        }
    )
    keys = ("flow_new", "flow_reactivated", "flow_churned", "live_at_end", "month", "buyers")
    figure = charts.lifecycle_flows(history, {k: k for k in keys}, "t")
    return Case(figure, counts=("yaxis", "yaxis2"))


@case
def cohort_heatmap():
    cohorts = pd.DataFrame(
        {
            "cohort": [pd.Timestamp("2024-01-01")] * 2 + [pd.Timestamp("2024-02-01")],
            "months_since_signup": [0, 1, 0],
            "retention": [1.0, 0.5, 1.0],
            "cohort_size": [2, 2, 3],
            "buyers": [2, 1, 3],
        }
    )
    labels = {
        "cohort": "Cohort",
        "months": "Months",
        "value": "Kept",
        "cohort_size": "S",
        "buyers": "B",
    }
    return Case(charts.cohort_heatmap(cohorts, "retention", "t", labels))


@case
def channel_economics():
    frame = pd.DataFrame({"cac": [10.0, 12.5], "value_per_customer": [25.0, -7.0]})
    series = {"cac": "CAC", "value_per_customer": "Margin per customer"}
    figure = charts.channel_economics(
        frame, ["Web", "App"], series, "t", "Per customer (£)", "GBP", channel="Channel"
    )
    return Case(figure, money_traces=(0, 1), money_axes=("yaxis",))


@case
def satisfaction_trend():
    trend = pd.DataFrame(
        {
            "group_key": ["5", "5", "unrated", "unrated"],
            "month": list(MONTHS[:2]) * 2,
            "nps": [40.0, 45.0, 10.0, np.nan],
            "nps_answers": [12, 15, 9, 2],
        }
    )
    labels = {"month": "Month", "metric": "NPS", "answers": "Answers"}
    groups = {"5": "5★", "unrated": "Not rated"}
    figure = charts.satisfaction_trend(trend, "nps", groups, "t", labels, split="stars")
    return Case(figure, stars=True)


@case
def complaints_by_category():
    monthly = pd.DataFrame(
        {
            "month": list(MONTHS[:2]) * 3,
            "category": ["quality", "quality", "delivery", "delivery", None, None],
            "complaints": [1, 0, 1, 2, 2, 2],
            "is_total": [False] * 4 + [True] * 2,
            "sla_share": [np.nan] * 4 + [0.5, 1.0],
        }
    )
    labels = {"month": "Month", "complaints": "Complaints", "sla_share": "Within 48 h"}
    categories = {"quality": "Quality", "delivery": "Delivery"}
    return Case(charts.complaints_by_category(monthly, categories, "t", labels), counts=("yaxis",))


@case
def backlog_ages():
    figure = charts.backlog_ages(["0-2", "2-7", "7-30", "30+"], [3, 1, 0, 2], "t", "Open", "Days")
    return Case(figure, counts=("yaxis",))


@case
def churn_by_band():
    bands = pd.DataFrame(
        {
            "measure": "nps",
            "band": ["detractor", "promoter"],
            "churn_rate": [0.4, 0.1],
            "at_risk_rate": [0.2, np.nan],
            "buyers": [5, 0],
        }
    )
    labels = {"churn_rate": "Churned", "at_risk_rate": "At risk", "buyers": "B", "rate": "Share"}
    figure = charts.churn_by_band(
        bands, ["Detractors", "Promoters"], "t", labels | {"band": "Band"}
    )
    return Case(figure)


@case
def value_distribution():
    hist = pd.DataFrame(
        {"lower": [-100.0, 0.0, 100.0], "upper": [0.0, 100.0, 200.0], "customers": [1, 3, 2]}
    )
    labels = {"value": "CLV (£)", "customers": "Customers"}
    figure = charts.value_distribution(hist, "t", labels, "GBP")
    return Case(figure, counts=("yaxis",), money_traces=(0,), money_axes=("xaxis",))


@case
def value_by_group():
    labels = {
        "predicted": "Predicted",
        "formula": "Formula",
        "axis": "Mean CLV (£)",
        "group": "Stars",
    }
    figure = charts.value_by_group(["5★", "4★"], [1234.5, 80.0], [900.0, -45.0], "t", labels, "GBP")
    return Case(figure, money_traces=(0, 1), money_axes=("yaxis",))


@case
def backtest_by_frequency():
    frame = pd.DataFrame(
        {
            "frequency": [0, 1, 2],
            "customers": [5, 3, 1],
            "predicted": [0.2, 0.9, 1.4],
            "actual": [0.1, 1.0, 2.0],
        }
    )
    labels = {
        "frequency": "Repeat purchases",
        "predicted": "P",
        "actual": "A",
        "customers": "C",
        "axis": "Per customer",
    }
    return Case(charts.backtest_by_frequency(frame, "t", labels))


@case
def backtest_tracking():
    tracking = pd.DataFrame(
        {"date": MONTHS, "predicted": [0.5, 1.2, 2.0, 3.1], "actual": [0, 1, 2, 3]}
    )
    labels = {"date": "Week", "predicted": "P", "actual": "A", "axis": "Purchases"}
    return Case(charts.backtest_tracking(tracking, "t", labels), counts=("yaxis",))


@case
def risk_distribution():
    hist = pd.DataFrame({"lower": [0.0, 0.5], "upper": [0.5, 1.0], "customers": [3, 2]})
    labels = {"risk": "Risk", "customers": "Customers"}
    return Case(charts.risk_distribution(hist, 0.5, "t", labels), counts=("yaxis",))


@case
def calibration_chart():
    frame = pd.DataFrame(
        {"bin": [1, 2], "customers": [4, 4], "predicted": [0.2, 0.7], "observed": [0.25, 0.6]}
    )
    labels = {
        "predicted": "Predicted",
        "observed": "Observed",
        "perfect": "Perfect",
        "customers": "C",
    }
    return Case(charts.calibration_chart(frame, "t", labels))


@case
def driver_bars():
    figure = charts.driver_bars(["recency", "frequency"], [0.12, 0.03], "t", "AUC lost")
    return Case(figure, untitled={"yaxis": "the features name themselves"})


@case
def star_bars():
    labels = {
        "stars": ["1★", "2★", "3★", "4★", "5★"],
        "customers": "Customers",
        "revenue": "Revenue",
        "saved": "Saved",
        "draft": "Draft",
        "axis": "Stars",
    }
    draft = _distribution((2, 1, 2, 1, 1))
    figure = charts.star_bars(_distribution(), "t", labels, draft=draft, currency="GBP")
    return Case(figure, counts=("yaxis",), money_traces=(0, 1), stars=True)


def _star_flows():
    flows = pd.DataFrame(
        {
            "source": ["5", "4", "3", "none"],
            "target": ["3", "5", "3", "2"],
            "customers": [1, 2, 4, 1],
        }
    )
    name = {"5": "5★", "4": "4★", "3": "3★", "2": "2★", "none": "Not rated"}
    return flows.assign(
        source_label=flows["source"].map(name), target_label=flows["target"].map(name)
    )


@case
def flow_sankey():
    keys = ["5", "4", "3", "2", "1", "none"]
    colors = theme.concept_colors("stars", keys)
    figure = charts.flow_sankey(
        _star_flows(), keys, keys, "t", "Saved", "Draft", colors=colors, ranked=True
    )
    return Case(figure, stars=True)


@case
def rfm_heatmap():
    cells = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    ).assign(segment_label="Seg", customers=1, revenue=-50.0)
    labels = {"r": "Recency", "f": "Frequency", "customers": "Customers", "revenue": "Revenue"}
    labels["revenue_axis"] = "Revenue (£)"
    figure = charts.rfm_heatmap(cells, "revenue", "t", labels, currency="GBP")
    return Case(figure, counts=("xaxis", "yaxis"), money_traces=(1,))


@case
def pareto_curve():
    curve = pd.DataFrame({"share_customers": [0.0, 0.2, 1.0], "share_margin": [0.0, 0.8, 1.0]})
    labels = {"customers": "Customers", "margin": "Margin"}
    return Case(charts.pareto_curve(curve, "t", labels, 0.2, 0.8))


def _cluster_sample():
    return pd.DataFrame(
        {
            "revenue": [-120.5, 2_000.0, 3.0],
            "days": [5.0, 1.0, 2.0],
            "aov": [40.0, 1_250.0, 9.5],
            "cluster_label": ["x", "y", "x"],
        }
    )


CLUSTER_LABELS = {
    "revenue": "Revenue",
    "revenue_axis": "Revenue (£)",
    "days": "Purchase days",
    "aov": "Order value",
    "aov_axis": "Order value (£)",
    "aov_log": True,
}


@case
def cluster_scatter():
    figure = charts.cluster_scatter(
        _cluster_sample(), "revenue", "days", "t", CLUSTER_LABELS, "GBP", ("revenue", "aov")
    )
    return Case(figure, money_traces=(0, 1), money_axes=("xaxis",))


@case
def loyalty_net_impact():
    monthly = pd.DataFrame({"month": [1, 2, 3], "mean": [-500.0, 20.0, 900.0]})
    monthly = monthly.assign(p5=monthly["mean"] - 100, p95=monthly["mean"] + 100)
    labels = {"month": "Month", "axis": "Net impact (£)", "mean": "Mean", "band": "5–95%"}
    figure = charts.loyalty_net_impact(monthly, "t", labels, currency="GBP")
    return Case(figure, counts=("xaxis",), money_traces=(1,), money_axes=("yaxis",))


SENSITIVITY_LABELS = {
    "x": "Uplift achieved, % of the assumed",
    "axis": "Net impact (£)",
    "curve": "Net impact",
    "assumed": "As assumed",
    "break_even": "Break-even",
    "purchase": "Purchases",
    "retention": "Dropout",
    "net": "Net impact",
}


def _sensitivity_curve():
    share = np.linspace(0, 2, 5)
    return pd.DataFrame(
        {
            "share": share,
            "purchase_uplift": 0.1 * share,
            "retention_uplift": 0.15 * share,
            "net_impact": -40_000.0 + 50_000.0 * share,
        }
    )


@case
def loyalty_sensitivity():
    assumed = {"mean": 9_500.0, "p5": -2_000.0, "p95": 21_000.0}
    figure = charts.loyalty_sensitivity(
        _sensitivity_curve(), assumed, 0.8, "t", SENSITIVITY_LABELS, currency="GBP"
    )
    return Case(figure, money_traces=(0, 1), money_axes=("yaxis",))


@case
def loyalty_tiers():
    tiers = pd.DataFrame(
        {"tier": ["high", "medium", "low"], "customers": [2, 5, 9], "members": [1.2, 3.0, 5.4]}
    )
    labels = {"customers": "Offered", "members": "Members", "tier": "Tier", "axis": "Customers"}
    names = {"high": "High", "medium": "Medium", "low": "Low"}
    return Case(charts.loyalty_tiers(tiers, names, "t", labels), counts=("yaxis",))


def test_a_click_on_a_loyalty_tier_bar_names_its_tier_in_customdata():
    figure = CASES["loyalty_tiers"]().figure
    for trace in figure.data:  # customers and members: either bar picks the tier
        assert [list(c) for c in trace.customdata] == [["high"], ["medium"], ["low"]]
        assert list(trace.x) == ["High", "Medium", "Low"]


def test_the_sensitivity_marks_the_assumed_uplift_and_the_break_even():
    curve = _sensitivity_curve()
    assumed = {"mean": 9_500.0, "p5": -2_000.0, "p95": 21_000.0}
    figure = charts.loyalty_sensitivity(curve, assumed, 0.8, "t", SENSITIVITY_LABELS, 1e4, "GBP")
    line, point, even = figure.data
    assert list(line.x) == [0, 50, 100, 150, 200] and line.y[0] == -4.0  # in 万
    assert line.customdata[0][0] == "-£40,000"
    assert list(line.customdata[1][1:]) == ["+5.0%", "-7.5%"]
    assert list(line.customdata[0][1:]) == ["0.0%", "0.0%"]  # no uplift: no sign
    assert list(point.x) == [100] and point.y[0] == 0.95
    assert point.error_y.array[0] == pytest.approx(1.15) and point.error_y.arrayminus[0] == 1.15
    assert list(even.x) == [80] and list(even.y) == [0]
    assert {shape.x0 for shape in figure.layout.shapes if shape.x0 == shape.x1} == {80, 100}
    none = charts.loyalty_sensitivity(curve, assumed, None, "t", SENSITIVITY_LABELS)
    assert len(none.data) == 2  # no break-even in the range: nothing drawn for it


# public, but not figure builders
HELPERS = {"count_axis", "money_axis", "data_as_text", "text_as_data"}


def _builders() -> list[str]:
    return [
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if f.__module__ == charts.__name__ and not name.startswith("_") and name not in HELPERS
    ]


def test_every_builder_has_a_case():
    builders = _builders()
    assert set(builders) <= set(CASES), f"no case for {set(builders) - set(CASES)}"
    for name in builders:  # a builder says it returns a figure
        assert inspect.signature(getattr(charts, name)).return_annotation in (
            go.Figure,
            "go.Figure",
        )


def _axes(figure: go.Figure) -> list[str]:
    """The layout names of the cartesian axes the traces use ('xaxis', 'yaxis2', ...)."""
    names = set()
    for trace in figure.data:
        for letter in ("x", "y"):
            ref = getattr(trace, f"{letter}axis", None)
            if ref:
                names.add(f"{letter}axis{ref[1:]}")
    return sorted(names)


def _colors(figure: go.Figure) -> set[str]:
    text = json.dumps(figure.to_plotly_json()["data"], default=str).upper()
    return {color for color in theme.STAR_COLORS.values() if color.upper() in text}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_figure_wears_the_house_style(name):
    case = CASES[name]()
    figure = case.figure
    assert figure.layout.template.to_plotly_json() == theme.TEMPLATE.to_plotly_json()
    assert figure.layout.title.text
    for axis in _axes(figure):
        if axis not in case.untitled:
            assert figure.layout[axis].title.text, f"{axis} has no title"
    if not case.stars:  # a star's colour means that star, nowhere else
        assert not _colors(figure)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]().counts))
def test_axes_of_counts_never_repeat_a_whole_number(name):
    case = CASES[name]()
    for axis in case.counts:
        settings = case.figure.layout[axis]
        assert settings.tickformat.endswith("d"), axis
        # small counts step by 1; zoomed in below 1, a decimal format takes over
        assert settings.tickmode == "linear" and settings.dtick == 1, axis
        stops = [s for s in settings.tickformatstops if s.dtickrange[1] < 1]
        assert stops and not stops[0].value.endswith("d"), axis


def test_a_large_count_axis_keeps_plotly_steps_but_whole_numbers():
    figure = charts.backlog_ages(["0-2", "2+"], [1200, 30], "t", "Open", "Days")
    axis = figure.layout.yaxis
    assert axis.dtick is None and axis.tickformat == ",d"
    assert axis.tickformatstops[0].dtickrange[1] < 1


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]().money_traces))
def test_money_is_written_in_the_currency_given(name):
    case = CASES[name]()
    shown = []
    for index in case.money_traces:
        trace = case.figure.data[index]
        assert "customdata" in trace.hovertemplate
        assert "£%{" not in trace.hovertemplate  # no sign after the symbol
        shown += [str(v) for v in np.ravel(np.asarray(trace.customdata, dtype=object))]
    money = [v for v in shown if "£" in v]
    assert money, shown
    negatives = [v for v in money if "-" in v]
    assert negatives and all(v.startswith(("-£", "≥ -£")) or " – " in v for v in negatives)
    assert all("£-" not in v for v in money)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]().money_axes))
def test_money_axes_have_separators_and_no_symbol_on_the_ticks(name):
    case = CASES[name]()
    for axis in case.money_axes:
        settings = case.figure.layout[axis]
        assert settings.tickformat.startswith(","), axis
        assert not settings.tickprefix, axis  # the unit is in the title: '(£)', '（万元）'
        assert "(£)" in settings.title.text, axis


def test_star_levels_keep_their_colours():
    figure = CASES["star_bars"]().figure
    for trace in figure.data:  # saved and draft rules, both in the star colours
        assert list(trace.marker.color) == [theme.STAR_COLORS[s] for s in range(1, 6)]
    assert figure.data[1].marker.pattern.shape == "/"
    trend = CASES["satisfaction_trend"]().figure
    assert trend.data[0].line.color == theme.STAR_COLORS[5]
    assert trend.data[1].line.color == theme.MISSING


def test_no_other_concept_wears_a_star_colour():
    stars_colours = {c.upper() for c in theme.STAR_COLORS.values()}
    others = [
        theme.AT_RISK,
        theme.RISK,
        *theme.STAGE_COLORS.values(),
        *theme.SEGMENT_COLORS.values(),
        *theme.CATEGORY_COLORS.values(),
        *theme.SERIES,
        theme.UP,
        theme.DOWN,
        theme.SAME,
    ]
    assert not stars_colours & {c.upper() for c in others}
    assert len(stars_colours) == 5


def test_star_flows_are_coloured_by_direction():
    figure = CASES["flow_sankey"]().figure
    links = figure.data[0].link
    # 5 -> 3 down, 4 -> 5 up, 3 -> 3 stays, not rated -> 2 up (rated at last)
    assert list(links.color) == [
        theme.translucent(theme.DOWN),
        theme.translucent(theme.UP),
        theme.translucent(theme.SAME),
        theme.translucent(theme.UP),
    ]
    nodes = figure.data[0].node
    assert nodes.color[0] == theme.STAR_COLORS[5]


def test_unranked_flows_take_their_source_colour():
    keys = ["champions", "at_risk"]
    flows = pd.DataFrame({"source": ["champions"], "target": ["at_risk"], "customers": [3]}).assign(
        source_label="Champions", target_label="At risk"
    )
    colors = theme.concept_colors("segment", keys)
    figure = charts.flow_sankey(flows, keys, keys, "t", "Jan", "Feb", colors=colors)
    assert figure.data[0].link.color == (theme.translucent(theme.SEGMENT_COLORS["champions"]),)
    assert figure.data[0].node.color[1] == theme.AT_RISK


def test_cluster_hovers_write_each_money_feature_in_the_currency():
    """Money on both axes (one of them log): each hover names the feature and writes its
    own amount; a count stays a number; one feature on both axes is one money text."""
    sample = _cluster_sample()
    both = charts.cluster_scatter(
        sample, "revenue", "aov", "t", CLUSTER_LABELS, "GBP", ("revenue", "aov")
    )
    first = both.data[0]  # cluster x: customers 1 and 3
    assert first.hovertemplate.startswith(
        "Revenue: %{customdata[0]}<br>Order value: %{customdata[1]}<extra>"
    )
    assert [list(row) for row in first.customdata] == [["-£120", "£40"], ["£3", "£10"]]
    assert both.layout.yaxis.type == "log" and both.layout.yaxis.title.text == "Order value (£)"
    assert both.layout.yaxis.tickformat == both.layout.xaxis.tickformat == charts.MONEY_FORMAT
    counts = charts.cluster_scatter(sample, "days", "days", "t", CLUSTER_LABELS, "GBP")
    assert "%{x:,.0f}" in counts.data[0].hovertemplate and counts.data[0].customdata is None
    assert counts.layout.xaxis.title.text == "Purchase days" and not counts.layout.xaxis.tickformat
    same = charts.cluster_scatter(sample, "aov", "aov", "t", CLUSTER_LABELS, None, ("aov",))
    assert same.data[1].customdata.tolist() == [["1,250"]]  # no currency: a plain number
    assert "%{customdata[0]}<br>Order value: %{customdata[0]}" in same.data[1].hovertemplate


def test_money_in_ten_thousands_on_the_scale_is_whole_in_the_hover():
    """In Chinese the colour bar and the axis count in 万 and say so; the hover writes each
    amount whole in the currency, under a label without the 万 unit."""
    cells = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    ).assign(segment_label="Seg", customers=1, revenue=52_000.0)
    labels = {"r": "R", "f": "F", "customers": "客户", "revenue": "收入"}
    labels["revenue_axis"] = "收入（万英镑）"
    grid = charts.rfm_heatmap(cells, "revenue", "t", labels, 1e4, "GBP")
    assert grid.data[0].colorbar.title.text == "收入（万英镑）" and grid.data[0].z[0][0] == 5.2
    assert "<br>收入: %{customdata[1]}" in grid.data[1].hovertemplate  # the cells' markers
    assert grid.data[1].customdata[0][1] == "£52,000"
    monthly = pd.DataFrame({"month": [1, 2], "mean": [-12_000.0, 25_000.0]})
    monthly = monthly.assign(p5=monthly["mean"] - 1, p95=monthly["mean"] + 1)
    names = {"month": "月", "axis": "净影响（万英镑）", "mean": "均值", "band": "区间"}
    net = charts.loyalty_net_impact(monthly, "t", names, 1e4, "GBP")
    assert list(net.data[1].y) == [-1.2, 2.5] and net.layout.yaxis.title.text == names["axis"]
    assert list(net.data[1].customdata) == ["-£12,000", "£25,000"]
    assert "均值: %{customdata}" in net.data[1].hovertemplate


def test_revenue_in_ten_thousands_keeps_its_decimals():
    labels = {"month": "月份", "revenue": "营收（万英镑）", "orders": "订单", "customers": "客户"}
    figure = charts.revenue_trend(_monthly([12_000, 33_000, 8_000]), "t", labels, scale=1e4)
    assert list(figure.data[0].y) == [1.2, 3.3, 0.8]
    assert figure.layout.yaxis.tickformat == charts.MONEY_FORMAT  # 0.5, 1, 1.5: never "1, 1"
    assert "%{y:,.2f}" in figure.data[0].hovertemplate
    assert figure.layout.yaxis.title.text == "营收（万英镑）"


def test_text_from_the_data_is_drawn_as_text():
    evil = '<a href="https://evil.example">Verify</a>'
    frame = pd.DataFrame({"cac": [10.0, 12.0], "margin_per_customer": [25.0, 30.0]})
    figure = charts.channel_economics(frame, [evil, "Web & app"], {"cac": evil}, "t", "axis")
    trace = figure.data[0]
    assert list(trace.x) == [
        '&lt;a href="https://evil.example"&gt;Verify&lt;/a&gt;',
        "Web &amp; app",  # Plotly draws the entity as "&"
    ]
    assert trace.name == '&lt;a href="https://evil.example"&gt;Verify&lt;/a&gt;'
    assert "<br>" in trace.hovertemplate  # the chart's own markup stays


def test_a_real_shaped_shop_draws_in_the_house_style(uk_shop_db):
    """The UK shop (pounds, refunds, a year of lines): its monthly revenue, its stars and
    their moves between two month ends, through the builders."""
    con = db.connect(uk_shop_db, read_only=True)
    try:
        as_of = dt.date(2011, 12, 9)
        monthly = overview.monthly_revenue(con, as_of)
        base = stars.rating_base(con, as_of)
        saved = stars.active_rules(con)
        _, rated, _ = stars.rate(base.dims, saved.rules)
        dist = stars.star_distribution(base, rated)
        ends = stars.monthly_ends(con)
        flows = stars.star_flows(con, ends[0], ends[-1])
    finally:
        con.close()
    labels = {"month": "Month", "revenue": "Revenue (£)", "orders": "Orders", "customers": "C"}
    trend = charts.revenue_trend(monthly, "Revenue", labels)
    names = {"stars": [f"{s}★" for s in range(1, 6)], "customers": "Customers"}
    names |= {"revenue": "Revenue", "saved": "Saved", "draft": "Draft", "axis": "Stars"}
    bars = charts.star_bars(dist, "Stars", names, currency="GBP")
    keys = ["5", "4", "3", "2", "1", "none"]
    flows = flows.astype({"source": str, "target": str})
    flows = flows.assign(source_label=flows["source"], target_label=flows["target"])
    sankey = charts.flow_sankey(
        flows,
        keys,
        keys,
        "Moves",
        "Then",
        "Now",
        colors=theme.concept_colors("stars", keys),
        ranked=True,
    )
    for figure in (trend, bars, sankey):
        assert figure.layout.template.to_plotly_json() == theme.TEMPLATE.to_plotly_json()
        assert figure.layout.title.text
    assert trend.layout.yaxis.tickformat == charts.MONEY_FORMAT
    assert bars.data[0].marker.color == tuple(theme.STAR_COLORS[s] for s in range(1, 6))
    assert all("£" in text for text in bars.data[0].customdata[:, 2] if text != "–")
    assert bars.layout.yaxis.tickformat == ",d"
    moves = sankey.data[0].link
    assert len(moves.color) == len(moves.value) > 0
    assert set(moves.color) <= {theme.translucent(c) for c in (theme.UP, theme.DOWN, theme.SAME)}


def test_the_streamlit_theme_agrees_with_the_chart_theme():
    import tomllib
    from pathlib import Path

    config = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
    with open(config, "rb") as f:
        streamlit_theme = tomllib.load(f)["theme"]
    assert streamlit_theme["primaryColor"] == theme.BRAND
    assert streamlit_theme["textColor"] == theme.TEXT
    assert streamlit_theme["backgroundColor"] == theme.BACKGROUND
    assert streamlit_theme["secondaryBackgroundColor"] == theme.SECONDARY_BACKGROUND
    assert streamlit_theme["chartCategoricalColors"] == list(theme.SERIES)


# --- one customer (pages/customer.py) ---------------------------------------------------------


@case
def customer_orders():
    orders = pd.DataFrame(
        {
            "ordered_at": pd.to_datetime(["2024-01-05", "2024-02-10", "2024-02-20"]),
            "amount": [120.5, -40.0, 80.0],
            "is_refund": [False, True, False],
        }
    )
    labels = {"date": "Date", "amount": "Amount (£)"}
    figure = charts.customer_orders(orders, "t", labels, "GBP")
    return Case(figure, money_traces=(0,), money_axes=("yaxis",))


@case
def customer_categories():
    categories = pd.DataFrame(
        {"label": ["Home", "Beauty"], "amount": [900.0, -12.5], "count_orders": [4, 1]}
    )
    labels = {"amount": "Amount (£)", "orders": "Orders"}
    figure = charts.customer_categories(categories, "t", labels, "GBP")
    return Case(
        figure, money_traces=(0,), money_axes=("xaxis",), untitled={"yaxis": "the categories"}
    )


@case
def customer_p_alive():
    history = pd.DataFrame(
        {"month_end": pd.to_datetime(["2024-01-31", "2024-02-29"]), "p_alive": [1.0, 0.6]}
    )
    return Case(charts.customer_p_alive(history, "t", {"month": "Month", "p_alive": "P"}))


def test_a_customer_with_no_orders_draws_empty_charts():
    orders = pd.DataFrame({"ordered_at": [], "amount": [], "is_refund": []})
    assert len(charts.customer_orders(orders, "t", {"date": "D", "amount": "A"}).data[0].x) == 0
    categories = pd.DataFrame({"label": [], "amount": [], "count_orders": []})
    labels = {"amount": "A", "orders": "O"}
    assert len(charts.customer_categories(categories, "t", labels).data[0].y) == 0


# --- what to offer next (pages/products.py) ---------------------------------------------------


@case
def rule_lifts():
    rules = pd.DataFrame(
        {
            "rule": ["Baby → Electronics", "Home → Baby", "Food → Apparel"],
            "lift": [1.31, 1.19, 0.97],
            "confidence": [0.35, 0.30, 0.48],
            "support": [0.09, 0.11, 0.2],
        }
    )
    labels = {"lift": "Lift", "confidence": "Confidence", "support": "Support"}
    return Case(charts.rule_lifts(rules, "t", labels), untitled={"yaxis": "the rules"})


@case
def popular_items():
    items = pd.DataFrame(
        {
            "item": ["85123A", "22423", "47566"],
            "name": ["White heart", "Cake stand", "Party bunting"],
            "customers": [120, 45, 3],
            "popularity": [0.4, 0.15, 0.01],
        }
    )
    labels = {"customers": "Buyers", "popularity": "Share of buyers"}
    figure = charts.popular_items(items, "t", labels)
    return Case(figure, counts=("xaxis",), untitled={"yaxis": "the items"})


def test_a_click_on_segments_products_or_value_charts_names_its_group_in_customdata():
    """The cell, item, group or band a click opens comes from the point's customdata: an
    RFM cell's R and F, an item's code (not its name), a group's key, a band's row."""
    cells = pd.DataFrame(
        [(r, f) for r in range(1, 6) for f in range(1, 6)], columns=["r_score", "f_score"]
    ).assign(segment_label="Seg", customers=1, revenue=5.0)
    grid = charts.rfm_heatmap(cells, "customers", "t", {"r": "R", "f": "F", "customers": "C",
                              "revenue": "Rev"})  # fmt: skip
    markers = grid.data[1]  # one per cell, at its centre: (F, R)
    custom = np.asarray(markers.customdata, dtype=object)
    assert [list(row[2:]) for row in custom] == [[r, f] for r in range(1, 6) for f in range(1, 6)]
    assert list(zip(markers.y, markers.x, strict=True)) == [tuple(row[2:]) for row in custom]
    assert grid.data[0].hoverinfo == "skip" and grid.layout.hoverdistance == -1
    items = popular_items().figure.data[0]
    assert [row[0] for row in items.customdata] == ["47566", "22423", "85123A"]  # top at the top
    by_group = charts.value_by_group(
        ["5★", "Not rated"], [10.0, 2.0], [8.0, 1.0], "t",
        {"predicted": "P", "formula": "F", "axis": "A"}, "GBP", keys=["5", "unknown"],
    )  # fmt: skip
    for trace in by_group.data:
        assert [row[1] for row in trace.customdata] == ["5", "unknown"]
    bands = CASES["value_distribution"]().figure.data[0]
    assert [row[1] for row in bands.customdata] == [0, 1, 2]


def test_the_strongest_rule_is_drawn_at_the_top():
    figure = CASES["rule_lifts"]()
    bars = figure.figure.data[0]
    assert list(bars.y)[-1] == "Baby → Electronics"
    assert bars.base == 1.0 and list(bars.x) == pytest.approx([-0.03, 0.19, 0.31])
