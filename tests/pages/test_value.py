"""The Customer value page through app.py, as a user meets it."""

import datetime as dt

from core import db, value
from core.clv import backtest
from tests.conftest import DEMO_END
from ui import format as fmt

PAGE = "pages/value.py"


def _open(app_on, path, lang=None):
    at = app_on(path, lang=lang)
    return at.switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _expected(path, **overrides):
    con = db.connect(path)
    models = value.fit_value_models(con, DEMO_END)
    settings = value.value_defaults(con, DEMO_END).settings(**overrides)
    values = value.customer_values(con, models, settings)
    totals = value.value_totals(values, models, settings)
    con.close()
    return totals


def test_the_page_shows_the_predicted_value_and_its_range(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not at.exception
    assert at.title[0].value == "Customer value"
    totals = _expected(demo_db)
    tiles = _tiles(at)
    assert tiles["CLV, next 12 months"] == fmt.money(totals.predicted_clv["clv"], "en", "CNY")
    assert tiles["Formula CLV (total)"] == fmt.money(totals.formula_clv, "en", "CNY")
    low, high = (fmt.money(totals.predicted_clv[p], "en", "CNY") for p in ("p5", "p95"))
    assert any(c.value == f"between {low} and {high}" for c in at.caption)
    top = at.dataframe[1].value
    assert len(top) == 20
    assert {"name", "email", "phone"}.isdisjoint(top.columns)
    assert top["predicted_clv"].is_monotonic_decreasing


def test_a_longer_horizon_and_a_higher_discount_rate_move_the_value(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.select_slider(key="value_horizon").set_value(24).run()
    assert not at.exception
    margin = at.slider(key="value_margin").value / 100
    years = at.slider(key="value_years").value
    totals = _expected(demo_db, horizon_months=24, margin=margin, years_retained=years)
    assert _tiles(at)["CLV, next 24 months"] == fmt.money(totals.predicted_clv["clv"], "en", "CNY")
    at.slider(key="value_discount").set_value(30).run()
    dearer = _expected(
        demo_db, horizon_months=24, discount_rate_annual=0.3, margin=margin, years_retained=years
    )
    assert dearer.predicted_clv["clv"] < totals.predicted_clv["clv"]
    assert _tiles(at)["CLV, next 24 months"] == fmt.money(dearer.predicted_clv["clv"], "en", "CNY")


def test_the_model_health_panel_reports_the_backtest_when_asked(app_on, demo_db):
    at = _open(app_on, demo_db)
    con = db.connect(demo_db)
    check = backtest(con, DEMO_END - dt.timedelta(days=90), 90)
    con.close()
    assert "Error of the total" not in _tiles(at)  # the first open refits nothing
    assert any("2026-08-22" in c.value and "Turn it on" in c.value for c in at.caption)
    at.toggle(key="value_health_run").set_value(True).run()
    assert not at.exception
    tiles = _tiles(at)
    assert tiles["Error of the total"] == f"{check.total_error_pct:+.1f}%"
    assert tiles["Mean absolute error"] == f"{check.mae:.2f}"
    assert tiles["Actual purchases"] == fmt.count(check.actual_total, "en")
    at.segmented_control(key="value_holdout").set_value(180).run()
    assert not at.exception
    assert "2026-05-24" in " ".join(c.value for c in at.caption)


def test_grouping_by_channel(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.segmented_control(key="value_group_by").set_value("acquisition_channel").run()
    assert not at.exception
    groups = at.dataframe[0].value
    assert "WeChat" in set(groups["group"])
    assert groups["customers"].sum() == _expected(demo_db).customers


def test_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "客户价值"
    assert "未来 12 个月 CLV" in _tiles(at)
    assert any(c.value.startswith("区间：¥") for c in at.caption)


def test_too_little_data_says_why(app_on, thin_db):
    at = _open(app_on, thin_db)
    assert not at.exception
    assert "Not enough data for value predictions yet" in at.warning[0].value
    assert "Only 30 customers have bought by the as-of date" in at.warning[0].value
    # what needs no model: buyers, the average order and the formula CLV
    assert [m.label for m in at.metric] == [
        "Customers",
        "Average order value",
        "Formula CLV (total)",
    ]
    assert at.metric[0].value == "30"


def test_an_empty_database_says_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert "No data yet" in at.info[0].value


def test_another_as_of_month_end_is_valued_there(app_on, demo_db):
    at = _open(app_on, demo_db)
    month_end = dt.date(2026, 9, 30)  # not the build's date: the models are fitted there
    at.date_input(key="sidebar_as_of").set_value(month_end).run()
    assert not at.exception
    con = db.connect(demo_db)
    models = value.fit_value_models(con, month_end)
    margin = at.slider(key="value_margin").value / 100
    years = at.slider(key="value_years").value
    settings = value.value_defaults(con, month_end).settings(margin=margin, years_retained=years)
    totals = value.value_totals(value.customer_values(con, models, settings), models, settings)
    con.close()
    assert _tiles(at)["CLV, next 12 months"] == fmt.money(totals.predicted_clv["clv"], "en", "CNY")
    at.slider(key="value_margin").set_value(50).run()  # a knob: no refit, the same figures
    settings = value.ValueSettings(12, 0.1, 0.5, years)
    con = db.connect(demo_db)
    totals = value.value_totals(value.customer_values(con, models, settings), models, settings)
    con.close()
    assert _tiles(at)["CLV, next 12 months"] == fmt.money(totals.predicted_clv["clv"], "en", "CNY")
