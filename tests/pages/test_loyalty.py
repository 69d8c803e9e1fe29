"""The Loyalty simulator page through app.py, as a user meets it."""

import base64
import json

import numpy as np
import pytest

from core import db, loyalty
from ui import format as fmt
from ui import loyalty as lu

PAGE = "pages/loyalty.py"


def _open(app_on, path, lang=None):
    at = app_on(path, lang=lang)
    return at.switch_page(PAGE).run()


def _tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _expected(path, programme):
    con = db.connect(path)
    result = loyalty.simulate_programme(con, programme, runs=lu.RUNS, seed=lu.SEED)
    con.close()
    return result


@pytest.fixture
def scenario_db(demo_db, tmp_path):
    """A copy of the demo database the page may write scenarios to."""
    import shutil

    path = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def test_submitting_the_form_runs_the_programme(app_on, scenario_db):
    at = _open(app_on, scenario_db)
    assert not at.exception
    assert at.title[0].value == "Loyalty simulator"
    at.slider(key="loyalty_points_tiers_participation").set_value(40)
    at.button[0].click()  # the form's submit button, the first button on the page
    at.run()
    assert not at.exception
    expected = _expected(scenario_db, loyalty.Programme.recommended(participation=0.4))
    net = expected.summary.set_index("measure").loc["net_impact"]
    assert _tiles(at)["Net impact"] == fmt.money(net["mean"], "en", "CNY")
    low, high = fmt.money(net["p5"], "en", "CNY"), fmt.money(net["p95"], "en", "CNY")
    assert any(c.value == f"between {low} and {high}" for c in at.caption)
    assert len(at.dataframe[0].value) == 3  # per tier
    at.text_input(key="loyalty_scenario_name").input("forty percent")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    assert "forty percent" in at.multiselect(key="loyalty_compare").value
    assert "forty percent" in at.dataframe[1].value.columns


def test_the_summary_is_a_page_with_the_figures():
    doc = lu.summary_html(
        "Title", "sub", [("Net <impact>", "¥1", "between")], "Assumptions", [("a", "b")], ["n"]
    )
    assert doc.startswith("<!doctype html>") and "Net &lt;impact&gt;" in doc


def _drawn_mean(at) -> np.ndarray:
    """The cumulative net impact per month as the page's chart draws it (its mean line)."""
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    y = next(trace["y"] for f in figures for trace in f["data"] if trace.get("name") == "Mean")
    if isinstance(y, dict):  # plotly's typed array: base64 of the values
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=np.dtype(y["dtype"]))
    return np.asarray(y, dtype=float)


def _payback_by_hand(cumulative: np.ndarray) -> int | None:
    """Walk back from the horizon while the cumulative net impact is at or above zero: the
    month the walk stops after is the payback; None when the last month is below zero."""
    month = len(cumulative)
    while month > 0 and cumulative[month - 1] >= 0:
        month -= 1
    return None if month == len(cumulative) else month + 1


def test_the_payback_is_the_month_the_drawn_net_impact_turns_positive_for_good(app_on, demo_db):
    # tiers and referrals with a small fixed cost: in the red at first, paid back in the
    # second year; cut the horizon to a year and it is never paid back
    at = _open(app_on, demo_db)
    at.button_group(key="loyalty_preset").set_value("tiers_referral").run()
    at.number_input(key="loyalty_tiers_referral_fixed_cost").set_value(5_000)
    at.slider(key="loyalty_tiers_referral_horizon_months").set_value(24)
    at.button[0].click().run()  # the form's submit button, the first button on the page
    assert not at.exception
    curve = _drawn_mean(at)
    month = _payback_by_hand(curve)
    assert len(curve) == 24 and curve[0] < 0 and month is not None and month > 1
    assert curve[month - 2] < 0 <= curve[month - 1]  # it turns positive in that month
    assert _tiles(at)["Payback"] == f"Month {month}"

    at.slider(key="loyalty_tiers_referral_horizon_months").set_value(12)
    at.button[0].click().run()
    curve = _drawn_mean(at)
    assert len(curve) == 12 and curve[-1] < 0 and _payback_by_hand(curve) is None
    assert _tiles(at)["Payback"] == "Never"


def test_in_chinese(app_on, demo_db):
    at = _open(app_on, demo_db, lang="zh")
    assert not at.exception
    assert at.title[0].value == "会员计划模拟"
    assert "净影响" in _tiles(at)
    assert any(c.value.startswith("区间：") for c in at.caption)


def test_too_little_history_even_for_simple_mode_says_why(app_on, thin_db):
    at = _open(app_on, thin_db)
    assert not at.exception
    warning = at.warning[0].value
    assert "The customer model is not fitted" in warning
    assert "Simple mode cannot run either" in warning and "cover 40 days" in warning
    assert not at.metric


def test_a_young_shop_gets_simple_mode_clearly_labelled(app_on, small_db):
    at = _open(app_on, small_db)
    assert not at.exception
    notice = at.info[0].value
    assert notice.startswith("**Simple mode: fixed rates per value tier from history**")
    assert "Only 80 customers have bought" in notice  # why the model is not fitted
    con = db.connect(small_db)  # the app holds it read-write
    expected = loyalty.simulate_simple(
        con, loyalty.Programme.recommended(), runs=lu.RUNS, seed=lu.SEED
    )
    con.close()
    net = expected.summary.set_index("measure").loc["net_impact"]
    assert _tiles(at)["Net impact"] == fmt.money(net["mean"], "en", None)  # no currency set
    assert any(c.value.startswith("Simple mode, 200 runs") for c in at.caption)
    assert [s.value for s in at.subheader][:2] == [
        "By value tier",
        "The fixed rates simple mode uses",
    ]
    rates = at.dataframe[1].value
    assert list(rates["customers"]) == list(expected.rates["customers"])


def test_simple_mode_in_chinese(app_on, small_db):
    at = _open(app_on, small_db, lang="zh")
    assert not at.exception
    assert at.info[0].value.startswith("**简易模式")
    assert "净影响" in _tiles(at)


def test_an_empty_database_says_what_to_do(app_on, empty_db):
    at = _open(app_on, empty_db)
    assert not at.exception
    assert "No data yet" in at.info[0].value


def test_the_download_is_the_one_page_summary(app_on, demo_db):
    at = _open(app_on, demo_db)
    labels = [b.proto.label for b in at.get("download_button")]  # the tier tables' too
    assert "Download the one-page summary (HTML)" in labels, labels


def test_the_summary_leads_with_the_verdict():
    doc = lu.summary_html("T", "s", [], "A", [], ["n"], lead="Worth it: +£1 <net>")
    assert "<p class=lead>Worth it: +£1 &lt;net&gt;</p>" in doc
    assert doc.index("class=lead>") < doc.index("<table>")
    assert "class=lead" not in lu.summary_html("T", "s", [], "A", [], ["n"])
