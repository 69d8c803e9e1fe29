"""The Lifecycle page through app.py, as a user meets it."""

import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from core import db
from core.lifecycle import Drill, LifecycleRules, drill_down, stage_counts
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui.i18n import load_catalog

PAGE = "pages/lifecycle.py"


def _open(app_on, path, lang=None):
    at = app_on(path, lang=lang)
    return at.switch_page(PAGE).run()


def _last_day(path):
    """A connection to the database and its last day with a transaction (the as-of date)."""
    con = db.connect(path)
    return con, con.execute("select max(ordered_at)::date from transactions").fetchone()[0]


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_stage_tiles_are_the_stage_counts(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Lifecycle"
    con, as_of = _last_day(demo_db)
    counts = stage_counts(con, as_of).set_index("stage")["customers"]
    assert counts.pop("refund_only") == 0  # its tile is shown only when there are any
    labels = ["Prospects", "New", "Active", "At risk", "Churned"]
    assert _tiles(at) == {
        label: f"{counts[s]:,}" for label, s in zip(labels, counts.index, strict=True)
    }
    assert [s.value for s in at.subheader] == [
        "From sign-up to loyal customer",
        "Stages and flows over time",
        "Cohort retention",
        "Acquisition economics by channel",
        "The customers behind a stage or cell",
    ]


def test_a_stricter_churn_rule_moves_customers_to_churned(app_on, demo_db):
    at = _open(app_on, demo_db)
    before = _tiles(at)["Churned"]
    at.number_input(key="lifecycle_rule_churned_days").set_value(180).run()
    assert not at.exception
    con, as_of = _last_day(demo_db)
    expected = stage_counts(con, as_of, LifecycleRules(churned_days=180)).set_index("stage")
    assert _tiles(at)["Churned"] == f"{expected.loc['churned', 'customers']:,}" != before
    rules_in_words = next(c.value for c in at.caption if c.value.startswith("Stages:"))
    assert "more than 180 days" in rules_in_words
    at.switch_page("pages/satisfaction.py").run()  # the rules stay for the session
    at.switch_page(PAGE).run()
    assert _tiles(at)["Churned"] == f"{expected.loc['churned', 'customers']:,}"


def test_clashing_rules_are_refused_with_a_reason(app_on, demo_db):
    at = _open(app_on, demo_db)
    before = _tiles(at)
    at.number_input(key="lifecycle_rule_at_risk_min_days").set_value(400).run()
    assert not at.exception
    assert "clash" in at.warning[0].value
    assert _tiles(at) == before


def test_drilling_into_a_stage_lists_its_customers(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.selectbox(key="lifecycle_drill_group").set_value("at_risk").run()
    at.selectbox(key="lifecycle_drill_channel").set_value("wechat").run()
    assert not at.exception
    con, as_of = _last_day(demo_db)
    expected = drill_down(con, as_of, drill=Drill("at_risk", "wechat"), limit=500)
    count = next(c.value for c in at.caption if "customers; showing" in c.value)
    assert count.startswith(f"{expected.total:,} customers")
    table = at.dataframe[-1].value
    assert len(table) == min(expected.total, 500)
    assert set(table["stage"]) == {"At risk"} and set(table["acquisition_channel"]) == {"WeChat"}
    assert at.get("download_button"), "the list can be exported"


def test_the_page_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "客户生命周期"
    assert set(_tiles(at)) == {"潜在客户", "新客户", "活跃客户", "风险客户", "流失客户"}


def test_empty_database_says_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert at.title[0].value == "Lifecycle"
    assert "No data yet" in at.info[0].value
    assert not at.metric


def _economics(at):
    """The channel economics table: its values and its column settings."""
    table = next(d for d in at.dataframe if "cac" in d.value.columns)
    return table.value, json.loads(table.proto.columns)


def _chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_without_cost_the_economics_show_revenue_and_say_what_is_unknown(app_on, uk_shop_db, lang):
    """The UK shop has no cost and no acquisition cost: the table shows revenue per customer
    (the raw lines' net amount over the customers), labelled revenue; CAC, the ratio and the
    payback are empty, not 0 or infinite, with the reason in a caption."""
    catalog = load_catalog(lang)
    at = _open(app_on, uk_shop_db, lang)
    assert not at.exception and not at.error
    con = db.connect(uk_shop_db)
    customers, revenue = con.execute(
        "select (select count(*) from customers), sum(amount) from transactions"
    ).fetchone()
    con.close()
    table, columns = _economics(at)
    assert "margin_per_customer" not in table.columns
    assert table["value_per_customer"].tolist() == [pytest.approx(revenue / customers)]
    assert columns["value_per_customer"]["label"] == catalog["lifecycle.col_revenue_per_customer"]
    assert columns["value_to_cac"]["label"] == catalog["lifecycle.revenue_to_cac"]
    for unknown in ("cac", "value_to_cac", "payback_months"):
        assert table[unknown].isna().all(), unknown
    captions = [c.value for c in at.caption]
    reason = catalog["lifecycle.economics_no_cac"].format(channels=label_in(lang))
    assert reason in captions
    assert catalog["lifecycle.economics_caption_revenue"].split("{")[0] in "\n".join(captions)
    assert catalog["lifecycle.economics_title_revenue"] in _chart_titles(at)


def label_in(lang: str) -> str:
    """The label of the channel 'unknown' (customers without a recorded channel)."""
    return load_catalog(lang)["channel.unknown"]


def test_the_trend_charts_start_with_the_data(app_on, uk_shop_db):
    """The UK export starts in 2010-12: the stage mix and the flows start there too."""
    at = _open(app_on, uk_shop_db)
    titles = _chart_titles(at)
    assert "Customers by stage at each month end, 2010-12 to 2011-12" in titles
    assert "Monthly flows of buyers, 2010-12 to 2011-12" in titles
    flows = next(d.value for d in at.dataframe if "flow_new" in d.value.columns)
    assert flows["month"].min() == pd.Timestamp("2010-12-01") and len(flows) == 13


def _about_sheet(call) -> str:
    sheet = load_workbook(io.BytesIO(call["xlsx"]())).worksheets[1]
    return " | ".join(f"{r[0].value}: {r[1].value}" for r in sheet.iter_rows())


@pytest.mark.parametrize("lang", ["en"])  # AppTest picks a drill option by its English label
def test_the_drill_downs_about_sheet_names_the_stage_rules(app_on, made, demo_db, lang):  # noqa: F811
    """With "at risk after 30 days" chosen, the at-risk list holds other customers than
    under the default 90 days: its About sheet says under which stage rules (review 17)."""
    words = load_catalog(lang)
    at = app_on(demo_db, lang=lang).switch_page("pages/lifecycle.py").run()
    at.number_input(key="lifecycle_rule_at_risk_min_days").set_value(30).run()
    at.selectbox(key="lifecycle_drill_group").set_value("at_risk").run()
    assert not at.exception
    calls = [
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["lifecycle.drill_header"]
    ]
    call = calls[-1]  # the last run's: at risk after 30 days
    assert call["rows"] > 0
    about = _about_sheet(call)
    assert f"{words['lifecycle.rule_at_risk_min_days']}: 30" in about, about
    assert f"{words['lifecycle.rule_churned_days']}: 365" in about, about
