"""Insights of the Overview's story: checked against the marts on the demo and the
real-shaped shops, against hand-made stories, and seen to follow the data when they change."""

from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from core import churn, db, insights, overview
from core.build import build
from core.clv import Reason

HORIZON, MIN_RISK = 90, 0.70  # the Churn risk page's opening knobs, as the Overview reads them


def story_of(con, as_of: dt.date | None = None) -> overview.Story:
    """The Overview's story on the build's as-of date (where the churn scores are stored),
    without predicted CLV (the page adds it from the value models)."""
    found, _ = overview.overview_story(con, as_of or db.built_as_of(con))
    return found


def by_key(found: list[insights.Insight]) -> dict[str, insights.Insight]:
    return {i.key: i for i in found}


def value(insight: insights.Insight, name: str):
    return insight.figures[name].value


@pytest.fixture(scope="module")
def demo(demo_db):
    con = db.connect(demo_db)
    yield con
    con.close()


# --- the figures are the marts' ------------------------------------------------------------


def test_the_top_star_sentence_holds_the_marts_figures(demo):
    found = by_key(insights.insights(story_of(demo)))
    top = found["top_stars_at_risk"]
    assert value(top, "stars") == (5, 5)
    assert value(top, "basis") == "basis_margin"  # the demo has costs
    [(share, margin_share)] = demo.execute(
        """
        select count(*) filter (where stars = 5) / count(*),
            sum(margin_12m) filter (where stars = 5) / sum(margin_12m)
        from customer_features where stars > 0
        """
    ).fetchall()
    assert value(top, "customer_share") == pytest.approx(share)
    assert value(top, "value_share") == pytest.approx(margin_share)
    [(at_risk, clv)] = demo.execute(
        """
        select count(*), sum(w.predicted_clv)
        from churn_scores as s
        inner join customer_features as f using (customer_id)
        left join churn_worth as w using (customer_id)
        where s.horizon_days = $h and s.churn_risk >= $r and f.stars = 5
        """,
        {"h": HORIZON, "r": MIN_RISK},
    ).fetchall()
    assert at_risk > 0
    assert value(top, "at_risk") == at_risk
    assert value(top, "at_risk_clv") == pytest.approx(clv)


def test_the_value_at_risk_sentence_counts_the_warning_list(demo):
    found = by_key(insights.insights(story_of(demo)))
    risk = found["at_risk"]  # no value figure in this story: without the base's share
    [(scored, at_risk, clv)] = demo.execute(
        """
        select count(*), count(*) filter (where s.churn_risk >= $r),
            sum(w.predicted_clv) filter (where s.churn_risk >= $r)
        from churn_scores as s left join churn_worth as w using (customer_id)
        where s.horizon_days = $h
        """,
        {"h": HORIZON, "r": MIN_RISK},
    ).fetchall()
    assert value(risk, "customers") == at_risk
    assert value(risk, "share") == pytest.approx(at_risk / scored)
    assert value(risk, "clv") == pytest.approx(clv)
    assert (value(risk, "risk"), value(risk, "days")) == (MIN_RISK, HORIZON)
    assert risk.page == "churn"


def test_satisfaction_and_growth_are_the_raw_tables_figures(demo):
    story = story_of(demo)
    found = by_key(insights.insights(story))
    as_of = db.built_as_of(demo)
    sat = found["satisfaction_change"]  # the demo has NPS over three years
    assert value(sat, "measure") == "measure_nps"
    nps = {}
    for name, start, end in (
        ("now", as_of - pd.DateOffset(years=1), as_of),
        ("before", as_of - pd.DateOffset(years=2), as_of - pd.DateOffset(years=1)),
    ):
        [(promoters, detractors, answers)] = demo.execute(
            """
            select count(*) filter (where nps >= 9), count(*) filter (where nps <= 6), count(nps)
            from feedback
            where submitted_at >= $start::date + 1 and submitted_at < $end::date + 1
            """,
            {"start": start.date(), "end": pd.Timestamp(end).date()},
        ).fetchall()
        nps[name] = ((promoters - detractors) / answers * 100, answers)
    assert value(sat, "score") == pytest.approx(nps["now"][0])
    assert value(sat, "answers") == nps["now"][1]
    assert value(sat, "change") == pytest.approx(nps["now"][0] - nps["before"][0])
    growth = found["growth"]
    k = story.kpis
    assert value(growth, "revenue") == k.revenue
    assert value(growth, "change") == pytest.approx(k.revenue / k.revenue_previous - 1)
    assert growth.page == "overview"  # the monthly trend: Lifecycle shows no revenue


def _kpis(**values) -> overview.Kpis:
    zero = {f.name: 0 for f in overview.Kpis.__dataclass_fields__.values() if f.name != "as_of"}
    zero.update(previous_start=None, first_ordered_on=None, has_previous=False)
    return overview.Kpis(as_of=dt.date(2025, 1, 1), **{**zero, **values})


