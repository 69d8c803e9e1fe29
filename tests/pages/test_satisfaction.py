"""The Satisfaction page through app.py, as a user meets it."""

import base64
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook

from core import db
from core.build import statuses
from core.lifecycle import LifecycleRules
from core.satisfaction import (
    has_stars,
    satisfaction_kpis,
    unhappy_customers,
    value_basis,
    value_report,
)
from tests.core.test_lifecycle import build_shop
from tests.ui.test_export_lists import made  # noqa: F401 (the fixture)
from ui import format as fmt
from ui import satisfaction as sat
from ui.export import list_files
from ui.i18n import load_catalog

PAGE = "pages/satisfaction.py"


def _open(app_on, path, lang=None):
    at = app_on(path, lang=lang)
    return at.switch_page(PAGE).run()


def _last_day(path):
    """A connection to the database and its last day with a transaction (the as-of date)."""
    con = db.connect(path)
    return con, con.execute("select max(ordered_at)::date from transactions").fetchone()[0]


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_headline_figures_come_from_the_answers(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Satisfaction and service"
    con, as_of = _last_day(demo_db)
    now = satisfaction_kpis(con, as_of).current
    tiles = _tiles(at)
    assert tiles["Net Promoter Score"] == f"{now.nps:.0f}"
    assert tiles["CSAT (1–5)"] == f"{now.csat:.2f}"
    assert tiles["Loyalty index"] == f"{now.loyalty_index():.1f}"
    assert tiles["Complaints"] == f"{now.complaints:,}"
    assert tiles["Resolved within 48 h"] == f"{now.sla_share * 100:.1f}%"
    assert f"from {now.nps_answers:,} answers" in [c.value for c in at.caption]


def test_a_shorter_service_level_lowers_the_share_within_it(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.number_input(key="satisfaction_sla").set_value(24).run()
    assert not at.exception
    con, as_of = _last_day(demo_db)
    now = satisfaction_kpis(con, as_of, sla_hours=24).current
    assert _tiles(at)["Resolved within 24 h"] == f"{now.sla_share * 100:.1f}%"
    assert "Resolved within 48 h" not in _tiles(at)


def test_star_tiers_wait_for_the_star_rating(app_on, tmp_path):
    path = tmp_path / "no-stars.duckdb"
    con = db.connect(path)
    build_shop(con)  # raw tables only: no customer_features, so no stars
    con.close()
    at = _open(app_on, path)
    at.button_group(key="satisfaction_split").set_value("stars").run()
    assert not at.exception
    notes = [i.value for i in at.info]
    assert sum("available once star ratings are built" in n for n in notes) == 2  # trend, value
    assert at.toggle(key="satisfaction_top_only").disabled


def test_star_tiers_once_stars_exist(app_on, demo_db):
    con, as_of = _last_day(demo_db)
    if not has_stars(con):
        pytest.skip("the demo build has no star ratings yet")
    at = _open(app_on, demo_db)
    at.button_group(key="satisfaction_split").set_value("stars").run()
    at.toggle(key="satisfaction_top_only").set_value(True).run()
    assert not at.exception
    assert not any("available once star ratings" in i.value for i in at.info)
    expected = unhappy_customers(con, as_of, top_stars=4, limit=500)
    count = next(c.value for c in at.caption if "most valuable." in c.value)
    assert count.startswith(f"{expected.total:,} customers")
    shown = set(at.dataframe[-1].value["stars"])
    assert shown and shown <= {"4★", "5★"}  # the one star label


def test_the_value_at_risk_list(app_on, demo_db):
    at = _open(app_on, demo_db)
    con, as_of = _last_day(demo_db)
    expected = unhappy_customers(con, as_of, limit=500)
    count = next(c.value for c in at.caption if "most valuable." in c.value)
    assert count.startswith(f"{expected.total:,} customers")
    table = at.dataframe[-1].value
    assert list(table["customer_id"]) == list(expected.customers["customer_id"])
    assert "Churned" not in set(table["stage"])
    assert at.get("download_button")


def test_the_page_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "满意度与服务"
    assert "净推荐值（NPS）" in _tiles(at)


def test_empty_database_says_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert "No data yet" in at.info[0].value
    assert not at.metric


def _chart_titles(at) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_reviews_only_opens_on_csat_and_says_what_is_missing(app_on, market_db):
    at = _open(app_on, market_db)  # CSAT reviews only: no NPS, no complaints, no interactions
    assert not at.exception and not at.error
    assert at.button_group(key="satisfaction_metric").value == "csat"
    assert any(title.startswith("Monthly CSAT average") for title in _chart_titles(at))
    con, as_of = _last_day(market_db)
    now = satisfaction_kpis(con, as_of).current
    con.close()
    tiles = _tiles(at)
    assert tiles["CSAT (1–5)"] == f"{now.csat:.2f}"
    assert tiles["Net Promoter Score"] == "–"
    assert tiles["Value held by detractors"] == "–"  # unknown, not R$0
    assert tiles["Value with an open complaint"] == "–"
    notes = " ".join(i.value for i in at.info)
    for words in ("nps column", "kind complaint", "import interactions"):
        assert words in notes
    assert not any("No survey answers" in n.value for n in at.info)


def test_reviews_only_tiles_say_there_is_no_earlier_year(app_on, market_db):
    at = _open(app_on, market_db)  # reviews over 20 months: the previous 12 are not covered
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas["CSAT (1–5)"] == "No earlier 12 months to compare with"
    assert any(c.value.startswith("The data start on") for c in at.caption)


def test_the_trend_starts_at_the_first_month_with_answers(app_on, market_db):
    at = _open(app_on, market_db)
    con = db.connect(market_db)
    first = con.execute("select min(submitted_at)::date from feedback").fetchone()[0]
    con.close()
    chart = next(c for c in at.get("plotly_chart") if "CSAT" in c.proto.spec)
    months = [m for trace in json.loads(chart.proto.spec)["data"] for m in trace["x"]]
    assert min(months).startswith(f"{first:%Y-%m}")


def test_the_as_of_date_reaches_reviews_after_the_last_order(app_on, market_db):
    at = _open(app_on, market_db)
    con = db.connect(market_db)
    last_order, last_review = con.execute(
        "select (select max(ordered_at)::date from transactions), "
        "(select max(submitted_at)::date from feedback)"
    ).fetchone()
    con.close()
    assert last_review > last_order
    as_of = at.date_input(key="sidebar_as_of")
    assert as_of.value == last_order  # opens on the day the tables were built for
    assert as_of.proto.max == f"{last_review:%Y-%m-%d}"
    as_of.set_value(last_review).run()
    assert not at.exception
    assert at.date_input(key="sidebar_as_of").value == last_review


def test_reviews_only_in_chinese(app_on, market_db):
    at = _open(app_on, market_db, lang="zh")
    assert not at.exception and not at.error
    notes = " ".join(i.value for i in at.info)
    assert "没有 NPS 回答" in notes and "没有投诉记录" in notes


def test_without_feedback_every_part_says_what_to_import(app_on, small_db):
    at = _open(app_on, small_db)  # transactions only
    assert not at.exception and not at.error
    notes = [i.value for i in at.info]
    assert any("No feedback is loaded" in n for n in notes)
    assert all(_tiles(at)[k] == "–" for k in ("Net Promoter Score", "CSAT (1–5)"))
    assert not any(m.label == "Complaints" for m in at.metric)


def test_value_is_unknown_when_the_value_model_cannot_run(app_on, market_db):
    con, as_of = _last_day(market_db)
    # the marketplace's one order per customer: the spend model cannot fit, so no CLV
    assert statuses(con)["clv"].code == "fit_at_bound"
    summary = value_report(con, as_of).summary
    con.close()
    assert summary.unhappy_top_tier > 0 and summary.unhappy_top_tier_value is None
    at = _open(app_on, market_db)
    assert not at.exception
    assert _tiles(at)["Unhappy in the top star tiers"] == "–"  # unknown, not R$0
    captions = [c.value for c in at.caption]
    assert f"{summary.unhappy_top_tier:,} customers" in captions
    assert any("the customer-value (CLV) model could not run" in c for c in captions)


def test_the_demo_shows_what_unhappy_customers_are_worth(app_on, demo_db):
    """The value model runs on the demo: the value tiles show money, with its share."""
    con, as_of = _last_day(demo_db)
    summary = value_report(con, as_of).summary
    con.close()
    assert summary.value > 0 and summary.detractor_value > 0
    at = _open(app_on, demo_db)
    tiles = _tiles(at)
    assert tiles["Value held by detractors"] == fmt.money(summary.detractor_value, "en", "CNY")
    assert tiles["Value with an open complaint"] == fmt.money(
        summary.open_complaint_value, "en", "CNY"
    )
    share = fmt.percent(summary.detractor_value_share)
    assert f"{share} of all buyers' value · {summary.detractors:,} customers" in [
        c.value for c in at.caption
    ]
    assert not any("could not run" in c.value for c in at.caption)


def test_the_download_names_money_columns_with_the_currency(app_on, market_db):
    at = _open(app_on, market_db)  # the app's connection is on this database now
    assert not at.exception
    con, as_of = _last_day(market_db)
    basis = value_basis(con)
    con.close()
    to_csv, _, _ = list_files(  # what the CSV button writes, every column shown
        sat.list_export(as_of, LifecycleRules(), False, basis, "BRL"),
        1,
        sat.export_columns(basis, True, "BRL", {}),
    )
    frame = pd.read_csv(io.BytesIO(to_csv()), encoding="utf-8-sig")
    assert "Revenue (BRL)" in frame.columns
    assert any(c.endswith("(BRL)") and c.startswith(("Predicted CLV", "Margin")) for c in frame)
    assert len(frame) > 0


def test_without_referral_data_the_loyalty_index_leaves_referrals_out(app_on, market_db):
    at = _open(app_on, market_db)  # the marketplace names no referrer
    con, as_of = _last_day(market_db)
    now = satisfaction_kpis(con, as_of).current
    con.close()
    tiles = _tiles(at)
    assert tiles["Referral rate"] == "–"  # unknown, not 0.0%
    expected = (now.repeat_rate + now.satisfied_share) / 2 * 100
    assert tiles["Loyalty index"] == f"{expected:.1f}"
    assert any("referral rate is unknown and left out" in c.value for c in at.caption)


def test_the_list_hides_columns_the_data_do_not_have(app_on, market_db):
    at = _open(app_on, market_db)  # no NPS, no complaints: those columns would be blanks and 0s
    columns = json.loads(at.dataframe[-1].proto.columns)
    assert columns["latest_nps"] == {"hidden": True}
    assert columns["open_complaints"] == {"hidden": True}
    assert columns["latest_csat"]["label"] == "Latest CSAT"
    assert columns["revenue"]["type_config"].get("format") is None  # the cells are written:
    cells = pa.ipc.open_stream(at.dataframe[-1].proto.arrow_data.styler.display_values)
    revenue = cells.read_pandas()["revenue"]
    assert revenue.str.match(r"^-?R\$[\d,]+$").all(), revenue.head()


CSAT_BANDS_BY_HAND = """
with
lines as (select * from transactions where ordered_at < $as_of::date + interval 1 day),
orders as (
    select customer_id, min(ordered_at)::date as ordered_on, sum(amount) as net
    from lines
    group by customer_id, coalesce(order_id, transaction_id)
),
buyers as (
    select
        customer_id,
        min(ordered_on) as first_on,
        max(ordered_on) as last_on,
        count(distinct ordered_on) as days
    from orders
    where net >= 0
    group by customer_id
),
latest as (
    select customer_id, arg_max(csat, submitted_at) as csat
    from feedback
    where csat is not null and submitted_at < $as_of::date + interval 1 day
    group by customer_id
),
judged as (
    select
        case
            when l.csat is null then 'no_answer'
            when l.csat <= 2 then 'unhappy'
            when l.csat = 3 then 'neutral'
            else 'happy'
        end as band,
        date_diff('day', b.last_on, $as_of::date) as silent,
        greatest(90, 2 * coalesce(date_diff('day', b.first_on, b.last_on)
            / nullif(b.days - 1, 0), 0)) as at_risk_after
    from buyers as b
    left join latest as l on l.customer_id = b.customer_id
)
select
    band,
    count(*) as buyers,
    count(*) filter (where silent > 365) / count(*) as churn_rate,
    count(*) filter (where silent <= 365 and silent > at_risk_after) / count(*) as at_risk_rate
from judged
group by band
"""


def _numbers(values) -> list[float]:
    """A Plotly array from a figure's JSON: a list, or typed-array bytes (dtype, bdata)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"]).tolist()
    return [v[0] if isinstance(v, list) else v for v in values]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_reviews_only_shows_churn_by_csat_band(app_on, market_db, lang):
    """No NPS, but CSAT reviews: the section draws churn by CSAT band (1-2, 3, 4-5, as the
    page says) and its figures equal a recomputation from the raw orders and reviews with
    the default lifecycle rules (churned: > 365 days silent; at risk: > max(90, 2 x mean
    gap) days)."""
    catalog = load_catalog(lang)
    at = _open(app_on, market_db, lang)
    assert not at.exception and not at.error
    as_of = at.session_state["as_of"]
    con = db.connect(market_db)
    expected = con.execute(CSAT_BANDS_BY_HAND, {"as_of": as_of}).df().set_index("band")
    con.close()
    title = catalog["satisfaction.bands_title_csat"].format(as_of=as_of)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    chart = next(spec for spec in specs if spec["layout"]["title"]["text"] == title)
    names = [catalog[f"satisfaction.band_{b}"] for b in ("unhappy", "neutral", "happy")]
    assert names[0].endswith(("(1–2)", "（1–2 分）"))
    traces = {trace["name"]: trace for trace in chart["data"]}
    for column in ("churn_rate", "at_risk_rate"):
        trace = traces[catalog[f"satisfaction.{column}"]]
        bands = dict(zip(trace["x"], _numbers(trace["y"]), strict=True))
        buyers = dict(zip(trace["x"], _numbers(trace["customdata"]), strict=True))
        for band in ("unhappy", "neutral", "happy", "no_answer"):
            name = catalog[f"satisfaction.band_{band}"]
            assert buyers[name] == expected.loc[band, "buyers"], (band, column)
            assert bands[name] == pytest.approx(expected.loc[band, column]), (band, column)
    assert expected.loc["unhappy", "buyers"] > 0 and expected["churn_rate"].max() > 0
    caption = catalog["satisfaction.bands_caption_csat"]
    assert caption in [c.value for c in at.caption]
    assert catalog["satisfaction.missing_no_nps"] not in [i.value for i in at.info]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_value_at_risk_lists_about_sheet_names_the_stage_rules(app_on, made, demo_db, lang):  # noqa: F811
    """The value-at-risk list's stages follow the Lifecycle page's rules: its About sheet
    names them (review 17), here at risk after 30 days as chosen there."""
    words = load_catalog(lang)
    at = app_on(demo_db, lang=lang).switch_page("pages/lifecycle.py").run()
    at.number_input(key="lifecycle_rule_at_risk_min_days").set_value(30).run()
    at = at.switch_page("pages/satisfaction.py").run()
    assert not at.exception
    calls = [
        c
        for c in made
        if c["about"] is not None
        and c["about"].value(words["export.about_list"]) == words["satisfaction.list_header"]
    ]
    assert calls
    sheet = load_workbook(io.BytesIO(calls[-1]["xlsx"]())).worksheets[1]
    about = " | ".join(f"{r[0].value}: {r[1].value}" for r in sheet.iter_rows())
    assert f"{words['lifecycle.rule_at_risk_min_days']}: 30" in about, about
