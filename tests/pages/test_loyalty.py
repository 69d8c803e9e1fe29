"""The Loyalty simulator page through app.py, as a user meets it."""

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


def test_the_summary_is_a_page_with_the_figures(app_on, demo_db):
    result = _expected(demo_db, loyalty.Programme.recommended())
    doc = lu.summary_html(
        "Title", "sub", [("Net <impact>", "¥1", "between")], "Assumptions", [("a", "b")], ["n"]
    )
    assert doc.startswith("<!doctype html>") and "Net &lt;impact&gt;" in doc
    assert result.payback_month is None or result.payback_month >= 0


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
    button = at.get("download_button")[0]
    assert "one-page summary" in button.proto.label