@pytest.mark.parametrize(
    ("now", "before"), [(5, 2), (insights.MIN_CUSTOMERS, insights.MIN_CUSTOMERS - 1)]
)
def test_a_handful_of_active_customers_makes_no_growth_sentence(now, before):
    # found on the review of issue 17: 2 active customers a year ago and 5 now made one
    def story(now, before):
        kpis = _kpis(
            customers=now,
            customers_previous=before,
            active_customers=now,
            active_customers_previous=before,
            revenue=100.0 * now,
            revenue_previous=100.0 * before,
            orders=now,
            orders_previous=before,
            has_previous=True,
            previous_start=dt.date(2023, 1, 2),
            first_ordered_on=dt.date(2023, 1, 1),
        )
        return overview.Story(kpis)

    assert insights.insights(story(now, before)) == []
    # as many on both sides as the floor: a sentence
    floor = insights.MIN_CUSTOMERS
    assert [i.key for i in insights.insights(story(floor, floor))] == ["growth"]


def test_the_weakest_step_is_the_lowest_rate_of_the_funnel(demo):
    story = story_of(demo)
    step = by_key(insights.insights(story))["weakest_step"]
    rates = {s: story.funnel.rate(s) for s in overview.FUNNEL_STEPS[1:]}
    weakest = min(rates, key=rates.get)
    assert value(step, "step") == f"step_{weakest}"
    assert value(step, "rate") == pytest.approx(rates[weakest])
    assert (
        story.funnel.customers["acquired"]
        == demo.execute("select count(*) from customers").fetchone()[0]
    )


# --- the real-shaped shops -----------------------------------------------------------------


def test_a_shop_without_costs_says_revenue_and_takes_the_top_stars_that_make_a_group(uk_shop_db):
    con = db.connect(uk_shop_db)
    story = story_of(con)
    found = by_key(insights.insights(story))
    top = found.get("top_stars_at_risk") or found["top_stars"]
    assert value(top, "basis") == "basis_revenue"
    five = story.mix.group((5,))["customers"]
    low, high = value(top, "stars")
    assert high == 5 and (low == 5) == (five >= insights.MIN_CUSTOMERS)
    group = story.mix.group(tuple(range(low, 6)))
    [(revenue_share,)] = con.execute(
        "select sum(revenue_12m) filter (where stars >= $low) / sum(revenue_12m) "
        "from customer_features where stars > 0",
        {"low": low},
    ).fetchall()
    assert group["value_share"] == pytest.approx(revenue_share)
    assert story.satisfaction is None  # transactions only: no sentence about satisfaction
    assert not {"satisfaction_change", "satisfaction_level"} & set(found)
    assert "growth" not in found  # one year of history: no earlier year to grow from
    con.close()


