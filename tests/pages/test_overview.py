"""The Overview page through app.py, as a user meets it."""

import datetime as dt
import json

from core import db
from core.overview import overview_kpis
from tests.conftest import DEMO_END
from ui import format as fmt

KPIS = 6  # the first tiles: the business's own figures of the 12 months


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _chart(at, title: str) -> dict:
    """The spec of the chart whose title starts with `title`."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    [spec] = [s for s in specs if s["layout"]["title"]["text"].startswith(title)]
    return spec


def _kpi_tiles(at):
    return list(at.metric)[:KPIS]


def test_overview_shows_the_kpis_from_the_database(app_on, demo_db):
    at = app_on(demo_db)
    assert not at.exception
    assert at.title[0].value == "Overview"
    metrics = _metrics(at)
    assert list(metrics)[:KPIS] == [
        "Customers",
        "Active customers",
        "Revenue (12 months)",
        "Orders (12 months)",
        "Average order value",
        "Repeat-purchase rate",
    ]
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
    labels = {m.label for m in _kpi_tiles(at)}
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


def test_a_change_is_shown_only_against_a_covered_year(app_on, demo_db):
    at = app_on(demo_db)  # three years of data: the previous 12 months are covered
    tiles = _kpi_tiles(at)
    assert all(m.delta and m.delta != "No earlier 12 months to compare with" for m in tiles)


def test_without_an_earlier_year_the_tiles_say_so(app_on, market_db):
    at = app_on(market_db)  # 20 months of orders: the previous 12 months are not covered
    assert not at.exception and not at.error
    assert {m.delta for m in _kpi_tiles(at)} == {"No earlier 12 months to compare with"}
    assert "compared with" not in at.caption[0].value
    assert any("The data start on" in c.value for c in at.caption)
    at.selectbox(key="sidebar_lang").set_value("zh").run()
    assert {m.delta for m in _kpi_tiles(at)} == {"没有之前 12 个月的数据可比"}


def test_money_is_in_the_databases_currency(app_on, market_db):
    at = app_on(market_db)  # reais
    con = db.connect(market_db)
    last_day = con.execute("select max(ordered_at)::date from transactions").fetchone()[0]
    expected = overview_kpis(con, last_day)
    con.close()
    metrics = _metrics(at)
    assert metrics["Revenue (12 months)"] == fmt.money(expected.revenue, "en", "BRL")
    assert metrics["Revenue (12 months)"].startswith("R$")
    assert metrics["Average order value"].startswith("R$")


def test_the_trend_starts_at_the_first_month_with_data(app_on, market_db):
    at = app_on(market_db)
    con = db.connect(market_db)
    first = con.execute("select min(ordered_at)::date from transactions").fetchone()[0]
    con.close()
    spec = _chart(at, "Monthly revenue")
    months = spec["data"][0]["x"]
    assert months[0].startswith(f"{first:%Y-%m}")
    assert spec["layout"]["yaxis"]["title"]["text"] == "Revenue (R$)"


def test_unset_currency_shows_plain_numbers_and_says_how_to_set_it(app_on, thin_db):
    at = app_on(thin_db)
    assert not at.exception
    assert _metrics(at)["Revenue (12 months)"] == "600"
    assert any("python -m core config currency" in c.value for c in at.sidebar.caption)


def test_orders_of_a_line_level_shop_are_its_invoices(app_on, uk_shop_db):
    at = app_on(uk_shop_db)
    assert not at.exception and not at.error
    con = db.connect(uk_shop_db)
    # recomputed from the raw lines: an invoice is an order unless it nets to a refund
    [(orders, revenue)] = con.execute(
        """
        with bounds as (
            select max(ordered_at)::date as last_day from transactions
        ),
        invoices as (
            select coalesce(order_id, transaction_id) as invoice, min(ordered_at) as first_at,
                sum(amount) as amount
            from transactions group by customer_id, invoice
        )
        select count(*) filter (where amount >= 0), sum(amount)
        from invoices, bounds
        where first_at >= last_day - interval 1 year + interval 1 day
            and first_at < last_day + interval 1 day
        """
    ).fetchall()
    con.close()
    metrics = _metrics(at)
    assert metrics["Orders (12 months)"] == fmt.count(orders, "en")
    assert metrics["Revenue (12 months)"] == fmt.money(revenue, "en", "GBP")
