"""The Overview's story through app.py: stars, value, risk and satisfaction tiles, the
insights in plain words, each opening its page, in both languages, on the demo, a
transactions-only shop, a CSAT-only shop and a database whose data change."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest

from core import db, overview, satisfaction
from core.build import build
from ui import overview as ov
from ui import satisfaction as sat_ui
from ui.i18n import load_catalog
from ui.navigation import PAGES

URL_PATHS = {spec.url_path for spec in PAGES}


def _tiles(at) -> dict:
    return {m.label: m for m in at.metric}


def _insights(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("- ")]


def _links(at) -> list[tuple[str, str]]:
    """(label, url path) of the page's own links (not the sidebar's menu)."""
    return [(p.proto.label, p.proto.page) for p in at.main.get("page_link")]


def _plain(text: str) -> str:
    return text.replace("\\", "")


def test_the_story_tiles_hold_the_marts_figures(app_on, demo_db):
    at = app_on(demo_db)
    assert not at.exception
    tiles = _tiles(at)
    con = db.connect(demo_db)
    [(five, share, margin_share)] = con.execute(
        """
        select count(*) filter (where stars = 5), count(*) filter (where stars = 5) / count(*),
            sum(margin_12m) filter (where stars = 5) / sum(margin_12m)
        from customer_features where stars > 0
        """
    ).fetchall()
    [(at_risk,)] = con.execute(
        "select count(*) from churn_scores where horizon_days = 90 and churn_risk >= 0.7"
    ).fetchall()
    con.close()
    assert tiles["5-star customers"].value == f"{five:,}"
    captions = [c.value for c in at.caption]
    assert (
        f"{share:.1%} of rated customers, {margin_share:.1%} of the 12 months' margin" in captions
    )
    assert tiles["At high churn risk"].value == f"{at_risk:,}"
    assert tiles["NPS (12 months)"].value.lstrip("-").isdigit()
    assert tiles["Predicted CLV"].value.startswith("¥")


def test_each_figure_is_the_one_its_page_shows(app_on, demo_db):
    at = app_on(demo_db)
    tiles = _tiles(at)
    value = at.switch_page("pages/value.py").run()
    assert not value.exception
    assert _tiles(value)["CLV, next 12 months"].value == tiles["Predicted CLV"].value
    churn = value.switch_page("pages/churn.py").run()
    assert not churn.exception
    assert _tiles(churn)["At risk (70% or more)"].value == tiles["At high churn risk"].value


def test_off_the_builds_date_too_each_figure_is_its_pages(app_on, demo_db):
    at = app_on(demo_db)
    at.date_input(key="sidebar_as_of").set_value(dt.date(2026, 6, 30)).run()  # nothing stored
    assert not at.exception
    tiles = _tiles(at)
    value = at.switch_page("pages/value.py").run()
    assert _tiles(value)["CLV, next 12 months"].value == tiles["Predicted CLV"].value
    churn = value.switch_page("pages/churn.py").run()
    assert _tiles(churn)["At risk (70% or more)"].value == tiles["At high churn risk"].value


def test_every_tile_chart_and_insight_opens_its_page(app_on, demo_db):
    at = app_on(demo_db)
    pages = [page for _, page in _links(at)]
    assert set(pages) == {"stars", "value", "churn", "satisfaction", "lifecycle"} <= URL_PATHS
    sentences = _insights(at)
    growth = [s for s in sentences if s.startswith("- Revenue over the 12 months")]
    assert len(growth) == 1
    # four tiles, two charts, each insight but growth: its figures are this page's, so it
    # links down to the monthly trend (Lifecycle shows no revenue over time)
    assert len(pages) == 4 + 2 + len(sentences) - 1
    down = [m.value for m in at.main.get("markdown") if m.value.endswith(f"(#{ov.TREND_ANCHOR})")]
    assert down == [f":material/trending_up: [Monthly trend](#{ov.TREND_ANCHOR})"]
    [heading] = [h for h in at.subheader if h.proto.anchor == ov.TREND_ANCHOR]
    assert heading.value == "Revenue month by month"


def test_the_links_keep_the_language(app_on, demo_db):
    at = app_on(demo_db, lang="zh")
    links = at.main.get("page_link")
    assert links and all(parse_qs(link.proto.query_string)["lang"] == ["zh"] for link in links)


def test_the_insights_are_sentences_with_the_figures(app_on, demo_db):
    at = app_on(demo_db)
    sentences = [_plain(s) for s in _insights(at)]
    assert len(sentences) >= 4
    assert sentences[0].startswith("- 5-star customers are ")
    assert "of the 12 months' margin" in sentences[0]
    assert any("NPS is " in s for s in sentences)
    assert not any("{" in s for s in sentences)  # every placeholder filled


def test_the_story_in_chinese(app_on, demo_db):
    at = app_on(demo_db, lang="zh")
    assert not at.exception
    zh = load_catalog("zh")
    tiles = _tiles(at)
    assert zh["overview.clv"] in tiles and zh["overview.risk"] in tiles
    assert zh["overview.stars_tile"].format(n=5) in tiles
    sentences = [_plain(s) for s in _insights(at)]
    assert sentences[0].startswith("- 5 星客户占已评级客户的")
    assert all(
        not any("a" <= ch <= "z" for ch in s.replace("NPS", "").replace("CLV", ""))
        for s in sentences
    )  # no English words left
    assert {label for label, _ in _links(at)} >= {
        zh["overview.open_stars"],
        zh["overview.open_churn"],
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_transactions_only_shop_says_what_is_missing(app_on, uk_shop_db, lang):
    at = app_on(uk_shop_db, lang=lang)
    assert not at.exception and not at.error
    words = load_catalog(lang)
    tiles = _tiles(at)
    assert tiles[words["overview.satisfaction_none"]].value == "–"
    assert words["overview.satisfaction_none_caption"] in [c.value for c in at.caption]
    assert words["overview.basis_revenue"] in " ".join(c.value for c in at.caption)
    assert tiles[words["overview.clv"]].value.startswith("£")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_csat_only_shop_shows_csat_and_says_why_the_models_are_missing(app_on, market_db, lang):
    at = app_on(market_db, lang=lang)
    assert not at.exception and not at.error
    words = load_catalog(lang)
    tiles = _tiles(at)
    assert tiles[words["overview.satisfaction_csat"]].delta == words["metric.no_previous"]
    assert tiles[words["overview.clv"]].value == tiles[words["overview.risk"]].value == "–"
    not_computed = words["overview.not_computed"].split("{")[0]
    assert sum(c.value.startswith(not_computed) for c in at.caption) == 2  # each says why
    assert len(_insights(at)) >= 2  # what the data do support still reads


def test_an_empty_database_has_no_story(app_on, empty_db):
    at = app_on(empty_db)
    assert not at.exception
    assert not at.metric and not _insights(at)


def test_the_sentence_follows_the_data(app_on, demo_db, tmp_path):
    path = tmp_path / "changed.duckdb"
    shutil.copyfile(demo_db, path)
    before = _plain(_insights(app_on(path))[0])
    con = db.connect(path)
    con.execute(
        "update transactions set cost = cost * 0.2 "
        "where customer_id in (select customer_id from customer_features where stars = 5)"
    )
    build(con, as_of=db.built_as_of(con))
    [(margin_share,)] = con.execute(
        "select sum(margin_12m) filter (where stars = 5) / sum(margin_12m) "
        "from customer_features where stars > 0"
    ).fetchall()
    con.close()
    after = _plain(_insights(app_on(path))[0])
    assert after != before
    assert f"hold {margin_share:.1%} of the 12 months' margin" in after


def _funnel(at, title: str) -> list[int]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [spec] = [s for s in specs if s["layout"]["title"]["text"].startswith(title)]
    return spec["data"][0]["x"]


def test_the_funnel_follows_the_stage_rules_chosen_on_the_lifecycle_page(app_on, demo_db):
    at = app_on(demo_db)
    before = _funnel(at, "Lifecycle funnel on")
    lifecycle = at.switch_page("pages/lifecycle.py").run()
    lifecycle.number_input(key="lifecycle_rule_at_risk_min_days").set_value(30).run()
    assert not lifecycle.exception
    chosen = _funnel(lifecycle, "Customer funnel on")
    back = lifecycle.switch_page("pages/overview.py").run()
    assert not back.exception
    assert _funnel(back, "Lifecycle funnel on") == chosen != before


def test_a_small_shops_satisfaction_sparkline_follows_the_satisfaction_pages_minimum(
    app_on, small_db, tmp_path
):
    # 15 NPS answers a month over the small shop's eight months: fewer than the 30 a month
    # satisfaction.MIN_ANSWERS asks, so the Satisfaction page opens on its thin minimum
    path = tmp_path / "small_nps.duckdb"
    shutil.copy(small_db, path)
    con = db.connect(path)
    con.execute(
        "insert into feedback (feedback_id, customer_id, submitted_at, kind, nps) "
        "select 'f' || m || '-' || i, 'c' || i, '2024-01-01'::timestamp "
        "+ to_months(m::integer) + to_days(i::integer), 'survey', (i * 7 + m) % 11 "
        "from range(8) months(m), range(15) answers(i)"
    )
    build(con)
    con.close()
    at = app_on(path)
    assert not at.exception
    spark = list(_tiles(at)["NPS (12 months)"].proto.chart_data)
    page = at.switch_page("pages/satisfaction.py").run()
    assert not page.exception
    # the page opens on its thin minimum, and the Overview's sparkline uses the same
    minimum = page.number_input(key="satisfaction_min_answers").value
    assert minimum == sat_ui.THIN_MIN_ANSWERS < satisfaction.MIN_ANSWERS
    as_of = page.date_input(key="sidebar_as_of").value
    con = db.connect(path)  # the app holds it read-write
    monthly = satisfaction.satisfaction_trend(
        con, as_of, "all", months=ov.SPARK_MONTHS, min_answers=minimum
    )
    con.close()
    scores = [float(v) for v in monthly["nps"].dropna()]
    assert len(scores) >= 3 and spark == pytest.approx(scores)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_clv_caption_says_the_horizon_the_value_was_computed_for(lang, monkeypatch):
    monkeypatch.setattr("ui.i18n.current_language", lambda: lang)
    ctx = SimpleNamespace(lang=lang, currency="GBP")
    value = overview.ValueFigure(total=1_000.0, customers=80, horizon_months=24)
    tile = ov._value_tile(ctx, value, None)
    caption = load_catalog(lang)["overview.clv_caption"]
    assert tile.caption == caption.format(months=24, customers="80")
    assert "24" in tile.caption and "12" not in tile.caption