def test_a_csat_only_shop_speaks_of_csat_without_a_trend(market_db):
    con = db.connect(market_db)
    story = story_of(con)
    found = by_key(insights.insights(story))
    assert story.satisfaction.measure == "csat"
    sat = found["satisfaction_level"]  # feedback from 20 months: no earlier 12 months
    assert value(sat, "measure") == "measure_csat"
    as_of = db.built_as_of(con)
    [(csat, answers)] = con.execute(
        "select avg(csat), count(csat) from feedback "
        "where submitted_at >= $start and submitted_at < $as_of::date + 1",
        {
            "start": (pd.Timestamp(as_of) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date(),
            "as_of": as_of,
        },
    ).fetchall()
    assert value(sat, "score") == pytest.approx(csat)
    assert value(sat, "answers") == answers
    assert story.risk is None and "at_risk" not in found  # churn could not be scored
    con.close()


def test_an_empty_database_has_no_story_and_no_insight(empty_db):
    con = db.connect(empty_db)
    story, reasons = overview.overview_story(con, dt.date(2025, 1, 1))
    assert (story.mix, story.risk, story.satisfaction, story.funnel, reasons) == (
        None,
        None,
        None,
        None,
        {},
    )
    assert insights.insights(story) == []
    con.close()


def test_off_the_builds_date_the_churn_list_is_scored_as_the_churn_page_scores_it(demo):
    as_of = dt.date(2026, 6, 30)  # the build stored nothing for this day
    story, reasons = overview.overview_story(demo, as_of)
    assert not reasons
    result = churn.churn_risk(demo, as_of, churn.ChurnSettings(horizon_days=HORIZON))
    assert story.risk.scored == len(result.scores)
    assert story.risk.at_risk == int((result.scores["churn_risk"] >= MIN_RISK).sum())


def test_a_shop_the_churn_model_cannot_learn_from_says_why(market_db):
    con = db.connect(market_db)
    story, reasons = overview.overview_story(con, db.built_as_of(con))
    assert story.risk is None and isinstance(reasons["risk"], Reason)
    assert reasons["risk"].message
    con.close()


# --- hand-made stories ---------------------------------------------------------------------


def _mix(customers, values, at_risk=None, clv=None) -> overview.StarMix:
    dist = pd.DataFrame(
        {
            "stars": [1, 2, 3, 4, 5],
            "customers": customers,
            "share": np.array(customers) / sum(customers),
            "revenue_12m": values,
            "margin_12m": np.nan,
            "clv_12m": np.nan,
        }
    )
    ids = [f"c{star}-{i}" for star, n in zip(range(1, 6), customers, strict=True) for i in range(n)]
    star_of = pd.Series([int(i[1]) for i in ids], index=ids)
    warning = None
    if at_risk is not None:
        risky = [i for i in ids if i.startswith("c5-")][:at_risk]
        warning = pd.DataFrame({"customer_id": risky, "predicted_clv": clv / max(at_risk, 1)})
    return overview.star_mix(dist, star_of, warning, (4, 5))


def _kpis(**values) -> overview.Kpis:
    zero = {f.name: 0 for f in overview.Kpis.__dataclass_fields__.values() if f.name != "as_of"}
    zero.update(previous_start=None, first_ordered_on=None, has_previous=False)
    return overview.Kpis(as_of=dt.date(2025, 1, 1), **{**zero, **values})


def test_a_handful_of_customers_makes_no_sentence():
    mix = _mix([2, 3, 3, 1, 1], [1.0, 2.0, 3.0, 4.0, 90.0], at_risk=1, clv=500.0)
    funnel = overview.FunnelFigure({"acquired": 10, "converted": 3, "repeat": 1, "retained": 0})
    story = overview.Story(_kpis(), mix, None, None, None, funnel)
    assert insights.insights(story) == []


def test_the_top_group_grows_from_five_stars_until_it_is_a_group():
    mix = _mix([300, 300, 300, 90, 10], [100.0, 200.0, 300.0, 400.0, 1000.0])
    top = insights.top_stars(overview.Story(_kpis(), mix))
    assert value(top, "stars") == (4, 5)
    assert value(top, "customer_share") == pytest.approx(100 / 1000)
    assert value(top, "value_share") == pytest.approx(1400 / 2000)
    flat = _mix([10, 10, 10, 10, 10], [1.0] * 5)  # 4-5 stars are 40% of the rated: no top
    assert insights.top_stars(overview.Story(_kpis(), flat)) is None


def test_moving_value_to_other_stars_changes_the_figures():
    before = insights.top_stars(
        overview.Story(_kpis(), _mix([400, 300, 200, 70, 30], [1.0, 1.0, 1.0, 1.0, 6.0]))
    )
    after = insights.top_stars(
        overview.Story(_kpis(), _mix([400, 300, 200, 70, 30], [6.0, 1.0, 1.0, 1.0, 1.0]))
    )
    assert value(before, "value_share") == pytest.approx(0.6)
    assert value(after, "value_share") == pytest.approx(0.1)


def test_a_step_that_keeps_nine_in_ten_is_no_weakness():
    strong = overview.FunnelFigure({"acquired": 100, "converted": 95, "repeat": 90, "retained": 85})
    assert insights.weakest_step(overview.Story(_kpis(), funnel=strong)) is None
    weak = overview.FunnelFigure({"acquired": 100, "converted": 95, "repeat": 40, "retained": 38})
    step = insights.weakest_step(overview.Story(_kpis(), funnel=weak))
    assert value(step, "step") == "step_repeat" and value(step, "rate") == pytest.approx(40 / 95)


def test_value_at_risk_gives_its_share_of_the_base_where_the_base_is_valued():
    risk = overview.RiskFigure(200, 50, 1_000.0, 600.0, MIN_RISK, HORIZON)
    base = overview.ValueFigure(total=10_000.0, customers=200, horizon_months=12)
    with_base = insights.value_at_risk(overview.Story(_kpis(), risk=risk, value=base))
    assert with_base.key == "at_risk_share" and value(with_base, "clv_share") == 0.1
    alone = insights.value_at_risk(overview.Story(_kpis(), risk=risk))
    assert alone.key == "at_risk" and "clv_share" not in alone.figures


# --- the data change, the sentence follows --------------------------------------------------


def test_cheaper_goods_for_five_star_customers_raise_their_share_of_margin(demo_db, tmp_path):
    path = tmp_path / "moved.duckdb"
    shutil.copyfile(demo_db, path)
    con = db.connect(path)
    before = by_key(insights.insights(story_of(con)))["top_stars_at_risk"]
    con.execute(
        """
        update transactions set cost = cost * 0.2
        where customer_id in (select customer_id from customer_features where stars = 5)
        """
    )
    build(con, as_of=db.built_as_of(con))
    after_story = story_of(con)
    found = by_key(insights.insights(after_story))
    after = found.get("top_stars_at_risk") or found["top_stars"]
    [(margin_share,)] = con.execute(
        "select sum(margin_12m) filter (where stars = 5) / sum(margin_12m) "
        "from customer_features where stars > 0"
    ).fetchall()
    assert value(after, "value_share") == pytest.approx(margin_share)
    assert value(after, "value_share") > value(before, "value_share") + 0.05
    con.close()
