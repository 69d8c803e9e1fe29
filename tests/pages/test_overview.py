"""The Overview page through app.py, as a user meets it."""

import datetime as dt

from core import db
from core.overview import overview_kpis
from tests.conftest import DEMO_END


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_shows_the_kpis_from_the_database(app_on, demo_db):
    at = app_on(demo_db)
    assert not at.exception
    assert at.title[0].value == "Overview"
    metrics = _metrics(at)
    assert len(metrics) == 6
    con = db.connect(demo_db)
    last_day = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    expected = overview_kpis(con, last_day)
    assert metrics["Customers"] == f"{expected.customers:,}"
    assert metrics["Active customers"] == f"{expected.active_customers:,}"
    assert metrics["Repeat-purchase rate"] == f"{expected.repeat_rate * 100:.1f}%"
    assert at.date_input(key="sidebar_as_of").value == last_day <= DEMO_END


def test_moving_the_as_of_date_changes_the_numbers(app_on, demo_db):
    at = app_on(demo_db)
    before = _metrics(at)
    at.date_input(key="sidebar_as_of").set_value(dt.date(2025, 6, 30)).run()
    after = _metrics(at)
    assert not at.exception
    assert after["Customers"] != before["Customers"]
    assert after["Revenue (12 months)"] != before["Revenue (12 months)"]
    assert "2025-06-30" in at.caption[0].value


def test_switching_to_chinese_changes_every_string(app_on, demo_db):
    at = app_on(demo_db)
    at.selectbox(key="sidebar_lang").set_value("zh").run()
    assert not at.exception
    assert at.title[0].value == "总览"
    labels = set(_metrics(at))
    assert labels == {
        "客户总数",
        "活跃客户",
        "营收（近 12 个月）",
        "订单数（近 12 个月）",
        "客单价",
        "复购率",
    }
    assert at.date_input(key="sidebar_as_of").label == "截至日期"


def test_language_from_the_address(app_on, demo_db):
    at = app_on(demo_db, lang="zh")
    assert at.title[0].value == "总览"


def test_empty_database_says_what_to_do(app_on, empty_db):
    at = app_on(empty_db)
    assert not at.exception
    assert "No data yet" in at.info[0].value
    assert any("python -m core demo" in c.value for c in at.code)
    assert not at.metric


def test_building_the_demo_from_the_empty_page(app_on, empty_db, monkeypatch):
    monkeypatch.setattr("ui.data.DEMO_CUSTOMERS", 300)
    at = app_on(empty_db)
    at.button[0].click().run()
    assert not at.exception
    assert _metrics(at)["Customers"] != "0"
    assert not at.info or "No data yet" not in at.info[0].value
